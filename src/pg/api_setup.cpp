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
  const WalletConfig config =
      ParseWalletConfig(limit_text, threshold_texts, wallet.scale);
  const AlertState alerts =
      ConfiguredAlerts(config.thresholds, ledger.Spendable(wallet, now));

  Params p;
  p.Int64(wallet.wallet_id)
      .Text(customer_id)
      .Units(config.overdraft_limit, wallet.scale)
      .Text(UnitsArrayText(config.thresholds, wallet.scale))
      .Timestamp(now)
      .Text(UnitsArrayText(alerts.fired, wallet.scale))
      .Bool(alerts.depleted);
  ledger.UseSpi();
  Execute(configure_wallet, p);
  ledger.Finish();
  return Int64GetDatum(wallet.wallet_id);
}
