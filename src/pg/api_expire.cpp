// credit_expire: the expiration sweep. Each lapsed grant's remaining credits
// leave the wallet in one `expiration` entry dated at its expires_at. Wallets
// another transaction holds are skipped and left to the next run, so the
// sweep never waits on a consume.
#include "amount.hpp"
#include "args.hpp"
#include "error.hpp"
#include "guard.hpp"
#include "ledger.hpp"
#include "lifecycle.hpp"
#include "operations.hpp"
#include "settings.hpp"
#include "spi.hpp"

#include <set>

namespace credit_ledger::pg {
namespace {

// Lapsed open grants in expiry order after a keyset position, served by the
// partial index grants_expiry_idx.
Statement lapsed_grants(
    "SELECT grant_id, wallet_id, customer_id, credit_type, expires_at"
    "  FROM credit_ledger.grants"
    " WHERE open AND expires_at <= $1"
    "   AND (expires_at, grant_id) > ($2, $3)"
    " ORDER BY expires_at, grant_id"
    " LIMIT $4",
    {TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID, INT8OID});

constexpr long kBatch = 500;

// Expires one grant whose wallet this transaction holds; false if another
// transaction expired or closed it first.
bool ExpireGrant(Ledger& ledger, Wallet& wallet, std::int64_t grant_id,
                 Micros as_of, Micros now) {
  const GrantRow grant = ledger.ReadGrant(wallet, grant_id);
  if (!SweepExpires(grant, as_of)) return false;
  const ExpiryPlan plan = PlanExpiry(grant, now);
  // The grant lapsed by as_of <= now, so the spendable balance, read before
  // anything is written, already leaves it out and stays as it is.
  const std::int64_t balance = ledger.Spendable(wallet, now);

  OperationRequest request{"expire", wallet.customer_id, std::nullopt, {}};
  OperationResult result = MakeResult(wallet, now, 1);
  result.amount = plan.expired;
  result.grant_id = grant_id;
  const std::int64_t operation_id =
      ledger.InsertOperation(request, result).value();
  ledger.SaveGrant(wallet, plan.grant);

  EntryLabels labels;
  labels.reason = "expired";
  labels.occurred_at = plan.draft.occurred_at;
  std::optional<std::string> value;
  if (grant.cost_basis)
    value = MoneyValue(plan.expired, wallet.scale, *grant.cost_basis);
  std::vector<PendingEvent> events{
      ExpiredEvent(SubjectOf(wallet, operation_id), plan, value, balance)};
  Conclude(ledger, wallet, MakeContext(operation_id, now, labels), {plan.draft},
           balance, std::move(events));
  return true;
}

std::int32_t Expire(Ledger& ledger, const std::optional<Micros>& as_of_arg,
                    std::int32_t max_grants) {
  const Micros now = LedgerNow();
  const Micros as_of = SweepAsOf(as_of_arg, now, max_grants);

  std::set<std::int64_t> skipped_wallets;
  std::int32_t expired = 0;
  Micros after_expiry = DT_NOBEGIN;
  std::int64_t after_id = 0;
  while (expired < max_grants) {
    ledger.UseSpi();
    Params p;
    p.Timestamp(as_of)
        .Timestamp(after_expiry)
        .Int64(after_id)
        .Int64(std::min<long>(kBatch, max_grants - expired));
    Rows batch = Execute(lapsed_grants, p);
    if (batch.empty()) break;
    for (std::uint64_t i = 0; i < batch.size() && expired < max_grants; ++i) {
      CheckForInterrupts();
      Row r = batch[i];
      const std::int64_t grant_id = r.Int64(1);
      const std::int64_t wallet_id = r.Int64(2);
      after_expiry = r.Timestamp(5);
      after_id = grant_id;
      if (skipped_wallets.count(wallet_id) != 0) continue;
      std::optional<Wallet> wallet = ledger.TryLockWallet(r.Text(3), r.Text(4));
      if (!wallet) {
        skipped_wallets.insert(wallet_id);
        continue;
      }
      if (ExpireGrant(ledger, *wallet, grant_id, as_of, now)) ++expired;
    }
    FreeRows(batch);
  }
  return expired;
}

}  // namespace
}  // namespace credit_ledger::pg

CL_FUNCTION(credit_expire) {
  using namespace credit_ledger::pg;
  Args args(fcinfo);
  const auto as_of = args.OptTimestamp(0, "as_of");
  const std::int32_t max_grants = args.Int32(1, "max_grants");
  Ledger ledger;
  const std::int32_t expired = Expire(ledger, as_of, max_grants);
  ledger.Finish();
  return Int32GetDatum(expired);
}
