-- Limits on input that multiplies: metadata is copied into every entry an
-- operation writes and the actor into every entry a session writes, so both
-- are bounded. Metadata is at most 32768 bytes as JSON text (metadata::text)
-- in every function and batch field that takes it; beyond, 22023 with the
-- size and the limit in the detail, and nothing is written. The actor is at
-- most 255 characters, refused when it is set.
-- A batch plans each wallet's blocks once and each event at the cost of what
-- it draws; its results, entries and events are exactly those of the same
-- consumes made one by one (checked here on a wallet of many blocks). A
-- consume's memory grows by well under 2 KiB per block it draws from (it
-- grew by 6 KiB): rows are read and written one at a time in memory reset
-- between rows.
\i test/sql/include/pgtap_setup.sql
BEGIN;
SELECT plan(27);

\o /dev/null
SELECT credit_type_create('usd', 2);
SELECT credit_grant('c', 'usd', 100);
\o

-- Memory first, while this backend's peak is still low: a consume drawing
-- from 20,000 blocks. Its peak private memory is the backend's peak resident
-- size (VmHWM) less its shared and file-backed pages; the growth over the
-- private memory before the call must stay under 40 MiB (2 KiB a block;
-- about 0.7 KiB are used, 6 KiB were).
\o /dev/null
SELECT credit_grant('mem', 'usd', 1, expires_at => '2026-03-02+00'::timestamptz + make_interval(secs => i))
  FROM generate_series(1, 20000) AS i;
CREATE TEMP TABLE proc_status AS
  SELECT 'before' AS k, pg_read_file('/proc/' || pg_backend_pid() || '/status') AS s;
SELECT * FROM credit_consume('mem', 'usd', 20000);
INSERT INTO proc_status SELECT 'after', pg_read_file('/proc/' || pg_backend_pid() || '/status');
\o
CREATE FUNCTION pg_temp.kb(k text, field text) RETURNS bigint LANGUAGE sql AS $$
  SELECT (regexp_match(s, field || ':\s+(\d+) kB'))[1]::bigint FROM proc_status WHERE proc_status.k = kb.k$$;
SELECT cmp_ok(pg_temp.kb('after', 'VmHWM') - pg_temp.kb('after', 'RssShmem') - pg_temp.kb('after', 'RssFile')
              - pg_temp.kb('before', 'RssAnon'), '<', 40960::bigint,
              'a consume drawing from 20,000 blocks grows by less than 2 KiB per block');

-- An object whose text (as PostgreSQL prints it) is exactly n bytes:
-- {"k": "xx...x"} is 9 bytes around the value.
CREATE FUNCTION pg_temp.meta(n int) RETURNS jsonb LANGUAGE sql
  AS $$SELECT jsonb_build_object('k', repeat('x', n - 9))$$;
-- What a call raises: SQLSTATE, message and detail, or 'ok'.
CREATE FUNCTION pg_temp.raised(call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE state text; msg text; det text;
BEGIN
  EXECUTE call;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                          det = PG_EXCEPTION_DETAIL;
  RETURN state || ' ' || msg || ': ' || det;
END $$;
CREATE TEMP TABLE counts AS
  SELECT (SELECT count(*) FROM credit_ledger.entries) AS entries,
         (SELECT count(*) FROM credit_ledger.operations) AS operations,
         (SELECT count(*) FROM credit_ledger.grants) AS grants;
CREATE FUNCTION pg_temp.unchanged() RETURNS boolean LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM credit_ledger.entries) = entries
     AND (SELECT count(*) FROM credit_ledger.operations) = operations
     AND (SELECT count(*) FROM credit_ledger.grants) = grants FROM counts$$;

SELECT is(octet_length(pg_temp.meta(32768)::text), 32768, 'the helper builds metadata of exactly n bytes');

-- credit_grant: the limit is inclusive; one byte more is refused whole.
SELECT is(pg_temp.raised($$SELECT credit_grant('c', 'usd', 1, metadata => pg_temp.meta(32769))$$),
          '22023 metadata is too large: It is 32769 bytes as JSON text; the limit is 32768 bytes.',
          'grant: 32769 bytes of metadata raise 22023 with the size and the limit');
SELECT is(pg_temp.raised($$SELECT credit_grant('c', 'usd', 1, metadata => pg_temp.meta(19000000))$$),
          '22023 metadata is too large: It is 19000000 bytes as JSON text; the limit is 32768 bytes.',
          'grant: 19 MB of metadata raise 22023');
SELECT ok(pg_temp.unchanged(), 'grant: nothing was written');
SELECT lives_ok($$SELECT credit_grant('c', 'usd', 1, metadata => pg_temp.meta(32768))$$,
                'grant: 32768 bytes of metadata are accepted');
SELECT is((SELECT octet_length(metadata::text) FROM credit_ledger.grants ORDER BY grant_id DESC LIMIT 1),
          32768, 'grant: the metadata is stored as given');

-- Bytes, not characters: 3-byte characters reach the limit sooner.
SELECT is(pg_temp.raised($$SELECT credit_grant('c', 'usd', 1, metadata => jsonb_build_object('k', repeat('€', 10923)))$$),
          '22023 metadata is too large: It is 32778 bytes as JSON text; the limit is 32768 bytes.',
          'grant: the limit counts bytes of UTF-8, not characters');

-- credit_consume
UPDATE counts SET entries = (SELECT count(*) FROM credit_ledger.entries),
                  operations = (SELECT count(*) FROM credit_ledger.operations),
                  grants = (SELECT count(*) FROM credit_ledger.grants);
SELECT is(pg_temp.raised($$SELECT credit_consume('c', 'usd', 1, metadata => pg_temp.meta(32769))$$),
          '22023 metadata is too large: It is 32769 bytes as JSON text; the limit is 32768 bytes.',
          'consume: 32769 bytes of metadata raise 22023');
SELECT is(pg_temp.raised($$SELECT credit_consume('c', 'usd', 1, 'k-big', metadata => pg_temp.meta(1000000))$$),
          '22023 metadata is too large: It is 1000000 bytes as JSON text; the limit is 32768 bytes.',
          'consume with a key: 1 MB of metadata raise 22023');
SELECT ok(pg_temp.unchanged(), 'consume: nothing was written');
SELECT is(pg_temp.raised($$SELECT credit_consume('c', 'usd', 1, 'k-big', metadata => pg_temp.meta(32768))$$),
          'ok', 'consume: the key of a refused call is still free, and 32768 bytes are accepted');
SELECT is((SELECT count(*) FROM credit_ledger.entries e WHERE octet_length(e.metadata::text) = 32768),
          2::bigint, 'consume: the entry carries the metadata (beside the grant''s)');

-- credit_consume_batch: an event with oversized metadata is refused alone,
-- with the same rule, and the others apply.
UPDATE counts SET entries = (SELECT count(*) FROM credit_ledger.entries),
                  operations = (SELECT count(*) FROM credit_ledger.operations),
                  grants = (SELECT count(*) FROM credit_ledger.grants);
CREATE TEMP TABLE batch AS
SELECT * FROM credit_consume_batch(jsonb_build_array(
  jsonb_build_object('customer_id', 'c', 'credit_type', 'usd', 'amount', 1, 'idempotency_key', 'b1'),
  jsonb_build_object('customer_id', 'c', 'credit_type', 'usd', 'amount', 1, 'idempotency_key', 'b2',
                     'metadata', pg_temp.meta(32769)),
  jsonb_build_object('customer_id', 'c', 'credit_type', 'usd', 'amount', 1, 'idempotency_key', 'b3',
                     'metadata', pg_temp.meta(32768))));
SELECT is((SELECT string_agg(status, ',' ORDER BY ordinal) FROM batch),
          'applied,error,applied', 'batch: only the event with oversized metadata is refused');
SELECT is((SELECT sqlstate || ' ' || message FROM batch WHERE ordinal = 2),
          '22023 metadata is too large: It is 32769 bytes as JSON text; the limit is 32768 bytes.',
          'batch: the refused event reports 22023 with the size and the limit');
SELECT is((SELECT count(*) FROM credit_ledger.operations) - (SELECT operations FROM counts),
          2::bigint, 'batch: the refused event wrote no operation');
SELECT is((SELECT count(*) FROM credit_ledger.operations WHERE key_hash = substr(sha256('b2'), 1, 16)),
          0::bigint, 'batch: the refused event''s key is not taken');
SELECT is((SELECT count(*) FROM credit_ledger.entries) - (SELECT entries FROM counts),
          2::bigint, 'batch: the refused event wrote no entry');

-- A batch on a wallet of 60 blocks (priorities, expiries, promotional,
-- scheduled ones) with a soft limit gives the results, entries, events and
-- remaining credits that the same consumes made one by one give.
\o /dev/null
SELECT credit_wallet_configure(w, 'usd', overdraft_limit => 7,
                               low_balance_thresholds => '{100, 10}')
  FROM unnest(array['one', 'many']) AS w;
SELECT credit_grant(w, 'usd', 1 + (i * 7) % 13, promotional => i % 4 = 0,
                    priority => 40 + i % 3,
                    effective_at => CASE WHEN i % 9 = 0 THEN '2026-03-01 13:00+00'::timestamptz END,
                    expires_at => '2026-03-02+00'::timestamptz + make_interval(days => i % 5))
  FROM unnest(array['one', 'many']) AS w, generate_series(1, 60) AS i ORDER BY i, w;
\o
CREATE TEMP TABLE amounts AS
  SELECT n, a FROM unnest(array[3, 17, 0.5, 40, 1, 900, 9, 25.25, 2, 150, 4, 6, 80, 60, 30, 5, 8, 1]) WITH ORDINALITY AS t(a, n);
CREATE TEMP TABLE singles (n bigint, status text, amount numeric, balance numeric);
DO $$
DECLARE r record; res record;
BEGIN
  FOR r IN SELECT * FROM amounts ORDER BY n LOOP
    BEGIN
      SELECT * INTO res FROM credit_consume('one', 'usd', r.a);
      INSERT INTO singles VALUES (r.n, 'applied', res.amount, res.balance);
    EXCEPTION WHEN SQLSTATE 'LG001' THEN
      INSERT INTO singles VALUES (r.n, 'insufficient', NULL, NULL);
    END;
  END LOOP;
END $$;
CREATE TEMP TABLE batched AS
  SELECT ordinal AS n, status, amount, balance FROM credit_consume_batch(
    (SELECT jsonb_agg(jsonb_build_object('customer_id', 'many', 'credit_type', 'usd', 'amount', a) ORDER BY n) FROM amounts));
-- Each wallet's blocks by their order of creation, so the two compare.
CREATE TEMP VIEW block_no AS
  SELECT grant_id, customer_id, row_number() OVER (PARTITION BY customer_id ORDER BY grant_id) AS no,
         remaining FROM credit_ledger.grants WHERE customer_id IN ('one', 'many');
CREATE TEMP VIEW movements AS
  SELECT e.customer_id, e.seq, e.entry_type, e.amount, e.balance_after, b.no
    FROM credit_ledger.entries e LEFT JOIN block_no b USING (grant_id)
   WHERE e.customer_id IN ('one', 'many') AND e.entry_type <> 'grant';
CREATE TEMP VIEW announced AS
  SELECT v.customer_id, row_number() OVER (PARTITION BY v.customer_id ORDER BY v.event_id) AS k,
         v.event_type, b.no, v.payload - 'grant_id' - 'operation_id' - 'wallet_id' - 'customer_id' AS rest
    FROM credit_ledger.events v LEFT JOIN block_no b ON b.grant_id = (v.payload->>'grant_id')::bigint
   WHERE v.customer_id IN ('one', 'many') AND v.event_type <> 'credits.granted';

SELECT set_eq($$SELECT * FROM batched$$, $$SELECT * FROM singles$$,
              'batch on many blocks: the results of the consumes made one by one');
SELECT set_eq($$SELECT seq, entry_type, amount, balance_after, no FROM movements WHERE customer_id = 'many'$$,
              $$SELECT seq, entry_type, amount, balance_after, no FROM movements WHERE customer_id = 'one'$$,
              'batch on many blocks: the same entries, from the same blocks');
SELECT set_eq($$SELECT k, event_type, no, rest FROM announced WHERE customer_id = 'many'$$,
              $$SELECT k, event_type, no, rest FROM announced WHERE customer_id = 'one'$$,
              'batch on many blocks: the same events in the same order');
SELECT is((SELECT format('%s refused, %s depleted events, %s usage entries, %s blocks left',
                         (SELECT count(*) FROM batched WHERE status = 'insufficient'),
                         (SELECT count(*) FROM announced WHERE customer_id = 'many' AND event_type = 'credits.grant.depleted'),
                         (SELECT count(*) FROM movements WHERE customer_id = 'many' AND entry_type = 'usage'),
                         (SELECT count(*) FROM block_no WHERE customer_id = 'many' AND remaining > 0)))
          || ', ' || (SELECT string_agg(b.remaining::text, ',' ORDER BY b.no) = string_agg(o.remaining::text, ',' ORDER BY o.no)
                        FROM block_no b JOIN block_no o USING (no)
                       WHERE b.customer_id = 'many' AND o.customer_id = 'one')::text,
          '3 refused, 54 depleted events, 69 usage entries, 6 blocks left, true',
          'batch on many blocks: the comparison covers refusals, depletions and draws across blocks, and the same credits remain');

-- The actor: at most 255 characters, refused when set (the check hook of a
-- setting raises 22023), so no operation can write an overlong one.
SELECT is(pg_temp.raised($$SET credit_ledger.actor = '$$ || repeat('a', 256) || $$'$$),
          '22023 invalid value for parameter "credit_ledger.actor": "' || repeat('a', 256) || '": It has 256 characters; the limit is 255.',
          'actor: 256 characters are refused when set');
SELECT is(current_setting('credit_ledger.actor'), '', 'actor: the refused value was not taken');
SELECT lives_ok($$SET credit_ledger.actor = '$$ || repeat('é', 255) || $$'$$,
                'actor: 255 characters (of 2 bytes) are accepted');
SELECT lives_ok($$SELECT credit_consume('c', 'usd', 1)$$, 'actor: a consume under it works');
SELECT is((SELECT actor FROM credit_ledger.entries ORDER BY entry_id DESC LIMIT 1),
          repeat('é', 255), 'actor: the entry carries it');
RESET credit_ledger.actor;

SELECT * FROM finish();
ROLLBACK;
DROP EXTENSION credit_ledger;
