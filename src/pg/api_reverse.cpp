// credit_reverse: undoes a consume, all or part, putting the credits back onto
// the exact grants they came from (last drawn, first restored) and the part
// that became debt back onto the debt. Credit restored to a grant that has
// since expired or been voided leaves again at once, in entries of its own.
#include "amount.hpp"
#include "args.hpp"
#include "error.hpp"
#include "fingerprint.hpp"
#include "guard.hpp"
#include "catch_up.hpp"
#include "operations.hpp"
#include "plan.hpp"
#include "reversal.hpp"
#include "settings.hpp"
#include "spi.hpp"
#include "validate.hpp"

#include <utility>

namespace credit_ledger::pg {
namespace {

struct ReverseArgs {
  std::optional<std::string> customer_id;  // 1.2's form: LG004 elsewhere
  std::int64_t operation_id = 0;
  std::optional<std::string> amount;
  std::optional<std::string> idempotency_key;
  EntryLabels labels;
};

// What PlanReverse reads: the restored grants, the open ones and - when
// restored debt needs a block of its own - the new block's id.
ReversalInput ReadForReversal(Ledger& ledger, const Wallet& wallet,
                              std::vector<Restoration> restorations,
                              Micros now) {
  ReversalInput in;
  in.restorations = std::move(restorations);
  for (const Restoration& r : in.restorations) {
    if (r.grant_id && in.restored.count(*r.grant_id) == 0) {
      in.restored.emplace(*r.grant_id, ledger.ReadGrant(wallet, *r.grant_id));
    }
  }
  if (ReversalBlockCredits(in.restorations, wallet.debt) > 0) {
    in.new_block_id = ledger.NextGrantId();
  }
  in.open = ledger.ReadOpenGrants(wallet, now);
  in.debt = wallet.debt;
  in.policy = wallet.policy;
  in.scale = wallet.scale;
  in.order = wallet.order;
  in.now = now;
  return in;
}

// Writes the grants: the others the debt settlement drew from, the new
// block, then the restored ones.
void SaveReversalGrants(Ledger& ledger, Wallet& wallet, ReversalPlan& plan,
                        std::int64_t operation_id, Micros now) {
  ledger.SaveRemaining(wallet, plan.others, plan.others_after);
  if (plan.new_block) {
    plan.new_block->operation_id = operation_id;
    ledger.InsertGrant(wallet, *plan.new_block, Datum(0), true,
                       now);  // no metadata
    if (wallet.timed && plan.new_block->expires_at) {
      wallet.next_due_at =
          LowerDueAt(wallet.next_due_at, *plan.new_block->expires_at);
    }
  }
  for (const auto& [grant_id, row] : plan.restored) {
    ledger.SaveGrant(wallet, row);
    // Credit put back on a live block must lapse on time (1.2).
    if (wallet.timed)
      wallet.next_due_at = LowerDueAt(wallet.next_due_at, row.expires_at);
  }
}

OperationOutcome Reverse(Ledger& ledger, const ReverseArgs& a) {
  const OperationRef target = ledger.FindOperation(a.operation_id);
  if (a.customer_id) {
    RequireOwner(*a.customer_id, target.customer_id,
                 "operation " + std::to_string(a.operation_id));
  }
  CheckReversible(a.operation_id, target.operation_type);
  const OperationRequest request{
      "reverse", target.customer_id, a.idempotency_key,
      ReverseFingerprint(
          {a.operation_id, ViewOf(a.amount), ViewOf(a.labels.reason)})};
  if (auto op = ledger.FindReplay(request)) return ReplayOutcome(*op);

  const Micros now = LedgerNow();
  std::optional<StoredOperation> replay;
  Wallet wallet = LockForWrite(ledger, target.customer_id, target.credit_type,
                               now, &request, &replay)
                      .value();
  if (replay) return ReplayOutcome(*replay);
  std::optional<std::int64_t> units;
  if (a.amount) units = ParseAmount(*a.amount, wallet.scale);
  const UsageEntries usage = ledger.ReadUsage(wallet, target);
  ReversalInput in = ReadForReversal(
      ledger, wallet,
      PlanReversal(usage.portions, ledger.ReversedSoFar(wallet, a.operation_id),
                   units, wallet.scale),
      now);
  in.reason = a.labels.reason;
  ReversalPlan plan = PlanReverse(in);

  OperationResult result = MakeResult(wallet, now, plan.drafts.size());
  result.amount = plan.amount;
  result.balance = plan.settle.spendable_after;
  result.reverses_operation_id = a.operation_id;
  auto operation_id = ledger.InsertOperation(request, result);
  if (!operation_id) return ReplayOutcome(ledger.ReplayAfterConflict(request));
  SaveReversalGrants(ledger, wallet, plan, *operation_id, now);

  EntryLabels labels = a.labels;
  labels.feature = usage.feature;
  labels.source_id = usage.source_id;
  std::vector<PendingEvent> events;
  AddDepletedGrants(events, SubjectOf(wallet, *operation_id),
                    plan.planned.grants, plan.settle.emptied,
                    plan.settle.spendable_after);
  Conclude(ledger, wallet, MakeContext(*operation_id, now, labels), plan.drafts,
           plan.settle.spendable_after, std::move(events));

  OperationOutcome out;
  out.operation_id = *operation_id;
  out.amount = FormatAmount(plan.amount, wallet.scale);
  out.balance = FormatAmount(plan.settle.spendable_after, wallet.scale);
  return out;
}

}  // namespace
}  // namespace credit_ledger::pg

namespace credit_ledger::pg {
namespace {

// Both forms: the arguments from `first` on are (operation_id, amount,
// reason, idempotency_key).
Datum ReverseCall(FunctionCallInfo fcinfo, int first,
                  std::optional<std::string> customer) {
  Args args(fcinfo);
  ReverseArgs a;
  a.customer_id = std::move(customer);
  a.operation_id = args.Int64(first, "operation_id");
  a.amount = args.OptDecimal(first + 1, "amount");
  a.labels.reason = args.OptText(first + 2);
  a.idempotency_key = args.OptText(first + 3);
  if (a.customer_id) {
    CheckText("customer_id", *a.customer_id, kMaxCustomerIdChars);
  }
  if (a.amount) CheckPositiveAmount(*a.amount);
  CheckOptionalText("reason", a.labels.reason, kMaxReasonChars);
  CheckOptionalText("idempotency_key", a.idempotency_key,
                    kMaxIdempotencyKeyChars);
  Ledger ledger;
  const OperationOutcome outcome = Reverse(ledger, a);
  ledger.Finish();
  return OperationResultDatum(fcinfo, outcome);
}

}  // namespace
}  // namespace credit_ledger::pg

CL_FUNCTION(credit_reverse) {
  return credit_ledger::pg::ReverseCall(fcinfo, 0, std::nullopt);
}

// 1.2: credit_reverse(customer_id, operation_id, amount, reason,
// idempotency_key), the operation found only under its customer.
CL_FUNCTION(credit_reverse_customer) {
  using namespace credit_ledger::pg;
  std::string customer_id = Args(fcinfo).Text(0, "customer_id");
  return ReverseCall(fcinfo, 1, std::move(customer_id));
}
