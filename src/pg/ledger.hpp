// Reading and writing the ledger's tables for one operation: wallets (locked
// per operation), grants, operations (idempotency), entries (appended with
// seq, balance_after and the hash chain) and events. The hot path - locking
// a wallet, reading its open grants, writing the operation, entries, grant
// and wallet rows, and a hold's reads and writes - uses direct table access
// (table.hpp); rarer paths use SPI with kept plans. Nothing here decides
// anything: src/core does. Implemented by table: ledger_wallets.cpp,
// ledger_grants.cpp, ledger_holds.cpp, ledger_operations.cpp (idempotency),
// ledger_entries.cpp (entries and events), and ledger.cpp (what they share).
#pragma once

#include "alerts.hpp"
#include "catch_up.hpp"
#include "drafts.hpp"
#include "drawdown.hpp"
#include "entry.hpp"
#include "events.hpp"
#include "grant.hpp"
#include "plan.hpp"
#include "postgres.hpp"
#include "pricing.hpp"
#include "sha256.hpp"
#include "spi.hpp"
#include "table.hpp"
#include "time.hpp"
#include "timeline.hpp"
#include "topup.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace credit_ledger::pg {

// The two unique indexes (customer_id, key_hash) that make a key idempotent
// (1.2): operation_rows' and the standalone entries'. A key is unique per
// customer across both (ledger_operations.cpp, ledger_entries.cpp).
inline constexpr const char* kOperationKeyIndex = "operations_key_idx";
inline constexpr const char* kEntryKeyIndex = "entries_key_idx";

struct Wallet {
  std::int64_t wallet_id = 0;
  std::string customer_id;
  std::string credit_type;
  int scale = 0;
  std::int64_t balance = 0;  // ledger balance: the sum of all entries
  std::int64_t debt = 0;     // overdraft debt, >= 0
  OverdraftPolicy policy;
  std::int64_t last_seq = 0;
  Digest last_hash = kGenesisHash;
  std::vector<std::int64_t> thresholds;  // low_balance_thresholds
  AlertState alerts;                     // which balance alerts were sent
  // The latest effective_at of any block the wallet had (nullopt: none);
  // tracked is false on a 1.0 schema, which has no such column.
  std::optional<Micros> latest_effective_at;
  bool latest_effective_tracked = false;
  // 1.2 (timed is false on an older schema, which has none of these): the
  // earliest instant anything is due (nullopt: never), the sums over the
  // active holds, and the latest effective_at still ahead at the upgrade of
  // a block 1.1 entered early (nullopt: none).
  bool timed = false;
  std::optional<Micros> next_due_at;
  std::int64_t held = 0;
  std::int64_t held_overdraft = 0;
  std::optional<Micros> legacy_until;
  std::int64_t held_read = 0, held_overdraft_read = 0;  // as read
  // 1.2 automatic top-up (auto_topup.hpp): the configuration (nullopt:
  // never configured, or a schema without it), the top-up block still
  // pending and the day's request count; topup_changed: save the last two.
  std::optional<TopupConfig> topup;
  std::optional<std::int64_t> topup_pending;
  TopupCounter topup_counter;
  bool topup_changed = false;
  // 1.2, issue 14: the draw-down policy every plan on the wallet draws in,
  // the block usage thresholds (Percent units; empty: none) and the credit
  // type's currency (read by LoadCurrency, for payloads carrying money).
  DrawdownPolicy order = DrawdownPolicy::kExpiryFirst;
  std::vector<std::int64_t> grant_usage_thresholds;
  std::optional<std::string> currency;
  StoredRow tuple = nullptr;  // the locked row, for the update
};

// What one operation asks for, for idempotency.
struct OperationRequest {
  std::string operation_type;  // grant, consume, adjust, void, reverse, expire
  std::string customer_id;
  std::optional<std::string> idempotency_key;
  Digest request_hash{};
  // The key's digest (KeyHash) when the request was made with it
  // (WithKeyDigest), so that a request's lookups and writes hash it once.
  std::optional<Digest> key_hash = std::nullopt;
};

// The request with its key's digest computed (a request without a key is
// returned as it is).
OperationRequest WithKeyDigest(OperationRequest request);
// The digest of the request's idempotency key (which it must have).
Digest KeyDigest(const OperationRequest& request);

// An operation as stored; its result is what a replay returns.
struct StoredOperation {
  std::int64_t operation_id = 0;
  std::string operation_type;
  std::optional<Digest> request_hash;
  std::optional<std::string> amount;   // numeric text
  std::optional<std::string> balance;  // numeric text
  std::optional<std::int64_t> grant_id;
};

// The result columns of a new operation.
struct OperationResult {
  std::int64_t wallet_id = 0;
  std::string credit_type;
  int scale = 0;
  std::optional<std::int64_t> amount;
  std::optional<std::int64_t> balance;
  std::optional<std::int64_t> grant_id;
  std::optional<std::int64_t> reverses_operation_id;
  std::int64_t first_seq = 0;
  std::int64_t last_seq = 0;
  Micros created_at = 0;
};

// An operation found by id.
struct OperationRef {
  std::int64_t operation_id = 0;
  std::string customer_id;
  std::string credit_type;
  std::string operation_type;
  std::int64_t first_seq = 0;
  std::int64_t last_seq = 0;
};

// The usage entries of an operation in seq order, with the labels they carry.
struct UsageEntries {
  std::vector<UsagePortion> portions;
  std::optional<std::string> feature;
  std::optional<std::string> source_id;
};

// What every entry of one operation shares.
struct EntryContext {
  std::int64_t operation_id = 0;
  Micros now = 0;
  Micros occurred_at = 0;
  std::optional<std::string> feature;
  std::optional<std::string> source_id;
  std::optional<std::string> reason;
  std::string actor;
  Datum metadata = 0;  // jsonb, passed through
  bool metadata_null = true;
  std::optional<std::string> metadata_text;
  // 1.2, priced usage: the quantity, unit price and price written on each
  // usage entry (outside the hash chain).
  std::optional<PricedUsage> priced;
};

// A hold as its row stores it (1.2), for capture, release and replays.
struct StoredHold {
  std::int64_t hold_id = 0;
  std::string credit_type;
  HoldStatus status = HoldStatus::kHeld;
  Micros expires_at = 0;
  std::optional<std::string> feature;
  std::optional<std::string> source_id;
  std::optional<std::string> metadata_text;
};

// What a new hold's row carries besides what it reserves.
struct HoldLabels {
  std::optional<std::string> feature;
  std::optional<std::string> source_id;
  Datum metadata = 0;  // jsonb, passed through
  bool metadata_null = true;
};

// A recurring schedule as its row stores it (issue 14).
struct RecurringRow {
  RecurringSchedule schedule;
  std::string credit_type;
  std::string time_zone = "UTC";
  std::optional<std::string> source_id;
  std::optional<Micros> next_start_at;  // NULL: no period will run
  std::int64_t wallet_id = 0;
};

// The ledger's tables as one SQL-callable operation sees them. Create one per
// call and call Finish() before building the result; an error instead leaves
// the clean-up to the transaction abort.
class Ledger {
 public:
  // A read-only ledger (for STABLE functions) reads with the statement's
  // snapshot and never advances the command counter; it cannot lock.
  explicit Ledger(ReadMode mode = ReadMode::kWriting) : tables_(mode) {}

  // Closes the tables and SPI.
  void Finish();

  // The scale of a credit type, or LG003.
  int RequireCreditType(const std::string& credit_type);
  // Sets wallet.currency from its credit type's row (read afresh: unlike
  // the scale, credit_type_update may change it). Call it before building
  // events whose payloads carry money.
  void LoadCurrency(Wallet& wallet);

  // Locks the wallet row (FOR UPDATE semantics); nullopt if there is none.
  std::optional<Wallet> LockWallet(const std::string& customer_id,
                                   const std::string& credit_type);
  // Locks the wallet unless another transaction holds it (SKIP LOCKED).
  std::optional<Wallet> TryLockWallet(const std::string& customer_id,
                                      const std::string& credit_type);
  // Reads the wallet without locking it (for balances).
  std::optional<Wallet> ReadWallet(const std::string& customer_id,
                                   const std::string& credit_type);
  // Locks the wallet, creating it (hard limit, no thresholds) if it is new.
  // Throws LG003 for an unknown credit type.
  Wallet LockOrCreateWallet(const std::string& customer_id,
                            const std::string& credit_type, Micros now);

  // The wallet's open grants (remaining > 0, neither voided nor expired by
  // the sweep) that have not lapsed by `now`, in no particular order. Lapsed
  // ones the sweep has not reached yet are never read: an index range skips
  // them, so a stopped sweep cannot slow consumes down.
  std::vector<OpenGrant> ReadOpenGrants(const Wallet& wallet, Micros now);
  // A draw-down's read (PrefixDrawDown): hands the wallet's open blocks in
  // the ledger to `take` one at a time until it returns false. On a 1.2
  // wallet (timed) in drawdown order - grants_drawdown_idx, DrawsBefore's
  // order, lapsed blocks included (a write caught up first: there are
  // none) - so a draw-down reads only as far as it draws; on an older
  // schema, which lacks that index, ReadOpenGrants' blocks in no order.
  void ReadDrawdownBlocks(const Wallet& wallet, Micros now,
                          const std::function<bool(OpenGrant)>& take);

  // Writes the remaining credits a plan left in each grant that changed
  // (closing a grant at zero).
  void SaveRemaining(const Wallet& wallet, const std::vector<OpenGrant>& before,
                     const std::vector<std::int64_t>& remaining_after);

  // The spendable balance at `now`. When no block of the wallet can be
  // scheduled (now >= its latest effective_at) it reads only the lapsed
  // blocks the sweep has not reached, however many active ones there are;
  // otherwise every open block. Call it before writing to the wallet.
  std::int64_t Spendable(const Wallet& wallet, Micros now);

  // Inserts a block with its jsonb metadata (passed through), and records
  // its effective_at on the wallet (saved with the wallet). 1.2: a block
  // not `entered` (scheduled or pending) has no entry yet. `created`: a
  // block a catch-up created (a recurring period's, a rollover's).
  void InsertGrant(Wallet& wallet, const NewGrant& grant, Datum metadata,
                   bool metadata_null, Micros now, bool entered = true,
                   bool pending = false, const CreatedBlock* created = nullptr);
  std::int64_t NextGrantId();

  // Who owns a grant: (customer_id, credit_type), or LG004.
  std::pair<std::string, std::string> GrantOwner(std::int64_t grant_id);
  // A grant of a wallet this transaction holds, or LG004.
  GrantRow ReadGrant(const Wallet& wallet, std::int64_t grant_id);
  // Writes a grant's remaining, lapsed totals and lifecycle timestamps.
  void SaveGrant(const Wallet& wallet, const GrantRow& grant);
  // Writes a grant's expires_at and priority (credit_grant_update).
  void SaveTerms(const Wallet& wallet, const GrantRow& grant);

  // The stored operation for the request's key if there is one: the
  // original when its parameters match, LG002 when they differ.
  std::optional<StoredOperation> FindReplay(const OperationRequest& request);
  // Inserts the operation; nullopt when a concurrent call with the same key
  // committed first (the caller then replays it with ReplayAfterConflict).
  std::optional<std::int64_t> InsertOperation(const OperationRequest& request,
                                              const OperationResult& result);
  // The operation that won a key conflict. Under REPEATABLE READ or
  // SERIALIZABLE it may be invisible to this transaction: then 40001, as
  // INSERT ... ON CONFLICT would raise.
  StoredOperation ReplayAfterConflict(const OperationRequest& request);
  // An operation by id, or LG004.
  OperationRef FindOperation(std::int64_t operation_id);
  UsageEntries ReadUsage(const Wallet& wallet, const OperationRef& operation);
  // Credits earlier reversals of an operation restored.
  std::int64_t ReversedSoFar(const Wallet& wallet, std::int64_t operation_id);

  // Appends entries in order, advancing the wallet's seq, balance, debt and
  // hash chain in memory; SaveWallet writes the wallet row afterwards.
  void AppendEntries(Wallet& wallet, const EntryContext& context,
                     const std::vector<EntryDraft>& drafts);
  // Whether an operation is stored as its one entry alone (a standalone
  // entry, no operation row; 1.2 schema): a consume writing one usage
  // entry whose amount and balance_after say its result (no holds changed
  // what it returns).
  bool FitsOneEntry(const OperationRequest& request,
                    const OperationResult& result, const Wallet& wallet,
                    const std::vector<EntryDraft>& drafts);
  // Stores such an operation: appends its entry (as AppendEntries) with the
  // request's key. False, with nothing written, when a concurrent call with
  // the same key committed first, in either key index (replay it with
  // ReplayAfterConflict); 40001 when an operation_rows writer of the key
  // commits while this entry is being written.
  bool AppendStandalone(Wallet& wallet, const EntryContext& context,
                        const EntryDraft& draft,
                        const OperationRequest& request);
  void SaveWallet(Wallet& wallet, Micros now);

  // Writes events (the outbox rows) and, when credit_ledger.notify is on,
  // queues their notifications (NOTIFY credit_ledger_events, delivered at
  // commit).
  void InsertEvents(const Wallet& wallet, std::int64_t operation_id, Micros now,
                    const std::vector<PendingEvent>& events);

  // 1.2, the wallet as the timeline planners see it (ledger_time.cpp): its
  // open blocks (entered or not) plus any block an active hold reserves
  // from, its active holds and (`schedules`) the schedules a catch-up needs
  // (ReadSchedules); `labels` gets each block's kind, reason and source_id.
  // The planners of a caught-up wallet (holds, captures, releases) never
  // look at schedules: they pass false and skip that read.
  TimedWallet ReadTimedWallet(const Wallet& wallet,
                              std::map<std::int64_t, BlockLabels>* labels,
                              bool schedules = true);
  // Writes the rows a timeline planner changed: the blocks' remaining,
  // held, lifecycle columns and open flag; the holds' status, captured and
  // closed_at. `inserted_hold`: a hold the operation has just inserted as
  // the plan left it (InsertHold), whose row needs no update.
  void SaveBlocks(const Wallet& wallet, const WalletChange& change,
                  std::optional<std::int64_t> inserted_hold = std::nullopt);
  // The blocks' side of these (ledger_grants.cpp): the wallet's open blocks
  // (entered or not; `labels` as above), one block of the wallet by id (any
  // state; nullopt if there is none), and a block's row as a plan left it.
  std::vector<Block>
  ReadOpenBlocks(const Wallet& wallet,
                 std::map<std::int64_t, BlockLabels>* labels);
  std::optional<Block> ReadBlock(const Wallet& wallet, std::int64_t grant_id);
  void SaveBlock(const Wallet& wallet, const Block& block, Micros now);

  // Issue 14, recurring grants (ledger_recurring.cpp): a new schedule's id
  // and row; a schedule by id under its customer, locked with its wallet
  // (LG004 otherwise); the schedule an operation created (for a replay);
  // the progress a catch-up or a cancel made (last_period, next_start_at,
  // canceled_at).
  std::int64_t NextRecurringId();
  void InsertRecurring(const Wallet& wallet, const RecurringRow& row,
                       std::int64_t operation_id, Micros now);
  std::optional<RecurringRow> FindRecurring(const std::string& customer_id,
                                            std::int64_t recurring_id);
  std::optional<std::int64_t>
  RecurringOfOperation(const std::string& customer_id,
                       std::int64_t operation_id);
  void SaveRecurring(const std::string& customer_id, const RecurringRow& row);
  // The wallet's schedules a catch-up needs: those still to issue a period
  // and those with an open block (its rollover terms).
  std::vector<TimedSchedule> ReadSchedules(const Wallet& wallet);

  // 1.2 holds (ledger_holds.cpp): a new hold's id and row (status held;
  // what it reserves in order), a hold by id under its customer (LG004
  // otherwise), and the hold an operation made (for a replay).
  std::int64_t NextHoldId();
  void InsertHold(const Wallet& wallet, const Hold& hold,
                  std::int64_t operation_id, const HoldLabels& labels,
                  Micros now);
  StoredHold RequireHold(const std::string& customer_id, std::int64_t hold_id);
  std::optional<StoredHold> HoldOfOperation(const std::string& customer_id,
                                            std::int64_t operation_id);
  // The wallet's active holds (status held, deadline passed or not) in
  // hold id order, each with what it reserves; a hold's row as a plan left
  // it (status, captured, closed_at).
  std::vector<Hold> ReadActiveHolds(const Wallet& wallet);
  void SaveHold(const Wallet& wallet, const Hold& hold);

  // 1.2 prices (ledger_prices.cpp), one index lookup each: the latest
  // price of `feature` in force at `at` for `customer_id` (nullptr: the
  // general price), and whether the feature has any customer's own price.
  std::optional<PriceRow> LatestPrice(const std::string& feature,
                                      const std::string* customer_id,
                                      Micros at);
  bool HasCustomerPrices(const std::string& feature);

  // Runs SQL through SPI (connecting on first use).
  void UseSpi();

 private:
  std::optional<Wallet> FindWallet(const std::string& customer_id,
                                   const std::string& credit_type, bool lock,
                                   bool skip_locked);
  // The standalone entry stored under a key digest, as an operation.
  std::optional<StoredOperation> FindStandalone(const std::string& customer_id,
                                                const Digest& key_hash);
  // A key is unique per customer across operation_rows and the standalone
  // entries: a writer that inserted it into one index looks into the other
  // one (`index` of `table`) and raises 40001 if a committed or concurrent
  // operation holds it there.
  void RequireKeyFree(TableId table, const char* index,
                      const std::string& customer_id, const Digest& key_hash);
  // Whether `index` of `table` holds the key, committed or written by this
  // transaction (waits for a concurrent writer of it to end).
  bool KeyTaken(TableId table, const char* index,
                const std::string& customer_id, const Digest& key_hash);
  // Whether the 1.2 schema (standalone entries, operation_rows) is installed.
  bool HasStandaloneEntries();

  Tables tables_;
  bool spi_ = false;
};

// The core's view of a wallet and its open grants.
inline WalletState PlannerState(const Wallet& wallet,
                                const std::vector<OpenGrant>& grants) {
  return PlannerState(grants, wallet.debt, wallet.policy, wallet.scale,
                      wallet.order);
}

}  // namespace credit_ledger::pg
