-- A Pro plan with 5,000 monthly credits and rollover (README, "Recurring
-- grants"). The ledger's clock is moved by hand here; in production it is
-- the transaction time.
SET credit_ledger.clock = '2026-01-01 09:00+00';
SELECT credit_type_create('ai_credits', 0);

-- 5,000 credits on the 1st of every month (New York time), each month's
-- valid for a month; up to 1,000 left at the end of a month roll over.
SELECT credit_recurring_create('globex', 'ai_credits', 5000, '1 month',
         starts_at => '2026-01-01 00:00 America/New_York', expire_after => '1 month',
         rollover_max => 1000, time_zone => 'America/New_York',
         reason => 'pro plan', idempotency_key => 'globex-pro') AS plan_id \gset
SELECT credit_balance('globex', 'ai_credits');

-- January: globex uses 3,200.
SELECT amount, balance FROM credit_consume('globex', 'ai_credits', 3200);

-- February 1 in New York: January's block lapses with 1,800 left. 1,000
-- roll over into a block valid until March 1, 800 expire, and February's
-- 5,000 start - whether or not anything runs: reads count it at once, and
-- the next write (or the sweep) writes it, dated when it happened.
SET credit_ledger.clock = '2026-02-01 06:00+00';
SELECT credit_balance('globex', 'ai_credits');
SELECT credit_expire() AS lapsed;
SELECT grant_id, kind, amount, remaining, effective_at, expires_at, source_id
  FROM credit_ledger.grants WHERE customer_id = 'globex' ORDER BY grant_id;
SELECT seq, entry_type, amount, balance_after, grant_id, occurred_at
  FROM credit_ledger.entries WHERE customer_id = 'globex' ORDER BY seq;
SELECT event_type, payload ->> 'amount' AS amount
  FROM credit_ledger.events WHERE customer_id = 'globex' ORDER BY event_id;

-- The statement up to now (entries count when recorded: the sweep's at
-- 06:00): the rollover is a memo line (its two entries net to zero), 800
-- expired, and February's 5,000 were granted.
SELECT opening_balance, granted, used, expired, rolled_over, closing_balance
  FROM credit_statement('globex', 'ai_credits', '2026-01-01 00:00+00', '2026-02-01 07:00+00');

-- The customer downgrades: no period starts on or after March 1.
SELECT credit_recurring_cancel('globex', :plan_id, '2026-03-01 00:00 America/New_York');
SELECT last_period, next_start_at, canceled_at
  FROM credit_ledger.recurring_grants WHERE recurring_id = :plan_id;
