// Prices and usage in product units (1.2): credit_price_set adds a price;
// credit_report_usage prices a quantity and consumes the credits through
// credit_consume's path (DrawDown), the price recorded on its usage entries.
#include "args.hpp"
#include "error.hpp"
#include "guard.hpp"
#include "operations.hpp"
#include "settings.hpp"
#include "spi.hpp"
#include "usage.hpp"

namespace credit_ledger::pg {
namespace {

// The credit type is checked in the same statement (LG003 when it inserts
// nothing): no foreign key points at credit_types (DESIGN, Storage).
Statement insert_price(
    "INSERT INTO credit_ledger.prices"
    "       (feature, credit_type, customer_id, credits_per_unit, rounding,"
    "        effective_at, created_at)"
    "SELECT $1, t.credit_type, $3, $4, $5, $6, $7"
    "  FROM credit_ledger.credit_types t WHERE t.credit_type = $2"
    " RETURNING price_id",
    {TEXTOID, TEXTOID, TEXTOID, NUMERICOID, TEXTOID, TIMESTAMPTZOID,
     TIMESTAMPTZOID});

PriceArgs ReadPriceArgs(FunctionCallInfo fcinfo) {
  Args args(fcinfo);
  PriceArgs a;
  a.feature = args.OptText(0);
  a.credit_type = args.OptText(1);
  if (!args.IsNull(2)) a.credits_per_unit = args.Decimal(2, "credits_per_unit");
  a.customer_id = args.OptText(3);
  a.effective_at = args.OptTimestamp(4, "effective_at");
  a.rounding = args.OptText(5);
  return a;
}

ConsumeRequest ReadUsageArgs(FunctionCallInfo fcinfo) {
  Args args(fcinfo);
  ConsumeRequest r;
  r.customer_id = args.Text(0, "customer_id");
  r.labels.feature = args.Text(1, "feature");
  r.quantity = args.Decimal(2, "quantity");
  r.idempotency_key = args.OptText(3);
  r.labels.occurred_at = args.OptTimestamp(4, "occurred_at");
  r.labels.source_id = args.OptText(5);
  r.labels.metadata = args.OptJsonObject(6, "metadata");
  r.allow_partial = args.Bool(7, "allow_partial");
  ValidateUsage(r, LedgerNow());
  return r;
}

}  // namespace
}  // namespace credit_ledger::pg

CL_FUNCTION(credit_price_set) {
  using namespace credit_ledger;
  using namespace credit_ledger::pg;
  const Micros now = LedgerNow();
  const PriceSpec spec = CheckPriceSet(ReadPriceArgs(fcinfo), now);
  SpiConnect();
  Params p;
  p.Text(spec.feature)
      .Text(spec.credit_type)
      .Text(spec.customer_id)
      .NumericText(spec.credits_per_unit)
      .Text(RoundingName(spec.rounding))
      .Timestamp(spec.effective_at)
      .Timestamp(now);
  Rows rows = Execute(insert_price, p);
  if (rows.empty()) {
    throw LedgerError(ErrorCode::kUnknownCreditType,
                      "credit type \"" + spec.credit_type + "\" does not exist",
                      "", "Create it first with credit_type_create().");
  }
  const std::int64_t price_id = rows[0].Int64(1);
  SpiFinish();
  return Int64GetDatum(price_id);
}

CL_FUNCTION(credit_report_usage) {
  using namespace credit_ledger;
  using namespace credit_ledger::pg;
  ConsumeRequest r = ReadUsageArgs(fcinfo);
  const OperationRequest request = UsageOperation(r);
  Ledger ledger;
  // A replay answers first, as in the batch: what was stored, whatever the
  // prices say today (a price since removed or changed is no LG007 or 22003).
  if (auto op = ledger.FindReplay(request)) {
    ledger.Finish();
    return OperationResultDatum(fcinfo, ReplayOutcome(*op));
  }
  PriceBook book(ledger, false);
  const PriceRow price =
      book.Choose(r.customer_id, *r.labels.feature, PricedAt(r, LedgerNow()));
  PriceRequest(r, price, ledger.RequireCreditType(price.credit_type));
  const OperationOutcome outcome =
      DrawDownNew(ledger, request, r.credit_type, r.amount, EntryType::kUsage,
                  r.labels, r.allow_partial);
  ledger.Finish();
  return OperationResultDatum(fcinfo, outcome);
}
