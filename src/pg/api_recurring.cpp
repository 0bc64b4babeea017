// credit_recurring_create and credit_recurring_cancel (issue 14): a
// schedule that issues a block every period. The core decides
// (CheckRecurringCreate, NextPeriodStart, PlanRecurringCancel); the periods
// themselves are issued by the catch-up (PlanCatchUp's kPeriodStart) under
// the wallet lock, whoever brings the wallet up to date.
#include "amount.hpp"
#include "args.hpp"
#include "calendar_pg.hpp"
#include "error.hpp"
#include "fingerprint.hpp"
#include "guard.hpp"
#include "operations.hpp"
#include "settings.hpp"
#include "validate.hpp"

namespace credit_ledger::pg {
namespace {

struct CreateArgs {
  std::string customer_id;
  std::string credit_type;
  RecurringArgs core;
  std::string rollover_max;
  std::string time_zone;
  std::optional<std::string> source_id;
  std::optional<std::string> idempotency_key;
};

std::optional<Interval> OptIntervalArg(FunctionCallInfo fcinfo, int n) {
  if (PG_ARGISNULL(n)) return std::nullopt;
  return IntervalOf(PG_GETARG_DATUM(n));
}

CreateArgs ReadCreateArgs(FunctionCallInfo fcinfo) {
  Args args(fcinfo);
  CreateArgs a;
  a.customer_id = args.Text(0, "customer_id");
  a.credit_type = args.Text(1, "credit_type");
  a.core.amount = args.Decimal(2, "amount");
  a.core.every = OptIntervalArg(fcinfo, 3);
  a.core.starts_at = args.OptTimestamp(4, "starts_at");
  a.core.ends_at = args.OptTimestamp(5, "ends_at");
  a.core.expire_after = OptIntervalArg(fcinfo, 6);
  a.rollover_max = args.Decimal(7, "rollover_max");
  a.core.rollover_max = a.rollover_max;
  a.core.promotional = args.Bool(8, "promotional");
  a.core.priority = args.Int32(9, "priority");
  a.core.cost_basis = args.OptDecimal(10, "cost_basis");
  a.time_zone = args.Text(11, "time_zone");
  a.core.reason = args.OptText(12);
  a.source_id = args.OptText(13);
  a.idempotency_key = args.OptText(14);
  CheckCustomerAndKey(a.customer_id, a.idempotency_key);
  CheckOptionalText("source_id", a.source_id, kMaxLabelChars);
  return a;
}

Digest Fingerprint(const CreateArgs& a) {
  RecurringFingerprintInput f;
  f.credit_type = a.credit_type;
  f.amount = *a.core.amount;
  f.every = *a.core.every;
  f.starts_at = a.core.starts_at;
  f.ends_at = a.core.ends_at;
  f.expire_after = a.core.expire_after;
  f.rollover_max = a.rollover_max;
  f.promotional = a.core.promotional;
  f.priority = a.core.priority;
  f.cost_basis = ViewOf(a.core.cost_basis);
  f.time_zone = a.time_zone;
  f.reason = ViewOf(a.core.reason);
  f.source_id = ViewOf(a.source_id);
  return RecurringFingerprint(f);
}

std::int64_t Replayed(Ledger& ledger, const std::string& customer_id,
                      const StoredOperation& op) {
  auto id = ledger.RecurringOfOperation(customer_id, op.operation_id);
  if (!id) {
    throw LedgerError(ErrorCode::kInternal,
                      "the recurring grant of a replayed operation is missing");
  }
  return *id;
}

// Inserts the schedule and lowers the wallet's next_due_at to its first
// period; when that has come (starts_at <= now) the catch-up issues it at
// once, dated at its start.
std::int64_t Create(Ledger& ledger, const CreateArgs& a) {
  const OperationRequest request{"recurring", a.customer_id, a.idempotency_key,
                                 Fingerprint(a)};
  if (auto op = ledger.FindReplay(request)) {
    return Replayed(ledger, a.customer_id, *op);
  }
  const Micros now = LedgerNow();
  const std::shared_ptr<const Calendar> calendar = CalendarOf(a.time_zone);
  const int scale = ledger.RequireCreditType(a.credit_type);
  RecurringRow row;
  row.schedule = CheckRecurringCreate(a.core, scale, now);
  row.time_zone = a.time_zone;
  row.source_id = a.source_id;
  Wallet wallet = ledger.LockOrCreateWallet(a.customer_id, a.credit_type, now);
  CatchUp(ledger, wallet, now);
  const std::int64_t available = AvailableNow(ledger, wallet, now);
  OperationResult result = MakeResult(wallet, now, 0);
  result.amount = row.schedule.amount;
  result.balance = available;
  auto operation_id = ledger.InsertOperation(request, result);
  if (!operation_id) {
    return Replayed(ledger, a.customer_id, ledger.ReplayAfterConflict(request));
  }
  row.schedule.recurring_id = ledger.NextRecurringId();
  const Micros first = NextPeriodStart(row.schedule, *calendar);
  if (first != kNever) row.next_start_at = first;
  ledger.InsertRecurring(wallet, row, *operation_id, now);
  wallet.next_due_at = LowerDueAt(wallet.next_due_at, first);
  CatchUp(ledger, wallet, now);
  const EntryLabels labels;
  Conclude(ledger, wallet, MakeContext(*operation_id, now, labels), {},
           AvailableNow(ledger, wallet, now), {});
  return row.schedule.recurring_id;
}

// No period starts at or after `at`: the schedule's next_start_at and the
// wallet's next_due_at follow (next_due_at may stay early: harmless).
void Cancel(Ledger& ledger, const std::string& customer_id,
            std::int64_t recurring_id, std::optional<Micros> at) {
  const std::optional<RecurringRow> found =
      ledger.FindRecurring(customer_id, recurring_id);
  if (!found) {
    throw LedgerError(ErrorCode::kNotFound,
                      "recurring grant " + std::to_string(recurring_id) +
                          " does not exist",
                      "No recurring grant with this id belongs to customer \"" +
                          customer_id + "\".");
  }
  const Micros now = LedgerNow();
  Wallet wallet =
      LockForWrite(ledger, customer_id, found->credit_type, now).value();
  RecurringRow row = ledger.FindRecurring(customer_id, recurring_id).value();
  row.schedule = PlanRecurringCancel(row.schedule, at, now);
  const std::shared_ptr<const Calendar> calendar = CalendarOf(row.time_zone);
  const Micros next = NextPeriodStart(row.schedule, *calendar);
  row.next_start_at = std::nullopt;
  if (next != kNever) row.next_start_at = next;
  ledger.SaveRecurring(customer_id, row);
  ledger.SaveWallet(wallet, now);
}

}  // namespace
}  // namespace credit_ledger::pg

CL_FUNCTION(credit_recurring_create) {
  using namespace credit_ledger::pg;
  const CreateArgs a = ReadCreateArgs(fcinfo);
  Ledger ledger;
  const std::int64_t id = Create(ledger, a);
  ledger.Finish();
  return Int64GetDatum(id);
}

CL_FUNCTION(credit_recurring_cancel) {
  using namespace credit_ledger;
  using namespace credit_ledger::pg;
  Args args(fcinfo);
  const std::string customer_id = args.Text(0, "customer_id");
  const std::int64_t recurring_id = args.Int64(1, "recurring_id");
  const std::optional<Micros> at = args.OptTimestamp(2, "at");
  CheckText("customer_id", customer_id, kMaxCustomerIdChars);
  Ledger ledger;
  Cancel(ledger, customer_id, recurring_id, at);
  ledger.Finish();
  PG_RETURN_VOID();
}
