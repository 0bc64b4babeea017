// credit_grant: adds a credit block to a wallet (creating the wallet on first
// grant); a block spendable now repays overdraft debt first.
#include "amount.hpp"
#include "args.hpp"
#include "error.hpp"
#include "fingerprint.hpp"
#include "guard.hpp"
#include "money.hpp"
#include "operations.hpp"
#include "spi.hpp"
#include "validate.hpp"

namespace credit_ledger::pg {
namespace {

struct GrantArgs {
  std::string customer_id;
  std::string credit_type;
  std::optional<std::string> amount;  // NULL with value (issue 14)
  std::optional<std::string> value;
  BlockSpec spec;
  std::optional<std::string> idempotency_key;
  EntryLabels labels;
  bool pending = false;
};

GrantArgs ReadGrantArgs(FunctionCallInfo fcinfo) {
  Args args(fcinfo);
  GrantArgs a;
  a.customer_id = args.Text(0, "customer_id");
  a.credit_type = args.Text(1, "credit_type");
  a.amount = args.OptDecimal(2, "amount");
  a.spec.promotional = args.Bool(3, "promotional");
  a.spec.priority = args.Int32(4, "priority");
  a.spec.cost_basis = args.OptDecimal(5, "cost_basis");
  a.spec.effective_at = args.OptTimestamp(6, "effective_at");
  a.spec.expires_at = args.OptExpiry(7, "expires_at");
  a.idempotency_key = args.OptText(8);
  a.labels.reason = args.OptText(9);
  a.labels.source_id = args.OptText(10);
  a.labels.metadata = args.OptJsonObject(11, "metadata");
  // 1.2 appended pending; the 1.0 and 1.1 definitions pass 12 arguments.
  if (PG_NARGS() > 12) a.pending = args.Bool(12, "pending");
  // and value (Monk's dollar mode: amount NULL, value / cost_basis credits).
  if (PG_NARGS() > 13) a.value = args.OptDecimal(13, "value");

  CheckText("customer_id", a.customer_id, kMaxCustomerIdChars);
  if (!a.amount && !a.value) args.Decimal(2, "amount");  // 22004, as 1.1
  if (a.amount && a.value) {
    // GrantUnits refuses both (22023) before it reads anything else, so
    // before the credit type is looked up.
    GrantUnits(a.amount, a.value, a.spec.cost_basis, 0);
  }
  if (a.amount) CheckPositiveAmount(*a.amount);
  CheckPriority(a.spec.priority);
  CheckCostBasis(a.spec.cost_basis);
  CheckOptionalText("idempotency_key", a.idempotency_key,
                    kMaxIdempotencyKeyChars);
  CheckOptionalText("reason", a.labels.reason, kMaxReasonChars);
  CheckOptionalText("source_id", a.labels.source_id, kMaxLabelChars);
  return a;
}

Digest Fingerprint(const GrantArgs& a, const std::string& amount) {
  GrantFingerprintInput f;
  f.credit_type = a.credit_type;
  f.amount = amount;
  f.value = ViewOf(a.value);
  f.promotional = a.spec.promotional;
  f.priority = a.spec.priority;
  f.cost_basis = ViewOf(a.spec.cost_basis);
  f.effective_at = a.spec.effective_at;
  f.expires_at = a.spec.expires_at;
  f.reason = ViewOf(a.labels.reason);
  f.source_id = ViewOf(a.labels.source_id);
  f.metadata = ViewOf(a.labels.metadata.text);
  f.pending = a.pending;
  return GrantFingerprint(f);
}

std::string ValueAmount(Ledger& ledger, const GrantArgs& a) {
  const int scale = ledger.RequireCreditType(a.credit_type);
  return FormatAmount(
      GrantUnits(std::nullopt, a.value, a.spec.cost_basis, scale), scale);
}

}  // namespace
}  // namespace credit_ledger::pg

CL_FUNCTION(credit_grant) {
  using namespace credit_ledger::pg;
  const GrantArgs a = ReadGrantArgs(fcinfo);
  Ledger ledger;
  // With value, the amount is value / cost_basis, exact at the type's scale.
  const std::string amount = a.amount ? *a.amount : ValueAmount(ledger, a);
  const OperationRequest request{"grant", a.customer_id, a.idempotency_key,
                                 Fingerprint(a, amount)};
  const BlockOutcome out = AddBlock(ledger, request, a.credit_type, amount,
                                    a.spec, a.labels, a.pending);
  ledger.Finish();
  return Int64GetDatum(out.grant_id);
}
