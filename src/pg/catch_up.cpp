// 1.2, the ledger keeps up with time: the catch-up every write runs first
// under the wallet lock, the sweep's, and the reads' (computed, never
// stored). The model: src/core/timeline.hpp; the plan:
// docs/time-and-holds-glue.md.
#include "amount.hpp"
#include "auto_topup.hpp"
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

// Appends a catch-up's drafts, each run of drafts that share a reason
// (CatchUpReasons) with that reason.
void AppendWithReasons(Ledger& ledger, Wallet& wallet, EntryContext context,
                       const std::vector<EntryDraft>& drafts,
                       const std::vector<std::string>& reasons) {
  std::size_t first = 0;
  while (first < drafts.size()) {
    std::size_t end = first + 1;
    while (end < drafts.size() && reasons[end] == reasons[first]) ++end;
    context.reason = reasons[first];
    ledger.AppendEntries(
        wallet, context,
        std::vector<EntryDraft>(drafts.begin() + first, drafts.begin() + end));
    first = end;
  }
}

// Issue 14: the blocks the catch-up created (a period's, a rollover's),
// inserted before their planned state is saved, and the schedules whose
// periods it issued.
void StoreCreated(Ledger& ledger, Wallet& wallet, const CatchUpPlan& plan,
                  std::int64_t operation_id, Micros now) {
  for (const CreatedBlock& c : plan.created_blocks) {
    NewGrant g = c.grant;
    g.operation_id = operation_id;
    ledger.InsertGrant(wallet, g, 0, true, now, g.kind == "rollover", false,
                       &c);
  }
  for (const std::int64_t id : plan.changed_schedules) {
    for (const TimedSchedule& ts : plan.change.wallet.schedules) {
      if (ts.schedule.recurring_id != id) continue;
      RecurringRow row;
      row.schedule = ts.schedule;
      row.next_start_at = DueAt(NextPeriodStart(ts.schedule, *ts.calendar));
      ledger.SaveRecurring(wallet.customer_id, row);
    }
  }
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
  StoreCreated(ledger, wallet, plan, operation_id, now);
  ledger.SaveBlocks(wallet, change);
  const int scale = wallet.scale;
  std::vector<PendingEvent> events = CatchUpEvents(
      SubjectOf(wallet, operation_id), before, plan, labels,
      [scale](std::int64_t units, const std::optional<std::string>& basis) {
        std::optional<std::string> value;
        if (basis) value = MoneyValue(units, scale, *basis);
        return value;
      });
  // Blocks lapsing take credit: the top-up judges what they leave.
  if (!plan.lapsed_blocks.empty())
    RequestTopup(ledger, wallet, operation_id, now, available, events);
  const EntryLabels entry_labels;
  AppendWithReasons(ledger, wallet,
                    MakeContext(operation_id, now, entry_labels), change.drafts,
                    CatchUpReasons(plan, labels));
  Record(ledger, wallet, MakeContext(operation_id, now, entry_labels), {},
         available, std::move(events));
  return true;
}

}  // namespace

bool CatchUp(Ledger& ledger, Wallet& wallet, Micros now) {
  if (!IsDue(wallet, now)) return false;
  std::map<std::int64_t, BlockLabels> labels;
  TimedWallet before = ledger.ReadTimedWallet(wallet, &labels);
  before.new_grant_id = [&ledger] { return ledger.NextGrantId(); };
  const CatchUpPlan plan = PlanCatchUp(before, now, wallet.next_due_at);
  return StoreCatchUp(ledger, wallet, before, labels, plan, now);
}

std::int64_t SweepCatchUp(Ledger& ledger, Wallet& wallet, Micros as_of,
                          std::int64_t max_lapses) {
  if (!IsDue(wallet, as_of)) return 0;
  std::map<std::int64_t, BlockLabels> labels;
  TimedWallet before = ledger.ReadTimedWallet(wallet, &labels);
  before.new_grant_id = [&ledger] { return ledger.NextGrantId(); };
  const CatchUpPlan plan =
      PlanSweepCatchUp(before, as_of, wallet.next_due_at, max_lapses);
  StoreCatchUp(ledger, wallet, before, labels, plan, as_of);
  ledger.SaveWallet(wallet, LedgerNow());
  return static_cast<std::int64_t>(plan.lapsed_blocks.size());
}

std::optional<Wallet> LockForWrite(Ledger& ledger,
                                   const std::string& customer_id,
                                   const std::string& credit_type, Micros now,
                                   const OperationRequest* request,
                                   std::optional<StoredOperation>* replay) {
  std::optional<Wallet> wallet = ledger.LockWallet(customer_id, credit_type);
  if (!wallet) return wallet;
  // A replay writes nothing: a catch-up that is due waits until the key is
  // known to be new. When nothing is due (the hot path) there is nothing to
  // hold back and no second key lookup: a key stored meanwhile conflicts at
  // the operation's insert, before anything is written.
  if (request != nullptr && request->idempotency_key && replay != nullptr &&
      IsDue(*wallet, now)) {
    *replay = ledger.FindReplay(*request);
    if (*replay) return wallet;
  }
  CatchUp(ledger, *wallet, now);
  return wallet;
}

std::optional<std::int64_t> LedgerAvailable(const Wallet& wallet, Micros now) {
  if (!wallet.timed || IsDue(wallet, now)) return std::nullopt;
  // The ledger balance holds only what is spendable unless a block in it is
  // not effective yet: one 1.1 entered early (legacy_until), or one a
  // catch-up entered at a later clock than now (the clock moved back).
  const bool ahead =
      (wallet.legacy_until && now < *wallet.legacy_until) ||
      (wallet.latest_effective_at && now < *wallet.latest_effective_at);
  if (ahead) return std::nullopt;
  return SubUnits(wallet.balance, wallet.held);
}

std::int64_t AvailableNow(Ledger& ledger, const Wallet& wallet, Micros now) {
  if (!wallet.timed) return ledger.Spendable(wallet, now);
  if (auto available = LedgerAvailable(wallet, now)) return *available;
  const TimedWallet w = ledger.ReadTimedWallet(wallet, nullptr);
  if (!IsDue(wallet, now)) return AvailableBalance(w, now);
  return AvailableBalance(PlanCatchUp(w, now, wallet.next_due_at).change.wallet,
                          now);
}

}  // namespace credit_ledger::pg
