// credit_grant_confirm and credit_grant_cancel (1.2): a pending block (a
// purchase waiting for payment) enters the wallet when payment arrives, or
// is closed with nothing ever entered when it fails. The core decides
// (PlanConfirm, PlanCancel); a block under another customer is LG004.
#include "amount.hpp"
#include "args.hpp"
#include "auto_topup.hpp"
#include "entering.hpp"
#include "error.hpp"
#include "fingerprint.hpp"
#include "guard.hpp"
#include "operations.hpp"
#include "settings.hpp"
#include "spi.hpp"
#include "validate.hpp"

namespace credit_ledger::pg {
namespace {

struct Located {
  Wallet wallet;
  TimedWallet timed;
  std::map<std::int64_t, BlockLabels> labels;
};

// Locks the wallet of `customer_id`'s block `grant_id` (LG004 if the
// customer has no such block), catches it up, and reads it as the planners
// see it, the block included whatever its state.
Located Locate(Ledger& ledger, const std::string& customer_id,
               std::int64_t grant_id, Micros now,
               const OperationRequest* request = nullptr,
               std::optional<StoredOperation>* replay = nullptr) {
  const auto [owner, credit_type] = ledger.GrantOwner(grant_id);
  RequireOwner(customer_id, owner, "grant " + std::to_string(grant_id));
  Located l{LockForWrite(ledger, customer_id, credit_type, now, request, replay)
                .value(),
            {},
            {}};
  if (replay != nullptr && *replay) return l;  // read nothing
  l.timed = ledger.ReadTimedWallet(l.wallet, &l.labels);
  bool have = false;
  for (const Block& b : l.timed.blocks)
    have = have || b.row.grant_id == grant_id;
  if (!have) {
    if (auto b = ledger.ReadBlock(l.wallet, grant_id)) {
      l.timed.blocks.push_back(std::move(*b));
    }
  }
  return l;
}

const Block& BlockIn(const TimedWallet& w, std::int64_t grant_id) {
  for (const Block& b : w.blocks) {
    if (b.row.grant_id == grant_id) return b;
  }
  throw LedgerError(ErrorCode::kInternal, "a planned block is missing");
}

OperationOutcome Confirm(Ledger& ledger, const std::string& customer_id,
                         std::int64_t grant_id,
                         const std::optional<std::string>& key) {
  const OperationRequest request{"confirm", customer_id, key,
                                 ConfirmFingerprint(grant_id)};
  if (auto op = ledger.FindReplay(request)) return ReplayOutcome(*op);
  const Micros now = LedgerNow();
  std::optional<StoredOperation> replay;
  Located l = Locate(ledger, customer_id, grant_id, now, &request, &replay);
  if (replay) return ReplayOutcome(*replay);
  Wallet& wallet = l.wallet;
  const ConfirmPlan plan = PlanConfirm(l.timed, now, grant_id);

  OperationResult result = MakeResult(wallet, now, plan.change.drafts.size());
  result.amount = plan.amount;
  result.balance = plan.available_after;
  result.grant_id = grant_id;
  auto operation_id = ledger.InsertOperation(request, result);
  if (!operation_id) return ReplayOutcome(ledger.ReplayAfterConflict(request));
  ledger.SaveBlocks(wallet, plan.change);
  const Block& block = BlockIn(plan.change.wallet, grant_id);
  std::vector<PendingEvent> events;
  if (plan.entered) {
    ledger.LoadCurrency(wallet);  // credits.granted carries cost_basis
    events.push_back(BlockGrantedEvent(SubjectOf(wallet, *operation_id), block,
                                       l.labels[grant_id],
                                       plan.available_after));
    wallet.next_due_at = LowerDueAt(wallet.next_due_at, block.row.expires_at);
  } else {
    // It enters at its effective_at, through the catch-up.
    wallet.next_due_at = LowerDueAt(wallet.next_due_at, block.row.effective_at);
  }
  SettleTopup(wallet, grant_id);
  EntryLabels labels;
  Conclude(ledger, wallet, MakeContext(*operation_id, now, labels),
           plan.change.drafts, plan.available_after, std::move(events));

  OperationOutcome out;
  out.operation_id = *operation_id;
  out.amount = FormatAmount(plan.amount, wallet.scale);
  out.balance = FormatAmount(plan.available_after, wallet.scale);
  return out;
}

void Cancel(Ledger& ledger, const std::string& customer_id,
            std::int64_t grant_id, const std::optional<std::string>& reason) {
  const Micros now = LedgerNow();
  Located l = Locate(ledger, customer_id, grant_id, now);
  Wallet& wallet = l.wallet;
  const WalletChange change = PlanCancel(l.timed, grant_id);
  const std::int64_t available = AvailableBalance(change.wallet, now);

  OperationResult result = MakeResult(wallet, now, 0);
  result.amount = BlockIn(change.wallet, grant_id).row.amount;
  result.balance = available;
  result.grant_id = grant_id;
  const std::int64_t operation_id =
      ledger
          .InsertOperation(
              OperationRequest{"cancel", customer_id, std::nullopt, {}}, result)
          .value();
  ledger.SaveBlocks(wallet, change);
  SettleTopup(wallet, grant_id);
  EntryLabels labels;
  labels.reason = reason;
  Conclude(ledger, wallet, MakeContext(operation_id, now, labels), {},
           available,
           {GrantCanceledEvent(SubjectOf(wallet, operation_id),
                               BlockIn(change.wallet, grant_id), reason,
                               available)});
}

}  // namespace
}  // namespace credit_ledger::pg

CL_FUNCTION(credit_grant_confirm) {
  using namespace credit_ledger;
  using namespace credit_ledger::pg;
  Args args(fcinfo);
  const std::string customer_id = args.Text(0, "customer_id");
  const std::int64_t grant_id = args.Int64(1, "grant_id");
  const auto key = args.OptText(2);
  CheckCustomerAndKey(customer_id, key);
  Ledger ledger;
  const OperationOutcome outcome = Confirm(ledger, customer_id, grant_id, key);
  ledger.Finish();
  return OperationResultDatum(fcinfo, outcome);
}

CL_FUNCTION(credit_grant_cancel) {
  using namespace credit_ledger;
  using namespace credit_ledger::pg;
  Args args(fcinfo);
  const std::string customer_id = args.Text(0, "customer_id");
  const std::int64_t grant_id = args.Int64(1, "grant_id");
  const auto reason = args.OptText(2);
  CheckText("customer_id", customer_id, kMaxCustomerIdChars);
  CheckOptionalText("reason", reason, kMaxReasonChars);
  Ledger ledger;
  Cancel(ledger, customer_id, grant_id, reason);
  ledger.Finish();
  PG_RETURN_VOID();
}
