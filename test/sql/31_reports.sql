-- Reports on a known ledger: credit_statement (opening + movements =
-- closing, bounded by created_at: late usage belongs to the period it was
-- recorded in), credit_usage_report (net of reversals, grouped by feature,
-- customer, actor, source or a metadata key, in a time zone, events counting
-- usage operations), credit_revenue (sold, recognized, breakage, voided,
-- deferred at each period's end, promotional apart, every period a row),
-- credit_entries' filters and paging, and every bad argument's SQLSTATE.
\i test/sql/include/setup.sql
\i test/sql/include/sqlstate_of.sql
SELECT credit_type_create('usd', 2);
SELECT credit_type_create('tok');
SET credit_ledger.clock = '2026-03-01 10:00+00';
-- a: a paid block (0.50 a credit, lapsing on the 20th), a promotional one
-- tracked at 0.10, and a paid one that is voided later.
SELECT credit_grant('a', 'usd', 100, cost_basis => 0.5, expires_at => '2026-03-20') AS paid;
SELECT credit_grant('a', 'usd', 30, promotional => true, cost_basis => 0.1) AS promo;
SELECT credit_grant('a', 'usd', 10, cost_basis => 1, source_id => 'inv-9') AS voided_later;
SET credit_ledger.actor = 'app';
SELECT operation_id AS chat_op FROM credit_consume('a', 'usd', 40, feature => 'chat', source_id => 'req-1',
                                                   metadata => '{"user_id": "u1"}') \gset
SET credit_ledger.clock = '2026-03-01 23:30+00';
SELECT amount FROM credit_consume('a', 'usd', 20, feature => 'embed', metadata => '{"user_id": "u2"}');
SELECT amount FROM credit_consume('a', 'usd', 2.5, feature => 'chat', metadata => '{"user_id": "u2"}');
SET credit_ledger.clock = '2026-03-05 10:00+00';
SET credit_ledger.actor = 'support';
SELECT amount FROM credit_reverse(:chat_op, 5, 'bad answer');
SELECT amount FROM credit_adjust('a', 'usd', -3, 'fix');
SELECT credit_void(3, 'refunded');
-- Usage recorded on 2 April that occurred on 28 March.
SET credit_ledger.clock = '2026-04-02 00:00+00';
RESET credit_ledger.actor;
SELECT amount FROM credit_consume('a', 'usd', 1, feature => 'chat', occurred_at => '2026-03-28 12:00+00');
SELECT credit_expire();
-- b: usage into debt under a soft limit, repaid by the next grant.
SELECT credit_wallet_configure('b', 'usd', overdraft_limit => 50) > 0 AS configured;
SELECT amount FROM credit_consume('b', 'usd', 7, feature => 'chat');
SELECT credit_grant('b', 'usd', 20, cost_basis => 0.25) AS b_grant;
SELECT amount FROM credit_consume('b', 'tok', 1) ;  -- no wallet of tok: LG001, nothing written
SET credit_ledger.clock = '2026-05-01 00:00+00';
SELECT seq, entry_type, amount, value, promotional, feature, actor, occurred_at, created_at
  FROM credit_ledger.entries ORDER BY customer_id, seq;

-- Statements. March: the expiration swept on 2 April and the late usage
-- recorded then belong to April; opening + movements = closing.
SELECT * FROM credit_statement('a', 'usd', '2026-03-01', '2026-04-01');
SELECT * FROM credit_statement('a', 'usd', '2026-04-01', '2026-05-01');
SELECT * FROM credit_statement('a', 'usd', '2026-03-02', '2026-03-06');
SELECT s.opening_balance + s.granted + s.used + s.reversed + s.adjusted + s.expired + s.voided
         = s.closing_balance AS adds_up,
       s.closing_balance = (SELECT balance FROM credit_ledger.wallets WHERE customer_id = 'a') AS is_the_balance
  FROM credit_statement('a', 'usd', '2026-01-01', '2026-05-01') s;
-- b's repayment pair nets to zero; no wallet: zeros at the type's scale.
SELECT * FROM credit_statement('b', 'usd', '2026-03-01', '2026-05-01');
SELECT * FROM credit_statement('nobody', 'usd', '2026-03-01', '2026-05-01');
SELECT * FROM credit_statement('nobody', 'tok', '2026-03-01', '2026-05-01');

-- Usage: per feature per day (the reversal counts on the 5th, no event);
-- the late usage on 28 March, when it occurred.
SELECT * FROM credit_usage_report('2026-03-01', '2026-05-01');
SELECT * FROM credit_usage_report('2026-03-01', '2026-05-01', 'usd', 'a', 'feature', 'month');
-- In New York, 23:30 UTC on 1 March is still the 1st.
SELECT * FROM credit_usage_report('2026-03-01', '2026-03-03', group_by => 'feature',
                                  time_zone => 'America/New_York');
SELECT * FROM credit_usage_report('2026-03-01', '2026-03-02', granularity => 'hour');
-- Grouped by customer, by actor (the reversal counts under the usage it
-- undoes, not under "support"), by source, by a metadata key (Stigg's
-- usage by user).
SELECT * FROM credit_usage_report('2026-03-01', '2026-05-01', group_by => 'customer_id', granularity => 'month');
SELECT * FROM credit_usage_report('2026-03-01', '2026-05-01', group_by => 'actor', granularity => 'month');
SELECT * FROM credit_usage_report('2026-03-01', '2026-05-01', group_by => 'source_id', granularity => 'year');
SELECT * FROM credit_usage_report('2026-03-01', '2026-05-01', group_by => 'metadata.user_id', granularity => 'week');
SELECT * FROM credit_usage_report('2026-03-01', '2026-05-01', customer_id => 'b', granularity => 'quarter');
SELECT count(*) AS no_rows FROM credit_usage_report('2026-03-01', '2026-05-01', 'tok');

-- Revenue by month: 50.00 + 10.00 sold to a and 5.00 to b in March;
-- recognized: a's paid usage net of the reversal and the adjustment, b's
-- repaid debt; the void; April's breakage (the sweep on the 2nd) and the
-- late usage. Every month of the range has a row, February's empty.
SELECT * FROM credit_revenue('2026-02-01', '2026-05-01');
SELECT period_start, sold - recognized - breakage - voided
         = deferred_end - coalesce(lag(deferred_end) OVER (ORDER BY period_start), 0) AS reconciles
  FROM credit_revenue('2026-02-01', '2026-05-01');
SELECT * FROM credit_revenue('2026-03-01', '2026-03-03', 'usd', 'day', 'America/New_York');
SELECT count(*) AS no_rows FROM credit_revenue('2026-03-01', '2026-05-01', 'tok');

-- credit_entries: filters, and keyset paging under a filter.
SELECT seq, entry_type, amount FROM credit_entries('a', 'usd', entry_types => '{usage,reversal}');
SELECT seq, entry_type, amount FROM credit_entries('a', 'usd', entry_types => '{usage}', page_size => 2);
SELECT seq, entry_type, amount FROM credit_entries('a', 'usd', before_seq => 5, entry_types => '{usage}', page_size => 2);
SELECT seq, entry_type, occurred_at FROM credit_entries('a', 'usd', since => '2026-03-01 12:00', until => '2026-03-28 12:00');
SELECT seq, entry_type, source_id FROM credit_entries('a', 'usd', source_id => 'inv-9');
SELECT seq FROM credit_entries('a', 'usd', 50, 3);  -- the 1.1 form
SELECT last_seq AS total_entries FROM credit_ledger.wallets WHERE customer_id = 'a';

-- Bad input: one row per argument.
SELECT a AS call, pg_temp.sqlstate_of(a) AS result FROM unnest(ARRAY[
  $$SELECT credit_statement(NULL, 'usd', '2026-03-01', '2026-04-01')$$,
  $$SELECT credit_statement('a', NULL, '2026-03-01', '2026-04-01')$$,
  $$SELECT credit_statement('a', 'usd', NULL, '2026-04-01')$$,
  $$SELECT credit_statement('a', 'usd', '2026-03-01', NULL)$$,
  $$SELECT credit_statement('a', 'usd', '2026-04-01', '2026-03-01')$$,
  $$SELECT credit_statement('a', 'usd', '2026-04-01', '2026-04-01')$$,
  $$SELECT credit_statement('a', 'eur', '2026-03-01', '2026-04-01')$$,
  $$SELECT credit_usage_report(NULL, '2026-04-01')$$,
  $$SELECT credit_usage_report('2026-03-01', NULL)$$,
  $$SELECT credit_usage_report('2026-04-01', '2026-03-01')$$,
  $$SELECT credit_usage_report('2026-03-01', '2026-04-01', 'eur')$$,
  $$SELECT credit_usage_report('2026-03-01', '2026-04-01', group_by => NULL)$$,
  $$SELECT credit_usage_report('2026-03-01', '2026-04-01', group_by => 'user')$$,
  $$SELECT credit_usage_report('2026-03-01', '2026-04-01', group_by => 'metadata.')$$,
  $$SELECT credit_usage_report('2026-03-01', '2026-04-01', granularity => NULL)$$,
  $$SELECT credit_usage_report('2026-03-01', '2026-04-01', granularity => 'minute')$$,
  $$SELECT credit_usage_report('2026-03-01', '2026-04-01', time_zone => NULL)$$,
  $$SELECT credit_usage_report('2026-03-01', '2026-04-01', time_zone => 'Mars/Olympus')$$,
  $$SELECT credit_revenue(NULL, '2026-04-01')$$,
  $$SELECT credit_revenue('2026-03-01', NULL)$$,
  $$SELECT credit_revenue('2026-04-01', '2026-03-01')$$,
  $$SELECT credit_revenue('2026-03-01', '2026-04-01', 'eur')$$,
  $$SELECT credit_revenue('2026-03-01', '2026-04-01', granularity => NULL)$$,
  $$SELECT credit_revenue('2026-03-01', '2026-04-01', granularity => 'fortnight')$$,
  $$SELECT credit_revenue('2026-03-01', '2026-04-01', time_zone => NULL)$$,
  $$SELECT credit_revenue('2026-03-01', '2026-04-01', time_zone => 'Mars/Olympus')$$,
  $$SELECT credit_entries('a', 'usd', entry_types => '{usage,bogus}')$$,
  $$SELECT credit_entries('a', 'usd', entry_types => '{usage,NULL}')$$,
  $$SELECT credit_entries('a', 'usd', since => '2026-04-01', until => '2026-03-01')$$,
  $$SELECT credit_entries('a', 'usd', page_size => NULL)$$]) a;

SELECT * FROM credit_verify();
RESET credit_ledger.clock;
DROP EXTENSION credit_ledger;
