-- credit_ledger: one grant per transaction into a random wallet of
-- g1..g:wallets (wallets of their own, so that the blocks granted do not
-- slow the consumes of c1..c:wallets); each writes a credits.granted event
-- into the outbox (and, with credit_ledger.notify on, NOTIFYs it).
\set w random(1, :wallets)
SELECT credit_grant('g' || :w, 'usd', 1);
