// credit_void: removes a grant's remaining credits with a `void` entry. Credits
// already consumed are untouched; a scheduled grant can be voided before it
// starts; voiding twice, or a grant that has expired, raises LG006.
#include "amount.hpp"
#include "args.hpp"
#include "error.hpp"
#include "guard.hpp"
#include "operations.hpp"
#include "settings.hpp"
#include "spi.hpp"
#include "validate.hpp"

namespace credit_ledger::pg {
namespace {

std::string Void(Ledger& ledger, std::int64_t grant_id, const EntryLabels& labels) {
  const auto [customer_id, credit_type] = ledger.GrantOwner(grant_id);
  const Micros now = LedgerNow();
  Wallet wallet = ledger.LockWallet(customer_id, credit_type).value();
  GrantRow grant = ledger.ReadGrant(wallet, grant_id);
  const std::string id = std::to_string(grant_id);
  if (grant.voided_at) {
    throw LedgerError(ErrorCode::kInvalidState,
                      "grant " + id + " is already voided");
  }
  if (grant.expired_at || grant.expires_at <= now) {
    throw LedgerError(ErrorCode::kInvalidState, "grant " + id + " has expired",
                      "Its remaining credits lapsed at its expires_at; the "
                      "expiration sweep removes them, a void cannot.");
  }

  // What can be spent afterwards: the void takes the grant's credits out of
  // the spendable balance only if it has started (a scheduled grant's never
  // counted).
  const std::int64_t before = ledger.Spendable(wallet, now);
  const std::int64_t balance =
      grant.effective_at <= now ? SubUnits(before, grant.remaining) : before;

  std::vector<EntryDraft> drafts;
  if (grant.remaining > 0) {
    EntryDraft e;
    e.type = EntryType::kVoid;
    e.amount = -grant.remaining;
    e.grant_id = grant_id;
    e.promotional = grant.promotional;
    e.cost_basis = grant.cost_basis;
    drafts.push_back(e);
  }
  const std::int64_t voided = grant.remaining;
  OperationResult result = MakeResult(wallet, now, drafts.size());
  result.amount = voided;
  result.grant_id = grant_id;
  const std::int64_t operation_id =
      ledger.InsertOperation(OperationRequest{"void", customer_id, std::nullopt, {}},
                      result)
          .value();

  grant.voided_at = now;
  grant.voided_amount = AddUnits(grant.voided_amount, voided);
  grant.remaining = 0;
  ledger.SaveGrant(wallet, grant);
  Conclude(ledger, wallet, MakeContext(operation_id, now, labels), drafts, balance,
           {VoidedEvent(wallet, operation_id, grant_id, voided, labels.reason,
                        balance)});
  return FormatAmount(voided, wallet.scale);
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
