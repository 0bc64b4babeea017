// Holds (1.2): credit_hold reserves credits, credit_capture turns a hold
// into usage, credit_release gives it back. Each locks the wallet, brings
// it up to now (LockForWrite), reads it as the timeline planners see it
// (ReadTimedWallet), lets the core plan (PlanHold, PlanCapture,
// PlanRelease) and stores the rows and entries the plan names.
#include "amount.hpp"
#include "args.hpp"
#include "auto_topup.hpp"
#include "catch_up.hpp"
#include "error.hpp"
#include "fingerprint.hpp"
#include "guard.hpp"
#include "holds.hpp"
#include "operations.hpp"
#include "settings.hpp"
#include "spi.hpp"
#include "validate.hpp"

namespace credit_ledger::pg {
namespace {

// Locks the wallet of a hold the customer has (LG004 otherwise), caught up
// to `now`, and reads it for the planners. A hold no longer active there
// (captured, released, expired: possibly by the catch-up just made) is
// added as its row now says, so the planner refuses it (LG006). A keyed
// `request` found taken under the lock sets *replay and reads nothing.
TimedWallet LockHoldWallet(Ledger& ledger, const std::string& customer_id,
                           std::int64_t hold_id, Micros now, Wallet& wallet,
                           StoredHold& hold,
                           const OperationRequest* request = nullptr,
                           std::optional<StoredOperation>* replay = nullptr) {
  hold = ledger.RequireHold(customer_id, hold_id);
  std::optional<Wallet> found =
      LockForWrite(ledger, customer_id, hold.credit_type, now, request, replay);
  if (!found) {
    throw LedgerError(ErrorCode::kInternal, "a hold's wallet is missing");
  }
  wallet = std::move(*found);
  if (replay != nullptr && *replay) return {};
  TimedWallet w = ledger.ReadTimedWallet(wallet, nullptr, false);
  for (const Hold& h : w.holds) {
    if (h.hold_id == hold_id) return w;
  }
  hold = ledger.RequireHold(customer_id, hold_id);  // as committed now
  Hold closed;
  closed.hold_id = hold_id;
  closed.status = hold.status;
  closed.expires_at = hold.expires_at;
  w.holds.push_back(closed);
  return w;
}

// What the wallet's cached sums over active holds become when `hold`
// starts (sign 1) or ends (sign -1).
void CountHold(Wallet& wallet, const Hold& hold, int sign) {
  wallet.held = AddUnits(wallet.held, sign * hold.amount, "held");
  wallet.held_overdraft =
      AddUnits(wallet.held_overdraft, sign * hold.Overdraft(), "held");
}

const Hold& HoldIn(const TimedWallet& w, std::int64_t hold_id) {
  for (const Hold& h : w.holds) {
    if (h.hold_id == hold_id) return h;
  }
  throw LedgerError(ErrorCode::kInternal, "a planned hold is missing");
}

struct HoldArgs {
  std::string customer_id;
  std::string credit_type;
  std::string amount;
  Micros timeout = 0;
  std::optional<std::string> idempotency_key;
  EntryLabels labels;
};

HoldArgs ReadHoldArgs(FunctionCallInfo fcinfo) {
  Args args(fcinfo);
  HoldArgs a;
  a.customer_id = args.Text(0, "customer_id");
  a.credit_type = args.Text(1, "credit_type");
  a.amount = args.Decimal(2, "amount");
  a.timeout = args.Duration(3, "timeout");
  a.idempotency_key = args.OptText(4);
  a.labels.feature = args.OptText(5);
  a.labels.source_id = args.OptText(6);
  a.labels.metadata = args.OptJsonObject(7, "metadata");
  CheckUsageRequest(a.customer_id, &a.amount, a.idempotency_key, a.labels,
                    LedgerNow());
  return a;
}

HoldOutcome HoldReplay(Ledger& ledger, const std::string& customer_id,
                       const StoredOperation& op) {
  const std::optional<StoredHold> h =
      ledger.HoldOfOperation(customer_id, op.operation_id);
  if (!h) throw LedgerError(ErrorCode::kInternal, "a hold's row is missing");
  HoldOutcome out;
  out.hold_id = h->hold_id;
  out.amount = op.amount.value_or("0");
  out.balance = op.balance.value_or("0");
  out.expires_at = h->expires_at;
  out.replayed = true;
  return out;
}

HoldOutcome PlaceHold(Ledger& ledger, const HoldArgs& a) {
  const Micros now = LedgerNow();
  const Micros expires_at = HoldExpiresAt(now, a.timeout);  // 22023 first
  const OperationRequest request{
      "hold", a.customer_id, a.idempotency_key,
      HoldFingerprint({a.credit_type, a.amount, a.timeout,
                       ViewOf(a.labels.feature), ViewOf(a.labels.source_id),
                       ViewOf(a.labels.metadata.text)})};
  if (auto op = ledger.FindReplay(request)) {
    return HoldReplay(ledger, a.customer_id, *op);
  }
  std::optional<StoredOperation> replay;
  std::optional<Wallet> found = LockForWrite(
      ledger, a.customer_id, a.credit_type, now, &request, &replay);
  if (replay) return HoldReplay(ledger, a.customer_id, *replay);
  if (!found) {
    RefuseWithoutWallet(a.customer_id, a.credit_type, a.amount,
                        ledger.RequireCreditType(a.credit_type));
  }
  Wallet& wallet = *found;
  const std::int64_t units = ParseAmount(a.amount, wallet.scale);
  const TimedWallet before = ledger.ReadTimedWallet(wallet, nullptr, false);
  const std::int64_t hold_id = ledger.NextHoldId();
  const HoldPlan plan = PlanHold(before, now, units, hold_id, expires_at);

  OperationResult result = MakeResult(wallet, now, plan.change.drafts.size());
  result.amount = units;
  result.balance = plan.available_after;
  auto operation_id = ledger.InsertOperation(request, result);
  if (!operation_id) {
    return HoldReplay(ledger, a.customer_id,
                      ledger.ReplayAfterConflict(request));
  }
  ledger.InsertHold(wallet, plan.hold, *operation_id,
                    HoldLabels{a.labels.feature, a.labels.source_id,
                               a.labels.metadata.datum,
                               !a.labels.metadata.text.has_value()},
                    now);
  ledger.SaveBlocks(wallet, plan.change, hold_id);
  CountHold(wallet, plan.hold, 1);
  wallet.next_due_at = LowerDueAt(wallet.next_due_at, expires_at);
  std::vector<PendingEvent> events;
  RequestTopup(ledger, wallet, *operation_id, now, plan.available_after,
               events);
  Conclude(ledger, wallet, MakeContext(*operation_id, now, a.labels),
           plan.change.drafts, plan.available_after, std::move(events));

  HoldOutcome out;
  out.hold_id = hold_id;
  out.amount = FormatAmount(units, wallet.scale);
  out.balance = FormatAmount(plan.available_after, wallet.scale);
  out.expires_at = expires_at;
  return out;
}

struct CaptureArgs {
  std::string customer_id;
  std::int64_t hold_id = 0;
  std::optional<std::string> amount;
  std::optional<std::string> idempotency_key;
  EntryLabels labels;
};

CaptureArgs ReadCaptureArgs(FunctionCallInfo fcinfo) {
  Args args(fcinfo);
  CaptureArgs a;
  a.customer_id = args.Text(0, "customer_id");
  a.hold_id = args.Int64(1, "hold_id");
  a.amount = args.OptDecimal(2, "amount");
  a.idempotency_key = args.OptText(3);
  a.labels.feature = args.OptText(4);
  a.labels.source_id = args.OptText(5);
  a.labels.occurred_at = args.OptTimestamp(6, "occurred_at");
  a.labels.metadata = args.OptJsonObject(7, "metadata");
  CheckUsageRequest(a.customer_id, a.amount ? &*a.amount : nullptr,
                    a.idempotency_key, a.labels, LedgerNow());
  return a;
}

// The capture's entry labels: what the call gave, else the hold's.
EntryLabels CaptureLabels(const CaptureArgs& a, const StoredHold& hold) {
  EntryLabels l = a.labels;
  if (!l.feature) l.feature = hold.feature;
  if (!l.source_id) l.source_id = hold.source_id;
  if (!l.metadata.text && hold.metadata_text) {
    l.metadata = JsonObject(JsonbDatum(*hold.metadata_text), "metadata");
  }
  return l;
}

OperationOutcome Capture(Ledger& ledger, const CaptureArgs& a) {
  const Micros now = LedgerNow();
  const OperationRequest request{
      "capture", a.customer_id, a.idempotency_key,
      CaptureFingerprint({a.hold_id, ViewOf(a.amount), ViewOf(a.labels.feature),
                          ViewOf(a.labels.source_id), a.labels.occurred_at,
                          ViewOf(a.labels.metadata.text)})};
  if (auto op = ledger.FindReplay(request)) return ReplayOutcome(*op);
  Wallet wallet;
  StoredHold stored;
  std::optional<StoredOperation> replay;
  const TimedWallet before = LockHoldWallet(
      ledger, a.customer_id, a.hold_id, now, wallet, stored, &request, &replay);
  if (replay) return ReplayOutcome(*replay);
  std::optional<std::int64_t> units;
  if (a.amount) units = ParseAmount(*a.amount, wallet.scale);
  const CapturePlan plan = PlanCapture(before, now, a.hold_id, units);

  OperationResult result = MakeResult(wallet, now, plan.change.drafts.size());
  result.amount = plan.captured;
  result.balance = plan.available_after;
  auto operation_id = ledger.InsertOperation(request, result);
  if (!operation_id) {
    return ReplayOutcome(ledger.ReplayAfterConflict(request));
  }
  ledger.SaveBlocks(wallet, plan.change);
  CountHold(wallet, HoldIn(before, a.hold_id), -1);
  std::vector<PendingEvent> events =
      BlockUsageAlerts(ledger, wallet, *operation_id,
                       DrawnBlocks(plan.change.drafts), plan.available_after);
  RequestTopup(ledger, wallet, *operation_id, now, plan.available_after,
               events);
  Conclude(ledger, wallet,
           MakeContext(*operation_id, now, CaptureLabels(a, stored)),
           plan.change.drafts, plan.available_after, std::move(events));

  OperationOutcome out;
  out.operation_id = *operation_id;
  out.amount = FormatAmount(plan.captured, wallet.scale);
  out.balance = FormatAmount(plan.available_after, wallet.scale);
  return out;
}

std::string Release(Ledger& ledger, const std::string& customer_id,
                    std::int64_t hold_id, const EntryLabels& labels) {
  const Micros now = LedgerNow();
  Wallet wallet;
  StoredHold stored;
  const TimedWallet before =
      LockHoldWallet(ledger, customer_id, hold_id, now, wallet, stored);
  const ReleasePlan plan = PlanRelease(before, now, hold_id);
  OperationResult result = MakeResult(wallet, now, plan.change.drafts.size());
  result.amount = plan.released;
  result.balance = plan.available_after;
  // No key: a repeat finds the hold released (LG006).
  const std::int64_t operation_id =
      ledger
          .InsertOperation(
              OperationRequest{"release", customer_id, std::nullopt, {}},
              result)
          .value();
  ledger.SaveBlocks(wallet, plan.change);
  CountHold(wallet, HoldIn(before, hold_id), -1);
  Conclude(ledger, wallet, MakeContext(operation_id, now, labels),
           plan.change.drafts, plan.available_after, {});
  return FormatAmount(plan.released, wallet.scale);
}

}  // namespace
}  // namespace credit_ledger::pg

CL_FUNCTION(credit_hold) {
  using namespace credit_ledger::pg;
  const HoldArgs a = ReadHoldArgs(fcinfo);
  Ledger ledger;
  const HoldOutcome outcome = PlaceHold(ledger, a);
  ledger.Finish();
  return HoldResultDatum(fcinfo, outcome);
}

CL_FUNCTION(credit_capture) {
  using namespace credit_ledger::pg;
  const CaptureArgs a = ReadCaptureArgs(fcinfo);
  Ledger ledger;
  const OperationOutcome outcome = Capture(ledger, a);
  ledger.Finish();
  return OperationResultDatum(fcinfo, outcome);
}

CL_FUNCTION(credit_release) {
  using namespace credit_ledger;
  using namespace credit_ledger::pg;
  Args args(fcinfo);
  const std::string customer_id = args.Text(0, "customer_id");
  const std::int64_t hold_id = args.Int64(1, "hold_id");
  EntryLabels labels;
  labels.reason = args.OptText(2);
  CheckText("customer_id", customer_id, kMaxCustomerIdChars);
  CheckOptionalText("reason", labels.reason, kMaxReasonChars);
  Ledger ledger;
  const std::string released = Release(ledger, customer_id, hold_id, labels);
  ledger.Finish();
  return NumericTextDatum(released);
}
