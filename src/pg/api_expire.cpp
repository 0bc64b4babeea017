// credit_expire: the expiration sweep. Each lapsed grant's remaining credits
// leave the wallet in one `expiration` entry dated at its expires_at. Wallets
// another transaction holds are skipped and left to the next run, so the
// sweep never waits on a consume. 1.2: it catches up every wallet whose
// next_due_at has come (blocks taking effect and holds timing out too), as
// the wallet's next write would; on an older schema, the 1.1 sweep.
#include "amount.hpp"
#include "args.hpp"
#include "error.hpp"
#include "guard.hpp"
#include "ledger.hpp"
#include "lifecycle.hpp"
#include "operations.hpp"
#include "postgres.hpp"
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
  ledger.LoadCurrency(wallet);  // credits.expired carries value
  std::optional<std::string> value;
  if (grant.cost_basis)
    value = MoneyValue(plan.expired, wallet.scale, *grant.cost_basis);
  std::vector<PendingEvent> events{
      ExpiredEvent(SubjectOf(wallet, operation_id), plan, value, balance)};
  Conclude(ledger, wallet, MakeContext(operation_id, now, labels), {plan.draft},
           balance, std::move(events));
  return true;
}

// 1.2: wallets with something due by $1, in next_due_at order after a
// keyset position, served by wallets_due_idx.
Statement due_wallets("SELECT wallet_id, customer_id, credit_type, next_due_at"
                      "  FROM credit_ledger.wallets"
                      " WHERE next_due_at <= $1"
                      "   AND (next_due_at, wallet_id) > ($2, $3)"
                      " ORDER BY next_due_at, wallet_id"
                      " LIMIT $4",
                      {TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID, INT8OID});

// Whether the installed schema is 1.2's (the library also serves older
// ones until ALTER EXTENSION UPDATE).
Statement timed_schema(
    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute"
    "                WHERE attrelid = "
    "'credit_ledger.wallets'::pg_catalog.regclass"
    "                  AND attname = 'next_due_at' AND NOT attisdropped)",
    {});

// 1.2: one customer's wallets with something due by $1 (the sweep of a
// customer Citus delegated to this node), as due_wallets.
Statement customer_due_wallets(
    "SELECT wallet_id, customer_id, credit_type, next_due_at"
    "  FROM credit_ledger.wallets"
    " WHERE customer_id = $5 AND next_due_at <= $1"
    "   AND (next_due_at, wallet_id) > ($2, $3)"
    " ORDER BY next_due_at, wallet_id"
    " LIMIT $4",
    {TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID, INT8OID, TEXTOID});

// The sweep of one customer whose shard is on another Citus node: Citus
// delegates the call to that node (credit_ledger.citus_distribute() made
// expire_customer a force-delegated function), inside this transaction.
Statement expire_remote_customer(
    "SELECT lapsed FROM credit_ledger.expire_customer($1, $2, $3) lapsed",
    {TEXTOID, TIMESTAMPTZOID, INT4OID});

// Sweeps `customer` on the Citus node that holds its shard; returns the
// blocks lapsed there.
std::int64_t SweepElsewhere(Ledger& ledger, const std::string& customer,
                            Micros as_of, std::int64_t max_lapses) {
  ledger.UseSpi();
  Params p;
  p.Text(customer).Timestamp(as_of).Int32(
      static_cast<std::int32_t>(max_lapses));
  Rows rows = Execute(expire_remote_customer, p);
  const std::int64_t lapsed = rows.empty() ? 0 : rows[0].Int32(1);
  FreeRows(rows);
  return lapsed;
}

// Catches up each due wallet nobody holds (SKIP LOCKED) to as_of, as its
// next write would; max_grants bounds the blocks that lapse. With
// `customer`, only that customer's wallets, here. Without, every due wallet
// the query finds: on a Citus coordinator those of every worker, each
// customer's in one call delegated to its node.
std::int32_t CatchUpDue(Ledger& ledger, Micros as_of, std::int32_t max_grants,
                        const std::optional<std::string>& customer) {
  std::int64_t lapsed = 0;
  Micros after_due = DT_NOBEGIN;
  std::int64_t after_id = 0;
  std::set<std::string> delegated;
  while (lapsed < max_grants) {
    ledger.UseSpi();
    Params p;
    p.Timestamp(as_of).Timestamp(after_due).Int64(after_id).Int64(kBatch);
    if (customer) p.Text(*customer);
    Rows batch = Execute(customer ? customer_due_wallets : due_wallets, p);
    if (batch.empty()) break;
    for (std::uint64_t i = 0; i < batch.size() && lapsed < max_grants; ++i) {
      CheckForInterrupts();
      Row r = batch[i];
      after_id = r.Int64(1);
      after_due = r.Timestamp(4);
      const std::string who = r.Text(2);
      if (delegated.count(who) != 0) continue;
      if (!customer && !CustomerIsLocal(who)) {
        delegated.insert(who);
        lapsed += SweepElsewhere(ledger, who, as_of, max_grants - lapsed);
        continue;
      }
      std::optional<Wallet> wallet = ledger.TryLockWallet(who, r.Text(3));
      if (!wallet) continue;  // another transaction holds it: next run
      lapsed += SweepCatchUp(ledger, *wallet, as_of, max_grants - lapsed);
    }
    FreeRows(batch);
  }
  return static_cast<std::int32_t>(lapsed);
}

std::int32_t Expire(Ledger& ledger, const std::optional<Micros>& as_of_arg,
                    std::int32_t max_grants) {
  const Micros now = LedgerNow();
  const Micros as_of = SweepAsOf(as_of_arg, now, max_grants);
  ledger.UseSpi();
  Rows timed = Execute(timed_schema);
  const bool is_timed = timed[0].Bool(1);
  FreeRows(timed);
  if (is_timed) return CatchUpDue(ledger, as_of, max_grants, std::nullopt);

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

// credit_ledger.expire_customer(customer_id, as_of, max_grants): the sweep
// of one customer's wallets, on the node that holds them (1.2 schema only).
CL_FUNCTION(credit_expire_customer) {
  using namespace credit_ledger::pg;
  Args args(fcinfo);
  const std::string customer = args.Text(0, "customer_id");
  const auto as_of = args.OptTimestamp(1, "as_of");
  const std::int32_t max_grants = args.Int32(2, "max_grants");
  Ledger ledger;
  const credit_ledger::Micros now = LedgerNow();
  const std::int32_t lapsed =
      CatchUpDue(ledger, credit_ledger::SweepAsOf(as_of, now, max_grants),
                 max_grants, customer);
  ledger.Finish();
  return Int32GetDatum(lapsed);
}
