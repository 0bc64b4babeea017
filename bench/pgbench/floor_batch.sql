-- The write set of one credit_consume_batch call of :batch keyed events over
-- this client's slice of c1..c:wallets (the slices of ledger_batch.sql), and
-- nothing else, in one statement: each wallet the call touches UPDATEd once
-- (balance, seq, hash), its grant UPDATEd once, and one standalone entry per
-- event carrying the first 16 bytes of its key's SHA-256 under
-- entries_key_idx. No reads before the writes, no checks, no hash chain, no
-- result rows: the wall of the batch row (what a batch would cost with zero
-- logic), as floor_writeset.sql is the single consume's.
\set span :wallets / :batch_clients
\set lo (:client_id % :batch_clients) * :span + 1
WITH e AS (
    SELECT :lo + floor(random() * :span)::int AS w, gen_random_uuid()::text AS key
      FROM generate_series(1, :batch)),
n AS (SELECT w, count(*) AS n FROM e GROUP BY w),
wu AS (
    UPDATE floor.wallets f
       SET balance = f.balance - n.n, last_seq = f.last_seq + n.n,
           last_hash = '\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
           updated_at = now()
      FROM n
     WHERE f.customer_id = 'c' || n.w AND f.credit_type = 'usd'
 RETURNING n.w, f.wallet_id, f.customer_id, f.credit_type, f.last_seq - n.n AS seq0,
           f.balance + n.n AS balance0),
gu AS (
    UPDATE floor.grants g SET remaining = g.remaining - n.n
      FROM n
     WHERE g.grant_id = n.w AND g.customer_id = 'c' || n.w
 RETURNING g.grant_id),
ne AS (SELECT e.w, e.key, row_number() OVER (PARTITION BY e.w) AS i FROM e)
INSERT INTO floor.entries
       (entry_id, wallet_id, customer_id, credit_type, seq, entry_type, amount, value,
        balance_after, grant_id, operation_id, promotional, feature, actor, occurred_at,
        created_at, hash, key_hash, request_hash, standalone)
SELECT nextval('floor.entry_id_seq'), wu.wallet_id, wu.customer_id, wu.credit_type, wu.seq0 + ne.i,
       'usage', -1.00, -0.0100, wu.balance0 - ne.i, wu.w, nextval('floor.operation_id_seq'), false,
       'api', current_user, now(), now(),
       '\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
       substr(sha256(convert_to(ne.key, 'UTF8')), 1, 16),
       '\xe3b0c44298fc1c14', true
  FROM ne JOIN wu USING (w);
