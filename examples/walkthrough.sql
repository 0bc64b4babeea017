-- A five-minute tour of credit_ledger, modelled on the Monk and Stigg credit
-- docs: prepaid credits with a cost basis and promotional bonus credits,
-- usage drawn down in order, corrections, limits, expiry, and the ledger.
-- Run it as a superuser in a fresh database with the extension created:
--     psql -X -a -q -d yourdb < examples/walkthrough.sql
-- The README's tour is exactly what that prints (scripts/doctest.py checks).
-- The ledger's clock starts at a fixed moment so that every number is the
-- same for everyone (credit_ledger.clock is superuser-only, for tests and
-- demos), and times print in UTC. The last lines give both back.
SET credit_ledger.clock = '2026-02-27 06:41:00+00';
SET TimeZone = 'UTC';

-- 1. A credit type: credits worth dollars, with two decimal places.
SELECT credit_type_create('usd', 2, 'credit', 'credits', 'Prepaid usage credits');

-- 2. A contract: 1,000 prepaid credits at $0.50 each (billed $500) and 200
--    free bonus credits at the same rate, both expiring on 2027-02-27.
SELECT credit_grant('acme', 'usd', 1000, cost_basis => 0.50,
                    expires_at => '2027-02-27 00:00+00',
                    reason => 'Initial prepaid credit grant', source_id => 'contract-42',
                    idempotency_key => 'contract-42/prepaid') AS prepaid_grant;
SELECT credit_grant('acme', 'usd', 200, promotional => true, cost_basis => 0.50,
                    expires_at => '2027-02-27 00:00+00',
                    reason => 'Bonus credit grant', source_id => 'contract-42',
                    idempotency_key => 'contract-42/bonus') AS bonus_grant;
SELECT credit_balance('acme', 'usd');

-- 3. Usage, deducted as it happens, in your own transaction: the order row
--    and the deduction commit (or roll back) together.
CREATE TABLE orders (order_id text PRIMARY KEY, customer_id text, credits numeric);
BEGIN;
INSERT INTO orders VALUES ('ord-1', 'acme', 250);
SELECT * FROM credit_consume('acme', 'usd', 250, idempotency_key => 'ord-1',
                             feature => 'llm_tokens', source_id => 'ord-1');
COMMIT;

-- A retry with the same idempotency key (say, after a dropped connection)
-- returns the original result and charges nothing: replayed is true.
SELECT * FROM credit_consume('acme', 'usd', 250, idempotency_key => 'ord-1',
                             feature => 'llm_tokens', source_id => 'ord-1');

-- 4. The bonus credits went first (promotional before paid); each usage entry
--    names the block it drew from, with its money value.
SELECT seq, entry_type, amount, value, balance_after, grant_id, promotional, feature
  FROM credit_ledger.entries WHERE customer_id = 'acme' ORDER BY seq;

-- Corrections never rewrite history. A refund reverses (part of) a consume
-- back onto the blocks it drew from, last drawn first, naming the consume by
-- the operation_id it returned (psql's \gset keeps the row in variables):
SELECT * FROM credit_consume('acme', 'usd', 40, idempotency_key => 'ord-2',
                             feature => 'llm_tokens', source_id => 'ord-2') \gset ord2_
\echo ord-2 is operation :ord2_operation_id, balance after it :ord2_balance
SELECT * FROM credit_reverse(:ord2_operation_id, 15, 'customer complaint');
-- ...and a signed adjustment corrects a balance by hand (it becomes a block).
SELECT * FROM credit_adjust('acme', 'usd', 25, 'goodwill credit for incident 7');

-- The blocks as the customer's wallet page shows them (Monk's badges):
SELECT grant_id, status, remaining, amount, usage_percent, days_left, promotional
  FROM credit_ledger.grant_status WHERE customer_id = 'acme' ORDER BY grant_id;

-- 5. Hard limit (the default): a deduction the balance cannot cover fails
--    whole and writes nothing. Your code matches on the SQLSTATE:
SELECT * FROM credit_consume('acme', 'usd', 5000, feature => 'llm_tokens');
\echo :LAST_ERROR_SQLSTATE

-- 6. A soft limit instead: allow up to 100 credits of debt.
SELECT credit_wallet_configure('acme', 'usd', overdraft_limit => 100);

-- 7. Time passes. On 2027-02-27 the remaining credits lapse: they are never
--    spent again, even before the sweep runs; the sweep (run by pg_cron in
--    production) writes one expiration entry per lapsed block.
SET credit_ledger.clock = '2027-03-01 00:00:00+00';
SELECT credit_balance('acme', 'usd') AS balance_after_lapse;
SELECT credit_expire() AS blocks_expired;
SELECT seq, entry_type, amount, value, promotional, occurred_at, created_at
  FROM credit_ledger.entries WHERE entry_type = 'expiration';

-- Breakage revenue: the value of paid credits that expired unused.
SELECT sum(-value) AS breakage_revenue
  FROM credit_ledger.entries
 WHERE entry_type = 'expiration' AND NOT promotional;

-- Under the soft limit, usage can run into debt, recorded in the ledger as
-- usage without a block; the next grant repays the debt first.
SELECT * FROM credit_consume('acme', 'usd', 30, feature => 'llm_tokens');
SELECT credit_grant('acme', 'usd', 500, cost_basis => 0.50, reason => 'Top-up',
                    idempotency_key => 'topup-1') AS top_up;
SELECT credit_balance('acme', 'usd');

-- 8. The credit blocks and the wallet as a finance reader sees them.
SELECT grant_id, amount, remaining, promotional, cost_basis, expires_at, open
  FROM credit_ledger.grants WHERE customer_id = 'acme' ORDER BY grant_id;
SELECT customer_id, credit_type, balance, overdraft_limit, debt
  FROM credit_ledger.wallets;

-- 9. The ledger checks itself: every balance, remaining and hash is
--    recomputed from the entries. No rows means healthy.
SELECT * FROM credit_verify();

-- Back to the real time and your own time zone.
RESET credit_ledger.clock;
RESET TimeZone;
