// credit_grant_update (1.2, issue 14): moves a block's expiry or changes its
// priority. The core decides (PlanGrantUpdate: LG006 for a block that can no
// longer change, 22023 for nothing to change or an expiry not after now and
// the block's start); the glue stores the row, the amendment entry (amount
// 0, the old and new values in its metadata) and credits.grant.updated, and
// lowers the wallet's next_due_at to an earlier expiry.
#include "amend.hpp"
#include "args.hpp"
#include "catch_up.hpp"
#include "error.hpp"
#include "fingerprint.hpp"
#include "guard.hpp"
#include "operations.hpp"
#include "settings.hpp"
#include "validate.hpp"

namespace credit_ledger::pg {
namespace {

struct AmendArgs {
  std::string customer_id;
  std::int64_t grant_id = 0;
  GrantUpdate update;
  std::optional<std::string> reason;
  std::optional<std::string> idempotency_key;
};

AmendArgs ReadAmendArgs(FunctionCallInfo fcinfo) {
  Args args(fcinfo);
  AmendArgs a;
  a.customer_id = args.Text(0, "customer_id");
  a.grant_id = args.Int64(1, "grant_id");
  a.update.expires_at = args.OptTimestamp(2, "expires_at");
  if (!args.IsNull(3)) a.update.priority = args.Int32(3, "priority");
  a.reason = args.OptText(4);
  a.idempotency_key = args.OptText(5);
  CheckCustomerAndKey(a.customer_id, a.idempotency_key);
  CheckOptionalText("reason", a.reason, kMaxReasonChars);
  if (a.update.priority) CheckPriority(*a.update.priority);
  if (!a.update.expires_at && !a.update.priority) {
    throw LedgerError(ErrorCode::kInvalidParameter, "nothing to change",
                      "Give a new expires_at or priority.");
  }
  return a;
}

// Locks the wallet of the customer's block (LG004 for another customer's
// or an unknown one), caught up to now, and reads the block.
Block LockBlock(Ledger& ledger, const AmendArgs& a, Micros now,
                std::optional<Wallet>& wallet) {
  const auto [owner, credit_type] = ledger.GrantOwner(a.grant_id);
  if (owner != a.customer_id) {
    throw LedgerError(ErrorCode::kNotFound,
                      "grant " + std::to_string(a.grant_id) + " does not exist",
                      "No grant with this id belongs to customer \"" +
                          a.customer_id + "\".");
  }
  wallet = LockForWrite(ledger, a.customer_id, credit_type, now);
  std::optional<Block> block =
      wallet ? ledger.ReadBlock(*wallet, a.grant_id) : std::nullopt;
  if (!block) {
    throw LedgerError(ErrorCode::kInternal, "a grant's wallet has no block");
  }
  return *block;
}

void Amend(Ledger& ledger, const AmendArgs& a) {
  const OperationRequest request{
      "amend", a.customer_id, a.idempotency_key,
      AmendFingerprint({a.grant_id, a.update.expires_at, a.update.priority,
                        ViewOf(a.reason)})};
  if (ledger.FindReplay(request)) return;
  const Micros now = LedgerNow();
  std::optional<Wallet> locked;
  const Block block = LockBlock(ledger, a, now, locked);
  Wallet& wallet = *locked;
  const AmendPlan plan =
      PlanGrantUpdate(AmendTarget{block.row, block.entered, block.pending,
                                  block.canceled, block.held},
                      a.update, now);
  const std::int64_t available = AvailableNow(ledger, wallet, now);

  OperationResult result = MakeResult(wallet, now, plan.draft ? 1 : 0);
  result.grant_id = a.grant_id;
  result.balance = available;
  auto operation_id = ledger.InsertOperation(request, result);
  if (!operation_id) {
    ledger.ReplayAfterConflict(request);
    return;
  }
  ledger.SaveTerms(wallet, plan.row);
  if (wallet.timed && plan.row.expires_at < block.row.expires_at) {
    wallet.next_due_at = LowerDueAt(wallet.next_due_at, plan.row.expires_at);
  }
  EntryLabels labels;
  labels.reason = a.reason;
  labels.metadata = JsonObject(JsonbDatum(plan.metadata), "metadata");
  std::vector<EntryDraft> drafts;
  if (plan.draft) drafts.push_back(*plan.draft);
  Conclude(ledger, wallet, MakeContext(*operation_id, now, labels), drafts,
           available,
           {GrantUpdatedEvent(SubjectOf(wallet, *operation_id), plan)});
}

}  // namespace
}  // namespace credit_ledger::pg

CL_FUNCTION(credit_grant_update) {
  using namespace credit_ledger::pg;
  const AmendArgs a = ReadAmendArgs(fcinfo);
  Ledger ledger;
  Amend(ledger, a);
  ledger.Finish();
  PG_RETURN_VOID();
}
