-- credit_void removes a grant's remaining credits with one void entry;
-- credits already consumed are untouched; a scheduled grant can be voided
-- before it starts; voiding twice or an expired grant raises LG006; an
-- unknown grant LG004.
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);
SELECT credit_grant('c', 'usd', 100, cost_basis => 0.5, reason => 'paid') AS paid;
SELECT credit_grant('c', 'usd', 40, promotional => true, reason => 'welcome') AS welcome;
SELECT * FROM credit_consume('c', 'usd', 50);

-- The welcome credit (drawn first) has nothing left; the paid block 90.
SELECT grant_id, remaining FROM credit_ledger.grants ORDER BY grant_id;
SELECT credit_void(1, 'refunded');
SELECT credit_balance('c', 'usd');
SELECT seq, entry_type, amount, value, balance_after, grant_id, reason
  FROM credit_ledger.entries ORDER BY seq;
SELECT grant_id, remaining, voided_at, voided_amount, open FROM credit_ledger.grants ORDER BY grant_id;

-- Twice, unknown, NULL.
SELECT credit_void(1);
SELECT credit_void(999);
SELECT credit_void(NULL);

-- A depleted grant can be voided: nothing moves, no entry is written.
SELECT credit_void(2);
SELECT count(*) AS entries FROM credit_ledger.entries;
SELECT operation_id, operation_type, amount, grant_id FROM credit_ledger.operations
 WHERE operation_type = 'void' ORDER BY operation_id;

-- A scheduled grant voided before it starts never becomes spendable.
SELECT credit_grant('c', 'usd', 25, effective_at => '2026-04-01') AS scheduled;
SELECT credit_void(3, 'contract cancelled');
SET credit_ledger.clock = '2026-04-02 00:00+00';
SELECT credit_balance('c', 'usd');

-- An expired grant cannot be voided, swept or not.
SELECT credit_grant('c', 'usd', 5, expires_at => '2026-04-03') AS short_lived;
SET credit_ledger.clock = '2026-04-03 00:00+00';
SELECT credit_void(4);
SELECT credit_expire();
SELECT credit_void(4);

-- Consumes never draw from voided credit.
SELECT credit_grant('c', 'usd', 10) AS fresh;
SELECT * FROM credit_consume('c', 'usd', 10);
SELECT * FROM credit_consume('c', 'usd', 0.01);


-- 1.2: credit_void(customer_id, grant_id, reason): the grant is found only
-- under its own customer. Bad calls raise and write nothing.
\i test/sql/include/sqlstate_of.sql
\i test/sql/include/written_now.sql
SELECT credit_grant('cv1', 'usd', 30, reason => 'to void') AS cv1 \gset
SELECT credit_grant('cv2', 'usd', 5) AS cv2 \gset
SELECT amount FROM credit_consume('cv1', 'usd', 10);
SELECT pg_temp.written_now() AS before \gset
SELECT pg_temp.sqlstate_of(format('SELECT credit_void(NULL::text, %s)', :cv1)) AS null_customer;
SELECT pg_temp.sqlstate_of($$SELECT credit_void('cv1', NULL::bigint)$$) AS null_grant;
SELECT pg_temp.sqlstate_of(format('SELECT credit_void(%L, %s)', 'cv2', :cv1)) AS other_customer;
SELECT pg_temp.sqlstate_of(format('SELECT credit_void(%L, %s)', 'nobody', :cv1)) AS no_such_customer;
SELECT pg_temp.sqlstate_of($$SELECT credit_void('cv1', 424242)$$) AS unknown_grant;
SELECT pg_temp.sqlstate_of(format('SELECT credit_void(%L, %s)', '', :cv1)) AS empty_customer;
SELECT pg_temp.written_now() = :before AS nothing_written;
-- Under its customer it voids what is left, as the 1.0 form does.
SELECT credit_void('cv1', :cv1, 'refund') AS voided;
SELECT entry_type, amount, reason FROM credit_ledger.entries WHERE grant_id = :cv1 ORDER BY seq;
SELECT pg_temp.written_now() AS before \gset
SELECT pg_temp.sqlstate_of(format('SELECT credit_void(%L, %s)', 'cv1', :cv1)) AS voided_twice;
SELECT pg_temp.written_now() = :before AS nothing_written;
-- The 1.0 form still resolves for an id alone.
SELECT pg_temp.sqlstate_of(format('SELECT credit_void(%s)', :cv1)) AS one_point_zero_form;

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
