// The write paths operations share. Drawing credits down (consume, negative
// adjustment) and adding a block (grant, positive adjustment) each run the
// same steps: replay check, wallet lock, plan in the core, operation row,
// then the rows the plan implies.
#pragma once

#include "args.hpp"
#include "events.hpp"
#include "grant.hpp"
#include "ledger.hpp"
#include "pricing.hpp"
#include "result.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace credit_ledger::pg {

// What the entries of one operation carry besides amounts.
struct EntryLabels {
  std::optional<std::string> feature;
  std::optional<std::string> source_id;
  std::optional<std::string> reason;
  std::optional<Micros> occurred_at;  // default: now
  Args::Json metadata;
  std::optional<PricedUsage> priced;  // 1.2: priced usage (usage.hpp)
};

// Draws `amount_text` (a positive decimal) from the wallet in drawdown order,
// repaying outstanding debt first; entries are of `entry_type` (usage for a
// consume, adjustment for a negative adjustment); the uncovered part becomes
// debt if the wallet's policy admits it, else LG001. With `allow_partial`
// (consume), only what the balance covers, maybe 0 (PlanWalletDrawDown).
OperationOutcome DrawDown(Ledger& ledger, const OperationRequest& request,
                          const std::string& credit_type,
                          const std::string& amount_text, EntryType entry_type,
                          const EntryLabels& labels, bool allow_partial);

// DrawDown for a request whose key the caller has just looked up
// (FindReplay found nothing): a priced usage answers a replay before it reads
// any price, and its draw-down looks the key up no second time.
OperationOutcome DrawDownNew(Ledger& ledger, const OperationRequest& request,
                             const std::string& credit_type,
                             const std::string& amount_text,
                             EntryType entry_type, const EntryLabels& labels,
                             bool allow_partial);

struct BlockOutcome {
  std::int64_t grant_id = 0;
  OperationOutcome operation;
};

// Adds a block to the wallet (creating the wallet if needed); a block
// spendable now repays outstanding debt first. 1.2: a block that starts
// later, or (`pending`) waits for credit_grant_confirm, writes no entry: it
// enters the ledger when it takes effect (the catch-up) or is confirmed.
BlockOutcome AddBlock(Ledger& ledger, const OperationRequest& request,
                      const std::string& credit_type,
                      const std::string& amount_text, const BlockSpec& spec,
                      const EntryLabels& labels, bool pending = false);

// 1.2, the ledger keeps up with time: when something is due on the locked
// wallet (now >= its next_due_at; one comparison when nothing is), plans
// the catch-up to now (PlanCatchUp) and stores it - its rows, its entries
// under one catch_up operation, its events - and moves next_due_at on.
// Returns whether it wrote anything (then the wallet row must be saved,
// which the calling operation's SaveWallet does). Call it right after the
// lock and the replay check, before the operation plans anything.
bool CatchUp(Ledger& ledger, Wallet& wallet, Micros now);

// The sweep's catch-up of a wallet it locked: up to `as_of`, lapsing at
// most `max_lapses` blocks; saves the wallet. Returns the blocks it lapsed.
std::int64_t SweepCatchUp(Ledger& ledger, Wallet& wallet, Micros as_of,
                          std::int64_t max_lapses);

// Whether anything is due on the wallet at `at` (its next_due_at came).
inline bool IsDue(const Wallet& wallet, Micros at) {
  return wallet.timed && wallet.next_due_at && at >= *wallet.next_due_at;
}

// LG004 unless `owner` is `customer_id`: in 1.2 an id is only found under
// its own customer. `what` names the object ("grant 5"), as if it did not
// exist at all.
void RequireOwner(const std::string& customer_id, const std::string& owner,
                  const std::string& what);

// LockWallet, then CatchUp: how every write on an existing wallet starts.
// With a keyed `request`, the key is looked up again once the lock is held
// (the lock waited for a concurrent call on the wallet, which may have
// committed the same key): then *replay is set, and nothing is caught up or
// written, so a replay writes nothing, not even a catch-up.
std::optional<Wallet>
LockForWrite(Ledger& ledger, const std::string& customer_id,
             const std::string& credit_type, Micros now,
             const OperationRequest* request = nullptr,
             std::optional<StoredOperation>* replay = nullptr);

// The available balance at `now` as the wallet row tells it - the ledger
// balance less what active holds reserve - when the ledger balance holds
// only credit spendable now: a 1.2 wallet with nothing due, and no block in
// it that is not effective yet. nullopt otherwise.
std::optional<std::int64_t> LedgerAvailable(const Wallet& wallet, Micros now);

// The available balance a read sees at `now` without writing: the wallet
// caught up in memory when something is due (or, after an upgrade, while a
// block 1.1 entered early is still ahead: legacy_until), else the ledger
// balance minus what active holds reserve.
std::int64_t AvailableNow(Ledger& ledger, const Wallet& wallet, Micros now);

// Records an operation: appends its entries and writes the operation's
// events followed by the balance alerts the core decides for
// `spendable_after` (BalanceAlertEvents), keeping their state on the wallet.
// The wallet row is written by SaveWallet - once per operation, or once per
// wallet for a batch.
void Record(Ledger& ledger, Wallet& wallet, const EntryContext& context,
            const std::vector<EntryDraft>& drafts, std::int64_t spendable_after,
            std::vector<PendingEvent> events);

// Ends a single operation: Record, then save the wallet.
void Conclude(Ledger& ledger, Wallet& wallet, const EntryContext& context,
              const std::vector<EntryDraft>& drafts,
              std::int64_t spendable_after, std::vector<PendingEvent> events);

// One usage event, as credit_consume and credit_consume_batch take it.
struct ConsumeRequest {
  std::string customer_id;
  std::string credit_type;
  std::string amount;  // exact decimal text
  std::optional<std::string> idempotency_key;
  EntryLabels labels;
  bool allow_partial = false;  // 1.2: apply only what the balance covers
  // 1.2, credit_report_usage: the quantity reported; credit_type and amount
  // are its price's (PriceRequest, usage.hpp).
  std::optional<std::string> quantity;
};

// The checks every usage-like call (consume, hold, capture) makes before
// the credit type's scale is known, in this order: the customer, the amount
// if there is one (positive), the key and labels (lengths: 22023) and
// occurred_at's future bound (a day after `now`, the ledger's current time).
void CheckUsageRequest(const std::string& customer_id,
                       const std::string* amount,
                       const std::optional<std::string>& idempotency_key,
                       const EntryLabels& labels, Micros now);

// CheckUsageRequest for a consume.
void ValidateConsume(const ConsumeRequest& request, Micros now);

// The idempotency request of a consume: its key and parameter fingerprint.
OperationRequest ConsumeOperation(const ConsumeRequest& request);

// Whom the events of operation `operation_id` on `wallet` are about.
EventSubject SubjectOf(const Wallet& wallet, std::int64_t operation_id);

// The EntryContext of a new operation.
EntryContext MakeContext(std::int64_t operation_id, Micros now,
                         const EntryLabels& labels);

// 1.2, block usage alerts (usage_alerts.cpp): the blocks a plan's entries
// draw from, in order; and, after their rows are saved, the
// credits.grant.usage_low events the wallet's grant_usage_thresholds fire
// for them (each block's usage_alerted saved). Nothing without thresholds.
std::vector<std::int64_t> DrawnBlocks(const std::vector<EntryDraft>& drafts);
std::vector<PendingEvent>
BlockUsageAlerts(Ledger& ledger, const Wallet& wallet,
                 std::int64_t operation_id,
                 const std::vector<std::int64_t>& drawn, std::int64_t balance);

// Fills an operation result row for `wallet`.
OperationResult MakeResult(const Wallet& wallet, Micros now,
                           std::size_t entry_count);

}  // namespace credit_ledger::pg
