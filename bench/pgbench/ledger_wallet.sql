-- credit_ledger: one usage event on one named wallet (-D customer=...), with
-- a fresh idempotency key when -D usekey=1. For the cost comparisons (1 vs
-- 10,000 depleted grants, bytes per usage event).
SELECT * FROM credit_consume(:customer, 'usd', 1,
                             CASE WHEN :usekey = 1 THEN gen_random_uuid()::text END, 'api');
