-- Views for people: each block's status, remaining of original, usage
-- percent and days left; per wallet what is available, scheduled, expiring
-- within 30 days and owed; and the sweep's backlog.
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);
SELECT credit_wallet_configure('acme', 'usd', overdraft_limit => 50);
SELECT credit_grant('acme', 'usd', 1000, cost_basis => 0.5, expires_at => '2026-06-14 12:00+00', reason => 'active, 105 days left');
SELECT credit_grant('acme', 'usd', 200, promotional => true, expires_at => '2026-03-20 00:00+00', reason => 'bonus, expiring soon');
SELECT credit_grant('acme', 'usd', 300, effective_at => '2026-04-01', reason => 'scheduled');
SELECT credit_grant('acme', 'usd', 50, reason => 'to void');
SELECT credit_grant('acme', 'usd', 10, priority => 90, expires_at => '2026-03-05', reason => 'will expire');
SELECT * FROM credit_consume('acme', 'usd', 250);
SELECT credit_void(4);

SELECT grant_id, status, amount, remaining, used, usage_percent, days_left, promotional,
       remaining_value, reason
  FROM credit_ledger.grant_status ORDER BY grant_id;
SELECT customer_id, credit_type, available, scheduled, expiring_30d, debt, ledger_balance
  FROM credit_ledger.wallet_summary;

-- Six days later the small block has lapsed; the sweep has not run yet,
-- but the view shows it as the sweep will leave it (nothing remaining).
SET credit_ledger.clock = '2026-03-07 12:00+00';
SELECT grant_id, status, remaining, days_left FROM credit_ledger.grant_status ORDER BY grant_id;
SELECT lapsed_grants, lapsed_credits, oldest_expires_at, oldest_lag FROM credit_ledger.expiration_backlog;
SELECT credit_expire();
SELECT count(*) AS backlog_rows FROM credit_ledger.expiration_backlog;
SELECT grant_id, status, remaining, used, usage_percent FROM credit_ledger.grant_status WHERE grant_id = 5;

-- On 1 April the scheduled block is active; usage beyond it becomes debt.
SET credit_ledger.clock = '2026-04-01 00:00+00';
SELECT * FROM credit_consume('acme', 'usd', 1300);
SELECT grant_id, status, remaining, usage_percent FROM credit_ledger.grant_status ORDER BY grant_id;
SELECT available, scheduled, expiring_30d, debt FROM credit_ledger.wallet_summary;
SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
