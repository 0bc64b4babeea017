// credit_adjust: a signed manual correction. A positive amount adds a block
// tagged as an adjustment; a negative one draws down in the usual order and
// respects the wallet's limit.
#include "amount.hpp"
#include "args.hpp"
#include "error.hpp"
#include "fingerprint.hpp"
#include "guard.hpp"
#include "operations.hpp"
#include "spi.hpp"
#include "validate.hpp"

CL_FUNCTION(credit_adjust) {
  using namespace credit_ledger;
  using namespace credit_ledger::pg;
  Args args(fcinfo);
  const auto [customer_id, credit_type] = args.Wallet();
  const std::string amount = args.Decimal(2, "amount");
  EntryLabels labels;
  labels.reason = args.Text(3, "reason");
  const auto key = args.OptText(4);
  CheckCustomerAndKey(customer_id, key);
  CheckText("reason", *labels.reason, kMaxReasonChars);
  const Adjustment adjustment = ReadAdjustment(amount);
  const OperationRequest request{
      "adjust", customer_id, key,
      AdjustFingerprint({credit_type, amount, *labels.reason})};

  Ledger ledger;
  OperationOutcome outcome;
  if (adjustment.adds) {
    outcome = AddBlock(ledger, request, credit_type, adjustment.magnitude,
                       AdjustmentBlock(), labels)
                  .operation;
  } else {
    outcome = DrawDown(ledger, request, credit_type, adjustment.magnitude,
                       EntryType::kAdjustment, labels, false);
  }
  ledger.Finish();
  return OperationResultDatum(fcinfo, outcome);
}
