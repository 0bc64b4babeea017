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
DROP EXTENSION credit_ledger;
