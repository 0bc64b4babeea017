// credit_consume: draws usage down from a wallet's grants in the contract's
// order, atomically with the caller's transaction.
#include "amount.hpp"
#include "args.hpp"
#include "canonical.hpp"
#include "error.hpp"
#include "guard.hpp"
#include "ledger.hpp"
#include "plan.hpp"
#include "result.hpp"
#include "settings.hpp"
#include "spi.hpp"
#include "validate.hpp"

namespace credit_ledger::pg {
namespace {

struct ConsumeArgs {
  std::string customer_id;
  std::string credit_type;
  std::string amount;
  std::optional<std::string> idempotency_key;
  std::optional<std::string> feature;
  std::optional<std::string> source_id;
  std::optional<Micros> occurred_at;
  Args::Json metadata;
};

ConsumeArgs ReadConsumeArgs(FunctionCallInfo fcinfo) {
  Args args(fcinfo);
  ConsumeArgs a;
  a.customer_id = args.Text(0, "customer_id");
  a.credit_type = args.Text(1, "credit_type");
  a.amount = args.Decimal(2, "amount");
  a.idempotency_key = args.OptText(3);
  a.feature = args.OptText(4);
  a.source_id = args.OptText(5);
  a.occurred_at = args.OptTimestamp(6, "occurred_at");
  a.metadata = args.OptJsonObject(7, "metadata");

  CheckText("customer_id", a.customer_id, kMaxCustomerIdChars);
  if (DecimalSign(a.amount) <= 0) {
    throw LedgerError(ErrorCode::kInvalidParameter, "amount must be positive",
                      "The amount given was " + a.amount + ".");
  }
  if (a.idempotency_key) {
    CheckText("idempotency_key", *a.idempotency_key, kMaxIdempotencyKeyChars);
  }
  if (a.feature) CheckText("feature", *a.feature, kMaxLabelChars);
  if (a.source_id) CheckText("source_id", *a.source_id, kMaxLabelChars);
  return a;
}

Digest Fingerprint(const ConsumeArgs& a) {
  return Canonical("consume")
      .Text(a.credit_type)
      .Text(NormalizeDecimal(a.amount))
      .Text(a.feature)
      .Text(a.source_id)
      .Int(a.occurred_at)
      .Text(a.metadata.text)
      .Hash();
}

OperationOutcome Consume(const ConsumeArgs& a) {
  OperationRequest request{"consume", a.customer_id, a.idempotency_key,
                           Fingerprint(a)};
  if (auto op = FindReplay(request)) return ReplayOutcome(*op);

  const Micros now = LedgerNow();
  std::optional<Wallet> found = LockWallet(a.customer_id, a.credit_type);
  if (!found) {
    // Validate the amount against the type before saying there is nothing.
    ParseAmount(a.amount, RequireCreditType(a.credit_type));
    throw LedgerError(ErrorCode::kInsufficientCredits, "insufficient credits",
                      "Customer \"" + a.customer_id + "\" has no " +
                          a.credit_type + " wallet.");
  }
  Wallet& wallet = *found;
  const std::int64_t units = ParseAmount(a.amount, wallet.scale);

  const std::vector<OpenGrant> grants = ReadOpenGrants(wallet);
  const ConsumePlan plan = PlanConsume(PlannerState(wallet, grants), now, units);

  std::vector<EntryDraft> drafts;
  AddRepaymentEntries(drafts, grants, plan.repayments);
  AddDrawEntries(drafts, grants, plan.draws, EntryType::kUsage);
  if (plan.uncovered > 0) {
    EntryDraft debt;
    debt.type = EntryType::kUsage;
    debt.amount = -plan.uncovered;
    drafts.push_back(debt);
  }

  OperationResult result;
  result.wallet_id = wallet.wallet_id;
  result.credit_type = wallet.credit_type;
  result.scale = wallet.scale;
  result.amount = units;
  result.balance = plan.spendable_after;
  result.first_seq = wallet.last_seq + 1;
  result.last_seq = wallet.last_seq + static_cast<std::int64_t>(drafts.size());
  result.created_at = now;
  auto operation_id = InsertOperation(request, result);
  if (!operation_id) return ReplayOutcome(FindReplay(request).value());

  SaveRemaining(wallet, grants, plan.remaining_after);
  EntryContext ctx;
  ctx.operation_id = *operation_id;
  ctx.now = now;
  ctx.occurred_at = a.occurred_at.value_or(now);
  ctx.feature = a.feature;
  ctx.source_id = a.source_id;
  ctx.actor = CurrentActor();
  ctx.metadata = a.metadata.datum;
  ctx.metadata_null = !a.metadata.text.has_value();
  ctx.metadata_text = a.metadata.text;
  AppendEntries(wallet, ctx, drafts);
  SaveWallet(wallet, now);

  OperationOutcome out;
  out.operation_id = *operation_id;
  out.amount = FormatAmount(units, wallet.scale);
  out.balance = FormatAmount(plan.spendable_after, wallet.scale);
  return out;
}

}  // namespace
}  // namespace credit_ledger::pg

CL_FUNCTION(credit_consume) {
  using namespace credit_ledger::pg;
  const ConsumeArgs args = ReadConsumeArgs(fcinfo);
  SpiConnect();
  const OperationOutcome outcome = Consume(args);
  SpiFinish();
  return OperationResultDatum(fcinfo, outcome);
}
