// 1.2, the ledger keeps up with time: the catch-up every write runs first
// under the wallet lock, the sweep's, and the reads' (computed, never
// stored). The model: src/core/timeline.hpp; the plan:
// docs/time-and-holds-glue.md.
#include "amount.hpp"
#include "catch_up.hpp"
#include "error.hpp"
#include "operations.hpp"
#include "settings.hpp"

namespace credit_ledger::pg {
namespace {

std::optional<Micros> DueAt(Micros at) {
  if (at == kNever) return std::nullopt;
  return at;
}

// The wallet's cached sums over the holds still active at `at`.
void CacheHeld(Wallet& wallet, const TimedWallet& w, Micros at) {
  wallet.held = HeldAt(w, at);
  std::int64_t overdraft = 0;
  for (const Hold& h : w.holds) {
    if (h.ActiveAt(at)) overdraft = AddUnits(overdraft, h.Overdraft());
  }
  wallet.held_overdraft = overdraft;
}

// Stores a catch-up planned at `at` (now, or the sweep's as_of): its rows,
// its entries under one catch_up operation, its events. Returns whether it
// wrote anything.
bool StoreCatchUp(Ledger& ledger, Wallet& wallet, const TimedWallet& before,
                  const std::map<std::int64_t, BlockLabels>& labels,
                  const CatchUpPlan& plan, Micros at) {
  const Micros now = LedgerNow();
  wallet.next_due_at = DueAt(plan.next_due_at);
  if (wallet.legacy_until && at >= *wallet.legacy_until) {
    wallet.legacy_until = std::nullopt;
  }
  CacheHeld(wallet, plan.change.wallet, at);
  const WalletChange& change = plan.change;
  if (change.drafts.empty() && change.changed_blocks.empty() &&
      change.changed_holds.empty()) {
    return false;
  }
  const std::int64_t available = AvailableBalance(change.wallet, at);
  ledger.LoadCurrency(wallet);  // credits.granted and expired carry money
  OperationResult result = MakeResult(wallet, now, change.drafts.size());
  result.balance = available;
  const std::int64_t operation_id =
      ledger
          .InsertOperation(
              OperationRequest{
                  "catch_up", wallet.customer_id, std::nullopt, {}},
              result)
          .value();
  ledger.SaveBlocks(wallet, change);
  const int scale = wallet.scale;
  std::vector<PendingEvent> events = CatchUpEvents(
      SubjectOf(wallet, operation_id), before, plan, labels,
      [scale](std::int64_t units, const std::optional<std::string>& basis) {
        std::optional<std::string> value;
        if (basis) value = MoneyValue(units, scale, *basis);
        return value;
      });
  const EntryLabels entry_labels;
  Record(ledger, wallet, MakeContext(operation_id, now, entry_labels),
         change.drafts, available, std::move(events));
  return true;
}

}  // namespace

bool CatchUp(Ledger& ledger, Wallet& wallet, Micros now) {
  if (!IsDue(wallet, now)) return false;
  std::map<std::int64_t, BlockLabels> labels;
  const TimedWallet before = ledger.ReadTimedWallet(wallet, &labels);
  const CatchUpPlan plan = PlanCatchUp(before, now, wallet.next_due_at);
  return StoreCatchUp(ledger, wallet, before, labels, plan, now);
}

std::int64_t SweepCatchUp(Ledger& ledger, Wallet& wallet, Micros as_of,
                          std::int64_t max_lapses) {
  if (!IsDue(wallet, as_of)) return 0;
  std::map<std::int64_t, BlockLabels> labels;
  const TimedWallet before = ledger.ReadTimedWallet(wallet, &labels);
  const CatchUpPlan plan =
      PlanSweepCatchUp(before, as_of, wallet.next_due_at, max_lapses);
  StoreCatchUp(ledger, wallet, before, labels, plan, as_of);
  ledger.SaveWallet(wallet, LedgerNow());
  return static_cast<std::int64_t>(plan.lapsed_blocks.size());
}

std::optional<Wallet> LockForWrite(Ledger& ledger,
                                   const std::string& customer_id,
                                   const std::string& credit_type, Micros now) {
  std::optional<Wallet> wallet = ledger.LockWallet(customer_id, credit_type);
  if (wallet) CatchUp(ledger, *wallet, now);
  return wallet;
}

std::int64_t AvailableNow(Ledger& ledger, const Wallet& wallet, Micros now) {
  if (!wallet.timed) return ledger.Spendable(wallet, now);
  // The ledger balance holds only what is spendable unless a block in it is
  // not effective yet: one 1.1 entered early (legacy_until), or one a
  // catch-up entered at a later clock than now (the clock moved back).
  const bool ahead =
      (wallet.legacy_until && now < *wallet.legacy_until) ||
      (wallet.latest_effective_at && now < *wallet.latest_effective_at);
  if (!IsDue(wallet, now) && !ahead) {
    return SubUnits(wallet.balance, wallet.held);
  }
  const TimedWallet w = ledger.ReadTimedWallet(wallet, nullptr);
  if (!IsDue(wallet, now)) return AvailableBalance(w, now);
  return AvailableBalance(PlanCatchUp(w, now, wallet.next_due_at).change.wallet,
                          now);
}

}  // namespace credit_ledger::pg
