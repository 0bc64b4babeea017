-- Every bad input named in the contract gets its SQLSTATE, and nothing is
-- written: NaN, infinities, zero, negative, more decimals than the scale,
-- more than 18 significant digits, NULL where required, unknown credit type,
-- expires_at not after effective_at, malformed metadata, oversized keys.
\i test/sql/include/pgtap_setup.sql
BEGIN;
SELECT plan(56);

\o /dev/null
SELECT credit_type_create('usd', 2);
SELECT credit_type_create('tok', 0);
SELECT credit_type_create('nano', 9);
SELECT credit_grant('c', 'usd', 100);
SELECT credit_grant('c', 'tok', 100);
\o

-- amount: non-finite, zero, negative
SELECT throws_ok($$SELECT credit_consume('c', 'usd', 'NaN')$$, '22023', 'amount must be a finite number', 'consume NaN');
SELECT throws_ok($$SELECT credit_consume('c', 'usd', 'Infinity')$$, '22023', 'amount must be a finite number', 'consume +Infinity');
SELECT throws_ok($$SELECT credit_consume('c', 'usd', '-Infinity')$$, '22023', 'amount must be a finite number', 'consume -Infinity');
SELECT throws_ok($$SELECT credit_consume('c', 'usd', 0)$$, '22023', 'amount must be positive', 'consume zero');
SELECT throws_ok($$SELECT credit_consume('c', 'usd', -1)$$, '22023', 'amount must be positive', 'consume negative');
SELECT throws_ok($$SELECT credit_consume('c', 'usd', -0.00)$$, '22023', 'amount must be positive', 'consume negative zero');
SELECT throws_ok($$SELECT credit_grant('c', 'usd', 'NaN')$$, '22023', 'amount must be a finite number', 'grant NaN');
SELECT throws_ok($$SELECT credit_grant('c', 'usd', 'Infinity')$$, '22023', 'amount must be a finite number', 'grant Infinity');
SELECT throws_ok($$SELECT credit_grant('c', 'usd', 0)$$, '22023', 'amount must be positive', 'grant zero');
SELECT throws_ok($$SELECT credit_grant('c', 'usd', -5)$$, '22023', 'amount must be positive', 'grant negative');

-- amount: scale and digits, never rounded
SELECT throws_ok($$SELECT credit_consume('c', 'usd', 0.001)$$, '22023', 'amount has more decimal places than its credit type allows', 'consume 3 decimals at scale 2');
SELECT throws_ok($$SELECT credit_consume('c', 'tok', 1.5)$$, '22023', 'amount has more decimal places than its credit type allows', 'consume a fraction at scale 0');
SELECT throws_ok($$SELECT credit_grant('c', 'usd', 10.005)$$, '22023', 'amount has more decimal places than its credit type allows', 'grant 3 decimals at scale 2');
SELECT lives_ok($$SELECT credit_consume('c', 'tok', 1.000)$$, 'trailing zeros are not decimals: 1.000 at scale 0');
SELECT throws_ok($$SELECT credit_grant('c', 'usd', 10000000000000000)$$, '22003', 'amount is out of range', '17 integer digits at scale 2 (19 significant)');
SELECT lives_ok($$SELECT credit_grant('big', 'usd', 9999999999999999.99)$$, '18 significant digits at scale 2 fit');
SELECT throws_ok($$SELECT credit_grant('big', 'usd', 1)$$, '22003', 'balance is out of range', 'a balance beyond 18 digits is refused');
SELECT throws_ok($$SELECT credit_grant('c', 'tok', 1000000000000000000)$$, '22003', 'amount is out of range', '19 digits at scale 0');
SELECT throws_ok($$SELECT credit_grant('c', 'nano', 1000000000)$$, '22003', 'amount is out of range', '10 integer digits at scale 9');
SELECT lives_ok($$SELECT credit_grant('n', 'nano', 999999999.999999999)$$, '18 digits at scale 9 fit');
SELECT throws_ok($$SELECT credit_consume('c', 'usd', 1e30)$$, '22003', 'amount is out of range', 'a huge consume');

-- NULL where a value is required
SELECT throws_ok($$SELECT credit_consume(NULL, 'usd', 1)$$, '22004', 'customer_id must not be NULL', 'consume NULL customer');
SELECT throws_ok($$SELECT credit_consume('c', NULL, 1)$$, '22004', 'credit_type must not be NULL', 'consume NULL credit type');
SELECT throws_ok($$SELECT credit_consume('c', 'usd', NULL)$$, '22004', 'amount must not be NULL', 'consume NULL amount');
SELECT throws_ok($$SELECT credit_grant(NULL, 'usd', 1)$$, '22004', 'customer_id must not be NULL', 'grant NULL customer');
SELECT throws_ok($$SELECT credit_grant('c', 'usd', NULL)$$, '22004', 'amount must not be NULL', 'grant NULL amount');
SELECT throws_ok($$SELECT credit_grant('c', 'usd', 1, promotional => NULL)$$, '22004', 'promotional must not be NULL', 'grant NULL promotional');
SELECT throws_ok($$SELECT credit_grant('c', 'usd', 1, priority => NULL)$$, '22004', 'priority must not be NULL', 'grant NULL priority');
SELECT throws_ok($$SELECT credit_balance(NULL, 'usd')$$, '22004', 'customer_id must not be NULL', 'balance NULL customer');
SELECT throws_ok($$SELECT credit_expire(NULL, NULL)$$, '22004', 'max_grants must not be NULL', 'expire NULL max_grants');
SELECT throws_ok($$SELECT credit_wallet_configure('c', 'usd', 0, NULL)$$, '22004', 'low_balance_thresholds must not be NULL', 'configure NULL thresholds');
SELECT throws_ok($$SELECT credit_wallet_configure('c', 'usd', 0, '{1,NULL}')$$, '22004', 'low_balance_thresholds must not contain NULL', 'configure NULL threshold');

-- unknown credit type
SELECT throws_ok($$SELECT credit_consume('c', 'eur', 1)$$, 'LG003', 'credit type "eur" does not exist', 'consume unknown type');
SELECT throws_ok($$SELECT credit_grant('c', 'eur', 1)$$, 'LG003', 'credit type "eur" does not exist', 'grant unknown type');
SELECT throws_ok($$SELECT credit_balance('c', 'eur')$$, 'LG003', 'credit type "eur" does not exist', 'balance unknown type');
SELECT throws_ok($$SELECT credit_wallet_configure('c', 'eur')$$, 'LG003', 'credit type "eur" does not exist', 'configure unknown type');

-- grant parameters
SELECT throws_ok($$SELECT credit_grant('c', 'usd', 1, priority => -1)$$, '22023', 'priority must not be negative', 'negative priority');
SELECT throws_ok($$SELECT credit_grant('c', 'usd', 1, cost_basis => -0.5)$$, '22023', 'cost_basis must not be negative', 'negative cost basis');
SELECT throws_ok($$SELECT credit_grant('c', 'usd', 1, cost_basis => 'NaN')$$, '22023', 'cost_basis must be a finite number', 'NaN cost basis');
SELECT throws_ok($$SELECT credit_grant('c', 'usd', 1, effective_at => '2026-05-01', expires_at => '2026-05-01')$$, '22023', 'expires_at must be after effective_at', 'expires_at equal to effective_at');
SELECT throws_ok($$SELECT credit_grant('c', 'usd', 1, effective_at => '2026-05-02', expires_at => '2026-05-01')$$, '22023', 'expires_at must be after effective_at', 'expires_at before effective_at');
SELECT throws_ok($$SELECT credit_grant('c', 'usd', 1, expires_at => '2026-03-01 11:59:59+00')$$, '22023', 'expires_at is already past', 'expires_at already past');
SELECT throws_ok($$SELECT credit_grant('c', 'usd', 1, expires_at => '-infinity')$$, '22023', 'expires_at must be a finite timestamp', 'expires_at -infinity');
SELECT throws_ok($$SELECT credit_grant('c', 'usd', 1, effective_at => 'infinity')$$, '22023', 'effective_at must be a finite timestamp', 'effective_at infinity');
SELECT throws_ok($$SELECT credit_grant('c', 'usd', 1, metadata => '[1,2]')$$, '22023', 'metadata must be a JSON object', 'metadata array');
SELECT throws_ok($$SELECT credit_consume('c', 'usd', 1, metadata => '"text"')$$, '22023', 'metadata must be a JSON object', 'metadata scalar');
SELECT throws_ok($$SELECT credit_grant('', 'usd', 1)$$, '22023', 'customer_id must not be empty', 'empty customer');
SELECT throws_ok($$SELECT credit_grant(repeat('c', 256), 'usd', 1)$$, '22023', 'customer_id is too long', 'customer id over 255 characters');
SELECT throws_ok($$SELECT credit_consume('c', 'usd', 1, idempotency_key => '')$$, '22023', 'idempotency_key must not be empty', 'empty key');
SELECT throws_ok($$SELECT credit_consume('c', 'usd', 1, idempotency_key => repeat('k', 10001))$$, '22023', 'idempotency_key is too long', 'key over 10,000 characters');
SELECT throws_ok($$SELECT credit_consume('c', 'usd', 1, feature => '')$$, '22023', 'feature must not be empty', 'empty feature');

-- wallet policy
SELECT throws_ok($$SELECT credit_wallet_configure('c', 'usd', -1)$$, '22023', 'overdraft_limit must not be negative', 'negative overdraft limit');
SELECT throws_ok($$SELECT credit_wallet_configure('c', 'usd', 0.001)$$, '22023', 'overdraft_limit has more decimal places than its credit type allows', 'limit beyond the scale');
SELECT throws_ok($$SELECT credit_wallet_configure('c', 'usd', 0, '{0}')$$, '22023', 'low_balance_thresholds must be positive', 'zero threshold');

-- the sweep
SELECT throws_ok($$SELECT credit_expire(NULL, 0)$$, '22023', 'max_grants must be positive', 'max_grants zero');

-- The accepted 1.000 consume took exactly one credit.
SELECT is((SELECT string_agg(balance::text || '/' || last_seq, ',' ORDER BY wallet_id)
             FROM credit_ledger.wallets WHERE customer_id = 'c'),
          '100.00/1,99/2', '1.000 at scale 0 was consumed as exactly 1 credit');
SELECT * FROM finish();
ROLLBACK;
DROP EXTENSION credit_ledger;
