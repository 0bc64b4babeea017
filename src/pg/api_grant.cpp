// credit_grant: adds a credit block to a wallet (creating the wallet on first
// grant); an effective grant repays overdraft debt first.
#include "amount.hpp"
#include "args.hpp"
#include "canonical.hpp"
#include "error.hpp"
#include "guard.hpp"
#include "ledger.hpp"
#include "plan.hpp"
#include "settings.hpp"
#include "spi.hpp"
#include "validate.hpp"

namespace credit_ledger::pg {
namespace {

struct GrantArgs {
  std::string customer_id;
  std::string credit_type;
  std::string amount;
  bool promotional = false;
  std::int32_t priority = 50;
  std::optional<std::string> cost_basis;
  std::optional<Micros> effective_at;
  std::optional<Micros> expires_at;
  std::optional<std::string> idempotency_key;
  std::optional<std::string> reason;
  std::optional<std::string> source_id;
  Args::Json metadata;
};

GrantArgs ReadGrantArgs(FunctionCallInfo fcinfo) {
  Args args(fcinfo);
  GrantArgs a;
  a.customer_id = args.Text(0, "customer_id");
  a.credit_type = args.Text(1, "credit_type");
  a.amount = args.Decimal(2, "amount");
  a.promotional = args.Bool(3, "promotional");
  a.priority = args.Int32(4, "priority");
  a.cost_basis = args.OptDecimal(5, "cost_basis");
  a.effective_at = args.OptTimestamp(6, "effective_at");
  a.expires_at = args.OptExpiry(7, "expires_at");
  a.idempotency_key = args.OptText(8);
  a.reason = args.OptText(9);
  a.source_id = args.OptText(10);
  a.metadata = args.OptJsonObject(11, "metadata");

  CheckText("customer_id", a.customer_id, kMaxCustomerIdChars);
  if (DecimalSign(a.amount) <= 0) {
    throw LedgerError(ErrorCode::kInvalidParameter, "amount must be positive",
                      "The amount given was " + a.amount + ".");
  }
  CheckPriority(a.priority);
  if (a.cost_basis && DecimalSign(*a.cost_basis, "cost_basis") < 0) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "cost_basis must not be negative",
                      "The cost basis given was " + *a.cost_basis + ".");
  }
  if (a.idempotency_key) {
    CheckText("idempotency_key", *a.idempotency_key, kMaxIdempotencyKeyChars);
  }
  if (a.reason) CheckText("reason", *a.reason, kMaxReasonChars);
  if (a.source_id) CheckText("source_id", *a.source_id, kMaxLabelChars);
  return a;
}

Digest Fingerprint(const GrantArgs& a) {
  Canonical c("grant");
  c.Text(a.credit_type)
      .Text(NormalizeDecimal(a.amount))
      .Bool(a.promotional)
      .Int(std::int64_t{a.priority});
  if (a.cost_basis) {
    c.Text(NormalizeDecimal(*a.cost_basis, "cost_basis"));
  } else {
    c.Null();
  }
  c.Int(a.effective_at)
      .Int(a.expires_at)
      .Text(a.reason)
      .Text(a.source_id)
      .Text(a.metadata.text);
  return c.Hash();
}

// Returns the new (or replayed) grant id.
std::int64_t Grant(const GrantArgs& a) {
  OperationRequest request{"grant", a.customer_id, a.idempotency_key,
                           Fingerprint(a)};
  if (auto op = FindReplay(request)) return op->grant_id.value_or(0);

  const Micros now = LedgerNow();
  const Micros effective_at = a.effective_at.value_or(now);
  if (a.expires_at && a.effective_at && *a.expires_at <= effective_at) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "expires_at must be after effective_at",
                      "A grant is spendable while effective_at <= now < "
                      "expires_at, so this one could never be spent.");
  }
  if (a.expires_at && *a.expires_at <= now) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "expires_at is already past",
                      "A grant that has expired when it is granted could "
                      "never be spent.");
  }

  Wallet wallet = LockOrCreateWallet(a.customer_id, a.credit_type, now);
  const std::int64_t units = ParseAmount(a.amount, wallet.scale);

  OpenGrant block;
  block.state.grant_id = NextGrantId();
  block.state.priority = a.priority;
  block.state.effective_at = effective_at;
  block.state.expires_at = a.expires_at.value_or(kNever);
  block.state.promotional = a.promotional;
  block.state.remaining = units;
  block.cost_basis = a.cost_basis;

  // Debt is repaid from what is spendable now, the new block included.
  std::vector<OpenGrant> grants;
  if (wallet.debt > 0) grants = ReadOpenGrants(wallet);
  grants.push_back(block);
  const ConsumePlan plan = PlanConsume(PlannerState(wallet, grants), now, 0);

  std::vector<EntryDraft> drafts;
  EntryDraft granted;
  granted.type = EntryType::kGrant;
  granted.amount = units;
  granted.grant_id = block.state.grant_id;
  granted.promotional = a.promotional;
  granted.cost_basis = a.cost_basis;
  granted.occurred_at = effective_at;
  drafts.push_back(granted);
  AddRepaymentEntries(drafts, grants, plan.repayments);

  OperationResult result;
  result.wallet_id = wallet.wallet_id;
  result.credit_type = wallet.credit_type;
  result.scale = wallet.scale;
  result.amount = units;
  result.grant_id = block.state.grant_id;
  result.first_seq = wallet.last_seq + 1;
  result.last_seq = wallet.last_seq + static_cast<std::int64_t>(drafts.size());
  result.created_at = now;
  auto operation_id = InsertOperation(request, result);
  if (!operation_id) return FindReplay(request).value().grant_id.value_or(0);

  NewGrant row;
  row.grant_id = block.state.grant_id;
  row.amount = units;
  row.remaining = plan.remaining_after.back();
  row.promotional = a.promotional;
  row.priority = a.priority;
  row.cost_basis = a.cost_basis;
  row.effective_at = effective_at;
  row.expires_at = a.expires_at;
  row.reason = a.reason;
  row.source_id = a.source_id;
  row.metadata = a.metadata.datum;
  row.metadata_null = !a.metadata.text.has_value();
  row.operation_id = *operation_id;
  InsertGrant(wallet, row, now);
  grants.pop_back();
  std::vector<std::int64_t> others(plan.remaining_after.begin(),
                                   plan.remaining_after.end() - 1);
  SaveRemaining(wallet, grants, others);

  EntryContext ctx;
  ctx.operation_id = *operation_id;
  ctx.now = now;
  ctx.occurred_at = now;
  ctx.source_id = a.source_id;
  ctx.reason = a.reason;
  ctx.actor = CurrentActor();
  ctx.metadata = a.metadata.datum;
  ctx.metadata_null = !a.metadata.text.has_value();
  ctx.metadata_text = a.metadata.text;
  AppendEntries(wallet, ctx, drafts);
  SaveWallet(wallet, now);
  return block.state.grant_id;
}

}  // namespace
}  // namespace credit_ledger::pg

CL_FUNCTION(credit_grant) {
  const auto args = credit_ledger::pg::ReadGrantArgs(fcinfo);
  credit_ledger::pg::SpiConnect();
  const std::int64_t grant_id = credit_ledger::pg::Grant(args);
  credit_ledger::pg::SpiFinish();
  return Int64GetDatum(grant_id);
}
