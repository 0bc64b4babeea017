-- Known-answer vectors for the formats the ledger stores forever: each
-- entry's hash (chained per wallet) and each operation's key digest and
-- request fingerprint. A silent change to the canonical encoding, to the
-- fields an entry's hash covers or to what a fingerprint includes would turn
-- every old wallet into a hash_mismatch and every retried idempotency key
-- into LG002. These bytes must never change: a new format takes a new domain
-- tag and the old one keeps verifying. (The same ledger written by 1.1 has
-- exactly these bytes.)
\i test/sql/include/setup.sql
SET credit_ledger.actor = 'kat';
SELECT credit_type_create('usd', 2);
SELECT credit_wallet_configure('acme', 'usd', 20, '{50}');
SELECT credit_grant('acme', 'usd', 100, cost_basis => 0.5, expires_at => '2026-03-10',
                    idempotency_key => 'g1', reason => 'paid', source_id => 'inv-1',
                    metadata => '{"plan": "pro"}') AS g1;
SELECT credit_grant('acme', 'usd', 30, promotional => true, priority => 10, idempotency_key => 'g2') AS g2;
SELECT credit_grant('acme', 'usd', 5, effective_at => '2026-03-05') AS g3;
SELECT operation_id FROM credit_consume('acme', 'usd', 40, 'c1', 'chat', 'req-1',
                                       '2026-03-01 11:59:00+00', '{"user_id": "u1"}');
SELECT operation_id FROM credit_consume('acme', 'usd', 95.5, 'c2');
SELECT operation_id FROM credit_adjust('acme', 'usd', 7.25, 'goodwill', 'a1');
SELECT operation_id FROM credit_adjust('acme', 'usd', -1, 'correction');
SELECT operation_id FROM credit_reverse(4, 10, 'refund', 'r1');
SELECT operation_id FROM credit_reverse(4, reason => 'rest');
SELECT ordinal, status, operation_id FROM credit_consume_batch(
  '[{"customer_id": "acme", "credit_type": "usd", "amount": "2.5", "idempotency_key": "b1",
     "feature": "embed", "source_id": "s", "occurred_at": "2026-03-01T11:00:00Z", "metadata": {"k": 1}},
    {"customer_id": "acme", "credit_type": "usd", "amount": 1}]');
SELECT credit_void(2, 'fraud');
SET credit_ledger.clock = '2026-03-11 00:00:00+00';
SELECT credit_expire();
SELECT * FROM credit_verify();

SELECT seq, entry_type, amount, operation_id, encode(hash, 'hex') AS hash
  FROM credit_ledger.entries ORDER BY wallet_id, seq;
SELECT operation_id, operation_type,
       encode(key_hash, 'hex') AS key_hash, encode(request_hash, 'hex') AS request_hash
  FROM credit_ledger.operations ORDER BY operation_id;
SELECT encode(last_hash, 'hex') AS wallet_head FROM credit_ledger.wallets;
DROP EXTENSION credit_ledger;
