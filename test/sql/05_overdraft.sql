-- Hard and soft limits. A hard limit (the default) refuses a consume the
-- spendable balance cannot cover, whole, with nothing written. A soft limit
-- lets the uncovered part become debt recorded in the ledger (a usage entry
-- without a grant), up to the limit; NULL means no limit. The next grant
-- repays the debt first, and its remaining shows what is left.
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);

-- Hard limit: 10 credits, a consume of 10.01 fails whole.
SELECT credit_grant('hard', 'usd', 6);
SELECT credit_grant('hard', 'usd', 4, promotional => true);
SELECT * FROM credit_consume('hard', 'usd', 10.01);
SELECT count(*) AS usage_entries FROM credit_ledger.entries
 WHERE customer_id = 'hard' AND entry_type = 'usage';
SELECT * FROM credit_consume('hard', 'usd', 10);
SELECT * FROM credit_consume('hard', 'usd', 0.01);
SELECT credit_balance('hard', 'usd');

-- Soft limit of 50: usage beyond the balance becomes debt, up to 50.
SELECT credit_wallet_configure('soft', 'usd', overdraft_limit => 50);
SELECT credit_grant('soft', 'usd', 30, cost_basis => 0.10);
SELECT * FROM credit_consume('soft', 'usd', 70);
SELECT * FROM credit_consume('soft', 'usd', 10.01);
SELECT * FROM credit_consume('soft', 'usd', 10);
SELECT balance, debt FROM credit_ledger.wallets WHERE customer_id = 'soft';

-- The next grant repays the 50 of debt first: 80 - 50 leaves 30.
SELECT credit_grant('soft', 'usd', 80, cost_basis => 0.20) AS repaying_grant;
SELECT credit_balance('soft', 'usd');
SELECT balance, debt FROM credit_ledger.wallets WHERE customer_id = 'soft';
SELECT seq, entry_type, amount, value, balance_after, grant_id, operation_id
  FROM credit_ledger.entries WHERE customer_id = 'soft' ORDER BY seq;
SELECT grant_id, amount, remaining, open FROM credit_ledger.grants
 WHERE customer_id = 'soft' ORDER BY grant_id;

-- A grant smaller than the debt is used up by it entirely.
SELECT * FROM credit_consume('soft', 'usd', 80);
SELECT credit_grant('soft', 'usd', 20);
SELECT credit_balance('soft', 'usd'), (SELECT debt FROM credit_ledger.wallets WHERE customer_id = 'soft');
SELECT grant_id, remaining, open FROM credit_ledger.grants WHERE customer_id = 'soft' ORDER BY grant_id DESC LIMIT 1;

-- Lowering the limit below the debt refuses further usage but keeps the debt.
SELECT credit_wallet_configure('soft', 'usd', overdraft_limit => 0);
SELECT * FROM credit_consume('soft', 'usd', 1);

-- Unlimited soft limit (NULL).
SELECT credit_wallet_configure('open', 'usd', overdraft_limit => NULL);
SELECT * FROM credit_consume('open', 'usd', 123456.78);
SELECT overdraft_limit IS NULL AS unlimited, balance, debt
  FROM credit_ledger.wallets WHERE customer_id = 'open';

-- A scheduled grant does not repay debt before it starts; once effective,
-- the next operation settles the debt from it first.
SELECT credit_grant('open', 'usd', 200000, effective_at => '2026-04-01') AS scheduled;
SELECT credit_balance('open', 'usd'), (SELECT debt FROM credit_ledger.wallets WHERE customer_id = 'open');
SET credit_ledger.clock = '2026-04-01 00:00+00';
SELECT credit_balance('open', 'usd');
SELECT * FROM credit_consume('open', 'usd', 1.22);
SELECT seq, entry_type, amount, balance_after, grant_id FROM credit_ledger.entries
 WHERE customer_id = 'open' ORDER BY seq;
SELECT debt, balance FROM credit_ledger.wallets WHERE customer_id = 'open';

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
