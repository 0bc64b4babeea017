// credit_balance: the spendable balance now, or the ledger's balance at a
// past moment; and ledger_now, the clock every function uses.
#include "amount.hpp"
#include "args.hpp"
#include "error.hpp"
#include "guard.hpp"
#include "ledger.hpp"
#include "operations.hpp"
#include "plan.hpp"
#include "result.hpp"
#include "settings.hpp"
#include "spi.hpp"

namespace credit_ledger::pg {
namespace {

// The balance as of a past moment, from the entries alone: entries count from
// their occurred_at (a grant's from its effective_at, an expiration's from
// the grant's expires_at), and a grant lapsed by then counts nothing, swept
// or not.
Statement balance_as_of(
    "SELECT coalesce(sum(e.amount), 0)"
    "  FROM credit_ledger.entries e"
    " WHERE e.wallet_id = $1 AND e.customer_id = $2 AND e.occurred_at <= $3"
    "   AND NOT EXISTS (SELECT 1 FROM credit_ledger.grants g"
    "                    WHERE g.grant_id = e.grant_id"
    "                      AND g.customer_id = e.customer_id"
    "                      AND g.expires_at <= $3)",
    {INT8OID, TEXTOID, TIMESTAMPTZOID});

std::string Balance(Ledger& ledger, const std::string& customer_id,
                    const std::string& credit_type,
                    const std::optional<Micros>& as_of) {
  const Micros now = LedgerNow();
  CheckBalanceAsOf(as_of, now);
  std::optional<Wallet> wallet = ledger.ReadWallet(customer_id, credit_type);
  if (!wallet) {
    return FormatAmount(0, ledger.RequireCreditType(credit_type));
  }
  if (!as_of)
    return FormatAmount(AvailableNow(ledger, *wallet, now), wallet->scale);
  ledger.UseSpi();
  Params p;
  p.Int64(wallet->wallet_id).Text(customer_id).Timestamp(*as_of);
  Rows rows = Execute(balance_as_of, p, 0, ReadMode::kReadOnly);
  return FormatAmount(rows[0].Units(1, wallet->scale), wallet->scale);
}

}  // namespace
}  // namespace credit_ledger::pg

CL_FUNCTION(credit_balance) {
  using namespace credit_ledger::pg;
  Args args(fcinfo);
  const std::string customer_id = args.Text(0, "customer_id");
  const std::string credit_type = args.Text(1, "credit_type");
  const auto as_of = args.OptTimestamp(2, "as_of");
  Ledger ledger(ReadMode::kReadOnly);
  const std::string balance = Balance(ledger, customer_id, credit_type, as_of);
  ledger.Finish();
  return NumericTextDatum(balance);
}

CL_FUNCTION(credit_ledger_now) {
  return TimestampTzGetDatum(credit_ledger::pg::LedgerNow());
}
