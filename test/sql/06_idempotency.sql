-- Idempotency keys: scoped to the customer and kept forever. The same key with
-- the same parameters returns the original result (replayed) and writes
-- nothing; with other parameters it raises LG002. Keys up to 10,000
-- characters work (the unique index holds a SHA-256 digest).
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);
SELECT credit_type_create('tok');
SELECT credit_grant('c1', 'usd', 100, idempotency_key => 'grant-1');
SELECT credit_grant('c1', 'usd', 100, idempotency_key => 'grant-1') AS replayed_grant_id;
SELECT credit_grant('c1', 'usd', 100.00, idempotency_key => 'grant-1') AS same_value_other_text;
SELECT credit_grant('c1', 'usd', 101, idempotency_key => 'grant-1');
SELECT count(*) AS grants FROM credit_ledger.grants;

SELECT * FROM credit_consume('c1', 'usd', 10, idempotency_key => 'evt-1', feature => 'api');
SELECT * FROM credit_consume('c1', 'usd', 5);
-- A retry later returns the original result, not the current balance.
SELECT * FROM credit_consume('c1', 'usd', 10, idempotency_key => 'evt-1', feature => 'api');
SELECT count(*) AS entries FROM credit_ledger.entries;

-- Any differing parameter is a different request.
SELECT * FROM credit_consume('c1', 'usd', 11, idempotency_key => 'evt-1', feature => 'api');
SELECT * FROM credit_consume('c1', 'usd', 10, idempotency_key => 'evt-1', feature => 'web');
SELECT * FROM credit_consume('c1', 'usd', 10, idempotency_key => 'evt-1');
SELECT * FROM credit_consume('c1', 'usd', 10, idempotency_key => 'evt-1', feature => 'api', metadata => '{"a": 1}');
SELECT * FROM credit_consume('c1', 'tok', 10, idempotency_key => 'evt-1', feature => 'api');
-- A key is one request: a grant's key cannot be reused by a consume.
SELECT * FROM credit_consume('c1', 'usd', 100, idempotency_key => 'grant-1');

-- Keys are scoped to the customer: another customer may use the same key.
SELECT credit_grant('c2', 'usd', 50);
SELECT * FROM credit_consume('c2', 'usd', 10, idempotency_key => 'evt-1', feature => 'api');

-- A failed call does not burn its key: after LG001 the same key applies once
-- the credits are there.
SELECT * FROM credit_consume('c2', 'usd', 100, idempotency_key => 'big');
SELECT credit_grant('c2', 'usd', 100);
SELECT * FROM credit_consume('c2', 'usd', 100, idempotency_key => 'big');
SELECT * FROM credit_consume('c2', 'usd', 100, idempotency_key => 'big');

-- Long keys: 10,000 characters, differing only in the last one.
SELECT * FROM credit_consume('c1', 'usd', 1, idempotency_key => repeat('k', 9999) || 'a');
SELECT * FROM credit_consume('c1', 'usd', 1, idempotency_key => repeat('k', 9999) || 'b');
SELECT * FROM credit_consume('c1', 'usd', 1, idempotency_key => repeat('k', 9999) || 'a');
-- (the first 128 bits of the key's SHA-256 are stored).
SELECT key_hash = substr(sha256(convert_to(repeat('k', 9999) || 'a', 'UTF8')), 1, 16) AS key_a,
       key_hash = substr(sha256(convert_to(repeat('k', 9999) || 'b', 'UTF8')), 1, 16) AS key_b,
       octet_length(key_hash), octet_length(request_hash)
  FROM credit_ledger.operations
 WHERE key_hash IN (substr(sha256(convert_to(repeat('k', 9999) || 'a', 'UTF8')), 1, 16),
                    substr(sha256(convert_to(repeat('k', 9999) || 'b', 'UTF8')), 1, 16))
 ORDER BY operation_id;

-- Keys and their results are stored with the operation.
SELECT operation_id, customer_id, operation_type, left(encode(key_hash, 'hex'), 8) AS key,
       amount, balance
  FROM credit_ledger.operations WHERE key_hash IS NOT NULL ORDER BY operation_id;

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
