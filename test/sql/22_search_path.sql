-- search_path hijack: an unprivileged role with the writer set creates
-- look-alike functions and operators (=, <, >, +, -, || on numeric, text,
-- bigint, integer, timestamptz; now(), nextval(), format(), sum(), ...) and
-- temp tables named like the ledger's, then calls every API function with a
-- search_path that puts all of it first, as itself and, like a pg_cron job
-- would, as the superuser. The functions run with the owner's rights and pin
-- their own search_path; none of the role's code may run (evil.calls records
-- every call, so the statements below avoid operators of their own).
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);
SELECT credit_grant('c', 'usd', 100, expires_at => '2026-03-10');
SELECT credit_grant('victim', 'usd', 100);

CREATE ROLE cl_mallory;
SELECT credit_ledger.grant_access('cl_mallory');
CREATE SCHEMA evil AUTHORIZATION cl_mallory;
GRANT CREATE ON SCHEMA public TO cl_mallory;

SET ROLE cl_mallory;
CREATE TABLE evil.calls (what text, as_user text);
GRANT INSERT ON evil.calls TO PUBLIC;
GRANT USAGE ON SCHEMA evil TO PUBLIC;

-- Look-alikes that record who ran them, then behave like the real thing.
DO $do$
DECLARE
  t text; op text; real text;
BEGIN
  FOREACH t IN ARRAY ARRAY['numeric', 'text', 'bigint', 'integer', 'timestamptz', 'bytea', 'boolean'] LOOP
    FOREACH op IN ARRAY ARRAY['=', '<>', '<', '>', '<=', '>='] LOOP
      real := CASE op WHEN '=' THEN 'eq' WHEN '<>' THEN 'ne' WHEN '<' THEN 'lt'
                      WHEN '>' THEN 'gt' WHEN '<=' THEN 'le' ELSE 'ge' END;
      EXECUTE format($f$CREATE FUNCTION evil.%1$s_%2$s(a %1$s, b %1$s) RETURNS boolean
                        LANGUAGE plpgsql AS $b$BEGIN
                          INSERT INTO evil.calls VALUES (%3$L, current_user);
                          RETURN a OPERATOR(pg_catalog.%4$s) b; END$b$$f$,
                     t, real, t || ' ' || op, op);
      EXECUTE format('CREATE OPERATOR evil.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = evil.%s_%s)',
                     op, t, t, t, real);
    END LOOP;
  END LOOP;
  FOREACH t IN ARRAY ARRAY['numeric', 'bigint', 'integer'] LOOP
    FOREACH op IN ARRAY ARRAY['+', '-'] LOOP
      real := CASE op WHEN '+' THEN 'pl' ELSE 'mi' END;
      EXECUTE format($f$CREATE FUNCTION evil.%1$s_%2$s(a %1$s, b %1$s) RETURNS %1$s
                        LANGUAGE plpgsql AS $b$BEGIN
                          INSERT INTO evil.calls VALUES (%3$L, current_user);
                          RETURN a OPERATOR(pg_catalog.%4$s) b; END$b$$f$,
                     t, real, t || ' ' || op, op);
      EXECUTE format('CREATE OPERATOR evil.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = evil.%s_%s)',
                     op, t, t, t, real);
    END LOOP;
  END LOOP;
END $do$;
CREATE FUNCTION evil.text_cat(a text, b text) RETURNS text LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('||', current_user); RETURN pg_catalog.textcat(a, b); END$$;
CREATE OPERATOR evil.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.text_cat);
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('now', current_user); RETURN pg_catalog.now(); END$$;
CREATE FUNCTION evil.clock_timestamp() RETURNS timestamptz LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('clock_timestamp', current_user); RETURN pg_catalog.clock_timestamp(); END$$;
CREATE FUNCTION evil.nextval(regclass) RETURNS bigint LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('nextval', current_user); RETURN 1; END$$;
CREATE FUNCTION evil.format(text, VARIADIC text[]) RETURNS text LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('format', current_user); RETURN ''; END$$;
CREATE FUNCTION evil.left(text, integer) RETURNS text LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('left', current_user); RETURN ''; END$$;
CREATE FUNCTION evil.jsonb_typeof(jsonb) RETURNS text LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('jsonb_typeof', current_user); RETURN 'object'; END$$;
CREATE FUNCTION evil.sum_step(numeric, numeric) RETURNS numeric LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('sum', current_user); RETURN coalesce($1, 0) OPERATOR(pg_catalog.+) $2; END$$;
CREATE AGGREGATE evil.sum(numeric) (SFUNC = evil.sum_step, STYPE = numeric);
-- Overloads of every function and procedure the extension's own code calls
-- by name, planted in the extension's schema (public here) with every
-- signature a NULL, an integer literal or an implicit cast could prefer, and
-- one with an extra defaulted argument (which makes an unqualified call
-- ambiguous). credit_expire_due once called credit_expire(NULL, batch_size),
-- and an untyped NULL prefers (text, integer): pg_cron's superuser ran it.
DO $do$
DECLARE
  sig text;
BEGIN
  FOREACH sig IN ARRAY ARRAY['text, integer', 'text, bigint', 'timestamp, integer',
                             'date, integer', 'timestamptz, bigint', 'timestamptz, numeric',
                             'timestamptz, smallint', 'anyelement, integer', 'integer',
                             'text', 'timestamptz, integer, text DEFAULT NULL'] LOOP
    EXECUTE format($f$CREATE FUNCTION public.credit_expire(%s) RETURNS integer
                      LANGUAGE plpgsql AS $b$BEGIN
                        INSERT INTO evil.calls VALUES ('credit_expire(%s)', current_user);
                        RETURN 0; END$b$$f$, sig, sig);
  END LOOP;
  FOREACH sig IN ARRAY ARRAY['bigint', 'numeric', 'smallint', 'text',
                             'integer, text DEFAULT NULL'] LOOP
    EXECUTE format($f$CREATE PROCEDURE public.credit_expire_due(%s)
                      LANGUAGE plpgsql AS $b$BEGIN
                        INSERT INTO evil.calls VALUES ('credit_expire_due(%s)', current_user);
                      END$b$$f$, sig, sig);
  END LOOP;
END $do$;
-- Types named like the built-in ones the procedures' code names, each with
-- an implicit cast to the real type: a type name resolved on the caller's
-- path would run the cast's function.
DO $do$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['timestamptz', 'int4', 'int8', 'text', 'numeric', 'bool', 'jsonb'] LOOP
    EXECUTE format('CREATE TYPE evil.%I AS (x integer)', t);
    EXECUTE format($f$CREATE FUNCTION evil.%1$I(v evil.%2$I) RETURNS pg_catalog.%2$I
                      LANGUAGE plpgsql AS $b$BEGIN
                        INSERT INTO evil.calls VALUES (%3$L, current_user);
                        RETURN NULL; END$b$$f$, 'to_' || t, t, 'cast to ' || t);
    EXECUTE format('CREATE CAST (evil.%2$I AS pg_catalog.%2$I) WITH FUNCTION evil.%1$I(evil.%2$I) AS IMPLICIT',
                   'to_' || t, t);
  END LOOP;
END $do$;
-- Temp tables and a look-alike schema object named like the ledger's.
CREATE TEMP TABLE wallets (customer_id text, balance numeric);
CREATE TEMP TABLE entries (amount numeric);
CREATE TEMP TABLE grants (remaining numeric);
CREATE TABLE public.wallets (customer_id text, balance numeric);

SET search_path = evil, pg_temp, public, pg_catalog;

-- Every API function, with the hostile path. (Results are not the point.)
SELECT credit_type_create('tok');
SELECT credit_wallet_configure('m', 'usd', 10, '{5}');
SELECT credit_grant('m', 'usd', 50, cost_basis => 0.5, expires_at => '2026-03-05', idempotency_key => 'g1') AS m_grant \gset
SELECT operation_id AS k1_op FROM credit_consume('m', 'usd', 20, 'k1', 'chat', 'src', '2026-03-01', '{"a": 1}') \gset
SELECT amount, balance, replayed FROM credit_consume('m', 'usd', 20, 'k1', 'chat', 'src', '2026-03-01', '{"a": 1}');
SELECT status FROM credit_consume_batch('[{"customer_id": "m", "credit_type": "usd", "amount": 1, "idempotency_key": "b1"}]');
SELECT credit_balance('m', 'usd'), credit_balance('m', 'usd', '2026-03-01 12:00+00');
SELECT amount FROM credit_adjust('m', 'usd', 3, 'goodwill');
SELECT amount FROM credit_adjust('m', 'usd', -2, 'correction');
SELECT amount FROM credit_reverse(:k1_op, 5);
SELECT credit_void(:m_grant);
SELECT count(*) FROM credit_entries('m', 'usd');
SELECT count(*) FROM credit_usage('m', 'usd', '2026-01-01', '2027-01-01', 'week');
SELECT count(*) FROM credit_events_claim(100, 'mallory');
SELECT credit_events_release(ARRAY[1, 2]::bigint[], 'mallory'), credit_events_fail(ARRAY[3]::bigint[], 'mallory', 'x'),
       credit_events_retry(ARRAY[3]::bigint[]), credit_events_ack(ARRAY[1]::bigint[]);
SELECT credit_events_prune('1 day');
SELECT count(*) FROM credit_verify();
-- The superuser's scheduled sweep, with the hostile path (a pg_cron job's
-- search_path is whatever its database's default is).
RESET ROLE;
SET search_path = evil, pg_temp, public, pg_catalog;
SET credit_ledger.clock = '2026-03-20 00:00+00';
SELECT credit_expire();
-- What the scheduled job runs (see credit_schedule_expiration): the sweep in
-- the ledger's own schema, where nobody else can plant anything.
CALL credit_ledger.expire_due(10);
-- The documented name in the extension's schema delegates to it; the planted
-- overload with a defaulted argument can make this unqualified call
-- ambiguous (an error, never the planted code), which is why the job does
-- not use it.
CALL public.credit_expire_due(10);
SET search_path = public, pg_catalog;
DROP PROCEDURE public.credit_expire_due(integer, text);
RESET search_path;
SET search_path = evil, pg_temp, public, pg_catalog;
CALL public.credit_expire_due(10);
CALL credit_expire_due(batch_size => 10);
SELECT count(*) FROM credit_verify();
SELECT credit_balance('c', 'usd');
SET ROLE cl_mallory;
SELECT count(*) FROM credit_ledger.grant_status;
SELECT count(*) FROM credit_ledger.wallet_summary;

-- The trap is live: the role's own comparison on this path resolves to its
-- look-alike (the one call below), so an empty log means something.
SELECT 1::bigint = 1::bigint AS control;
-- Apart from that control, none of the look-alikes ran, as the owner or at all.
RESET ROLE;
RESET search_path;
SELECT * FROM evil.calls;
-- The victim's wallet is untouched and the real tables are intact.
SELECT credit_balance('victim', 'usd');
SELECT * FROM credit_verify();

-- Every routine of the extension pins search_path (pg_catalog first), except
-- those listed here: two C functions that run no SQL, and the sweep
-- procedures, which cannot pin it and name only pg_catalog and credit_ledger
-- objects (see above). A new routine that forgets to pin shows up here.
SELECT p.oid::regprocedure AS unpinned_routine, p.prosecdef AS security_definer
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'credit_ledger'
 WHERE NOT coalesce(p.proconfig && ARRAY['search_path=pg_catalog, credit_ledger, pg_temp',
                                          'search_path=pg_catalog, pg_temp'], false)
 ORDER BY 1::text;

SELECT credit_ledger.revoke_access('cl_mallory');
REVOKE CREATE ON SCHEMA public FROM cl_mallory;
DROP SCHEMA evil CASCADE;
DROP OWNED BY cl_mallory;
DROP EXTENSION credit_ledger;
DROP ROLE cl_mallory;
