-- The write set of one keyed single-grant consume on credit_ledger's own
-- tables, and nothing else: UPDATE the wallet, UPDATE its grant and INSERT
-- the standalone entry (its own operation, the first 16 bytes of the key's
-- SHA-256 under entries_key_idx, 8 of the request's), in one statement, on
-- the wallets ws1..ws:wallets (bench/run.sh's ledger-size section creates
-- them with credit_grant; their hash chains are placeholders, so
-- credit_verify reports hash_mismatch on them and they are not verified).
-- The ledger-size section's wall: what a keyed consume's writes alone cost
-- as the ledger's tables and indexes grow, with no logic and no look-ups.
\set w random(1, :wallets)
WITH w AS (
    UPDATE credit_ledger.wallets
       SET balance = balance - 1.00, last_seq = last_seq + 1,
           last_hash = '\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
           updated_at = now()
     WHERE customer_id = 'ws' || :w AND credit_type = 'usd'
 RETURNING wallet_id, customer_id, credit_type, last_seq, balance),
g AS (
    UPDATE credit_ledger.grants g SET remaining = g.remaining - 1.00
      FROM w
     WHERE g.wallet_id = w.wallet_id AND g.open
 RETURNING g.grant_id),
k AS (SELECT gen_random_uuid()::text AS key)
INSERT INTO credit_ledger.entries
       (entry_id, wallet_id, customer_id, credit_type, seq, entry_type, amount, value,
        balance_after, grant_id, operation_id, promotional, feature, actor, occurred_at,
        created_at, hash, key_hash, request_hash, standalone)
SELECT nextval('credit_ledger.entry_id_seq'), w.wallet_id, w.customer_id, w.credit_type, w.last_seq,
       'usage', -1.00, -0.0100, w.balance, g.grant_id, nextval('credit_ledger.operation_id_seq'), false,
       'api', current_user, now(), now(),
       '\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
       substr(sha256(convert_to(k.key, 'UTF8')), 1, 16),
       '\xe3b0c44298fc1c14', true
  FROM w, g, k;
