// Automatic top-up (1.2): credit_auto_topup_configure stores a wallet's
// configuration (CheckTopupConfig); RequestTopup, called by every
// credit-taking operation, stores what DecideTopup returns.
#include "auto_topup.hpp"

#include "amount.hpp"
#include "args.hpp"
#include "guard.hpp"
#include "operations.hpp"
#include "settings.hpp"
#include "spi.hpp"
#include "validate.hpp"

namespace credit_ledger::pg {

void RequestTopup(Ledger& ledger, Wallet& wallet, std::int64_t operation_id,
                  Micros now, std::int64_t available_after,
                  std::vector<PendingEvent>& events) {
  if (!wallet.topup) return;  // never configured
  TopupInput in;
  in.available_after = available_after;
  in.pending = wallet.topup_pending.has_value();
  in.counter = wallet.topup_counter;
  in.now = now;
  // The id is taken only for a request: a sequence value per operation
  // would cost the hot path.
  std::optional<TopupRequest> request = DecideTopup(*wallet.topup, in, 0);
  if (!request) return;
  request->grant.grant_id = ledger.NextGrantId();
  request->grant.operation_id = operation_id;
  ledger.InsertGrant(wallet, request->grant, 0, true, now, false, true);
  wallet.topup_pending = request->grant.grant_id;
  wallet.topup_counter = request->counter;
  wallet.topup_changed = true;
  events.push_back(TopupRequestedEvent(SubjectOf(wallet, operation_id),
                                       *request, available_after));
}

void SettleTopup(Wallet& wallet, std::int64_t grant_id) {
  if (wallet.topup_pending != grant_id) return;
  wallet.topup_pending = std::nullopt;
  wallet.topup_changed = true;
}

namespace {

Statement configure_topup(
    "UPDATE credit_ledger.wallets"
    "   SET topup_threshold = $3, topup_amount = $4, topup_cost_basis = $5,"
    "       topup_max_per_day = $6, topup_enabled = $7, updated_at = $8"
    " WHERE wallet_id = $1 AND customer_id = $2",
    {INT8OID, TEXTOID, NUMERICOID, NUMERICOID, NUMERICOID, INT4OID, BOOLOID,
     TIMESTAMPTZOID});

TopupArgs ReadTopupArgs(const Args& args) {
  TopupArgs t;
  t.threshold = args.OptDecimal(2, "threshold");
  t.amount = args.OptDecimal(3, "amount");
  t.cost_basis = args.OptDecimal(4, "cost_basis");
  if (!args.IsNull(5)) t.max_per_day = args.Int32(5, "max_per_day");
  if (!args.IsNull(6)) t.enabled = args.Bool(6, "enabled");
  return t;
}

}  // namespace
}  // namespace credit_ledger::pg

CL_FUNCTION(credit_auto_topup_configure) {
  using namespace credit_ledger;
  using namespace credit_ledger::pg;
  Args args(fcinfo);
  const std::string customer_id = args.Text(0, "customer_id");
  const std::string credit_type = args.Text(1, "credit_type");
  const TopupArgs topup = ReadTopupArgs(args);
  CheckText("customer_id", customer_id, kMaxCustomerIdChars);

  Ledger ledger;
  // Everything is checked before the wallet is created.
  const int scale = ledger.RequireCreditType(credit_type);
  const TopupConfig config = CheckTopupConfig(topup, scale);
  const Micros now = LedgerNow();
  const Wallet wallet =
      ledger.LockOrCreateWallet(customer_id, credit_type, now);
  Params p;
  p.Int64(wallet.wallet_id)
      .Text(customer_id)
      .Units(config.threshold, scale)
      .Units(config.amount, scale)
      .NumericText(config.cost_basis)
      .Int32(config.max_per_day)
      .Bool(config.enabled)
      .Timestamp(now);
  ledger.UseSpi();
  Execute(configure_topup, p);
  ledger.Finish();
  return Int64GetDatum(wallet.wallet_id);
}
