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

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
