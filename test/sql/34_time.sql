-- The ledger keeps up with time (1.2, issue 13): every write first brings
-- its wallet up to now under the lock - a scheduled block enters with its
-- grant entry at effective_at (repaying debt first), a lapsed block writes
-- its expiration at expires_at, a timed-out hold gives its credit back -
-- then writes its own entries. The sweep does the same for untouched
-- wallets; reads compute it without writing. Pending grants enter at
-- confirmation.
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);
\i test/sql/include/sqlstate_of.sql
-- What a failing call must leave untouched.
CREATE FUNCTION pg_temp.written() RETURNS bigint LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM credit_ledger.operations) + (SELECT count(*) FROM credit_ledger.entries)
       + (SELECT count(*) FROM credit_ledger.events)
       + (SELECT count(*) FROM credit_ledger.grants WHERE canceled_at IS NOT NULL OR NOT pending)
$$;

-- 1. A consume returns its last entry's balance_after. Under 1.1 a scheduled
-- grant's entry was written at its creation, so this consume returned 80.00
-- while its entry said 130.00; now the scheduled 50 is not in the ledger
-- until it starts.
SELECT credit_grant('a', 'usd', 100) AS now_block;
SELECT credit_grant('a', 'usd', 50, effective_at => '2026-03-05', reason => 'starts on the 5th') AS later_block;
SELECT amount, balance FROM credit_consume('a', 'usd', 20);
SELECT seq, entry_type, amount, balance_after FROM credit_ledger.entries
 WHERE customer_id = 'a' ORDER BY seq DESC LIMIT 1;
SELECT count(*) AS granted_events FROM credit_ledger.events
 WHERE event_type = 'credits.granted' AND customer_id = 'a';
-- It starts on the 5th: a read counts it at once and writes nothing.
SET credit_ledger.clock = '2026-03-06 00:00+00';
SELECT credit_balance('a', 'usd'), (SELECT count(*) FROM credit_ledger.entries WHERE customer_id = 'a') AS entries;
-- The next write enters it first, dated at its effective_at, under a
-- catch_up operation of its own; the consume then returns its own entry's
-- balance_after.
SELECT amount, balance FROM credit_consume('a', 'usd', 10);
SELECT e.seq, e.entry_type, e.amount, e.balance_after, e.occurred_at, o.operation_type
  FROM credit_ledger.entries e JOIN credit_ledger.operations o USING (operation_id, customer_id)
 WHERE e.customer_id = 'a' ORDER BY e.seq;
SELECT payload ->> 'grant_id' AS grant_id, payload ->> 'balance' AS balance, payload ->> 'reason' AS reason
  FROM credit_ledger.events WHERE event_type = 'credits.granted' AND customer_id = 'a' ORDER BY event_id;

-- 2. A lapse is written at expires_at by the next write (or the sweep),
-- with expired_at = expires_at.
SELECT credit_grant('b', 'usd', 30, expires_at => '2026-03-08') AS lapsing;
SELECT credit_grant('b', 'usd', 5) AS lasting;
SET credit_ledger.clock = '2026-03-09 00:00+00';
SELECT credit_balance('b', 'usd');
SELECT amount, balance FROM credit_consume('b', 'usd', 1);
SELECT seq, entry_type, amount, balance_after, occurred_at, created_at FROM credit_ledger.entries
 WHERE customer_id = 'b' ORDER BY seq;
SELECT grant_id, expired_at, expired_amount, open FROM credit_ledger.grants WHERE customer_id = 'b' ORDER BY grant_id;

-- 3. Same instant: at 03-12 one block lapses and another starts. The lapse
-- comes first (DESIGN "1.2 details"), then the entry, both dated then.
SELECT credit_grant('c', 'usd', 10, expires_at => '2026-03-12') AS lapses_at_12;
SELECT credit_grant('c', 'usd', 40, effective_at => '2026-03-12') AS starts_at_12;
-- Debt is repaid when a block enters: 'c2' owes 15 when its block starts.
SELECT credit_wallet_configure('c2', 'usd', overdraft_limit => 100);
SELECT amount, balance FROM credit_consume('c2', 'usd', 15);
SELECT credit_grant('c2', 'usd', 40, effective_at => '2026-03-12') AS repays;
SET credit_ledger.clock = '2026-03-12 00:00+00';
SELECT credit_balance('c', 'usd') AS c, credit_balance('c2', 'usd') AS c2;
SELECT amount, balance FROM credit_consume('c', 'usd', 1);
SELECT amount, balance FROM credit_consume('c2', 'usd', 1);
SELECT customer_id, seq, entry_type, amount, balance_after, grant_id, occurred_at FROM credit_ledger.entries
 WHERE customer_id IN ('c', 'c2') ORDER BY customer_id, seq;
SELECT customer_id, debt FROM credit_ledger.wallets WHERE customer_id IN ('c', 'c2') ORDER BY 1;

-- 4. The sweep catches up a wallet nobody touches: a scheduled block enters
-- (no lapse, so it counts 0) and the wallet is not due again.
SELECT credit_grant('d', 'usd', 7, effective_at => '2026-03-13') AS later;
SELECT next_due_at FROM credit_ledger.wallets WHERE customer_id = 'd';
SET credit_ledger.clock = '2026-03-14 00:00+00';
SELECT credit_expire();
SELECT seq, entry_type, amount, balance_after, occurred_at FROM credit_ledger.entries WHERE customer_id = 'd';
SELECT next_due_at FROM credit_ledger.wallets WHERE customer_id = 'd';

-- 5. Voiding a scheduled block before it starts writes no entry and
-- returns its amount; it never enters.
SELECT credit_grant('e', 'usd', 12, effective_at => '2026-04-01') AS later \gset
SELECT credit_void(:later);
SELECT count(*) AS entries FROM credit_ledger.entries WHERE customer_id = 'e';
SET credit_ledger.clock = '2026-04-02 00:00+00';
SELECT credit_grant('e', 'usd', 1) IS NOT NULL AS another_write;
SELECT entry_type, amount, grant_id = :later AS voided_block FROM credit_ledger.entries WHERE customer_id = 'e';

-- 6. A hold that times out (rows as credit_hold writes them: 30 of 100
-- reserved, until 04-02 00:10) reserves nothing from its deadline on: reads
-- count it as released at once; the next write releases it (status
-- expired, credits.hold.expired) and writes no entry.
SELECT credit_grant('h', 'usd', 100) AS hblock \gset
INSERT INTO credit_ledger.operation_rows (operation_id, customer_id, wallet_id, credit_type, operation_type,
                                      first_seq, last_seq, created_at)
SELECT 9000, 'h', wallet_id, 'usd', 'hold', 2, 1, '2026-04-02 00:00+00' FROM credit_ledger.wallets WHERE customer_id = 'h';
INSERT INTO credit_ledger.holds (hold_id, wallet_id, customer_id, credit_type, amount, status, expires_at,
                                 created_at, reserved_grant_ids, reserved_amounts, operation_id)
SELECT 1, wallet_id, 'h', 'usd', 30, 'held', '2026-04-02 00:10+00', '2026-04-02 00:00+00',
       ARRAY[:hblock]::bigint[], '{30.00}', 9000 FROM credit_ledger.wallets WHERE customer_id = 'h';
UPDATE credit_ledger.grants SET remaining = 70, held = 30 WHERE grant_id = :hblock;
UPDATE credit_ledger.wallets SET held = 30.00, next_due_at = '2026-04-02 00:10+00' WHERE customer_id = 'h';
SELECT credit_balance('h', 'usd'), (SELECT held FROM credit_ledger.wallet_summary WHERE customer_id = 'h');
SELECT * FROM credit_verify('h');
SET credit_ledger.clock = '2026-04-02 00:10+00';
SELECT credit_balance('h', 'usd'), (SELECT held FROM credit_ledger.wallet_summary WHERE customer_id = 'h'),
       (SELECT status FROM credit_ledger.holds);
SELECT amount, balance FROM credit_consume('h', 'usd', 90);
SELECT status, closed_at FROM credit_ledger.holds;
SELECT remaining, held FROM credit_ledger.grants WHERE grant_id = :hblock;
SELECT held, held_overdraft, next_due_at FROM credit_ledger.wallets WHERE customer_id = 'h';
SELECT payload ->> 'hold_id' AS hold_id, payload ->> 'amount' AS amount, payload ->> 'expires_at' AS expires_at
  FROM credit_ledger.events WHERE event_type = 'credits.hold.expired';

-- 7. Pending grants: no entry, not spendable, not counted.
SET credit_ledger.clock = '2026-04-03 00:00+00';
SELECT credit_grant('p', 'usd', 60, pending => true, idempotency_key => 'buy-1') AS pend \gset
SELECT credit_grant('p', 'usd', 60, pending => true, idempotency_key => 'buy-1') = :pend AS replayed_same;
SELECT pg_temp.sqlstate_of($$SELECT credit_grant('p', 'usd', 60, idempotency_key => 'buy-1')$$) AS not_pending_same_key;
SELECT status, remaining, held FROM credit_ledger.grant_status WHERE grant_id = :pend;
SELECT available, pending FROM credit_ledger.wallet_summary WHERE customer_id = 'p';
SELECT credit_balance('p', 'usd'), (SELECT count(*) FROM credit_ledger.entries WHERE customer_id = 'p') AS entries;
SELECT pg_temp.sqlstate_of($$SELECT credit_consume('p', 'usd', 1)$$) AS consume;
-- Bad confirmations and cancellations write nothing.
SELECT credit_grant('q', 'usd', 5) AS other_customers \gset
SELECT pg_temp.written() AS before \gset
SELECT pg_temp.sqlstate_of(format('SELECT credit_grant_confirm(%L, %s)', 'q', :pend)) AS other_customer;
SELECT pg_temp.sqlstate_of(format('SELECT credit_grant_cancel(%L, %s)', 'q', :pend)) AS other_customer;
SELECT pg_temp.sqlstate_of('SELECT credit_grant_confirm(''p'', 424242)') AS unknown;
SELECT pg_temp.sqlstate_of('SELECT credit_grant_cancel(''p'', 424242)') AS unknown;
SELECT pg_temp.sqlstate_of(format('SELECT credit_grant_confirm(NULL, %s)', :pend)) AS null_customer;
SELECT pg_temp.sqlstate_of('SELECT credit_grant_confirm(''p'', NULL)') AS null_grant;
SELECT pg_temp.sqlstate_of(format('SELECT credit_grant_cancel(NULL, %s)', :pend)) AS null_customer;
SELECT pg_temp.sqlstate_of('SELECT credit_grant_cancel(''p'', NULL)') AS null_grant;
SELECT pg_temp.sqlstate_of(format('SELECT credit_grant_confirm(%L, %s)', 'q', :other_customers)) AS not_pending;
SELECT pg_temp.sqlstate_of(format('SELECT credit_grant_cancel(%L, %s)', 'q', :other_customers)) AS not_pending;
SELECT pg_temp.sqlstate_of(format('SELECT credit_void(%s)', :pend)) AS void_pending;
SELECT pg_temp.written() = :before AS nothing_written;
-- Payment arrives: the block enters now, credits.granted; a replay with the
-- key returns the original result, a second confirmation is LG006.
SELECT amount, balance, replayed FROM credit_grant_confirm('p', :pend, 'pay-1');
SELECT amount, balance, replayed FROM credit_grant_confirm('p', :pend, 'pay-1');
SELECT pg_temp.sqlstate_of(format('SELECT credit_grant_confirm(%L, %s, %L)', 'p', :other_customers, 'pay-1')) AS key_reused;
SELECT pg_temp.sqlstate_of(format('SELECT credit_grant_confirm(%L, %s)', 'p', :pend)) AS confirmed_twice;
SELECT pg_temp.sqlstate_of(format('SELECT credit_grant_cancel(%L, %s)', 'p', :pend)) AS cancel_confirmed;
SELECT seq, entry_type, amount, balance_after, occurred_at FROM credit_ledger.entries WHERE customer_id = 'p';
SELECT status, remaining FROM credit_ledger.grant_status WHERE grant_id = :pend;
SELECT payload ->> 'grant_id' = :'pend' AS this_block, payload ->> 'balance' AS balance
  FROM credit_ledger.events WHERE event_type = 'credits.granted' AND customer_id = 'p';
-- Payment fails: canceled, nothing ever entered; twice is LG006, and so is
-- confirming it.
SELECT credit_grant('p', 'usd', 20, pending => true) AS pend2 \gset
SELECT credit_grant_cancel('p', :pend2, 'card declined');
SELECT pg_temp.sqlstate_of(format('SELECT credit_grant_cancel(%L, %s)', 'p', :pend2)) AS canceled_twice;
SELECT pg_temp.sqlstate_of(format('SELECT credit_grant_confirm(%L, %s)', 'p', :pend2)) AS confirm_canceled;
SELECT status, open FROM credit_ledger.grant_status JOIN credit_ledger.grants USING (grant_id) WHERE grant_id = :pend2;
SELECT payload ->> 'reason' AS reason, payload ->> 'amount' AS amount
  FROM credit_ledger.events WHERE event_type = 'credits.grant.canceled';
-- Confirming a block whose expires_at has passed: LG006.
SELECT credit_grant('p', 'usd', 9, pending => true, expires_at => '2026-04-04') AS pend3 \gset
SET credit_ledger.clock = '2026-04-05 00:00+00';
SELECT pg_temp.sqlstate_of(format('SELECT credit_grant_confirm(%L, %s)', 'p', :pend3)) AS confirm_lapsed;
-- It never lapses on its own, so it is no backlog for the sweep.
SELECT count(*) AS backlog_rows FROM credit_ledger.expiration_backlog;
-- A pending block starting later, confirmed now, enters at its effective_at.
SELECT credit_grant('p', 'usd', 11, pending => true, effective_at => '2026-04-10') AS pend4 \gset
SELECT amount, balance FROM credit_grant_confirm('p', :pend4);
SELECT status FROM credit_ledger.grant_status WHERE grant_id = :pend4;
SET credit_ledger.clock = '2026-04-11 00:00+00';
SELECT amount, balance FROM credit_consume('p', 'usd', 1);
SELECT entry_type, amount, occurred_at FROM credit_ledger.entries WHERE grant_id = :pend4;

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
