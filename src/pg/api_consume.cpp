// credit_consume: draws usage down from a wallet's grants in the contract's
// order, atomically with the caller's transaction.
#include "amount.hpp"
#include "args.hpp"
#include "canonical.hpp"
#include "error.hpp"
#include "guard.hpp"
#include "operations.hpp"
#include "spi.hpp"
#include "validate.hpp"

namespace credit_ledger::pg {
namespace {

struct ConsumeArgs {
  std::string customer_id;
  std::string credit_type;
  std::string amount;
  std::optional<std::string> idempotency_key;
  EntryLabels labels;
};

ConsumeArgs ReadConsumeArgs(FunctionCallInfo fcinfo) {
  Args args(fcinfo);
  ConsumeArgs a;
  a.customer_id = args.Text(0, "customer_id");
  a.credit_type = args.Text(1, "credit_type");
  a.amount = args.Decimal(2, "amount");
  a.idempotency_key = args.OptText(3);
  a.labels.feature = args.OptText(4);
  a.labels.source_id = args.OptText(5);
  a.labels.occurred_at = args.OptTimestamp(6, "occurred_at");
  a.labels.metadata = args.OptJsonObject(7, "metadata");

  CheckText("customer_id", a.customer_id, kMaxCustomerIdChars);
  if (DecimalSign(a.amount) <= 0) {
    throw LedgerError(ErrorCode::kInvalidParameter, "amount must be positive",
                      "The amount given was " + a.amount + ".");
  }
  if (a.idempotency_key) {
    CheckText("idempotency_key", *a.idempotency_key, kMaxIdempotencyKeyChars);
  }
  if (a.labels.feature) CheckText("feature", *a.labels.feature, kMaxLabelChars);
  if (a.labels.source_id) {
    CheckText("source_id", *a.labels.source_id, kMaxLabelChars);
  }
  return a;
}

Digest Fingerprint(const ConsumeArgs& a) {
  return Canonical("consume")
      .Text(a.credit_type)
      .Text(NormalizeDecimal(a.amount))
      .Text(a.labels.feature)
      .Text(a.labels.source_id)
      .Int(a.labels.occurred_at)
      .Text(a.labels.metadata.text)
      .Hash();
}

}  // namespace
}  // namespace credit_ledger::pg

CL_FUNCTION(credit_consume) {
  using namespace credit_ledger::pg;
  const ConsumeArgs a = ReadConsumeArgs(fcinfo);
  const OperationRequest request{"consume", a.customer_id, a.idempotency_key,
                                 Fingerprint(a)};
  Ledger ledger;
  const OperationOutcome outcome =
      DrawDown(ledger, request, a.credit_type, a.amount,
               credit_ledger::EntryType::kUsage, a.labels);
  ledger.Finish();
  return OperationResultDatum(fcinfo, outcome);
}
