// credit_consume: draws usage down from a wallet's grants in the contract's
// order, atomically with the caller's transaction.
#include "args.hpp"
#include "guard.hpp"
#include "operations.hpp"
#include "settings.hpp"
#include "spi.hpp"

namespace credit_ledger::pg {
namespace {

ConsumeRequest ReadConsumeArgs(FunctionCallInfo fcinfo) {
  Args args(fcinfo);
  ConsumeRequest r;
  r.customer_id = args.Text(0, "customer_id");
  r.credit_type = args.Text(1, "credit_type");
  r.amount = args.Decimal(2, "amount");
  r.idempotency_key = args.OptText(3);
  r.labels.feature = args.OptText(4);
  r.labels.source_id = args.OptText(5);
  r.labels.occurred_at = args.OptTimestamp(6, "occurred_at");
  r.labels.metadata = args.OptJsonObject(7, "metadata");
  // The 1.1 definition has 8 arguments: the same library serves it until
  // ALTER EXTENSION ... UPDATE replaces it.
  if (PG_NARGS() > 8) r.allow_partial = args.Bool(8, "allow_partial");
  ValidateConsume(r, LedgerNow());
  return r;
}

}  // namespace
}  // namespace credit_ledger::pg

CL_FUNCTION(credit_consume) {
  using namespace credit_ledger::pg;
  const ConsumeRequest a = ReadConsumeArgs(fcinfo);
  const OperationRequest request = ConsumeOperation(a);
  Ledger ledger;
  const OperationOutcome outcome =
      DrawDown(ledger, request, a.credit_type, a.amount,
               credit_ledger::EntryType::kUsage, a.labels, a.allow_partial);
  ledger.Finish();
  return OperationResultDatum(fcinfo, outcome);
}
