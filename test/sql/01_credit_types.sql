-- credit_type_create: names, scales, units; bad input gets its SQLSTATE and
-- writes nothing.
\i test/sql/include/pgtap_setup.sql
BEGIN;
SELECT plan(17);

SELECT lives_ok($$SELECT credit_type_create('usd', 2, 'dollar', 'dollars', 'US dollars')$$,
                'a monetary credit type with scale 2');
SELECT lives_ok($$SELECT credit_type_create('api_calls')$$, 'scale defaults to 0');
SELECT lives_ok($$SELECT credit_type_create('ai_tokens9', 9)$$, 'scale 9 is the maximum');
SELECT results_eq(
    $$SELECT credit_type, scale, unit_singular, unit_plural, description
        FROM credit_ledger.credit_types ORDER BY credit_type$$,
    $$VALUES ('ai_tokens9'::text, 9, NULL::text, NULL::text, NULL::text),
             ('api_calls', 0, NULL, NULL, NULL),
             ('usd', 2, 'dollar', 'dollars', 'US dollars')$$,
    'credit types are stored as given');
SELECT is((SELECT created_at FROM credit_ledger.credit_types WHERE credit_type = 'usd'),
          '2026-03-01 12:00:00+00'::timestamptz, 'created_at follows the ledger clock');

SELECT throws_ok($$SELECT credit_type_create('usd', 2)$$, '23505', NULL,
                 'defining a credit type twice passes PostgreSQL''s unique violation through');
SELECT throws_ok($$SELECT credit_type_create('eur', 10)$$, '22023',
                 'scale must be between 0 and 9', 'scale above 9');
SELECT throws_ok($$SELECT credit_type_create('eur', -1)$$, '22023',
                 'scale must be between 0 and 9', 'negative scale');
SELECT throws_ok($$SELECT credit_type_create(NULL)$$, '22004',
                 'credit_type must not be NULL', 'NULL name');
SELECT throws_ok($$SELECT credit_type_create('eur', NULL)$$, '22004',
                 'scale must not be NULL', 'NULL scale');
SELECT throws_ok($$SELECT credit_type_create('')$$, '22023',
                 'credit_type must not be empty', 'empty name');
SELECT throws_ok($$SELECT credit_type_create('Euro')$$, '22023',
                 'credit_type "Euro" is not a valid name', 'upper case');
SELECT throws_ok($$SELECT credit_type_create('9lives')$$, '22023',
                 'credit_type "9lives" is not a valid name', 'leading digit');
SELECT throws_ok($$SELECT credit_type_create('ai tokens')$$, '22023',
                 'credit_type "ai tokens" is not a valid name', 'space');
SELECT throws_ok($$SELECT credit_type_create(repeat('a', 64))$$, '22023',
                 'credit_type is too long', '64 characters');
SELECT throws_ok($$SELECT credit_type_create('eur', 2, repeat('u', 256))$$, '22023',
                 'unit_singular is too long', 'unit names are bounded');
SELECT is((SELECT count(*) FROM credit_ledger.credit_types), 3::bigint,
          'no rejected call wrote anything');

SELECT * FROM finish();
ROLLBACK;
DROP EXTENSION credit_ledger;
