-- bench/citus.sh: one keyed usage event per transaction on a random wallet
-- of c1..c:wallets, through the Citus coordinator. The key is built from a
-- pgbench random number, not gen_random_uuid(): Citus delegates a call only
-- when its arguments are constants (a volatile argument keeps the call on
-- the coordinator, which holds no shard).
\set w random(1, :wallets)
\set k random(1, 9000000000000000000)
SELECT * FROM credit_consume('c' || :w, 'usd', 1, 'k' || :k, 'api');
