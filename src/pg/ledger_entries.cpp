// The ledger's entries (appended in the wallet's hash chain, numbered by the
// core: chain.hpp) and events (the outbox).
#include "chain.hpp"
#include "fingerprint.hpp"
#include "guard.hpp"
#include "ledger.hpp"
#include "settings.hpp"

namespace credit_ledger::pg {
namespace {

namespace entries {
ColumnRef entry_id{"entry_id"}, wallet_id{"wallet_id"},
    customer_id{"customer_id"}, credit_type{"credit_type"}, seq{"seq"},
    entry_type{"entry_type"}, amount{"amount"}, value{"value"},
    balance_after{"balance_after"}, grant_id{"grant_id"},
    operation_id{"operation_id"}, promotional{"promotional"},
    feature{"feature"}, source_id{"source_id"}, reason{"reason"},
    actor{"actor"}, metadata{"metadata"}, occurred_at{"occurred_at"},
    created_at{"created_at"}, hash{"hash"}, quantity{"quantity"},
    unit_price{"unit_price"}, price_id{"price_id"}, key_hash{"key_hash"},
    request_hash{"request_hash"}, standalone{"standalone"};
}  // namespace entries

namespace events {
ColumnRef event_id{"event_id"}, event_type{"event_type"},
    customer_id{"customer_id"}, credit_type{"credit_type"},
    wallet_id{"wallet_id"}, operation_id{"operation_id"}, payload{"payload"},
    created_at{"created_at"}, attempts{"attempts"};
}  // namespace events

// The value of each draft (amount x cost basis), one row scope at a time.
std::vector<std::optional<std::string>>
DraftValues(Tables& tables, const std::vector<EntryDraft>& drafts, int scale) {
  std::vector<std::optional<std::string>> values(drafts.size());
  for (std::size_t i = 0; i < drafts.size(); ++i) {
    if (!drafts[i].cost_basis) continue;
    RowScope row(tables);
    values[i] = MoneyValue(drafts[i].amount, scale, *drafts[i].cost_basis);
  }
  return values;
}

EntryLabels Labels(const Wallet& wallet, const EntryContext& ctx) {
  EntryLabels l;
  l.wallet_id = wallet.wallet_id;
  l.customer_id = wallet.customer_id;
  l.credit_type = wallet.credit_type;
  l.operation_id = ctx.operation_id;
  l.now = ctx.now;
  l.occurred_at = ctx.occurred_at;
  l.feature = ctx.feature;
  l.source_id = ctx.source_id;
  l.reason = ctx.reason;
  l.actor = ctx.actor;
  l.metadata = ctx.metadata_text;
  return l;
}

// The row of an entry, to insert.
RowWriter EntryRow(Table& t, const NumberedEntry& n, const EntryContext& ctx,
                   int scale) {
  const EntryRecord& e = n.record;
  RowWriter row = t.Write();
  row.Int64(entries::entry_id, NextVal("entry_id_seq"))
      .Int64(entries::wallet_id, e.wallet_id)
      .Text(entries::customer_id, e.customer_id)
      .Text(entries::credit_type, e.credit_type)
      .Int64(entries::seq, e.seq)
      .Text(entries::entry_type, EntryTypeName(e.type))
      .Units(entries::amount, e.amount, scale)
      .Numeric(entries::value, e.value)
      .Units(entries::balance_after, e.balance_after, scale)
      .Int64(entries::grant_id, e.grant_id)
      .Int64(entries::operation_id, e.operation_id)
      .Bool(entries::promotional, e.promotional)
      .Text(entries::feature, e.feature)
      .Text(entries::source_id, e.source_id)
      .Text(entries::reason, e.reason)
      .Text(entries::actor, e.actor)
      .Jsonb(entries::metadata, ctx.metadata, ctx.metadata_null)
      .Timestamp(entries::occurred_at, e.occurred_at)
      .Timestamp(entries::created_at, e.created_at)
      .Bytes(entries::hash, n.hash);
  // 1.2 priced usage, on its usage entries only (the columns exist from 1.2
  // on, as does the one function that prices).
  if (ctx.priced && e.type == EntryType::kUsage) {
    row.Numeric(entries::quantity, ctx.priced->quantity)
        .Numeric(entries::unit_price, ctx.priced->credits_per_unit)
        .Int64(entries::price_id, ctx.priced->price_id);
  }
  return row;
}

// Numbers drafts after the wallet's last entry.
NumberedEntries Number(Tables& tables, const Wallet& wallet,
                       const EntryContext& ctx,
                       const std::vector<EntryDraft>& drafts) {
  const WalletChain before{wallet.last_seq, wallet.balance, wallet.debt,
                           wallet.last_hash};
  return NumberEntries(before, Labels(wallet, ctx), drafts,
                       DraftValues(tables, drafts, wallet.scale));
}

// The amount of a usage entry as the amount its consume returned (numeric
// text, negated).
std::string Negated(const std::string& amount) {
  if (!amount.empty() && amount[0] == '-') return amount.substr(1);
  return "-" + amount;
}

// Entries written under credit_ledger.clock add themselves to
// credit_revenue's summary (see revenue_entered in sql/credit_ledger.sql),
// once the installed SQL has it (a 1.0 or 1.1 installation runs this library
// until ALTER EXTENSION UPDATE).
Statement revenue_summary_installed(
    "SELECT pg_catalog.to_regprocedure('credit_ledger.revenue_entered("
    "bigint, text, bigint, bigint, timestamptz)') IS NOT NULL",
    {});
Statement
    revenue_entered("SELECT credit_ledger.revenue_entered($1, $2, $3, $4, $5)",
                    {INT8OID, TEXTOID, INT8OID, INT8OID, TIMESTAMPTZOID});

// With SPI connected: adds a wallet's entries first_seq..last_seq, written
// at `created_at` under the clock, to the summary.
void AddToRevenueSummary(const Wallet& wallet, std::int64_t first_seq,
                         Micros created_at) {
  if (!Execute(revenue_summary_installed, 1)[0].Bool(1)) return;
  Params p;
  p.Int64(wallet.wallet_id)
      .Text(wallet.customer_id)
      .Int64(first_seq)
      .Int64(wallet.last_seq)
      .Timestamp(created_at);
  Execute(revenue_entered, p);
}

// Takes the chain state after appended entries (first_seq the first of
// them) into the wallet, and adds them to the revenue summary under
// credit_ledger.clock.
void Advance(Ledger& ledger, Wallet& wallet, const WalletChain& after,
             std::int64_t first_seq, Micros now) {
  wallet.last_seq = after.last_seq;
  wallet.balance = after.balance;
  wallet.debt = after.debt;
  wallet.last_hash = after.last_hash;
  if (LedgerClockSet()) {
    ledger.UseSpi();
    AddToRevenueSummary(wallet, first_seq, now);
  }
}

}  // namespace

void Ledger::AppendEntries(Wallet& wallet, const EntryContext& ctx,
                           const std::vector<EntryDraft>& drafts) {
  if (drafts.empty()) return;
  const std::int64_t first_seq = wallet.last_seq + 1;
  const NumberedEntries numbered = Number(tables_, wallet, ctx, drafts);
  Table t = tables_.Open(TableId::kEntries);
  t.PrepareWrite();
  for (const NumberedEntry& n : numbered.entries) {
    CheckForInterrupts();  // a drawdown over many grants stays cancellable
    RowScope row(tables_);
    EntryRow(t, n, ctx, wallet.scale).Insert();
  }
  Advance(*this, wallet, numbered.after, first_seq, ctx.now);
}

bool Ledger::HasStandaloneEntries() {
  return tables_.Open(TableId::kEntries).OptAt(entries::standalone) !=
         InvalidAttrNumber;
}

bool Ledger::FitsOneEntry(const OperationRequest& request,
                          const OperationResult& result, const Wallet& wallet,
                          const std::vector<EntryDraft>& drafts) {
  if (request.operation_type != "consume" || drafts.size() != 1) return false;
  const EntryDraft& d = drafts[0];
  return d.type == EntryType::kUsage && !result.grant_id &&
         !result.reverses_operation_id && result.amount == -d.amount &&
         result.balance == wallet.balance + d.amount && HasStandaloneEntries();
}

bool Ledger::AppendStandalone(Wallet& wallet, const EntryContext& ctx,
                              const EntryDraft& draft,
                              const OperationRequest& request) {
  std::optional<Digest> key;
  if (request.idempotency_key) key = KeyDigest(request);
  // First the key in operation_rows, waiting for a concurrent writer of it:
  // a call with the same request stored there (two entries then, or a batch
  // event) commits while this one waits for the wallet, which the hot path
  // does not look the key up again under (LockForWrite), and must be
  // replayed, not met after this entry is written (40001).
  if (key && KeyTaken(TableId::kOperations, kOperationKeyIndex,
                      request.customer_id, *key)) {
    return false;
  }
  const std::int64_t first_seq = wallet.last_seq + 1;
  const NumberedEntries numbered = Number(tables_, wallet, ctx, {draft});
  Table t = tables_.Open(TableId::kEntries);
  t.PrepareWrite();
  {
    RowScope row(tables_);
    RowWriter w = EntryRow(t, numbered.entries[0], ctx, wallet.scale);
    w.Bool(entries::standalone, true);
    if (!key) {
      w.Insert();
    } else {
      w.Bytes(entries::key_hash, key, kStoredKeyBytes)
          .Bytes(entries::request_hash, request.request_hash,
                 kStoredRequestBytes);
      // A concurrent call with the same key is waited for; if it
      // committed, this call replays it instead of applying again.
      if (!w.InsertUnlessConflict(kEntryKeyIndex)) return false;
    }
  }
  // ...and again after the entry is written, for a writer that passed its
  // own look into entries_key_idx before this entry was there.
  if (key) {
    RequireKeyFree(TableId::kOperations, kOperationKeyIndex,
                   request.customer_id, *key);
  }
  Advance(*this, wallet, numbered.after, first_seq, ctx.now);
  return true;
}

std::optional<StoredOperation>
Ledger::FindStandalone(const std::string& customer_id, const Digest& key_hash) {
  Table t = tables_.Open(TableId::kEntries);
  if (t.OptAt(entries::standalone) == InvalidAttrNumber) return std::nullopt;
  const IndexKey keys[2] = {IndexKey::Text(1, customer_id),
                            IndexKey::Bytes(2, key_hash, kStoredKeyBytes)};
  if (!t.Fetch(kEntryKeyIndex, keys, 2)) return std::nullopt;
  Row r = t.Read(t.CopyCurrent());
  StoredOperation op;
  op.operation_id = r.Int64(t.At(entries::operation_id));
  op.operation_type = "consume";
  op.request_hash = r.Bytes(t.At(entries::request_hash));
  op.amount = Negated(*r.NumericText(t.At(entries::amount)));
  op.balance = r.NumericText(t.At(entries::balance_after));
  return op;
}

void Ledger::InsertEvents(const Wallet& wallet, std::int64_t operation_id,
                          Micros now, const std::vector<PendingEvent>& events) {
  if (events.empty()) return;
  Table t = tables_.Open(TableId::kEvents);
  const bool notify = NotifyEvents();
  t.PrepareWrite();
  for (const PendingEvent& e : events) {
    RowScope row(tables_);
    const std::int64_t id = NextVal("event_id_seq");
    t.Write()
        .Int64(events::event_id, id)
        .Text(events::event_type, e.type)
        .Text(events::customer_id, wallet.customer_id)
        .Text(events::credit_type, wallet.credit_type)
        .Int64(events::wallet_id, wallet.wallet_id)
        .Int64(events::operation_id, operation_id)
        .Set(events::payload, JsonbDatum(e.payload))
        .Timestamp(events::created_at, now)
        .Int32(events::attempts, 0)
        .Insert();
    if (notify) Notify("credit_ledger_events", std::to_string(id));
  }
}

}  // namespace credit_ledger::pg
