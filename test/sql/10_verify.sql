-- credit_verify recomputes every invariant from the entries alone. Here the
-- append-only guards are bypassed as a superuser would
-- (session_replication_role = replica) to alter rows behind the ledger's
-- back; each kind of tampering is reported, and nothing else is.
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);
CREATE FUNCTION pg_temp.fill(customer text) RETURNS void LANGUAGE sql AS $$
  SELECT credit_grant(customer, 'usd', 100, cost_basis => 0.5);
  SELECT credit_grant(customer, 'usd', 50, promotional => true);
  SELECT credit_consume(customer, 'usd', 70);
  SELECT credit_consume(customer, 'usd', 5);
$$;
SELECT pg_temp.fill(c) FROM unnest(ARRAY['amount', 'delete', 'newest', 'hash', 'wallet', 'grant', 'insert', 'clean']) AS c;
-- Each customer's wallet has five entries: two grants, a consume drawn from
-- both grants, and one more consume.
SELECT customer_id, count(*) FROM credit_ledger.entries GROUP BY customer_id ORDER BY 1;
SELECT * FROM credit_verify();

SET session_replication_role = replica;
-- 1. An entry's amount changed (balance_after, remaining and hash disagree).
UPDATE credit_ledger.entries SET amount = -60 WHERE customer_id = 'amount' AND seq = 3;
-- 2. An entry deleted from the middle of the chain.
DELETE FROM credit_ledger.entries WHERE customer_id = 'delete' AND seq = 4;
-- 2b. The newest entry deleted.
DELETE FROM credit_ledger.entries WHERE customer_id = 'newest' AND seq = 5;
-- 3. A field outside the sums rewritten: only the hash chain notices.
UPDATE credit_ledger.entries SET feature = 'free' WHERE customer_id = 'hash' AND seq = 3;
-- 4. The cached wallet balance edited.
UPDATE credit_ledger.wallets SET balance = balance + 1000 WHERE customer_id = 'wallet';
-- 5. A grant's remaining edited.
UPDATE credit_ledger.grants SET remaining = remaining + 1 WHERE customer_id = 'grant' AND promotional = false;
-- 6. A forged entry appended with a copied hash.
INSERT INTO credit_ledger.entries
SELECT nextval('credit_ledger.entry_id_seq'), wallet_id, customer_id, credit_type, 6,
       'grant', 1000, NULL, 1075, grant_id, operation_id, promotional, feature,
       source_id, reason, actor, metadata, occurred_at, created_at, hash
  FROM credit_ledger.entries WHERE customer_id = 'insert' AND seq = 5;
RESET session_replication_role;

SELECT customer_id, problem, detail FROM credit_verify() ORDER BY customer_id, problem, detail;
SELECT customer_id, problem FROM credit_verify('hash');
SELECT count(*) FROM credit_verify('clean');

-- The rows' own CHECK predicates and lifecycle columns. The ledger's writes
-- skip the tables' CHECK constraints (unless credit_ledger.check_constraints
-- is on), so credit_verify re-checks each; here the constraints are dropped
-- to let a superuser store what they forbid. Each customer's grant 1 (100,
-- cost basis 0.5) has 75 left; its promotional grant 2 (50) is drawn down.
SELECT pg_temp.fill('row_' || c) FROM unnest(ARRAY['amount', 'priority', 'cost_basis', 'expires_at',
  'kind', 'closed', 'reopened', 'voided_at', 'unvoided', 'expired_at', 'unexpired',
  'debt', 'overdraft']) AS c;
SELECT credit_void(grant_id) FROM credit_ledger.grants
 WHERE customer_id = 'row_unvoided' AND NOT promotional;
SELECT credit_grant('row_unexpired', 'usd', 10, expires_at => '2026-03-02 00:00+00');
SET credit_ledger.clock = '2026-03-03 00:00:00+00';
SELECT credit_expire();
SELECT count(*) FROM credit_verify() WHERE customer_id LIKE 'row\_%';
DO $$
DECLARE c record;
BEGIN
  FOR c IN SELECT conrelid::regclass AS tab, conname FROM pg_constraint
            WHERE contype = 'c'
              AND conrelid IN ('credit_ledger.grants'::regclass, 'credit_ledger.wallets'::regclass)
  LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.tab, c.conname);
  END LOOP;
END $$;
UPDATE credit_ledger.grants SET amount = 0 WHERE customer_id = 'row_amount' AND promotional;
UPDATE credit_ledger.grants SET priority = -1 WHERE customer_id = 'row_priority' AND NOT promotional;
UPDATE credit_ledger.grants SET cost_basis = -0.5 WHERE customer_id = 'row_cost_basis' AND NOT promotional;
UPDATE credit_ledger.grants SET expires_at = effective_at WHERE customer_id = 'row_expires_at' AND NOT promotional;
UPDATE credit_ledger.grants SET kind = 'gift' WHERE customer_id = 'row_kind' AND NOT promotional;
-- Credits made unspendable: the drawdown reads open blocks only.
UPDATE credit_ledger.grants SET open = false WHERE customer_id = 'row_closed' AND NOT promotional;
UPDATE credit_ledger.grants SET open = true WHERE customer_id = 'row_reopened' AND promotional;
UPDATE credit_ledger.grants SET voided_at = now(), open = false WHERE customer_id = 'row_voided_at' AND NOT promotional;
UPDATE credit_ledger.grants SET voided_at = NULL WHERE customer_id = 'row_unvoided' AND NOT promotional;
UPDATE credit_ledger.grants SET expired_at = now() WHERE customer_id = 'row_expired_at' AND promotional;
UPDATE credit_ledger.grants SET expired_at = NULL WHERE customer_id = 'row_unexpired' AND amount = 10;
UPDATE credit_ledger.wallets SET debt = -1 WHERE customer_id = 'row_debt';
UPDATE credit_ledger.wallets SET overdraft_limit = -1 WHERE customer_id = 'row_overdraft';
SELECT customer_id, problem, detail FROM credit_verify()
 WHERE customer_id LIKE 'row\_%' ORDER BY customer_id, problem, detail;

-- A stored value the ledger cannot read is a finding, and the check goes
-- on; the cursor over that wallet's entries is closed on that path too
-- (it stayed open, visible in pg_cursors, until the end of the transaction).
SELECT pg_temp.fill('unreadable');
SET session_replication_role = replica;
UPDATE credit_ledger.entries SET amount = 100.001 WHERE customer_id = 'unreadable' AND seq = 1;
RESET session_replication_role;
BEGIN;
SELECT customer_id, problem, detail FROM credit_verify('unreadable');
SELECT count(*) AS open_cursors FROM pg_cursors;
COMMIT;
DROP EXTENSION credit_ledger;
