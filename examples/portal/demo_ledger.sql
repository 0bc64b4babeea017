-- A known ledger for the portal's browser test and for trying the portal:
-- every write happens at a fixed moment of credit_ledger.clock, so every
-- number the pages show is the same on every run. Run it as a superuser in a
-- database with the extension created:
--     psql -X -v ON_ERROR_STOP=1 -d yourdb -f examples/portal/demo_ledger.sql
-- It leaves the database's clock at 2026-03-20 12:00 UTC (ALTER DATABASE ...
-- SET credit_ledger.clock), so the portal's "now" (days left, statuses, the
-- default ranges) is fixed too; `ALTER DATABASE ... RESET credit_ledger.clock`
-- gives the real time back.
--
-- What is in it (usd, two decimals):
--   acme: 1,000 paid credits at $0.50 (expire 2026-06-01), 200 promotional
--   (expire 2026-03-31), from 2026-03-01 09:00; 50 free credits scheduled
--   for 2026-04-01;
--   usage on 2026-03-02 .. 2026-03-08 at 10:00: llm_tokens 10, 20, .., 70
--   (one per day), image_gen 15 on the 2nd, 4th, 6th and 8th, api_calls 5 on
--   the 3rd and 6th; 5 credits of the 5th's llm_tokens reversed that day;
--   20 paid credits granted 2026-03-09 that lapsed on 2026-03-10 and were
--   expired by the sweep; then 30 more usage entries of 1 credit (support
--   pings) on 2026-03-12 so that the ledger has several pages.
--   The money of March (credit_revenue): sold 560.00 (500 + 10 + o'brien's
--   50), recognized 102.50 (175 paid credits of acme used, 30 of o'brien's,
--   at $0.50), breakage 10.00 (the lapsed pass), promotional used 100.00.
--   The HTML-escaping customer `o'brien <b>&co</b>`: 100 credits, 30 used by
--   the feature `<img src=x onerror=alert(1)>`.
SET credit_ledger.clock = '2026-03-01 09:00+00';
SET TimeZone = 'UTC';
SELECT credit_type_create('usd', 2, 'credit', 'credits', 'Prepaid usage credits');
SELECT credit_grant('acme', 'usd', 1000, cost_basis => 0.50, expires_at => '2026-06-01 00:00+00',
                    reason => 'Annual contract', source_id => 'contract-42',
                    idempotency_key => 'contract-42/prepaid');
SELECT credit_grant('acme', 'usd', 200, promotional => true, cost_basis => 0.50,
                    expires_at => '2026-03-31 00:00+00', reason => 'Welcome bonus',
                    source_id => 'contract-42', idempotency_key => 'contract-42/bonus');
SELECT credit_grant('acme', 'usd', 50, promotional => true, effective_at => '2026-04-01 00:00+00',
                    expires_at => '2026-07-01 00:00+00', reason => 'April allowance',
                    idempotency_key => 'april');

DO $$
DECLARE
    d integer;
    op credit_ledger.operation_result;
BEGIN
    FOR d IN 0..6 LOOP
        PERFORM set_config('credit_ledger.clock',
                           (timestamptz '2026-03-02 10:00+00' + d * interval '1 day')::text, false);
        SELECT * INTO op FROM credit_consume('acme', 'usd', 10 * (d + 1), idempotency_key => 'llm-' || d,
                                             feature => 'llm_tokens', source_id => 'job-' || d);
        IF d = 3 THEN
            PERFORM credit_reverse(op.operation_id, 5, 'timeout, refunded');
        END IF;
        IF d % 2 = 0 THEN
            PERFORM credit_consume('acme', 'usd', 15, idempotency_key => 'img-' || d,
                                   feature => 'image_gen');
        END IF;
        IF d IN (1, 4) THEN
            PERFORM credit_consume('acme', 'usd', 5, idempotency_key => 'api-' || d,
                                   feature => 'api_calls');
        END IF;
    END LOOP;
END
$$;

SET credit_ledger.clock = '2026-03-09 08:00+00';
SELECT credit_grant('acme', 'usd', 20, cost_basis => 0.50, expires_at => '2026-03-10 00:00+00',
                    reason => 'One-day pass', idempotency_key => 'pass');
SET credit_ledger.clock = '2026-03-11 00:00+00';
SELECT credit_expire() AS blocks_expired;

SET credit_ledger.clock = '2026-03-12 10:00+00';
SELECT count(*) AS pings FROM generate_series(1, 30) i,
       LATERAL credit_consume('acme', 'usd', 1, idempotency_key => 'ping-' || i,
                              feature => 'support_ping') c;

SET credit_ledger.clock = '2026-03-05 12:00+00';
SELECT credit_grant('o''brien <b>&co</b>', 'usd', 100, cost_basis => 0.50, idempotency_key => 'g');
SELECT credit_consume('o''brien <b>&co</b>', 'usd', 30, idempotency_key => 'u',
                      feature => '<img src=x onerror=alert(1)>');

SELECT format('ALTER DATABASE %I SET credit_ledger.clock = %L', current_database(),
              '2026-03-20 12:00+00') \gexec
RESET credit_ledger.clock;
