-- The ledger is append-only: UPDATE, DELETE and TRUNCATE of entries (and of
-- operation_rows; both hold idempotency keys) raise LG005, for the table
-- owner and superusers too.
\i test/sql/include/pgtap_setup.sql
BEGIN;
SELECT plan(14);
\o /dev/null
SELECT credit_type_create('usd', 2);
SELECT credit_grant('c', 'usd', 100);
SELECT credit_consume('c', 'usd', 10, idempotency_key => 'k');
SELECT credit_grant('c', 'usd', 5, idempotency_key => 'g');
\o

SELECT throws_ok($$UPDATE credit_ledger.entries SET amount = 0$$, 'LG005',
                 'credit_ledger.entries is append-only', 'UPDATE of entries');
SELECT throws_ok($$UPDATE credit_ledger.entries SET reason = 'x' WHERE seq = 2$$, 'LG005',
                 'credit_ledger.entries is append-only', 'UPDATE of one harmless column');
SELECT throws_ok($$DELETE FROM credit_ledger.entries$$, 'LG005',
                 'credit_ledger.entries is append-only', 'DELETE of entries');
SELECT throws_ok($$TRUNCATE credit_ledger.entries$$, 'LG005',
                 'credit_ledger.entries is append-only', 'TRUNCATE of entries');
SELECT throws_ok($$UPDATE credit_ledger.operation_rows SET amount = 1$$, 'LG005',
                 'credit_ledger.operation_rows is append-only', 'UPDATE of operations');
SELECT throws_ok($$DELETE FROM credit_ledger.operation_rows WHERE key_hash IS NOT NULL$$, 'LG005',
                 'credit_ledger.operation_rows is append-only', 'forgetting an idempotency key');
SELECT throws_ok($$UPDATE credit_ledger.entries SET key_hash = NULL WHERE key_hash IS NOT NULL$$, 'LG005',
                 'credit_ledger.entries is append-only', 'forgetting a standalone entry''s key');
SELECT throws_ok($$TRUNCATE credit_ledger.operation_rows CASCADE$$, 'LG005',
                 'credit_ledger.operation_rows is append-only', 'TRUNCATE of operations');
-- The view of every operation cannot be written through either.
SELECT throws_ok($$DELETE FROM credit_ledger.operations$$, '55000', NULL,
                 'DELETE through the operations view');
SELECT ok((SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
          'all of the above ran as a superuser');
SELECT is((SELECT tableowner::text FROM pg_tables
            WHERE schemaname = 'credit_ledger' AND tablename = 'entries'),
          current_user::text, '...who owns the table');

-- Inserting stays possible (that is how pg_restore's COPY loads a ledger).
SELECT lives_ok($$SELECT credit_consume('c', 'usd', 1)$$, 'appending still works');
SELECT is((SELECT count(*) FROM credit_ledger.entries), 4::bigint, 'four entries');
SELECT is_empty($$SELECT * FROM credit_verify()$$, 'the ledger is intact');

SELECT * FROM finish();
ROLLBACK;
DROP EXTENSION credit_ledger;
