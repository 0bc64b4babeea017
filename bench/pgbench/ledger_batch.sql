-- credit_ledger's batch: :batch usage events in one credit_consume_batch call
-- over this client's slice of c1..c:wallets, one key per event (the same
-- workload as baseline_batch.sql).
\set span :wallets / :batch_clients
\set lo (:client_id % :batch_clients) * :span + 1
SELECT count(*) FROM credit_consume_batch((
    SELECT jsonb_agg(jsonb_build_object(
               'customer_id', 'c' || (:lo + floor(random() * :span)::int),
               'credit_type', 'usd',
               'amount', 1,
               'idempotency_key', gen_random_uuid()::text,
               'feature', 'api'))
      FROM generate_series(1, :batch)));
