-- Upgrades: the current library serves the 1.0 SQL definitions (every 1.0
-- function works against a 1.0 install), ALTER EXTENSION UPDATE (1.0 -> 1.1
-- -> 1.2) keeps every row, and an upgraded installation has exactly the
-- objects, definitions and privileges of a fresh install of the current one.
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET credit_ledger.clock = '2026-03-01 12:00:00+00';

CREATE EXTENSION credit_ledger VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'credit_ledger';

-- The whole 1.0 API, run by the 1.1 library.
SELECT credit_type_create('usd', 2);
SELECT credit_wallet_configure('a', 'usd', 10, '{50}') > 0 AS configured;
SELECT credit_grant('a', 'usd', 100, cost_basis => 0.5, expires_at => '2026-03-10', idempotency_key => 'g1') AS g1;
SELECT credit_grant('a', 'usd', 30, promotional => true) AS g2;
SELECT amount, balance, replayed FROM credit_consume('a', 'usd', 60, 'k1', 'chat');
SELECT amount, balance, replayed FROM credit_consume('a', 'usd', 60, 'k1', 'chat');
SELECT amount, balance FROM credit_reverse((SELECT min(operation_id) FROM credit_ledger.operations WHERE operation_type = 'consume'), 10);
SELECT amount, balance FROM credit_adjust('a', 'usd', -5, 'fix');
SELECT credit_void(2);
SELECT credit_balance('a', 'usd'), credit_balance('a', 'usd', '2026-03-01 12:00+00');
SELECT count(*) AS entries FROM credit_entries('a', 'usd');
SELECT count(*) AS usage_rows FROM credit_usage('a', 'usd', '2026-03-01', '2026-04-01');
SELECT count(*) AS claimed FROM credit_events_claim(2, 'relay');
SELECT credit_events_ack(ARRAY[1]::bigint[]);
SET credit_ledger.clock = '2026-03-20 00:00+00';
SELECT credit_expire();
SELECT * FROM credit_verify();
SELECT to_regprocedure('credit_consume_batch(jsonb)') IS NULL AS no_batch_in_1_0;

-- Upgrade: every row stays as it was (the wallets' 1.0 columns).
CREATE TEMP TABLE rows_before AS
SELECT 'wallets' AS t, md5(string_agg((x.wallet_id, x.customer_id, x.credit_type, x.balance, x.overdraft_limit, x.low_balance_thresholds, x.debt, x.low_balance_alerted, x.depleted_alerted, x.last_seq, x.last_hash, x.created_at, x.updated_at)::text, '|' ORDER BY x.wallet_id)) AS digest FROM credit_ledger.wallets x
UNION ALL SELECT 'grants', md5(string_agg(x::text, '|' ORDER BY x.grant_id)) FROM credit_ledger.grants x
UNION ALL SELECT 'operations', md5(string_agg(x::text, '|' ORDER BY x.operation_id)) FROM credit_ledger.operations x
UNION ALL SELECT 'entries', md5(string_agg(x::text, '|' ORDER BY x.wallet_id, x.seq)) FROM credit_ledger.entries x;
ALTER EXTENSION credit_ledger UPDATE TO '1.1';
SELECT extversion FROM pg_extension WHERE extname = 'credit_ledger';
SELECT b.t FROM rows_before b
  JOIN (SELECT 'wallets' AS t, md5(string_agg((x.wallet_id, x.customer_id, x.credit_type, x.balance, x.overdraft_limit, x.low_balance_thresholds, x.debt, x.low_balance_alerted, x.depleted_alerted, x.last_seq, x.last_hash, x.created_at, x.updated_at)::text, '|' ORDER BY x.wallet_id)) AS digest FROM credit_ledger.wallets x
        UNION ALL SELECT 'grants', md5(string_agg(x::text, '|' ORDER BY x.grant_id)) FROM credit_ledger.grants x
        UNION ALL SELECT 'operations', md5(string_agg(x::text, '|' ORDER BY x.operation_id)) FROM credit_ledger.operations x
        UNION ALL SELECT 'entries', md5(string_agg(x::text, '|' ORDER BY x.wallet_id, x.seq)) FROM credit_ledger.entries x) a
    USING (t)
 WHERE a.digest IS DISTINCT FROM b.digest;
-- The new wallets.latest_effective_at is filled in from every block.
SELECT count(*) AS wallets,
       count(*) FILTER (WHERE latest_effective_at IS NOT DISTINCT FROM
                               (SELECT max(g.effective_at) FROM credit_ledger.grants g
                                 WHERE g.wallet_id = w.wallet_id AND g.customer_id = w.customer_id))
         AS filled_in
  FROM credit_ledger.wallets w;
SELECT * FROM credit_verify();

-- The 1.1 additions work on the upgraded installation.
SELECT ordinal, status, amount FROM credit_consume_batch('[{"customer_id": "a", "credit_type": "usd", "amount": 1},
                                                          {"customer_id": "a", "credit_type": "usd", "amount": 1, "idempotency_key": "k1"}]');
SELECT credit_events_fail(ARRAY[2]::bigint[], 'relay', 'endpoint gone') AS failed,
       credit_events_retry(ARRAY[2]::bigint[]) AS retried,
       credit_events_release(ARRAY[2]::bigint[], 'relay') AS released;
SELECT * FROM credit_events_claim(1, 'relay', '2 days');

-- A scheduled grant under 1.1: its grant entry is written at its creation.
SELECT credit_grant('a', 'usd', 40, effective_at => '2026-04-01', expires_at => '2026-05-01') AS scheduled_1_1;
SELECT seq, entry_type, amount, balance_after, occurred_at FROM credit_ledger.entries
 WHERE grant_id = (SELECT max(grant_id) FROM credit_ledger.grants) ORDER BY seq;

-- A role given the writer set under 1.1, which could run the sweep.
CREATE ROLE cl_sweeper;
SELECT credit_ledger.grant_access('cl_sweeper');
-- And one given the reader set.
CREATE ROLE cl_reader;
SELECT credit_ledger.grant_access('cl_reader', false);
-- 1.1 -> 1.2 keeps every row as it was (the 1.1 columns of wallets,
-- grants and entries: 1.2 adds columns to them).
CREATE FUNCTION pg_temp.row_digests() RETURNS TABLE (t text, digest text)
LANGUAGE sql AS $$
  SELECT 'wallets', md5(string_agg((x.wallet_id, x.customer_id, x.credit_type, x.balance, x.overdraft_limit, x.low_balance_thresholds, x.debt, x.low_balance_alerted, x.depleted_alerted, x.last_seq, x.last_hash, x.created_at, x.updated_at, x.latest_effective_at)::text, '|' ORDER BY x.wallet_id)) FROM credit_ledger.wallets x
  UNION ALL SELECT 'grants', md5(string_agg((x.grant_id, x.wallet_id, x.customer_id, x.credit_type, x.amount, x.remaining, x.promotional, x.priority, x.cost_basis, x.effective_at, x.expires_at, x.voided_at, x.expired_at, x.expired_amount, x.voided_amount, x.reason, x.source_id, x.metadata, x.kind, x.operation_id, x.created_at, x.open)::text, '|' ORDER BY x.grant_id)) FROM credit_ledger.grants x
  -- 1.2 keeps 16 bytes of each digest and not the key's text (lean).
  UNION ALL SELECT 'operations', md5(string_agg((x.operation_id, x.customer_id, x.wallet_id, x.credit_type, x.operation_type, substr(x.key_hash, 1, 16), substr(x.request_hash, 1, 8), x.amount, x.balance, x.grant_id, x.reverses_operation_id, x.first_seq, x.last_seq, x.created_at)::text, '|' ORDER BY x.operation_id)) FROM credit_ledger.operations x
  UNION ALL SELECT 'entries', md5(string_agg((x.entry_id, x.wallet_id, x.customer_id, x.credit_type, x.seq, x.entry_type, x.amount, x.value, x.balance_after, x.grant_id, x.operation_id, x.promotional, x.feature, x.source_id, x.reason, x.actor, x.metadata, x.occurred_at, x.created_at, x.hash)::text, '|' ORDER BY x.wallet_id, x.seq)) FROM credit_ledger.entries x
$$;
CREATE TEMP TABLE rows_1_1 AS SELECT * FROM pg_temp.row_digests();
-- Bytes of the 1.1 operation rows, to compare with 1.2's below.
SELECT count(*) AS operations, round(avg(pg_column_size(o.*))) AS row_bytes,
       round(avg(octet_length(key_hash))) AS key_hash_bytes
  FROM credit_ledger.operations o;
ALTER EXTENSION credit_ledger UPDATE TO '1.2';
SELECT extversion FROM pg_extension WHERE extname = 'credit_ledger';
SELECT b.t FROM rows_1_1 b JOIN pg_temp.row_digests() a USING (t)
 WHERE a.digest IS DISTINCT FROM b.digest;
SELECT * FROM credit_verify();
-- 1.1 blocks are entered, not pending, hold nothing; the wallet is due when
-- its scheduled block takes effect (before its open block lapses), and its
-- available balance is computed from the blocks until then (legacy_until).
SELECT count(*) AS grants, count(*) FILTER (WHERE entered AND NOT pending AND held = 0 AND canceled_at IS NULL) AS as_1_1
  FROM credit_ledger.grants;
SELECT customer_id, next_due_at, legacy_until, held, held_overdraft FROM credit_ledger.wallets ORDER BY wallet_id;
-- Before it takes effect the 1.1 block's 40 is in the ledger balance but
-- not spendable (legacy_until); once it does, the next write repays the
-- debt from it and writes no second grant entry; verify holds throughout.
SELECT balance AS ledger_balance, debt FROM credit_ledger.wallets WHERE customer_id = 'a';
SELECT credit_balance('a', 'usd');
SELECT amount, balance FROM credit_consume('a', 'usd', 1);
SELECT * FROM credit_verify();
SET credit_ledger.clock = '2026-04-01 00:00+00';
SELECT credit_balance('a', 'usd');
SELECT amount, balance FROM credit_consume('a', 'usd', 1);
SELECT e.seq, e.entry_type, e.amount, e.balance_after, e.occurred_at, o.operation_type
  FROM credit_ledger.entries e JOIN credit_ledger.operations o USING (operation_id, customer_id)
 WHERE e.seq > 8 ORDER BY e.seq;
SELECT next_due_at, legacy_until FROM credit_ledger.wallets WHERE customer_id = 'a';
SELECT * FROM credit_verify();
SET credit_ledger.clock = '2026-03-20 00:00+00';
-- The role still runs the sweep, now through credit_ledger.expire_due.
SET ROLE cl_sweeper;
CALL credit_expire_due(10);
CALL credit_ledger.expire_due(10);
RESET ROLE;
-- topup: it may configure automatic top-up, as it could configure wallets.
SELECT has_function_privilege('cl_sweeper', 'credit_auto_topup_configure(text, text, numeric, numeric, numeric, integer, boolean)', 'EXECUTE') AS may_configure_topup;
-- polish: it may read the reader set, as grant_access gives it now.
SELECT has_function_privilege('cl_sweeper', 'credit_ledger.reader_functions()', 'EXECUTE') AS may_read_reader_set;
-- What each role may do on the extension's objects after the upgrade
-- (compared below with a fresh install's grant_access).
CREATE FUNCTION pg_temp.role_privileges() RETURNS TABLE (role text, object text, privilege text)
LANGUAGE sql AS $$
  SELECT r.rolname::text, pg_describe_object(d.classid, d.objid, 0), v.privilege
    FROM pg_depend d
    JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'credit_ledger'
    CROSS JOIN pg_roles r
    CROSS JOIN LATERAL (VALUES ('EXECUTE'), ('SELECT'), ('INSERT'), ('UPDATE'), ('DELETE'), ('USAGE')) v(privilege)
   WHERE d.deptype = 'e' AND r.rolname IN ('cl_sweeper', 'cl_reader')
     AND CASE WHEN d.classid = 'pg_proc'::regclass AND v.privilege = 'EXECUTE'
              THEN has_function_privilege(r.oid, d.objid, 'EXECUTE')
              WHEN d.classid = 'pg_class'::regclass
                   AND (SELECT relkind FROM pg_class WHERE oid = d.objid) = 'S'
                   AND v.privilege IN ('SELECT', 'UPDATE', 'USAGE')
              THEN has_sequence_privilege(r.oid, d.objid, v.privilege)
              WHEN d.classid = 'pg_class'::regclass
                   AND (SELECT relkind FROM pg_class WHERE oid = d.objid) <> 'S'
                   AND v.privilege IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE')
              THEN has_table_privilege(r.oid, d.objid, v.privilege)
              ELSE false END
$$;
CREATE TEMP TABLE privileges_upgraded AS SELECT * FROM pg_temp.role_privileges();
SELECT role, count(*) AS privileges FROM privileges_upgraded GROUP BY role ORDER BY role;
SELECT credit_ledger.revoke_access('cl_sweeper');
SELECT credit_ledger.revoke_access('cl_reader');

-- lean (issue 17): the 1.1 operations are rows of operation_rows, 16 bytes
-- shorter per digest and without the key's text; their keys still replay
-- (and refuse other parameters), and a consume made before the upgrade is
-- still reversed. A consume of one entry now writes no operation row: its
-- entry is the operation (standalone), found by its key and by its id.
SELECT count(*) AS operations, round(avg(pg_column_size(o.*))) AS row_bytes,
       round(avg(octet_length(key_hash))) AS key_hash_bytes
  FROM credit_ledger.operation_rows o;
SELECT amount, balance, replayed FROM credit_consume('a', 'usd', 60, 'k1', 'chat');
SELECT amount, balance, replayed FROM credit_consume('a', 'usd', 61, 'k1', 'chat');
SELECT credit_grant('a', 'usd', 100, cost_basis => 0.5, expires_at => '2026-03-10', idempotency_key => 'g1') AS g1_replayed;
SELECT amount, balance, replayed
  FROM credit_reverse('a', (SELECT min(operation_id) FROM credit_ledger.operations WHERE operation_type = 'consume'), 5);
SELECT credit_grant('b', 'usd', 50) AS g_after;
SELECT operation_id AS standalone_op FROM credit_consume('b', 'usd', 2, 'k2', 'chat') \gset
SELECT amount, balance, replayed FROM credit_consume('b', 'usd', 2, 'k2', 'chat');
SELECT operation_type, amount, balance, first_seq = last_seq AS one_entry,
       octet_length(key_hash) AS key_hash_bytes, octet_length(request_hash) AS request_hash_bytes,
       NOT EXISTS (SELECT 1 FROM credit_ledger.operation_rows r WHERE r.operation_id = o.operation_id) AS no_row
  FROM credit_ledger.operations o WHERE operation_id = :standalone_op;
SELECT amount, balance, replayed FROM credit_reverse('b', :standalone_op, 1);
SELECT amount, balance, replayed FROM credit_reverse(:standalone_op, 1);
SELECT * FROM credit_verify();

-- Everything the extension owns, with its definition and privileges.
CREATE FUNCTION pg_temp.members() RETURNS TABLE (object text, definition text)
LANGUAGE sql AS $$
  WITH member AS (
    SELECT d.classid, d.objid FROM pg_depend d
      JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'credit_ledger'
     WHERE d.deptype = 'e'),
  rel AS (SELECT c.* FROM pg_class c JOIN member m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid)
  SELECT pg_describe_object(m.classid, m.objid, 0),
         CASE m.classid
           WHEN 'pg_proc'::regclass THEN
             (SELECT pg_get_functiondef(p.oid) || ' acl=' || coalesce(p.proacl::text, '-')
                FROM pg_proc p WHERE p.oid = m.objid)
           WHEN 'pg_class'::regclass THEN
             (SELECT c.relkind::text || ' opts=' || coalesce(c.reloptions::text, '-')
                     || ' acl=' || coalesce(c.relacl::text, '-')
                     || coalesce(' view=' || pg_get_viewdef(c.oid), '')
                FROM pg_class c WHERE c.oid = m.objid)
           WHEN 'pg_type'::regclass THEN format_type(m.objid, NULL)
           ELSE ''
         END
    FROM member m
  UNION ALL
  SELECT 'column ' || a.attrelid::regclass || '.' || a.attname,
         a.attnum || ' ' || format_type(a.atttypid, a.atttypmod) || ' notnull=' || a.attnotnull
         || ' default=' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '-')
    FROM pg_attribute a JOIN rel ON rel.oid = a.attrelid
    LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
   WHERE a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'constraint ' || c.conname || ' on ' || c.conrelid::regclass, pg_get_constraintdef(c.oid)
    FROM pg_constraint c JOIN rel ON rel.oid = c.conrelid
  UNION ALL
  SELECT 'index ' || i.indexrelid::regclass, pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN rel ON rel.oid = i.indrelid
  UNION ALL
  SELECT 'trigger ' || t.tgname || ' on ' || t.tgrelid::regclass, pg_get_triggerdef(t.oid)
    FROM pg_trigger t JOIN rel ON rel.oid = t.tgrelid WHERE NOT t.tgisinternal
  UNION ALL
  SELECT 'schema credit_ledger', coalesce(nspacl::text, '-') FROM pg_namespace WHERE nspname = 'credit_ledger'
$$;
CREATE TEMP TABLE upgraded AS SELECT * FROM pg_temp.members();
DROP EXTENSION credit_ledger;
CREATE EXTENSION credit_ledger;
CREATE TEMP TABLE fresh AS SELECT * FROM pg_temp.members();
SELECT count(*) > 100 AS many_objects_compared FROM fresh;
-- Differences both ways: none.
(SELECT 'only upgraded' AS side, * FROM upgraded EXCEPT SELECT 'only upgraded', * FROM fresh)
UNION ALL
(SELECT 'only fresh', * FROM fresh EXCEPT SELECT 'only fresh', * FROM upgraded)
ORDER BY 2, 1;
-- The roles given the writer and the reader set under 1.1 may do after the
-- upgrade exactly what grant_access gives them on a fresh install: the
-- upgrade copied every grant it had to (its pair list) and no other.
SELECT credit_ledger.grant_access('cl_sweeper');
SELECT credit_ledger.grant_access('cl_reader', false);
CREATE TEMP TABLE privileges_fresh AS SELECT * FROM pg_temp.role_privileges();
(SELECT 'only upgraded' AS side, * FROM privileges_upgraded EXCEPT SELECT 'only upgraded', * FROM privileges_fresh)
UNION ALL
(SELECT 'only fresh', * FROM privileges_fresh EXCEPT SELECT 'only fresh', * FROM privileges_upgraded)
ORDER BY 2, 3, 4, 1;
SELECT credit_ledger.revoke_access('cl_sweeper');
SELECT credit_ledger.revoke_access('cl_reader');
DROP EXTENSION credit_ledger;
DROP ROLE cl_sweeper;
DROP ROLE cl_reader;
