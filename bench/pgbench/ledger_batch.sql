-- PLACEHOLDER — credit_ledger 1.0 has no credit_consume_batch; bench/run.sh
-- skips this workload until a function of that name exists. It is the same
-- workload as baseline_batch.sql: :batch usage events in one call over this
-- client's slice of c1..c:wallets, one key per event.
--
-- To enable: nothing, if the function takes a jsonb array of objects with
-- keys customer_id, credit_type, amount, idempotency_key, feature, source_id,
-- occurred_at and returns one row per event. If it takes arrays instead,
-- replace the call with the commented form below.
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
-- Arrays form:
-- SELECT count(*) FROM (
--     SELECT array_agg('c' || (:lo + floor(random() * :span)::int)) AS customer_ids,
--            array_fill('usd'::text, ARRAY[:batch]) AS credit_types,
--            array_fill(1::numeric, ARRAY[:batch]) AS amounts,
--            array_agg(gen_random_uuid()::text) AS idempotency_keys,
--            array_fill('api'::text, ARRAY[:batch]) AS features
--       FROM generate_series(1, :batch)) e,
--     credit_consume_batch(e.customer_ids, e.credit_types, e.amounts,
--                          e.idempotency_keys, e.features) r;
