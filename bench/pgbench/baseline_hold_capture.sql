-- The PL/pgSQL baseline: reserve-then-capture on one random wallet of
-- c1..c:wallets: a keyed hold of 2, then a keyed capture of 1 of it (the
-- rest released), each its own transaction (ledger_hold_capture.sql's
-- workload).
\set w random(1, :wallets)
SELECT hold_id FROM baseline.hold('c' || :w, 'usd', 2, '10 minutes', gen_random_uuid()::text, 'llm') \gset
SELECT * FROM baseline.capture('c' || :w, :hold_id, 1, gen_random_uuid()::text);
