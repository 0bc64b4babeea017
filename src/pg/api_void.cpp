// credit_void: removes a grant's remaining credits with a `void` entry. Credits
// already consumed are untouched; a scheduled grant can be voided before it
// starts; voiding twice, or a grant that has expired, raises LG006.
#include "amount.hpp"
#include "args.hpp"
#include "error.hpp"
#include "guard.hpp"
#include "lifecycle.hpp"
#include "operations.hpp"
#include "settings.hpp"
#include "spi.hpp"
#include "validate.hpp"

namespace credit_ledger::pg {
namespace {

std::string Void(Ledger& ledger, std::int64_t grant_id,
                 const EntryLabels& labels) {
  const auto [customer_id, credit_type] = ledger.GrantOwner(grant_id);
  const Micros now = LedgerNow();
  Wallet wallet = ledger.LockWallet(customer_id, credit_type).value();
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
  Conclude(ledger, wallet, MakeContext(operation_id, now, labels), plan.drafts,
           plan.spendable_after,
           {VoidedEvent(SubjectOf(wallet, operation_id), plan, labels.reason)});
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
