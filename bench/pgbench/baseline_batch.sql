-- The PL/pgSQL baseline: :batch usage events in one call (one transaction),
-- each with its own key, over the wallets of this client's slice of
-- c1..c:wallets (clients never share a wallet, so batches do not queue on
-- each other's locks).
\set span :wallets / :batch_clients
\set lo (:client_id % :batch_clients) * :span + 1
SELECT count(*) FROM baseline.consume_batch((
    SELECT jsonb_agg(jsonb_build_object(
               'customer_id', 'c' || (:lo + floor(random() * :span)::int),
               'credit_type', 'usd',
               'amount', 1,
               'idempotency_key', gen_random_uuid()::text,
               'feature', 'api'))
      FROM generate_series(1, :batch)));
