-- The floor (the reference row): one UPDATE of the wallet row and one INSERT
-- of a full-width entry row into credit_ledger-shaped tables, as one
-- statement, i.e. one round trip like `SELECT * FROM credit_consume(...)`.
\set w random(1, :wallets)
WITH w AS (
    UPDATE floor.wallets
       SET balance = balance - 1.00, last_seq = last_seq + 1,
           last_hash = '\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
           updated_at = now()
     WHERE customer_id = 'c' || :w AND credit_type = 'usd'
 RETURNING wallet_id, customer_id, credit_type, last_seq, balance)
INSERT INTO floor.entries
       (entry_id, wallet_id, customer_id, credit_type, seq, entry_type, amount, value,
        balance_after, grant_id, operation_id, promotional, feature, actor, occurred_at,
        created_at, hash)
SELECT nextval('floor.entry_id_seq'), wallet_id, customer_id, credit_type, last_seq, 'usage',
       -1.00, -0.0100, balance, :w, nextval('floor.operation_id_seq'), false, 'api',
       current_user, now(), now(),
       '\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
  FROM w;
