// credit_type_create and credit_wallet_configure: defining currencies of
// credits and the policy of a customer's wallet.
#include "amount.hpp"
#include "args.hpp"
#include "error.hpp"
#include "guard.hpp"
#include "ledger.hpp"
#include "settings.hpp"
#include "spi.hpp"
#include "validate.hpp"

#include <algorithm>

namespace credit_ledger::pg {
namespace {

Statement insert_credit_type(
    "INSERT INTO credit_ledger.credit_types"
    "       (credit_type, scale, unit_singular, unit_plural, description,"
    "        created_at)"
    "VALUES ($1, $2, $3, $4, $5, $6)",
    {TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID});

Statement configure_wallet(
    "UPDATE credit_ledger.wallets"
    "   SET overdraft_limit = $3, low_balance_thresholds = $4::numeric[],"
    "       updated_at = $5, low_balance_alerted = $6::numeric[],"
    "       depleted_alerted = $7"
    " WHERE wallet_id = $1 AND customer_id = $2",
    {INT8OID, TEXTOID, NUMERICOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, BOOLOID});

}  // namespace
}  // namespace credit_ledger::pg

using namespace credit_ledger;
using namespace credit_ledger::pg;

CL_FUNCTION(credit_type_create) {
  Args args(fcinfo);
  const std::string credit_type = args.Text(0, "credit_type");
  const std::int32_t scale = args.Int32(1, "scale");
  const auto unit_singular = args.OptText(2);
  const auto unit_plural = args.OptText(3);
  const auto description = args.OptText(4);
  CheckCreditTypeName(credit_type);
  CheckScale(scale);
  CheckOptionalText("unit_singular", unit_singular, kMaxLabelChars);
  CheckOptionalText("unit_plural", unit_plural, kMaxLabelChars);
  CheckOptionalText("description", description, kMaxReasonChars);

  SpiConnect();
  Params p;
  p.Text(credit_type)
      .Int32(scale)
      .Text(unit_singular)
      .Text(unit_plural)
      .Text(description)
      .Timestamp(LedgerNow());
  Execute(insert_credit_type, p);
  SpiFinish();
  return 0;
}

CL_FUNCTION(credit_wallet_configure) {
  Args args(fcinfo);
  const std::string customer_id = args.Text(0, "customer_id");
  const std::string credit_type = args.Text(1, "credit_type");
  const auto limit_text = args.OptDecimal(2, "overdraft_limit");
  const auto threshold_texts = args.DecimalArray(3, "low_balance_thresholds");
  CheckText("customer_id", customer_id, kMaxCustomerIdChars);

  Ledger ledger;
  const Micros now = LedgerNow();
  Wallet wallet = ledger.LockOrCreateWallet(customer_id, credit_type, now);
  std::optional<std::int64_t> limit;
  if (limit_text) {
    limit = ParseAmount(*limit_text, wallet.scale, "overdraft_limit");
    if (*limit < 0) {
      throw LedgerError(ErrorCode::kInvalidParameter,
                        "overdraft_limit must not be negative",
                        "Use 0 for a hard limit and NULL for no limit.");
    }
  }
  std::vector<std::int64_t> thresholds;
  for (const std::string& t : threshold_texts) {
    const std::int64_t units = ParseAmount(t, wallet.scale, "low_balance_thresholds");
    if (units <= 0) {
      throw LedgerError(ErrorCode::kInvalidParameter,
                        "low_balance_thresholds must be positive",
                        "The value given was " + t + ".");
    }
    thresholds.push_back(units);
  }
  // Stored highest first, without duplicates: the order they are crossed.
  std::sort(thresholds.rbegin(), thresholds.rend());
  thresholds.erase(std::unique(thresholds.begin(), thresholds.end()),
                   thresholds.end());
  // Thresholds the balance is already below count as crossed: alerts fire
  // on the next crossing, not retroactively for the configuration itself.
  const std::int64_t balance = ledger.Spendable(wallet, now);
  AlertState all_sent;
  all_sent.fired = thresholds;
  all_sent.depleted = true;
  const AlertState alerts = EvaluateAlerts(thresholds, all_sent, balance).next;

  Params p;
  p.Int64(wallet.wallet_id)
      .Text(customer_id)
      .Units(limit, wallet.scale)
      .Text(UnitsArrayText(thresholds, wallet.scale))
      .Timestamp(now)
      .Text(UnitsArrayText(alerts.fired, wallet.scale))
      .Bool(alerts.depleted);
  ledger.UseSpi();
  Execute(configure_wallet, p);
  ledger.Finish();
  return Int64GetDatum(wallet.wallet_id);
}
