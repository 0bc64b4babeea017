-- credit_adjust: a signed manual correction. Positive adds a block tagged as
-- an adjustment; negative draws down in the usual order and respects the
-- wallet's limit (LG001).
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);
SELECT credit_grant('c', 'usd', 10, promotional => true, reason => 'promo');
SELECT credit_grant('c', 'usd', 10, reason => 'paid');

SELECT * FROM credit_adjust('c', 'usd', 5, 'goodwill for incident 42');
SELECT * FROM credit_adjust('c', 'usd', -12, 'usage reported late');
SELECT * FROM credit_adjust('c', 'usd', -100, 'too much');
SELECT seq, entry_type, amount, balance_after, grant_id, reason FROM credit_ledger.entries ORDER BY seq;
SELECT grant_id, kind, amount, remaining, promotional, priority, expires_at, reason
  FROM credit_ledger.grants ORDER BY grant_id;

-- Bad input.
SELECT * FROM credit_adjust('c', 'usd', 0, 'nothing');
SELECT * FROM credit_adjust('c', 'usd', 1, NULL);
SELECT * FROM credit_adjust('c', 'usd', 1, '');
SELECT * FROM credit_adjust('c', 'usd', 1.001, 'too fine');
SELECT * FROM credit_adjust('c', 'eur', 1, 'unknown type');
SELECT * FROM credit_adjust('nobody', 'usd', -1, 'no wallet');

-- Idempotent with a key.
SELECT * FROM credit_adjust('c', 'usd', -1, 'late usage', 'adj-1');
SELECT * FROM credit_adjust('c', 'usd', -1, 'late usage', 'adj-1');
SELECT * FROM credit_adjust('c', 'usd', -1, 'other reason', 'adj-1');

-- Under a soft limit a negative adjustment can become debt; a positive one
-- repays debt first, and can create a wallet.
SELECT credit_wallet_configure('s', 'usd', overdraft_limit => 20);
SELECT * FROM credit_adjust('s', 'usd', -15, 'migration opening debt');
SELECT * FROM credit_adjust('s', 'usd', 40, 'migration credit');
SELECT seq, entry_type, amount, balance_after, grant_id FROM credit_ledger.entries
 WHERE customer_id = 's' ORDER BY seq;
SELECT * FROM credit_adjust('new', 'usd', 3, 'opening balance');
SELECT customer_id, credit_balance(customer_id, 'usd') FROM credit_ledger.wallets ORDER BY 1;

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
