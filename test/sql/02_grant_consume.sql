-- Granting and consuming: the Monk contract from the seeds (1,000 prepaid
-- credits at $0.50 plus 200 bonus credits, both expiring), usage drawn down
-- across blocks with one usage entry per block, value = amount x cost basis,
-- balance_after and a gapless seq on every entry.
\i test/sql/include/setup.sql

SELECT credit_type_create('usd', 2, 'credit', 'credits');

-- Prepaid: 1,000 credits at $0.50 each; bonus: 200 promotional credits at the
-- same rate for tracking. Both expire on 2027-02-27.
SELECT credit_grant('acme', 'usd', 1000, cost_basis => 0.50,
                    expires_at => '2027-02-27 00:00+00', reason => 'prepaid',
                    source_id => 'contract-1') AS prepaid_grant;
SELECT credit_grant('acme', 'usd', 200, promotional => true, cost_basis => 0.50,
                    expires_at => '2027-02-27 00:00+00', reason => 'bonus',
                    source_id => 'contract-1') AS bonus_grant;
SELECT credit_balance('acme', 'usd');

-- The wallet was created by the first grant, with a hard limit.
SELECT wallet_id, customer_id, credit_type, balance, overdraft_limit,
       low_balance_thresholds, debt, last_seq
  FROM credit_ledger.wallets;

-- 250 credits of usage: the bonus goes first (promotional before paid on the
-- same expiry), the rest comes from the prepaid block.
SELECT * FROM credit_consume('acme', 'usd', 250, feature => 'llm_tokens',
                             source_id => 'inv-24548');
SELECT * FROM credit_consume('acme', 'usd', 0.01, feature => 'api');
SELECT credit_balance('acme', 'usd');

SELECT seq, entry_type, amount, value, balance_after, grant_id, operation_id,
       promotional, feature, source_id, reason, occurred_at, created_at
  FROM credit_ledger.entries ORDER BY seq;

SELECT grant_id, amount, remaining, promotional, priority, cost_basis,
       effective_at, expires_at, open, kind, reason, source_id
  FROM credit_ledger.grants ORDER BY grant_id;

SELECT operation_id, operation_type, amount, balance, grant_id, first_seq,
       last_seq, key_hash IS NULL AS no_key
  FROM credit_ledger.operations ORDER BY operation_id;

-- The cached totals agree with the entries.
SELECT w.balance = (SELECT sum(amount) FROM credit_ledger.entries) AS balance_is_sum,
       w.last_seq = (SELECT max(seq) FROM credit_ledger.entries) AS seq_is_head
  FROM credit_ledger.wallets w;

-- Metadata is kept as given, on the entries of its operation.
SELECT * FROM credit_consume('acme', 'usd', 5, metadata => '{"user": "u-7", "tokens": 1500}');
SELECT entry_type, amount, metadata FROM credit_ledger.entries ORDER BY seq DESC LIMIT 1;

-- Several customers and credit types never mix.
SELECT credit_type_create('api_calls');
SELECT credit_grant('acme', 'api_calls', 10000, reason => 'package');
SELECT credit_grant('globex', 'usd', 5);
SELECT * FROM credit_consume('acme', 'api_calls', 1);
SELECT customer_id, credit_type, credit_balance(customer_id, credit_type)
  FROM credit_ledger.wallets ORDER BY customer_id, credit_type;

-- A customer with no wallet has a balance of zero, at the type's scale.
SELECT credit_balance('nobody', 'usd'), credit_balance('nobody', 'api_calls');

-- The actor is the calling role unless the application names its user.
SET credit_ledger.actor = 'admin-42';
SELECT * FROM credit_consume('globex', 'usd', 1);
RESET credit_ledger.actor;
SELECT seq, CASE WHEN actor = current_user THEN '(calling role)' ELSE actor END AS actor
  FROM credit_ledger.entries WHERE customer_id = 'globex' ORDER BY seq;

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
