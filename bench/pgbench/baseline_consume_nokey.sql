-- The PL/pgSQL baseline: one usage event per transaction, without a key.
\set w random(1, :wallets)
SELECT * FROM baseline.consume('c' || :w, 'usd', 1, NULL, 'api');
