-- The PL/pgSQL baseline, priced usage: :batch usage reports in one
-- baseline.report_usage_batch call over this client's slice of
-- c1..c:wallets, one key per event (ledger_usage_batch.sql's workload).
\set span :wallets / :batch_clients
\set lo (:client_id % :batch_clients) * :span + 1
SELECT count(*) FROM baseline.report_usage_batch((
    SELECT jsonb_agg(jsonb_build_object(
               'customer_id', 'c' || (:lo + floor(random() * :span)::int),
               'feature', 'api',
               'quantity', 1,
               'idempotency_key', gen_random_uuid()::text))
      FROM generate_series(1, :batch)));
