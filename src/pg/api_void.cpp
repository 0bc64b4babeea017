// credit_void: removes a grant's remaining credits with a `void` entry. Credits
// already consumed are untouched; a scheduled grant can be voided before it
// starts; voiding twice, or a grant that has expired, raises LG006.
#include "amount.hpp"
#include "args.hpp"
#include "auto_topup.hpp"
#include "error.hpp"
#include "guard.hpp"
#include "lifecycle.hpp"
#include "entering.hpp"
#include "operations.hpp"
#include "settings.hpp"
#include "spi.hpp"
#include "validate.hpp"

namespace credit_ledger::pg {
namespace {

// 1.2: a block that has not entered the ledger. A scheduled one is voided
// with no entry (its amount is the result); a pending or canceled one
// raises LG006 (PlanVoidBlock).
std::string VoidWaiting(Ledger& ledger, Wallet& wallet, std::int64_t grant_id,
                        const EntryLabels& labels, Micros now) {
  const TimedWallet before = ledger.ReadTimedWallet(wallet, nullptr);
  TimedWallet with_block = before;
  bool have = false;
  for (const Block& b : before.blocks)
    have = have || b.row.grant_id == grant_id;
  if (!have) with_block.blocks.push_back(*ledger.ReadBlock(wallet, grant_id));
  const BlockVoidPlan plan = PlanVoidBlock(with_block, now, grant_id);

  OperationResult result = MakeResult(wallet, now, plan.change.drafts.size());
  result.amount = plan.voided;
  result.grant_id = grant_id;
  result.balance = plan.available_after;
  const std::int64_t operation_id =
      ledger
          .InsertOperation(
              OperationRequest{"void", wallet.customer_id, std::nullopt, {}},
              result)
          .value();
  ledger.SaveBlocks(wallet, plan.change);
  VoidPlan event;
  event.grant.grant_id = grant_id;
  event.voided = plan.voided;
  event.spendable_after = plan.available_after;
  Conclude(
      ledger, wallet, MakeContext(operation_id, now, labels),
      plan.change.drafts, plan.available_after,
      {VoidedEvent(SubjectOf(wallet, operation_id), event, labels.reason)});
  return FormatAmount(plan.voided, wallet.scale);
}

std::string Void(Ledger& ledger, std::int64_t grant_id,
                 const EntryLabels& labels) {
  const auto [customer_id, credit_type] = ledger.GrantOwner(grant_id);
  const Micros now = LedgerNow();
  Wallet wallet = LockForWrite(ledger, customer_id, credit_type, now).value();
  if (wallet.timed) {
    const std::optional<Block> block = ledger.ReadBlock(wallet, grant_id);
    if (block && (!block->entered || block->pending || block->canceled)) {
      return VoidWaiting(ledger, wallet, grant_id, labels, now);
    }
  }
  const GrantRow grant = ledger.ReadGrant(wallet, grant_id);
  const VoidPlan plan = PlanVoid(grant, ledger.Spendable(wallet, now), now);

  OperationResult result = MakeResult(wallet, now, plan.drafts.size());
  result.amount = plan.voided;
  result.grant_id = grant_id;
  const std::int64_t operation_id =
      ledger
          .InsertOperation(
              OperationRequest{"void", customer_id, std::nullopt, {}}, result)
          .value();

  ledger.SaveGrant(wallet, plan.grant);
  std::vector<PendingEvent> events{
      VoidedEvent(SubjectOf(wallet, operation_id), plan, labels.reason)};
  RequestTopup(ledger, wallet, operation_id, now, plan.spendable_after, events);
  Conclude(ledger, wallet, MakeContext(operation_id, now, labels), plan.drafts,
           plan.spendable_after, std::move(events));
  return FormatAmount(plan.voided, wallet.scale);
}

}  // namespace
}  // namespace credit_ledger::pg

CL_FUNCTION(credit_void) {
  using namespace credit_ledger;
  using namespace credit_ledger::pg;
  Args args(fcinfo);
  const std::int64_t grant_id = args.Int64(0, "grant_id");
  EntryLabels labels;
  labels.reason = args.OptText(1);
  CheckOptionalText("reason", labels.reason, kMaxReasonChars);
  Ledger ledger;
  const std::string voided = Void(ledger, grant_id, labels);
  ledger.Finish();
  return NumericTextDatum(voided);
}
