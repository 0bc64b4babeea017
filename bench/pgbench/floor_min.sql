-- The minimal pair, for reference: an UPDATE of an integer-keyed counter row
-- and an INSERT of a three-column row, as one statement.
\set w random(1, :wallets)
WITH w AS (UPDATE floor_min.wallets SET balance = balance - 100 WHERE wallet_id = :w
           RETURNING wallet_id)
INSERT INTO floor_min.entries (wallet_id, amount) SELECT wallet_id, -100 FROM w;
