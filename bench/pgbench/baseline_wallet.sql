-- The PL/pgSQL baseline: one usage event on one named wallet (-D
-- customer=...), with a fresh idempotency key when -D usekey=1.
SELECT * FROM baseline.consume(:customer, 'usd', 1,
                               CASE WHEN :usekey = 1 THEN gen_random_uuid()::text END, 'api');
