-- Time: credit is spendable while effective_at <= now < expires_at. Lapsed
-- and not-yet-effective credit is never spent or counted, whether or not the
-- sweep has run; the next write on the wallet (1.2), or the sweep, writes
-- one expiration entry per lapsed grant, dated at its expires_at.
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);

-- credit_ledger.clock moves the ledger's now; it is superuser-only.
SELECT credit_ledger.ledger_now();
SELECT credit_grant('c', 'usd', 10, expires_at => '2026-03-02 00:00+00', reason => 'expires tomorrow', cost_basis => 1);
SELECT credit_grant('c', 'usd', 20, effective_at => '2026-03-05 00:00+00', reason => 'starts on the 5th');
SELECT credit_grant('c', 'usd', 5, reason => 'never expires');
SELECT credit_balance('c', 'usd');

-- Just before expiry the expiring block is spendable and drawn first.
SET credit_ledger.clock = '2026-03-01 23:59:59.999999+00';
SELECT credit_balance('c', 'usd');
SELECT * FROM credit_consume('c', 'usd', 1);

-- At expires_at it is gone, swept or not: 9 lapsed credits are not spendable.
SET credit_ledger.clock = '2026-03-02 00:00:00+00';
SELECT credit_balance('c', 'usd');
SELECT * FROM credit_consume('c', 'usd', 6);
SELECT * FROM credit_consume('c', 'usd', 5);

-- The scheduled block starts on the 5th with no job running.
SET credit_ledger.clock = '2026-03-04 23:59:59.999999+00';
SELECT credit_balance('c', 'usd');
SET credit_ledger.clock = '2026-03-05 00:00:00+00';
SELECT credit_balance('c', 'usd');
SELECT * FROM credit_consume('c', 'usd', 2);

-- The consume on the 2nd wrote the lapse first (1.2: dated at its
-- expires_at, balance_after the balance right then), so the sweep finds
-- nothing to do.
SET credit_ledger.clock = '2026-03-06 00:00:00+00';
SELECT credit_expire();
SELECT credit_expire();
SELECT seq, entry_type, amount, value, balance_after, grant_id, promotional,
       occurred_at, created_at
  FROM credit_ledger.entries WHERE entry_type = 'expiration';
SELECT grant_id, remaining, expired_at, open FROM credit_ledger.grants ORDER BY grant_id;
SELECT credit_balance('c', 'usd'), (SELECT balance FROM credit_ledger.wallets);

-- The ledger's balance at a past moment, before and after the lapse.
SELECT credit_balance('c', 'usd', '2026-03-01 12:00+00') AS at_grant,
       credit_balance('c', 'usd', '2026-03-01 23:59:59.999999+00') AS before_expiry,
       credit_balance('c', 'usd', '2026-03-02 00:00+00') AS at_expiry,
       credit_balance('c', 'usd', '2026-03-05 00:00+00') AS scheduled_started;
SELECT credit_balance('c', 'usd', '2026-03-07 00:00+00');

-- as_of expires only what lapsed by then; max_grants bounds one call.
SELECT credit_grant('d', 'usd', 1, expires_at => '2026-03-10 00:00+00');
SELECT credit_grant('d', 'usd', 1, expires_at => '2026-03-11 00:00+00');
SELECT credit_grant('d', 'usd', 1, expires_at => '2026-03-12 00:00+00');
SET credit_ledger.clock = '2026-03-20 00:00:00+00';
SELECT credit_expire(as_of => '2026-03-10 00:00+00');
SELECT credit_expire(max_grants => 1);
SELECT credit_expire();
SELECT grant_id, expires_at, expired_at FROM credit_ledger.grants WHERE customer_id = 'd' ORDER BY grant_id;
SELECT credit_expire(as_of => '2026-03-21 00:00+00');

SELECT * FROM credit_verify();

-- Only a superuser may move the clock.
CREATE ROLE clock_user;
SET ROLE clock_user;
SET credit_ledger.clock = '2030-01-01 00:00+00';
RESET ROLE;
DROP ROLE clock_user;
SET credit_ledger.clock = 'not a time';
DROP EXTENSION credit_ledger;
