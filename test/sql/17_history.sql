-- History: a wallet's entries newest first, keyset-paginated and served by
-- the (wallet_id, seq) key; usage per feature per day, week or month; the
-- balance as of a past moment.
\i test/sql/include/setup.sql
SELECT credit_type_create('tok');
SELECT credit_grant('c', 'tok', 100000);
SET credit_ledger.clock = '2026-03-02 10:00+00';
SELECT count(credit_consume('c', 'tok', 10, feature => 'chat')) FROM generate_series(1, 3);
SELECT count(credit_consume('c', 'tok', 5, feature => 'embed')) FROM generate_series(1, 2);
SET credit_ledger.clock = '2026-03-09 23:30+00';
SELECT operation_id AS op FROM credit_consume('c', 'tok', 100, feature => 'chat') \gset
SELECT count(credit_consume('c', 'tok', 1, feature => 'search')) FROM generate_series(1, 4);
SET credit_ledger.clock = '2026-03-10 01:00+00';
SELECT * FROM credit_reverse(:op, 40, 'bad answer');
-- Usage reported late: recorded on 10 April, it occurred on the 5th (an
-- occurred_at may be at most a day after the ledger's clock).
SET credit_ledger.clock = '2026-04-10 00:00+00';
SELECT count(credit_consume('c', 'tok', 2, feature => 'chat', occurred_at => '2026-04-05 00:00+00')) FROM generate_series(1, 2);

-- Pages of 4, newest first.
SELECT seq, entry_type, amount, feature FROM credit_entries('c', 'tok', page_size => 4);
SELECT seq, entry_type, amount, feature FROM credit_entries('c', 'tok', before_seq => 10, page_size => 4);
SELECT seq, entry_type, amount, feature FROM credit_entries('c', 'tok', before_seq => 6, page_size => 4);
SELECT seq FROM credit_entries('c', 'tok', before_seq => 2, page_size => 4);
SELECT count(*) FROM credit_entries('nobody', 'tok');
SELECT * FROM credit_entries('c', 'tok', page_size => 0);
SELECT * FROM credit_entries('c', 'tok', page_size => 1001);

-- The page query walks the unique (wallet_id, seq) index backwards.
SET enable_seqscan = off;  -- the table is tiny; show the plan a big one gets
EXPLAIN (COSTS OFF)
SELECT e.* FROM credit_ledger.entries e
 WHERE e.wallet_id = 1 AND e.customer_id = 'c' AND e.seq < 10
 ORDER BY e.seq DESC LIMIT 4;
RESET enable_seqscan;

-- Usage per feature: by day, by week, by month; reversals net out.
SELECT * FROM credit_usage('c', 'tok', '2026-03-01', '2026-05-01');
SELECT * FROM credit_usage('c', 'tok', '2026-03-01', '2026-05-01', 'week');
SELECT * FROM credit_usage('c', 'tok', '2026-03-01', '2026-05-01', 'month');
-- In New York, 23:30 UTC on 9 March is still the 9th; 01:00 UTC on the 10th too.
SELECT * FROM credit_usage('c', 'tok', '2026-03-09', '2026-03-11', 'day', 'America/New_York');
SELECT * FROM credit_usage('c', 'tok', '2026-03-01', '2026-05-01', 'year');
SELECT * FROM credit_usage('c', 'tok', '2026-03-02', '2026-03-01');
SELECT * FROM credit_usage('c', 'tok', '2026-03-01', '2026-03-02', 'day', 'Mars/Olympus');

-- Balance as of past moments, from the entries.
SET credit_ledger.clock = '2026-05-01 00:00+00';
SELECT credit_balance('c', 'tok', '2026-03-01 12:00+00') AS at_grant,
       credit_balance('c', 'tok', '2026-03-02 10:00+00') AS after_day_1,
       credit_balance('c', 'tok', '2026-03-10 00:00+00') AS before_reversal,
       credit_balance('c', 'tok', '2026-03-10 01:00+00') AS after_reversal,
       credit_balance('c', 'tok') AS now;
SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
