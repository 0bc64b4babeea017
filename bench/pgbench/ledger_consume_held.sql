-- credit_ledger 1.2: a keyed consume on the wallet of customer held1, which
-- has 1,000 active holds (bench/run.sh places them): what holds cost a
-- consume that does not touch them.
SELECT * FROM credit_consume('held1', 'usd', 1, gen_random_uuid()::text, 'api');
