-- credit_ledger: two keyed consumes of one random wallet of c1..c:wallets,
-- each its own transaction: the reference for a hold+capture pair (two
-- operations), as bench/run.sh reports them side by side.
\set w random(1, :wallets)
SELECT * FROM credit_consume('c' || :w, 'usd', 1, gen_random_uuid()::text, 'api');
SELECT * FROM credit_consume('c' || :w, 'usd', 1, gen_random_uuid()::text, 'api');
