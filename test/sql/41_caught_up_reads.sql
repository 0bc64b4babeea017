-- Reads through the core (1.2): grant_status, wallet_summary and
-- credit_balance compute each wallet as the next write would leave it once
-- caught up (PlanCatchUp, run by credit_ledger.caught_up_block and
-- caught_up_wallet), without writing. For wallets in every time state the
-- views read before a write must equal, block by block, what the rows show
-- after the sweep (credit_expire) has caught them up.
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);
-- 12:00. Each customer is one time state, reached at 13:30.
-- sched_debt: 20 of debt; a block of 50 takes effect at 13:00 and repays it.
SELECT credit_wallet_configure('sched_debt', 'usd', overdraft_limit => NULL);
SELECT amount, balance FROM credit_consume('sched_debt', 'usd', 20);
SELECT credit_grant('sched_debt', 'usd', 50, effective_at => '2026-03-01 13:00+00', reason => 'welcome bonus') AS g \gset
-- lapse: a block of 10 (3 used) lapses at 13:00; a block of 5 stays.
SELECT credit_grant('lapse', 'usd', 10, expires_at => '2026-03-01 13:00+00');
SELECT credit_grant('lapse', 'usd', 5);
SELECT amount FROM credit_consume('lapse', 'usd', 3);
-- lapse_debt: a soft limit; the block of 10 that lapses at 13:00 was used
-- up and 2 more became debt; a later block of 4 took effect at 12:30 and
-- repays it.
SELECT credit_wallet_configure('lapse_debt', 'usd', overdraft_limit => 50);
SELECT credit_grant('lapse_debt', 'usd', 10, expires_at => '2026-03-01 13:00+00');
SELECT amount, balance FROM credit_consume('lapse_debt', 'usd', 12);
SELECT credit_grant('lapse_debt', 'usd', 4, effective_at => '2026-03-01 12:30+00');
-- hold_timeout: a hold of 6 times out at 12:30 and gives its credit back.
SELECT credit_grant('hold_timeout', 'usd', 10);
SELECT hold_id FROM credit_hold('hold_timeout', 'usd', 6, timeout => '30 minutes');
-- hold_on_lapsed: a hold of 4 (until 14:00) on a block that lapses at 13:00:
-- the lapse takes only the free 6, the 4 stay reserved.
SELECT credit_grant('hold_on_lapsed', 'usd', 10, expires_at => '2026-03-01 13:00+00');
SELECT hold_id FROM credit_hold('hold_on_lapsed', 'usd', 4, timeout => '2 hours');
-- same_instant: a hold times out at 13:00, the instant its block lapses:
-- the credit it gives back leaves at once, then the free credit lapses.
SELECT credit_grant('same_instant', 'usd', 10, expires_at => '2026-03-01 13:00+00');
SELECT hold_id FROM credit_hold('same_instant', 'usd', 4, timeout => '1 hour');
-- hold_on_voided: a hold of 6 on a block voided since (4 removed); at
-- 12:30 the hold times out and its 6 leave the voided block.
SELECT credit_grant('hold_on_voided', 'usd', 10) AS v \gset
SELECT hold_id FROM credit_hold('hold_on_voided', 'usd', 6, timeout => '30 minutes');
SELECT credit_void('hold_on_voided', :v, 'fraud') AS voided;
-- pending: a block waiting for payment, and a block in use.
SELECT credit_grant('pending', 'usd', 25, pending => true);
SELECT credit_grant('pending', 'usd', 5);
-- future: a block still scheduled at 13:30, one expiring within 30 days.
SELECT credit_grant('future', 'usd', 7, effective_at => '2026-03-11 00:00+00');
SELECT credit_grant('future', 'usd', 3, expires_at => '2026-03-20 00:00+00');
-- untouched: nothing due.
SELECT credit_grant('untouched', 'usd', 10);

SET credit_ledger.clock = '2026-03-01 13:30:00+00';
-- What the ledger stores before anything catches up.
SELECT count(*) AS entries, count(DISTINCT operation_id) AS operations FROM credit_ledger.entries;
SELECT count(*) AS due_wallets FROM credit_ledger.wallets WHERE next_due_at <= credit_ledger.ledger_now();

-- The views and credit_balance before any write.
CREATE TEMP TABLE gs_before AS SELECT * FROM credit_ledger.grant_status;
CREATE TEMP TABLE ws_before AS
SELECT s.*, credit_balance(s.customer_id, s.credit_type) AS balance_fn
  FROM credit_ledger.wallet_summary s;
SELECT customer_id, grant_id, status, amount, remaining, held, used, usage_percent,
       expired_amount, voided_amount, days_left
  FROM gs_before ORDER BY customer_id, grant_id;
SELECT customer_id, available, balance_fn, scheduled, expiring_30d, debt, ledger_balance,
       entries, held, pending
  FROM ws_before ORDER BY customer_id;
-- Reading wrote nothing.
SELECT count(*) AS entries, count(DISTINCT operation_id) AS operations FROM credit_ledger.entries;
SELECT count(*) AS due_wallets FROM credit_ledger.wallets WHERE next_due_at <= credit_ledger.ledger_now();

-- The sweep catches every due wallet up (it counts the blocks that lapsed
-- with credit left).
SELECT credit_expire() AS lapsed;
SELECT count(*) AS due_wallets FROM credit_ledger.wallets WHERE next_due_at <= credit_ledger.ledger_now();

-- Block by block, the view before the write equals the rows after it: no
-- row differs either way.
SELECT 'before only' AS side, * FROM (
  SELECT grant_id, status, remaining, held, used, expired_amount, voided_amount, days_left FROM gs_before
  EXCEPT
  SELECT grant_id, status, remaining, held, used, expired_amount, voided_amount, days_left FROM credit_ledger.grant_status) d
UNION ALL
SELECT 'after only', * FROM (
  SELECT grant_id, status, remaining, held, used, expired_amount, voided_amount, days_left FROM credit_ledger.grant_status
  EXCEPT
  SELECT grant_id, status, remaining, held, used, expired_amount, voided_amount, days_left FROM gs_before) d;
-- ... and equals the stored columns themselves.
SELECT b.grant_id FROM gs_before b JOIN credit_ledger.grants g USING (grant_id)
 WHERE (b.remaining, b.held, b.expired_amount, b.voided_amount)
       IS DISTINCT FROM (g.remaining, g.held, g.expired_amount, g.voided_amount)
    OR (b.status IN ('expired')) IS DISTINCT FROM (g.expired_at IS NOT NULL)
    OR (b.status IN ('active', 'depleted', 'expired', 'voided')) IS DISTINCT FROM g.entered;
-- Per wallet: the summary before equals the rows after, and credit_balance
-- agrees with it before and after.
SELECT b.customer_id
  FROM ws_before b JOIN credit_ledger.wallets w USING (wallet_id)
  JOIN credit_ledger.wallet_summary a USING (wallet_id)
 WHERE (b.ledger_balance, b.debt, b.held, b.entries) IS DISTINCT FROM (w.balance, w.debt, w.held, w.last_seq)
    OR (b.available, b.scheduled, b.expiring_30d, b.ledger_balance, b.debt, b.entries, b.held, b.pending)
       IS DISTINCT FROM (a.available, a.scheduled, a.expiring_30d, a.ledger_balance, a.debt, a.entries, a.held, a.pending)
    OR b.available <> b.balance_fn
    OR b.available <> credit_balance(b.customer_id, b.credit_type)
    OR b.available <> w.balance - w.held;
SELECT count(*) AS entries, count(DISTINCT operation_id) AS operations FROM credit_ledger.entries;

-- What the sweep's catch-ups wrote, dated when each thing happened, and
-- why (entries.reason): a scheduled block's grant entry and the debt it
-- repaid (the block's own reason, as 1.1 wrote it: sched_debt's; without
-- one, "scheduled grant took effect": lapse_debt's), lapses ("expired", as
-- the 1.1 sweep wrote), and a timed-out hold's credit leaving the voided or
-- lapsed block it went back to.
SELECT e.customer_id, e.grant_id, e.entry_type, e.amount, e.reason, e.occurred_at
  FROM credit_ledger.entries e JOIN credit_ledger.operations o USING (operation_id, customer_id)
 WHERE o.operation_type = 'catch_up' ORDER BY e.customer_id, e.seq;

-- A read of a due wallet inside a transaction that wrote to another sees
-- the same: the view reads with the statement's snapshot.
SET credit_ledger.clock = '2026-03-01 14:30:00+00';
BEGIN;
SELECT amount FROM credit_consume('untouched', 'usd', 1);
SELECT customer_id, grant_id, status, remaining, held, expired_amount
  FROM credit_ledger.grant_status WHERE customer_id = 'hold_on_lapsed';
SELECT customer_id, available, ledger_balance, entries, held
  FROM credit_ledger.wallet_summary WHERE customer_id = 'hold_on_lapsed';
COMMIT;
-- The hold on the lapsed block timed out at 14:00: its 4 went back to the
-- block and left at once. A write now stores exactly what was read.
SELECT amount, balance FROM credit_consume('hold_on_lapsed', 'usd', 1, allow_partial => true);
SELECT customer_id, grant_id, status, remaining, held, expired_amount
  FROM credit_ledger.grant_status WHERE customer_id = 'hold_on_lapsed';
SELECT customer_id, available, ledger_balance, entries, held
  FROM credit_ledger.wallet_summary WHERE customer_id = 'hold_on_lapsed';

-- The readers' functions are not for PUBLIC; they are STRICT (the views
-- never pass NULL: NULL in, NULL out).
SELECT has_function_privilege('public', 'credit_ledger.caught_up_block(text, text, bigint)', 'EXECUTE') AS block_public,
       has_function_privilege('public', 'credit_ledger.caught_up_wallet(text, text)', 'EXECUTE') AS wallet_public;
SELECT credit_ledger.caught_up_wallet(NULL, 'usd') IS NULL AS null_in_null_out;

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
