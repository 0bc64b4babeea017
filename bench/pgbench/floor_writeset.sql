-- The full write set of one single-grant consume with an idempotency key,
-- and nothing else: UPDATE the wallet, UPDATE the grant and INSERT the entry
-- (a standalone entry: its own operation, with the first 16 bytes of the
-- key's SHA-256), in one statement.
-- Informational: what a consume would cost with zero logic.
\set w random(1, :wallets)
WITH w AS (
    UPDATE floor.wallets
       SET balance = balance - 1.00, last_seq = last_seq + 1,
           last_hash = '\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
           updated_at = now()
     WHERE customer_id = 'c' || :w AND credit_type = 'usd'
 RETURNING wallet_id, customer_id, credit_type, last_seq, balance),
g AS (
    UPDATE floor.grants SET remaining = remaining - 1.00
     WHERE grant_id = :w AND customer_id = 'c' || :w
 RETURNING grant_id),
k AS (SELECT gen_random_uuid()::text AS key)
INSERT INTO floor.entries
       (entry_id, wallet_id, customer_id, credit_type, seq, entry_type, amount, value,
        balance_after, grant_id, operation_id, promotional, feature, actor, occurred_at,
        created_at, hash, key_hash, request_hash, standalone)
SELECT nextval('floor.entry_id_seq'), w.wallet_id, w.customer_id, w.credit_type, w.last_seq,
       'usage', -1.00, -0.0100, w.balance, g.grant_id, nextval('floor.operation_id_seq'), false,
       'api', current_user, now(), now(),
       '\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
       substr(sha256(convert_to(k.key, 'UTF8')), 1, 16),
       '\xe3b0c44298fc1c14', true
  FROM w, g, k;
