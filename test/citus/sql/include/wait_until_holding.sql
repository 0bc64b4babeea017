-- Included right after starting a background psql whose transaction ends
-- with `SELECT pg_sleep(n) AS <name>`, with \set holding <name>: waits (up to
-- 30 s) until that statement runs, so the session holds what it took.
SET credit_test.holding = :'holding';
DO $$
BEGIN
    FOR i IN 1..300 LOOP
        PERFORM pg_stat_clear_snapshot();
        EXIT WHEN EXISTS (SELECT 1 FROM pg_stat_activity
                           WHERE query LIKE ('%AS ' || current_setting('credit_test.holding'))
                             AND state = 'active');
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;
