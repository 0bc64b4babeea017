-- Reports against plain SQL on a random ledger: grants (paid, promotional,
-- untracked, scheduled, lapsing), recurring grants whose lapsing blocks
-- roll part of their credit over (issue 14), consumes (some into debt, some backdated),
-- partial reversals, adjustments both ways, voids and expiration sweeps,
-- written by the functions under a clock moving forward. Then every report
-- is compared with a sum over credit_ledger.entries computed another way;
-- each query below lists the disagreements, so every result must be empty.
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);
SELECT credit_type_create('tok');
SELECT credit_wallet_configure('c' || i, 'usd', overdraft_limit => 20) FROM generate_series(1, 2) i \g /dev/null
-- Recurring grants: paid, promotional and untracked, issuing periods and
-- rollovers as the clock below moves (one is canceled on the way).
SET credit_ledger.clock = '2026-01-01 00:00+00';
SELECT count(credit_recurring_create(c, ty, amount, every, expire_after => expire_after,
                                     rollover_max => rollover_max, promotional => promotional,
                                     cost_basis => cost_basis, time_zone => tz,
                                     source_id => 'plan-' || c || '-' || ty)) AS schedules
  FROM (VALUES ('c1', 'tok', 40, interval '5 days', interval '7 days', 15, true, 0.5, 'UTC'),
               ('c2', 'usd', 5, interval '1 week', interval '1 week', 3, true, 0.01, 'Europe/Berlin'),
               ('c3', 'usd', 30, interval '1 month', interval '10 days', 8.25, false, 0.125, 'America/New_York'),
               ('c4', 'tok', 50, interval '9 days', interval '4 days', 20, false, NULL, 'UTC'),
               ('c2', 'tok', 12, interval '3 days', interval '3 days', 0, false, 0.01, 'Asia/Kolkata'))
       v(c, ty, amount, every, expire_after, rollover_max, promotional, cost_basis, tz);
SELECT setseed(0.15);
DO $$
DECLARE
    t timestamptz := '2026-01-01 00:00+00';
    c text;
    ty text;
    r float8;
    op bigint;
    g bigint;
BEGIN
    FOR i IN 1..600 LOOP
        t := t + (random() * 20) * interval '1 hour';
        PERFORM set_config('credit_ledger.clock', t::text, false);
        PERFORM set_config('credit_ledger.actor', (ARRAY['app', 'batch', 'support'])[1 + floor(random() * 3)::int], false);
        c := 'c' || (1 + floor(random() * 4)::int);
        ty := CASE WHEN random() < 0.8 THEN 'usd' ELSE 'tok' END;
        r := random();
        BEGIN
            IF r < 0.15 THEN
                PERFORM credit_grant(c, ty, (10 + floor(random() * 90))::numeric,
                    promotional => random() < 0.3,
                    cost_basis => CASE WHEN random() < 0.85 THEN (ARRAY[0.01, 0.5, 0.125])[1 + floor(random() * 3)::int] END,
                    effective_at => CASE WHEN random() < 0.15 THEN t + interval '3 days' END,
                    expires_at => CASE WHEN random() < 0.6 THEN t + (5 + random() * 40) * interval '1 day' END,
                    source_id => 'g' || i);
            ELSIF r < 0.70 THEN
                PERFORM credit_consume(c, ty, (1 + floor(random() * 15))::numeric,
                    feature => (ARRAY['chat', 'embed', 'image'])[1 + floor(random() * 3)::int],
                    source_id => CASE WHEN random() < 0.5 THEN 'req-' || (i % 5) END,
                    occurred_at => CASE WHEN random() < 0.2 THEN t - random() * interval '10 days' END,
                    metadata => CASE WHEN random() < 0.8 THEN jsonb_build_object('user_id', 'u' || floor(random() * 4)) END);
            ELSIF r < 0.80 THEN
                SELECT o.operation_id INTO op FROM credit_ledger.operations o
                 WHERE o.operation_type = 'consume' ORDER BY random() LIMIT 1;
                IF op IS NOT NULL THEN
                    PERFORM credit_reverse(op, CASE WHEN random() < 0.5 THEN 1 END, 'oops');
                END IF;
            ELSIF r < 0.88 THEN
                PERFORM credit_adjust(c, ty, (ARRAY[-3, -1, 2, 5])[1 + floor(random() * 4)::int], 'fix');
            ELSIF r < 0.93 THEN
                SELECT gr.grant_id INTO g FROM credit_ledger.grants gr WHERE gr.open ORDER BY random() LIMIT 1;
                IF g IS NOT NULL THEN
                    PERFORM credit_void(g, 'refund');
                END IF;
            ELSE
                PERFORM credit_expire();
                IF i > 400 THEN
                    PERFORM credit_recurring_cancel(r.customer_id, r.recurring_id)
                       FROM credit_ledger.recurring_grants r
                      WHERE r.customer_id = 'c1' AND r.canceled_at IS NULL;
                END IF;
            END IF;
        EXCEPTION WHEN OTHERS THEN
            NULL;  -- LG001 (too little credit), LG006 (nothing left to reverse or void)
        END;
    END LOOP;
    PERFORM set_config('credit_ledger.clock', (t + interval '60 days')::text, false);
    PERFORM credit_expire();
END
$$;
RESET credit_ledger.actor;
-- The ledger has every kind of entry, and is healthy.
SELECT entry_type, count(*) > 3 AS several FROM credit_ledger.entries GROUP BY 1 ORDER BY 1;
SELECT * FROM credit_verify();

-- Random windows over the ledger's span.
CREATE TEMP TABLE windows AS
SELECT w, ws, ws + (1 + random() * 40) * interval '1 day' AS we
  FROM (SELECT w, '2025-12-25'::timestamptz + random() * interval '300 days' AS ws
          FROM generate_series(1, 6) w) x;
-- Windows starting and ending exactly at entries' instants (a bound is
-- inclusive at the start, exclusive at the end).
INSERT INTO windows
SELECT 100 + n, a.created_at, a.created_at + (1 + floor(random() * 30)) * interval '1 day'
  FROM generate_series(1, 4) n,
       LATERAL (SELECT created_at FROM credit_ledger.entries WHERE n > 0 ORDER BY random() LIMIT 1) a;
INSERT INTO windows
SELECT 200 + n, a.occurred_at - interval '5 days', a.occurred_at
  FROM generate_series(1, 4) n,
       LATERAL (SELECT occurred_at FROM credit_ledger.entries WHERE n > 0 ORDER BY random() LIMIT 1) a;
INSERT INTO windows VALUES (0, '2000-01-01', '2100-01-01');

-- Statements: each movement is the sum of its entries recorded in the
-- window; opening and closing are the balance_after of the wallet's last
-- entry recorded before the window's start and end (the clock only moved
-- forward, so created_at follows seq); they add up.
SELECT win.w, x.customer_id, x.credit_type, st.*
  FROM windows win
 CROSS JOIN credit_ledger.wallets x
 CROSS JOIN LATERAL credit_statement(x.customer_id, x.credit_type, win.ws, win.we) st
 CROSS JOIN LATERAL (
       SELECT coalesce(sum(e.amount) FILTER (WHERE e.entry_type = 'grant'), 0) AS granted,
              coalesce(sum(e.amount) FILTER (WHERE e.entry_type = 'usage'), 0) AS used,
              coalesce(sum(e.amount) FILTER (WHERE e.entry_type = 'reversal'), 0) AS reversed,
              coalesce(sum(e.amount) FILTER (WHERE e.entry_type = 'adjustment'), 0) AS adjusted,
              coalesce(sum(e.amount) FILTER (WHERE e.entry_type = 'expiration'), 0) AS expired,
              coalesce(sum(e.amount) FILTER (WHERE e.entry_type = 'void'), 0) AS voided
         FROM credit_ledger.entries e
        WHERE e.wallet_id = x.wallet_id AND e.created_at >= win.ws AND e.created_at < win.we) p
 WHERE st.opening_balance + st.granted + st.used + st.reversed + st.adjusted + st.expired + st.voided
         <> st.closing_balance
    OR st.opening_balance <> coalesce((SELECT e.balance_after FROM credit_ledger.entries e
                                        WHERE e.wallet_id = x.wallet_id AND e.created_at < win.ws
                                        ORDER BY e.seq DESC LIMIT 1), 0)
    OR st.closing_balance <> coalesce((SELECT e.balance_after FROM credit_ledger.entries e
                                        WHERE e.wallet_id = x.wallet_id AND e.created_at < win.we
                                        ORDER BY e.seq DESC LIMIT 1), 0)
    OR (st.granted, st.used, st.reversed, st.adjusted, st.expired, st.voided)
       <> (p.granted, p.used, p.reversed, p.adjusted, p.expired, p.voided)
    OR (win.w = 0 AND st.closing_balance <> x.balance);

-- Usage: each reversal entry takes the labels of a usage entry of the
-- operation it reverses (found through the entries, not the operation's
-- first seq); events are the consume operations with usage in the group.
CREATE TEMP TABLE labelled AS
SELECT e.*, coalesce(u.feature, e.feature) AS l_feature, coalesce(u.actor, e.actor) AS l_actor,
       coalesce(u.source_id, e.source_id) AS l_source, coalesce(u.metadata, e.metadata) AS l_metadata,
       u.operation_id IS NOT NULL AS is_reversal
  FROM credit_ledger.entries e
  LEFT JOIN LATERAL (
       SELECT ue.* FROM credit_ledger.operations r
         JOIN credit_ledger.entries ue ON ue.operation_id = r.reverses_operation_id
                                      AND ue.customer_id = r.customer_id AND ue.entry_type = 'usage'
        WHERE e.entry_type = 'reversal' AND r.operation_id = e.operation_id
        LIMIT 1) u ON true
 WHERE e.entry_type IN ('usage', 'reversal');
SELECT count(*) FILTER (WHERE is_reversal) > 10 AS reversals_labelled FROM labelled;
CREATE TEMP TABLE usage_cases AS
SELECT * FROM (VALUES ('feature', 'day', 'UTC'), ('customer_id', 'week', 'America/New_York'),
                      ('actor', 'month', 'Asia/Kolkata'), ('source_id', 'hour', 'UTC'),
                      ('metadata.user_id', 'day', 'Europe/Berlin'), ('metadata.none', 'quarter', 'UTC')) v(g, gran, tz);
WITH expected AS (
    SELECT w.w, c.g, c.gran, c.tz, date_trunc(c.gran, l.occurred_at, c.tz) AS period_start, l.credit_type,
           CASE c.g WHEN 'feature' THEN l.l_feature WHEN 'customer_id' THEN l.customer_id
                    WHEN 'actor' THEN l.l_actor WHEN 'source_id' THEN l.l_source
                    ELSE l.l_metadata ->> substr(c.g, 10) END AS group_key,
           -sum(l.amount) AS credits, -sum(l.value) AS value,
           count(DISTINCT l.operation_id) FILTER (WHERE l.entry_type = 'usage') AS events
      FROM windows w, usage_cases c, labelled l
     WHERE l.occurred_at >= w.ws AND l.occurred_at < w.we
     GROUP BY 1, 2, 3, 4, 5, 6, 7),
actual AS (
    SELECT w.w, c.g, c.gran, c.tz, r.*
      FROM windows w, usage_cases c,
           LATERAL credit_usage_report(w.ws, w.we, group_by => c.g, granularity => c.gran, time_zone => c.tz) r)
(SELECT 'missing' AS side, * FROM expected EXCEPT ALL SELECT 'missing', * FROM actual)
UNION ALL
(SELECT 'extra', * FROM actual EXCEPT ALL SELECT 'extra', * FROM expected);
-- One customer and one credit type: the feature-per-day rows of that
-- customer and type alone.
WITH expected AS (
    SELECT w.w, x.customer_id AS cust, date_trunc('day', l.occurred_at) AS period_start, l.credit_type,
           l.l_feature AS group_key, -sum(l.amount) AS credits, -sum(l.value) AS value,
           count(DISTINCT l.operation_id) FILTER (WHERE l.entry_type = 'usage') AS events
      FROM windows w, credit_ledger.wallets x, labelled l
     WHERE l.customer_id = x.customer_id AND l.credit_type = x.credit_type
       AND l.occurred_at >= w.ws AND l.occurred_at < w.we
     GROUP BY 1, 2, 3, 4, 5),
actual AS (
    SELECT w.w, x.customer_id, r.*
      FROM windows w, credit_ledger.wallets x,
           LATERAL credit_usage_report(w.ws, w.we, x.credit_type, x.customer_id) r)
(SELECT 'missing' AS side, * FROM expected EXCEPT ALL SELECT 'missing', * FROM actual)
UNION ALL
(SELECT 'extra', * FROM actual EXCEPT ALL SELECT 'extra', * FROM expected);

-- Revenue: per period, sold, breakage, voided and the promotional columns
-- are sums of their entries; recognized is what else left paid blocks;
-- deferred_end is every paid entry's value up to the period's end, and
-- after everything it is what paid blocks still hold (remaining x cost
-- basis, read from the grants); each period reconciles.
CREATE TEMP TABLE revenue_cases AS
SELECT * FROM (VALUES ('month', 'UTC'), ('week', 'America/New_York'), ('day', 'Asia/Kolkata')) v(gran, tz);
-- The entries with a value, and the running value of paid ones, indexed by
-- time: the sums below are range scans.
CREATE TEMP TABLE valued AS
SELECT credit_type, created_at, entry_type, promotional, value FROM credit_ledger.entries WHERE value IS NOT NULL;
CREATE INDEX ON valued (credit_type, created_at);
CREATE TEMP TABLE paid_until AS
SELECT credit_type, created_at,
       coalesce(sum(sum(value) FILTER (WHERE NOT promotional)) OVER (PARTITION BY credit_type ORDER BY created_at), 0) AS paid
  FROM valued GROUP BY 1, 2;
CREATE INDEX ON paid_until (credit_type, created_at);
ANALYZE valued, paid_until;
WITH actual AS (
    SELECT w.w, c.gran, c.tz, r.*, greatest(r.period_start, w.ws) AS from_at,
           least(coalesce(lead(r.period_start) OVER (PARTITION BY w.w, c.gran, c.tz, r.credit_type ORDER BY r.period_start),
                          'infinity'), w.we) AS to_at,
           lag(r.deferred_end) OVER (PARTITION BY w.w, c.gran, c.tz, r.credit_type ORDER BY r.period_start) AS deferred_before
      FROM windows w, revenue_cases c, LATERAL credit_revenue(w.ws, w.we, granularity => c.gran, time_zone => c.tz) r)
SELECT a.* FROM actual a
 CROSS JOIN LATERAL (
    SELECT coalesce(sum(e.value) FILTER (WHERE NOT e.promotional AND e.entry_type = 'grant'), 0) AS sold,
           -coalesce(sum(e.value) FILTER (WHERE NOT e.promotional AND e.entry_type = 'expiration'), 0) AS breakage,
           -coalesce(sum(e.value) FILTER (WHERE NOT e.promotional AND e.entry_type = 'void'), 0) AS voided,
           -coalesce(sum(e.value) FILTER (WHERE NOT e.promotional AND e.entry_type IN ('usage', 'reversal', 'repayment', 'adjustment')), 0) AS recognized,
           -coalesce(sum(e.value) FILTER (WHERE e.promotional AND e.entry_type IN ('usage', 'reversal', 'repayment', 'adjustment')), 0) AS promotional_used,
           -coalesce(sum(e.value) FILTER (WHERE e.promotional AND e.entry_type = 'expiration'), 0) AS promotional_expired
      FROM valued e
     WHERE e.credit_type = a.credit_type AND e.created_at >= a.from_at AND e.created_at < a.to_at) p
 WHERE (a.sold, a.recognized, a.breakage, a.voided, a.promotional_used, a.promotional_expired)
       IS DISTINCT FROM (p.sold, p.recognized, p.breakage, p.voided, p.promotional_used, p.promotional_expired)
    OR a.deferred_end <> coalesce((SELECT u.paid FROM paid_until u
                                    WHERE u.credit_type = a.credit_type AND u.created_at < a.to_at
                                    ORDER BY u.created_at DESC LIMIT 1), 0)
    OR (a.deferred_before IS NOT NULL
        AND a.sold - a.recognized - a.breakage - a.voided <> a.deferred_end - a.deferred_before);
-- Not vacuous: every column has money in it somewhere.
SELECT credit_type, sum(sold) > 0 AS sold, sum(recognized) > 0 AS recognized, sum(breakage) > 0 AS breakage,
       sum(voided) > 0 AS voided, sum(promotional_used) > 0 AS promotional_used,
       sum(promotional_expired) > 0 AS promotional_expired
  FROM credit_revenue('2025-12-01', '2027-01-01') GROUP BY 1 ORDER BY 1;
-- After everything: the last period's deferred_end is what paid blocks hold.
SELECT r.credit_type, r.deferred_end,
       (SELECT sum(g.remaining * g.cost_basis) FROM credit_ledger.grants g
         WHERE g.credit_type = r.credit_type AND NOT g.promotional) AS held_by_paid_blocks
  FROM credit_revenue('2025-12-01', '2027-01-01', granularity => 'year') r
 WHERE r.period_start = '2026-01-01'
   AND r.deferred_end IS DISTINCT FROM (SELECT coalesce(sum(g.remaining * g.cost_basis), 0) FROM credit_ledger.grants g
                                         WHERE g.credit_type = r.credit_type AND NOT g.promotional);
-- Every period of the range has a row, per credit type with a cost basis.
SELECT w.w, c.gran, count(*)
  FROM windows w, revenue_cases c, LATERAL credit_revenue(w.ws, w.we, granularity => c.gran, time_zone => c.tz) r
 GROUP BY 1, 2, w.ws, w.we, c.tz
HAVING count(*) <> 2 * (SELECT count(DISTINCT date_trunc(c.gran, t, c.tz))
                          FROM generate_series(w.ws, w.we - interval '1 microsecond', interval '15 minutes') t);

-- The summary. credit_revenue sums closed UTC quarter-hours from
-- credit_ledger.revenue_buckets (filled by the report itself) and reads the
-- rest from the entries: the open tail, the quarter-hours a bound or a
-- period's start falls inside. It must equal the plain sum over the entries
-- (the definition before the summary, below) to the last digit and scale,
-- in zones whose periods are whole quarter-hours (+05:30, +05:45, -03:30,
-- +08:45) and in one whose are not (+05:07), at every granularity.
CREATE FUNCTION pg_temp.plain_revenue(start_at timestamptz, end_at timestamptz, granularity text, time_zone text)
RETURNS SETOF credit_ledger.revenue_row LANGUAGE sql AS $$
    WITH periods AS (
        SELECT DISTINCT date_trunc(granularity, s, time_zone) AS period_start
          FROM generate_series(start_at, end_at - interval '1 microsecond',
                               CASE granularity WHEN 'hour' THEN interval '15 minutes'
                                                WHEN 'day' THEN interval '1 hour' ELSE interval '24 hours' END) s
        UNION
        SELECT date_trunc(granularity, end_at - interval '1 microsecond', time_zone)),
    types AS (
        SELECT DISTINCT g.credit_type FROM credit_ledger.grants g WHERE g.cost_basis IS NOT NULL),
    moves AS (
        SELECT e.credit_type,
               CASE WHEN e.created_at >= start_at THEN date_trunc(granularity, e.created_at, time_zone) END AS period_start,
               coalesce(sum(e.value) FILTER (WHERE NOT e.promotional), 0) AS paid,
               coalesce(sum(e.value) FILTER (WHERE NOT e.promotional AND e.entry_type = 'grant'), 0) AS sold,
               -coalesce(sum(e.value) FILTER (WHERE NOT e.promotional AND e.entry_type = 'expiration'), 0) AS breakage,
               -coalesce(sum(e.value) FILTER (WHERE NOT e.promotional AND e.entry_type = 'void'), 0) AS voided,
               -coalesce(sum(e.value) FILTER (WHERE e.promotional AND e.entry_type NOT IN ('grant', 'expiration', 'void')), 0) AS promo_used,
               -coalesce(sum(e.value) FILTER (WHERE e.promotional AND e.entry_type = 'expiration'), 0) AS promo_expired
          FROM credit_ledger.entries e
         WHERE e.value IS NOT NULL AND e.created_at < end_at
         GROUP BY 1, 2)
    SELECT p.period_start, t.credit_type, coalesce(m.sold, 0),
           coalesce(m.sold - m.paid - m.breakage - m.voided, 0), coalesce(m.breakage, 0), coalesce(m.voided, 0),
           coalesce(b.paid, 0) + coalesce(sum(m.paid) OVER (PARTITION BY t.credit_type ORDER BY p.period_start), 0),
           coalesce(m.promo_used, 0), coalesce(m.promo_expired, 0),
           (SELECT ct.currency FROM credit_ledger.credit_types ct WHERE ct.credit_type = t.credit_type)
      FROM periods p CROSS JOIN types t
      LEFT JOIN moves m ON m.credit_type = t.credit_type AND m.period_start = p.period_start
      LEFT JOIN moves b ON b.credit_type = t.credit_type AND b.period_start IS NULL
     ORDER BY 1, 2
$$;
CREATE TEMP TABLE summary_cases AS
SELECT * FROM (VALUES ('hour', 'Asia/Kathmandu'), ('day', 'Asia/Kolkata'), ('day', '<+0507>-05:07'),
                      ('week', 'America/St_Johns'), ('month', 'Australia/Eucla'), ('month', '<+0507>-05:07'),
                      ('quarter', 'UTC'), ('year', 'Asia/Kathmandu')) v(gran, tz);
-- Windows from before to after everything, and ones bounded inside a
-- quarter-hour (the random ones) or on one.
INSERT INTO windows VALUES (300, '2026-03-01 00:15+00', '2026-03-09 23:45+00'),
                           (301, '2026-02-03 10:07:13+00', now() + interval '1 day');
-- (After the first comparison, a few windows: the whole span, random ones,
-- one at an entry's instant, and the two above.)
CREATE FUNCTION pg_temp.summary_disagrees(subset integer[] DEFAULT NULL)
RETURNS TABLE (w integer, gran text, tz text) LANGUAGE sql AS $$
    SELECT w.w, c.gran, c.tz
      FROM windows w, summary_cases c
     WHERE (c.gran <> 'hour' OR w.we - w.ws < interval '12 days')
       AND (subset IS NULL OR w.w = ANY (subset))
       AND ARRAY(SELECT r::text FROM credit_revenue(w.ws, w.we, granularity => c.gran, time_zone => c.tz) r)
           IS DISTINCT FROM ARRAY(SELECT r::text FROM pg_temp.plain_revenue(w.ws, w.we, c.gran, c.tz) r)
$$;
-- The reports above summarized every closed quarter-hour (the whole random
-- ledger: it was written in the past).
SELECT * FROM pg_temp.summary_disagrees();
SELECT count(*) > 100 AS summarized,
       (SELECT closed_through > (SELECT max(created_at) FROM credit_ledger.entries)
          FROM credit_ledger.revenue_closed) AS all_closed
  FROM credit_ledger.revenue_buckets;
-- The summary is what is read: a bucket changed by hand shows in the report
-- (then it is put back).
UPDATE credit_ledger.revenue_buckets SET sold = sold + 1
 WHERE (credit_type, bucket_start) = (SELECT credit_type, bucket_start FROM credit_ledger.revenue_buckets
                                       WHERE sold <> 0 ORDER BY bucket_start LIMIT 1);
SELECT count(*) > 0 AS summary_read FROM pg_temp.summary_disagrees('{0, 1, 2, 101, 300, 301}');
UPDATE credit_ledger.revenue_buckets SET sold = sold - 1
 WHERE (credit_type, bucket_start) = (SELECT credit_type, bucket_start FROM credit_ledger.revenue_buckets
                                       WHERE sold <> 0 ORDER BY bucket_start LIMIT 1);
SELECT * FROM pg_temp.summary_disagrees('{0, 1, 2, 101, 300, 301}');
-- New entries written now (the transaction's time, not closed yet) are read
-- from the entries: first in a read-only transaction, which cannot summarize.
RESET credit_ledger.clock;
SELECT count(*) FROM (SELECT credit_grant('c1', 'usd', 40, cost_basis => 0.5),
                             credit_consume('c1', 'usd', 7),
                             credit_grant('c2', 'usd', 10, promotional => true, cost_basis => 0.125),
                             credit_consume('c2', 'usd', 12)) x;
BEGIN READ ONLY;
SELECT * FROM pg_temp.summary_disagrees('{0, 1, 2, 101, 300, 301}');
COMMIT;
SELECT * FROM pg_temp.summary_disagrees('{0, 1, 2, 101, 300, 301}');
-- Entries written under the clock inside closed time add themselves to the
-- summary (revenue_entered): in a bucket with entries, and in one without.
SELECT set_config('credit_ledger.clock', (SELECT bucket_start + interval '3 minutes' FROM credit_ledger.revenue_buckets
                                          WHERE credit_type = 'usd' AND sold <> 0 ORDER BY bucket_start LIMIT 1)::text, false)
       IS NOT NULL AS clock_set;
SELECT count(*) FROM (SELECT credit_grant('c3', 'usd', 30, cost_basis => 0.01),
                             credit_consume('c3', 'usd', 4)) x;
SET credit_ledger.clock = '2026-03-05 04:40:00+00';
SELECT count(*) FROM (SELECT credit_grant('c4', 'usd', 25, cost_basis => 0.125),
                             credit_consume('c4', 'usd', 2)) x;
RESET credit_ledger.clock;
SELECT * FROM pg_temp.summary_disagrees('{0, 1, 2, 101, 300, 301}');
SELECT * FROM credit_verify();

-- credit_entries: paging through a filtered history, page by page, gives
-- exactly the filtered entries.
CREATE FUNCTION pg_temp.walk(cust text, ty text, types text[], since timestamptz, until timestamptz, src text)
RETURNS SETOF bigint LANGUAGE plpgsql AS $$
DECLARE
    before bigint;
    got bigint[];
BEGIN
    LOOP
        SELECT array_agg(seq ORDER BY seq DESC) INTO got
          FROM credit_entries(cust, ty, before, 7, types, since, until, src);
        EXIT WHEN got IS NULL;
        RETURN QUERY SELECT unnest(got);
        before := got[array_length(got, 1)];
    END LOOP;
END $$;
SELECT x.customer_id, x.credit_type, f.types, w.w
  FROM credit_ledger.wallets x, (SELECT * FROM windows WHERE w IN (0, 1, 2, 101, 201)) w,
       (VALUES (NULL::text[], NULL::text), ('{usage}', NULL), ('{reversal,expiration,void}', NULL), (NULL, 'req-1')) f(types, src)
 WHERE ARRAY(SELECT pg_temp.walk(x.customer_id, x.credit_type, f.types, w.ws, w.we, f.src))
       IS DISTINCT FROM
       ARRAY(SELECT e.seq FROM credit_ledger.entries e
              WHERE e.wallet_id = x.wallet_id
                AND (f.types IS NULL OR e.entry_type = ANY (f.types))
                AND e.occurred_at >= w.ws AND e.occurred_at < w.we
                AND (f.src IS NULL OR e.source_id = f.src)
              ORDER BY e.seq DESC);

RESET credit_ledger.clock;
DROP FUNCTION pg_temp.summary_disagrees(integer[]), pg_temp.plain_revenue(timestamptz, timestamptz, text, text);
DROP EXTENSION credit_ledger;
