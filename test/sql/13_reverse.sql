-- credit_reverse undoes a consume, all or part, back onto the exact grants it
-- drew from, last drawn first restored, never more than is left of it.
-- Credit restored to a grant that has since expired or been voided leaves
-- again at once in entries of its own; the part of a consume that became debt
-- goes back onto the debt (or, if later grants repaid it, into a new block).
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);
SELECT credit_grant('c', 'usd', 30, priority => 1, reason => 'A (first)');
SELECT credit_grant('c', 'usd', 30, priority => 2, reason => 'B (second)', cost_basis => 0.1);
SELECT credit_grant('c', 'usd', 30, priority => 3, reason => 'C (third)');
SELECT operation_id AS consume_op FROM credit_consume('c', 'usd', 75, feature => 'llm', source_id => 'req-1') \gset

-- Partial reversals restore C first, then B, then A.
SELECT * FROM credit_reverse(:consume_op, 10, 'partial refund');
SELECT g.reason, g.remaining, g.open FROM credit_ledger.grants g ORDER BY grant_id;
SELECT * FROM credit_reverse(:consume_op, 20);
SELECT g.reason, g.remaining, g.open FROM credit_ledger.grants g ORDER BY grant_id;
-- More than is left is refused; the rest is accepted; then nothing is left.
SELECT * FROM credit_reverse(:consume_op, 45.01);
SELECT * FROM credit_reverse(:consume_op);
SELECT * FROM credit_reverse(:consume_op);
SELECT g.reason, g.remaining, g.open FROM credit_ledger.grants g ORDER BY grant_id;
SELECT e.seq, e.entry_type, e.amount, e.value, e.balance_after, g.reason, e.operation_id,
       e.feature, e.source_id, e.reason AS why
  FROM credit_ledger.entries e LEFT JOIN credit_ledger.grants g USING (grant_id, customer_id)
 WHERE e.seq > 3 ORDER BY e.seq;
SELECT operation_id, operation_type, amount, balance, reverses_operation_id
  FROM credit_ledger.operations WHERE operation_type = 'reverse' ORDER BY operation_id;

-- Only consumes can be reversed; unknown operations are LG004.
SELECT * FROM credit_reverse((SELECT min(operation_id) FROM credit_ledger.operations));
SELECT * FROM credit_reverse(999);
SELECT * FROM credit_reverse(NULL);
SELECT * FROM credit_reverse(:consume_op, 0);
SELECT * FROM credit_reverse(:consume_op, 0.001);

-- Idempotent with a key.
SELECT operation_id AS op FROM credit_consume('c', 'usd', 10) \gset
SELECT * FROM credit_reverse(:op, 4, idempotency_key => 'refund-9');
SELECT * FROM credit_reverse(:op, 4, idempotency_key => 'refund-9');
SELECT * FROM credit_reverse(:op, 5, idempotency_key => 'refund-9');
SELECT credit_balance('c', 'usd');

-- Restored to an expired grant: the credit lapses again at once.
SELECT credit_grant('e', 'usd', 20, expires_at => '2026-03-10', reason => 'expiring', cost_basis => 1);
SELECT operation_id AS op FROM credit_consume('e', 'usd', 15) \gset
SET credit_ledger.clock = '2026-03-11 00:00+00';
SELECT credit_expire();
SELECT * FROM credit_reverse(:op);
SELECT seq, entry_type, amount, value, balance_after, operation_id
  FROM credit_ledger.entries WHERE customer_id = 'e' ORDER BY seq;
SELECT remaining, expired_amount, open FROM credit_ledger.grants WHERE customer_id = 'e';

-- Restored to a lapsed grant the sweep has not reached: lapses at once too;
-- the sweep later expires only what remained.
SELECT credit_grant('l', 'usd', 20, expires_at => '2026-03-12', reason => 'lapsing');
SELECT operation_id AS op FROM credit_consume('l', 'usd', 5) \gset
SET credit_ledger.clock = '2026-03-12 00:00+00';
SELECT * FROM credit_reverse(:op, 2);
SELECT credit_balance('l', 'usd');
SELECT credit_expire();
SELECT seq, entry_type, amount, balance_after FROM credit_ledger.entries WHERE customer_id = 'l' ORDER BY seq;
SELECT remaining, expired_amount FROM credit_ledger.grants WHERE customer_id = 'l';

-- Restored to a voided grant: voided again at once.
SELECT credit_grant('v', 'usd', 20) AS to_void \gset
SELECT operation_id AS op FROM credit_consume('v', 'usd', 8) \gset
SELECT credit_void(:to_void);
SELECT * FROM credit_reverse(:op);
SELECT seq, entry_type, amount, balance_after FROM credit_ledger.entries WHERE customer_id = 'v' ORDER BY seq;
SELECT remaining, voided_amount FROM credit_ledger.grants WHERE customer_id = 'v';

-- Debt: the uncovered part of a consume goes back onto the debt first.
SELECT credit_wallet_configure('d', 'usd', overdraft_limit => 100);
SELECT credit_grant('d', 'usd', 10);
SELECT operation_id AS op FROM credit_consume('d', 'usd', 30) \gset
SELECT * FROM credit_reverse(:op, 15);
SELECT balance, debt FROM credit_ledger.wallets WHERE customer_id = 'd';
-- A grant repays the remaining 5 of debt; reversing the rest then restores
-- 5 to the grant it drew from and, for the repaid debt, a new block.
SELECT credit_grant('d', 'usd', 50) AS repaying;
SELECT * FROM credit_reverse(:op);
SELECT seq, entry_type, amount, balance_after, grant_id FROM credit_ledger.entries
 WHERE customer_id = 'd' ORDER BY seq;
SELECT grant_id, kind, amount, remaining FROM credit_ledger.grants WHERE customer_id = 'd' ORDER BY grant_id;
SELECT balance, debt, credit_balance('d', 'usd') FROM credit_ledger.wallets WHERE customer_id = 'd';

-- Restored credit repays outstanding debt from another consume first.
SELECT credit_wallet_configure('r', 'usd', overdraft_limit => 100);
SELECT credit_grant('r', 'usd', 10);
SELECT operation_id AS op FROM credit_consume('r', 'usd', 10) \gset
SELECT * FROM credit_consume('r', 'usd', 7);
SELECT * FROM credit_reverse(:op);
SELECT seq, entry_type, amount, balance_after, grant_id, operation_id FROM credit_ledger.entries
 WHERE customer_id = 'r' ORDER BY seq;
SELECT debt, credit_balance('r', 'usd') FROM credit_ledger.wallets WHERE customer_id = 'r';


-- 1.2: credit_reverse(customer_id, operation_id, amount, reason,
-- idempotency_key): the operation is found only under its own customer.
-- Bad calls raise and write nothing.
\i test/sql/include/sqlstate_of.sql
\i test/sql/include/written_now.sql
SELECT credit_grant('cr1', 'usd', 50);
SELECT credit_grant('cr2', 'usd', 50);
SELECT operation_id AS cr_op FROM credit_consume('cr1', 'usd', 20) \gset
SELECT operation_id AS cr_grant_op FROM credit_ledger.operations
 WHERE customer_id = 'cr1' AND operation_type = 'grant' \gset
SELECT pg_temp.written_now() AS before \gset
SELECT pg_temp.sqlstate_of(format('SELECT * FROM credit_reverse(NULL::text, %s)', :cr_op)) AS null_customer;
SELECT pg_temp.sqlstate_of($$SELECT * FROM credit_reverse('cr1', NULL::bigint)$$) AS null_operation;
SELECT pg_temp.sqlstate_of(format('SELECT * FROM credit_reverse(%L, %s)', 'cr2', :cr_op)) AS other_customer;
SELECT pg_temp.sqlstate_of($$SELECT * FROM credit_reverse('cr1', 424242)$$) AS unknown_operation;
SELECT pg_temp.sqlstate_of(format('SELECT * FROM credit_reverse(%L, %s, 0)', 'cr1', :cr_op)) AS zero;
SELECT pg_temp.sqlstate_of(format('SELECT * FROM credit_reverse(%L, %s, -1)', 'cr1', :cr_op)) AS negative;
SELECT pg_temp.sqlstate_of(format('SELECT * FROM credit_reverse(%L, %s, 1.001)', 'cr1', :cr_op)) AS over_scale;
SELECT pg_temp.sqlstate_of(format('SELECT * FROM credit_reverse(%L, %s, %L::numeric)', 'cr1', :cr_op, 'NaN')) AS nan;
SELECT pg_temp.sqlstate_of(format('SELECT * FROM credit_reverse(%L, %s, 21)', 'cr1', :cr_op)) AS more_than_consumed;
SELECT pg_temp.sqlstate_of(format('SELECT * FROM credit_reverse(%L, %s)', 'cr1', :cr_grant_op)) AS not_a_consume;
SELECT pg_temp.written_now() = :before AS nothing_written;
-- Under its customer: a keyed partial reversal, its replay, LG002 for the
-- key with another amount, then the rest; beyond it LG006.
SELECT amount, balance, replayed FROM credit_reverse('cr1', :cr_op, 5, 'refund', 'cr-k1');
SELECT amount, balance, replayed FROM credit_reverse('cr1', :cr_op, 5, 'refund', 'cr-k1');
SELECT pg_temp.sqlstate_of(format('SELECT * FROM credit_reverse(%L, %s, 6, %L, %L)', 'cr1', :cr_op, 'refund', 'cr-k1')) AS key_reused;
SELECT amount, balance, replayed FROM credit_reverse('cr1', :cr_op);
SELECT pg_temp.written_now() AS before \gset
SELECT pg_temp.sqlstate_of(format('SELECT * FROM credit_reverse(%L, %s)', 'cr1', :cr_op)) AS nothing_left;
SELECT pg_temp.written_now() = :before AS nothing_written;

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
