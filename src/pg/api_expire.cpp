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

// The grant re-read under its wallet's lock.
Statement locked_grant(
    "SELECT remaining, promotional, cost_basis, expires_at"
    "  FROM credit_ledger.grants"
    " WHERE grant_id = $1 AND customer_id = $2 AND open AND expires_at <= $3",
    {INT8OID, TEXTOID, TIMESTAMPTZOID});

Statement mark_expired(
    "UPDATE credit_ledger.grants"
    "   SET remaining = $4, expired_amount = expired_amount + remaining,"
    "       expired_at = $3, open = false"
    " WHERE grant_id = $1 AND customer_id = $2",
    {INT8OID, TEXTOID, TIMESTAMPTZOID, NUMERICOID});

constexpr long kBatch = 500;

// Expires one grant whose wallet this transaction holds; false if another
// transaction expired or closed it first.
bool ExpireGrant(Ledger& ledger, Wallet& wallet, std::int64_t grant_id,
                 Micros as_of, Micros now) {
  ledger.UseSpi();
  Params p;
  p.Int64(grant_id).Text(wallet.customer_id).Timestamp(as_of);
  Rows rows = Execute(locked_grant, p, 1);
  if (rows.empty()) return false;
  GrantRow grant;
  grant.grant_id = grant_id;
  grant.remaining = rows[0].Units(1, wallet.scale);
  grant.promotional = rows[0].Bool(2);
  grant.cost_basis = rows[0].NumericText(3);
  grant.expires_at = rows[0].Timestamp(4);
  const EntryDraft draft = ExpirationDraft(grant);
  const std::int64_t remaining = grant.remaining;
  // The grant lapsed by as_of <= now, so the spendable balance, read before
  // anything is written, already leaves it out and stays as it is.
  const std::int64_t balance = ledger.Spendable(wallet, now);

  OperationRequest request{"expire", wallet.customer_id, std::nullopt, {}};
  OperationResult result = MakeResult(wallet, now, 1);
  result.amount = remaining;
  result.grant_id = grant_id;
  const std::int64_t operation_id =
      ledger.InsertOperation(request, result).value();

  Params mark;
  mark.Int64(grant_id)
      .Text(wallet.customer_id)
      .Timestamp(now)
      .Units(0, wallet.scale);
  Execute(mark_expired, mark);

  EntryLabels labels;
  labels.reason = "expired";
  labels.occurred_at = draft.occurred_at;
  std::optional<std::string> value;
  if (draft.cost_basis)
    value = MoneyValue(remaining, wallet.scale, *draft.cost_basis);
  std::vector<PendingEvent> events{
      ExpiredEvent(wallet, operation_id, grant_id, remaining, value,
                   *draft.promotional, *draft.occurred_at, balance)};
  Conclude(ledger, wallet, MakeContext(operation_id, now, labels), {draft},
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
