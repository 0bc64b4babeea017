// credit_type_create, credit_type_update and credit_wallet_configure:
// defining currencies of credits and the policy of a customer's wallet.
#include "amount.hpp"
#include "args.hpp"
#include "drawdown.hpp"
#include "error.hpp"
#include "grant_usage.hpp"
#include "guard.hpp"
#include "ledger.hpp"
#include "money.hpp"
#include "settings.hpp"
#include "spi.hpp"
#include "validate.hpp"

namespace credit_ledger::pg {
namespace {

Statement insert_credit_type(
    "INSERT INTO credit_ledger.credit_types"
    "       (credit_type, scale, unit_singular, unit_plural, description,"
    "        created_at, currency)"
    "VALUES ($1, $2, $3, $4, $5, $6, $7)",
    {TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID});

// Before the upgrade to 1.2 the table has no currency; without one the
// column keeps its default (NULL).
Statement insert_credit_type_1_1(
    "INSERT INTO credit_ledger.credit_types"
    "       (credit_type, scale, unit_singular, unit_plural, description,"
    "        created_at)"
    "VALUES ($1, $2, $3, $4, $5, $6)",
    {TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID});

Statement configure_wallet(
    "UPDATE credit_ledger.wallets"
    "   SET overdraft_limit = $3, low_balance_thresholds = $4::numeric[],"
    "       updated_at = $5, low_balance_alerted = $6::numeric[],"
    "       depleted_alerted = $7"
    " WHERE wallet_id = $1 AND customer_id = $2",
    {INT8OID, TEXTOID, NUMERICOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, BOOLOID});

// 1.2 (issue 14): the draw-down policy and the block usage thresholds.
Statement configure_policy(
    "UPDATE credit_ledger.wallets"
    "   SET drawdown_order = $3, grant_usage_thresholds = $4::numeric[]"
    " WHERE wallet_id = $1 AND customer_id = $2",
    {INT8OID, TEXTOID, TEXTOID, TEXTOID});

Statement
    update_credit_type("UPDATE credit_ledger.credit_types"
                       "   SET unit_singular = coalesce($2, unit_singular),"
                       "       unit_plural = coalesce($3, unit_plural),"
                       "       description = coalesce($4, description),"
                       "       currency = coalesce($5, currency)"
                       " WHERE credit_type = $1",
                       {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID});

// What credit_type_create and credit_type_update take besides the name.
struct TypeLabels {
  std::optional<std::string> unit_singular, unit_plural, description, currency;
};

TypeLabels ReadTypeLabels(const Args& args, int first, bool has_currency) {
  TypeLabels l;
  l.unit_singular = args.OptText(first);
  l.unit_plural = args.OptText(first + 1);
  l.description = args.OptText(first + 2);
  if (has_currency) l.currency = args.OptText(first + 3);
  CheckOptionalText("unit_singular", l.unit_singular, kMaxLabelChars);
  CheckOptionalText("unit_plural", l.unit_plural, kMaxLabelChars);
  CheckOptionalText("description", l.description, kMaxReasonChars);
  CheckCurrency(l.currency);
  return l;
}

// credit_wallet_configure's 1.2 arguments, parsed by the core.
struct WalletPolicy {
  DrawdownPolicy order = DrawdownPolicy::kExpiryFirst;
  std::vector<Percent> thresholds;
};

// "{50,80,100}": the thresholds as given, without trailing zeros.
std::string PercentArrayText(const std::vector<Percent>& thresholds) {
  std::string text = "{";
  for (const Percent t : thresholds) {
    if (text.size() > 1) text += ',';
    text += FormatPercent(t);
  }
  return text + "}";
}

WalletPolicy ReadWalletPolicy(const Args& args) {
  WalletPolicy p;
  p.order = ParseDrawdownPolicy(args.Text(4, "drawdown_order"));
  std::vector<std::optional<std::string>> given;
  for (std::string& t : args.DecimalArray(5, "grant_usage_thresholds")) {
    given.emplace_back(std::move(t));
  }
  p.thresholds = ParseGrantUsageThresholds(given);
  return p;
}

}  // namespace
}  // namespace credit_ledger::pg

using namespace credit_ledger;
using namespace credit_ledger::pg;

CL_FUNCTION(credit_type_create) {
  Args args(fcinfo);
  const std::string credit_type = args.Text(0, "credit_type");
  const std::int32_t scale = args.Int32(1, "scale");
  // 1.2 appended currency; the 1.0 and 1.1 definitions pass 5 arguments.
  const TypeLabels l = ReadTypeLabels(args, 2, PG_NARGS() > 5);
  CheckCreditTypeName(credit_type);
  CheckScale(scale);

  SpiConnect();
  Params p;
  p.Text(credit_type)
      .Int32(scale)
      .Text(l.unit_singular)
      .Text(l.unit_plural)
      .Text(l.description)
      .Timestamp(LedgerNow())
      .Text(l.currency);
  // Without a currency the 1.1 statement serves every schema.
  Execute(l.currency ? insert_credit_type : insert_credit_type_1_1, p);
  SpiFinish();
  return 0;
}

CL_FUNCTION(credit_type_update) {
  Args args(fcinfo);
  const std::string credit_type = args.Text(0, "credit_type");
  const TypeLabels l = ReadTypeLabels(args, 1, true);
  if (!l.unit_singular && !l.unit_plural && !l.description && !l.currency) {
    throw LedgerError(ErrorCode::kInvalidParameter, "nothing to change",
                      "Give a unit_singular, unit_plural, description or "
                      "currency.");
  }
  Ledger ledger;
  ledger.RequireCreditType(credit_type);  // LG003
  ledger.UseSpi();
  Params p;
  p.Text(credit_type)
      .Text(l.unit_singular)
      .Text(l.unit_plural)
      .Text(l.description)
      .Text(l.currency);
  Execute(update_credit_type, p);
  ledger.Finish();
  return 0;
}

CL_FUNCTION(credit_wallet_configure) {
  Args args(fcinfo);
  const std::string customer_id = args.Text(0, "customer_id");
  const std::string credit_type = args.Text(1, "credit_type");
  const auto limit_text = args.OptDecimal(2, "overdraft_limit");
  const auto threshold_texts = args.DecimalArray(3, "low_balance_thresholds");
  CheckText("customer_id", customer_id, kMaxCustomerIdChars);
  // 1.2 appended drawdown_order and grant_usage_thresholds.
  const bool has_policy = PG_NARGS() > 4;
  const WalletPolicy policy =
      has_policy ? ReadWalletPolicy(args) : WalletPolicy{};

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
  if (has_policy) {
    Params q;
    q.Int64(wallet.wallet_id)
        .Text(customer_id)
        .Text(std::string(DrawdownPolicyName(policy.order)))
        .Text(PercentArrayText(policy.thresholds));
    Execute(configure_policy, q);
  }
  ledger.Finish();
  return Int64GetDatum(wallet.wallet_id);
}
