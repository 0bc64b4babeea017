-- Consuming what is there (1.2): credit_consume(..., allow_partial => true)
-- and the batch field of the same name apply min(amount, available), never
-- create debt, return what was applied (0 is a result: an operation with no
-- entry), and a replay returns the applied amount of the first call.
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);
SELECT credit_grant('c', 'usd', 30) AS g1 \gset

-- Covered in full: the whole amount, as without the flag.
SELECT amount, balance, replayed FROM credit_consume('c', 'usd', 5, allow_partial => true);
-- Not covered: the 25 that are there, balance 0, no debt.
SELECT amount, balance, replayed
  FROM credit_consume('c', 'usd', 40, 'p1', 'invoice', 'inv-1', allow_partial => true);
SELECT debt FROM credit_ledger.wallets WHERE customer_id = 'c';
SELECT seq, entry_type, amount, balance_after, feature FROM credit_ledger.entries
 WHERE customer_id = 'c' ORDER BY seq;
-- Nothing there: 0 is a result, not an error. The operation is recorded
-- (amount 0) and writes no entry.
SELECT amount, balance, replayed FROM credit_consume('c', 'usd', 7, 'p0', allow_partial => true);
SELECT operation_type, amount, balance, last_seq - first_seq + 1 AS entries
  FROM credit_ledger.operations WHERE key_hash = substr(sha256('p0'), 1, 16);
SELECT count(*) AS entries FROM credit_ledger.entries WHERE customer_id = 'c';
-- Without the flag the same consume is refused (LG001), nothing written.
SELECT credit_consume('c', 'usd', 7);

-- Replays return the applied amount of the first call, even once more
-- credit has arrived; the flag is part of the request (LG002 without it).
SELECT credit_grant('c', 'usd', 100);
SELECT amount, balance, replayed
  FROM credit_consume('c', 'usd', 40, 'p1', 'invoice', 'inv-1', allow_partial => true);
SELECT amount, replayed FROM credit_consume('c', 'usd', 7, 'p0', allow_partial => true);
SELECT credit_consume('c', 'usd', 40, 'p1', 'invoice', 'inv-1');
-- allow_partial => false is the 1.1 request: the same key and fingerprint.
SELECT amount, replayed FROM credit_consume('c', 'usd', 3, 'f1');
SELECT amount, replayed FROM credit_consume('c', 'usd', 3, 'f1', allow_partial => false);

-- A soft limit does not matter: a partial consume never goes into debt, and
-- on a wallet already in debt it applies 0.
SELECT credit_wallet_configure('s', 'usd', 50);
SELECT credit_grant('s', 'usd', 10);
SELECT amount, balance FROM credit_consume('s', 'usd', 25, allow_partial => true);
SELECT amount, balance FROM credit_consume('s', 'usd', 20);
SELECT amount, balance FROM credit_consume('s', 'usd', 5, allow_partial => true);
SELECT debt FROM credit_ledger.wallets WHERE customer_id = 's';

-- Reversing a partial consume restores what it applied.
SELECT credit_grant('r', 'usd', 8);
SELECT operation_id AS rp FROM credit_consume('r', 'usd', 20, allow_partial => true) \gset
SELECT amount, balance FROM credit_reverse(:rp, reason => 'refund');

-- Bad input: NULL is 22004, the amount is checked as always; no wallet is
-- LG001 as for any consume (there is no wallet to record a 0 on).
SELECT credit_consume('c', 'usd', 1, allow_partial => NULL);
SELECT credit_consume('c', 'usd', 0, allow_partial => true);
SELECT credit_consume('c', 'usd', 1.001, allow_partial => true);
SELECT credit_consume('nobody', 'usd', 1, allow_partial => true);

-- The batch field: each event takes what the events before it left.
SELECT credit_grant('b', 'usd', 12);
SELECT ordinal, status, amount, balance, sqlstate, message FROM credit_consume_batch('[
  {"customer_id": "b", "credit_type": "usd", "amount": 10, "allow_partial": true},
  {"customer_id": "b", "credit_type": "usd", "amount": 10, "allow_partial": true, "idempotency_key": "bp"},
  {"customer_id": "b", "credit_type": "usd", "amount": 10, "allow_partial": true},
  {"customer_id": "b", "credit_type": "usd", "amount": 10},
  {"customer_id": "b", "credit_type": "usd", "amount": 10, "allow_partial": null},
  {"customer_id": "b", "credit_type": "usd", "amount": 10, "allow_partial": "yes"},
  {"customer_id": "b", "credit_type": "usd", "amount": 10, "allow_partial": true, "idempotency_key": "bp"}]');
-- A batch event and a single call share the fingerprint.
SELECT amount, replayed FROM credit_consume('b', 'usd', 10, 'bp', allow_partial => true);
SELECT count(*) AS entries FROM credit_ledger.entries WHERE customer_id = 'b';

-- The stored fingerprint of a partial consume (1.2 format; the unit test
-- StoredFormat.ConsumeFingerprintAllowPartial pins the same bytes).
SELECT credit_grant('k', 'usd', 100);
SELECT amount FROM credit_consume('k', 'usd', 95.5, 'p1', allow_partial => true);
SELECT encode(request_hash, 'hex') AS request_hash
  FROM credit_ledger.operations WHERE customer_id = 'k' AND key_hash = substr(sha256('p1'), 1, 16);


-- Bad input with allow_partial writes nothing either.
\i test/sql/include/sqlstate_of.sql
\i test/sql/include/written_now.sql
SELECT pg_temp.written_now() AS before \gset
SELECT pg_temp.sqlstate_of($$SELECT credit_consume('c', 'usd', 1, allow_partial => NULL)$$) AS null_flag,
       pg_temp.sqlstate_of($$SELECT credit_consume('c', 'usd', NULL, allow_partial => true)$$) AS null_amount,
       pg_temp.sqlstate_of($$SELECT credit_consume('c', 'usd', -1, allow_partial => true)$$) AS negative,
       pg_temp.sqlstate_of($$SELECT credit_consume('c', 'usd', 0, allow_partial => true)$$) AS zero,
       pg_temp.sqlstate_of($$SELECT credit_consume('c', 'usd', 1.001, allow_partial => true)$$) AS over_scale,
       pg_temp.sqlstate_of($$SELECT credit_consume('c', 'usd', 'NaN', allow_partial => true)$$) AS nan,
       pg_temp.sqlstate_of($$SELECT credit_consume('c', 'eur', 1, allow_partial => true)$$) AS unknown_type,
       pg_temp.sqlstate_of($$SELECT credit_consume('nobody', 'usd', 1, allow_partial => true)$$) AS no_wallet;
SELECT pg_temp.written_now() = :before AS nothing_written;

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
