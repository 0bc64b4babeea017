-- pg_temp.written_now(): a count of what a failing call must leave
-- untouched (operations, entries, events, holds, voided blocks); compare it
-- before and after the call.
CREATE FUNCTION pg_temp.written_now() RETURNS bigint LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM credit_ledger.operations) + (SELECT count(*) FROM credit_ledger.entries)
       + (SELECT count(*) FROM credit_ledger.events) + (SELECT count(*) FROM credit_ledger.holds)
       + (SELECT count(*) FROM credit_ledger.grants WHERE voided_at IS NOT NULL)
$$;
