-- Events and two-phase commit. By default (credit_ledger.notify = off)
-- nothing is NOTIFYed: an event is only its outbox row, so a transaction
-- that writes events (a grant, a consume that crosses a threshold and uses
-- up a block, a void, an expiry) can PREPARE TRANSACTION and be committed or
-- rolled back later, as Citus does with every multi-node transaction. With
-- credit_ledger.notify = on each event is also announced with NOTIFY, which
-- PostgreSQL refuses to PREPARE (0A000); the announcement itself is shown by
-- the isolation spec events_notify (psql prints a listener's backend pid).
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);
SHOW credit_ledger.notify;
SELECT credit_wallet_configure('c', 'usd', low_balance_thresholds => '{5}');
CREATE VIEW ev AS
SELECT event_id, event_type, payload->>'grant_id' AS grant_id,
       payload->>'amount' AS amount, payload->>'balance' AS balance
  FROM credit_ledger.events ORDER BY event_id;

-- A grant (credits.granted), prepared, then committed: the event appears
-- only at COMMIT PREPARED.
BEGIN;
SELECT credit_grant('c', 'usd', 10) AS grant_id;
PREPARE TRANSACTION 'cl_grant';
SELECT gid FROM pg_prepared_xacts;
SELECT count(*) AS events_while_prepared FROM credit_ledger.events;
COMMIT PREPARED 'cl_grant';
SELECT * FROM ev;

-- A consume crossing the threshold (10 -> 3: usage_low) and one using up
-- the block and the balance (grant.depleted, balance.depleted), in one
-- prepared transaction.
BEGIN;
SELECT amount, balance FROM credit_consume('c', 'usd', 7);
SELECT amount, balance FROM credit_consume('c', 'usd', 3);
PREPARE TRANSACTION 'cl_consume';
COMMIT PREPARED 'cl_consume';
SELECT * FROM ev WHERE event_id > 1;

-- A void (credits.voided) and an expiry by the sweep (credits.expired).
SELECT credit_grant('c', 'usd', 4) AS to_void \gset
SELECT credit_grant('c', 'usd', 6, expires_at => '2026-03-02') AS to_expire \gset
BEGIN;
SELECT credit_void(:to_void, 'refund') AS voided;
PREPARE TRANSACTION 'cl_void';
COMMIT PREPARED 'cl_void';
SET credit_ledger.clock = '2026-03-03 00:00+00';
BEGIN;
SELECT credit_expire() AS expired;
PREPARE TRANSACTION 'cl_expire';
COMMIT PREPARED 'cl_expire';
SELECT event_type, grant_id = :'to_void' AS is_voided_block,
       grant_id = :'to_expire' AS is_expired_block, amount, balance
  FROM ev WHERE event_type IN ('credits.voided', 'credits.expired');

-- ROLLBACK PREPARED leaves neither the change nor its event.
SELECT count(*) AS events_before FROM credit_ledger.events;
BEGIN;
SELECT credit_grant('c', 'usd', 50) > 0 AS granted;
PREPARE TRANSACTION 'cl_rolled_back';
ROLLBACK PREPARED 'cl_rolled_back';
SELECT count(*) AS events_after, credit_balance('c', 'usd') AS balance
  FROM credit_ledger.events;

-- With notify on, a transaction that wrote an event has sent a NOTIFY and
-- cannot PREPARE: PostgreSQL refuses with 0A000 and rolls it back.
SET credit_ledger.notify = on;
BEGIN;
SELECT credit_grant('c', 'usd', 1) > 0 AS granted;
PREPARE TRANSACTION 'cl_notified';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS events_after_failed_prepare, credit_balance('c', 'usd') AS balance
  FROM credit_ledger.events;
SELECT count(*) AS prepared FROM pg_prepared_xacts;
-- A transaction that writes no event sends nothing, even with notify on.
SELECT credit_grant('c', 'usd', 100) > 0 AS granted;
BEGIN;
SELECT amount FROM credit_consume('c', 'usd', 1);
PREPARE TRANSACTION 'cl_no_event';
COMMIT PREPARED 'cl_no_event';
RESET credit_ledger.notify;

-- Any role may turn it on, for a session or with ALTER ROLE / DATABASE.
CREATE ROLE cl_relay_writer;
SET ROLE cl_relay_writer;
SET credit_ledger.notify = on;
SHOW credit_ledger.notify;
RESET credit_ledger.notify;
RESET ROLE;
ALTER ROLE cl_relay_writer SET credit_ledger.notify = on;
SELECT setconfig FROM pg_db_role_setting
 WHERE setrole = 'cl_relay_writer'::regrole;
DROP ROLE cl_relay_writer;
SET credit_ledger.notify = 'sometimes';

DROP VIEW ev;
SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
