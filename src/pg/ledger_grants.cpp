// The ledger's grants (credit blocks): the open ones a wallet draws from,
// new blocks, and lifecycle changes of one grant.
#include "amount.hpp"
#include "error.hpp"
#include "guard.hpp"
#include "ledger.hpp"

namespace credit_ledger::pg {
namespace {

namespace grants {
ColumnRef grant_id{"grant_id"}, wallet_id{"wallet_id"},
    customer_id{"customer_id"}, credit_type{"credit_type"}, amount{"amount"},
    remaining{"remaining"}, promotional{"promotional"}, priority{"priority"},
    cost_basis{"cost_basis"}, effective_at{"effective_at"},
    expires_at{"expires_at"}, expired_amount{"expired_amount"},
    voided_amount{"voided_amount"}, reason{"reason"}, source_id{"source_id"},
    metadata{"metadata"}, kind{"kind"}, operation_id{"operation_id"},
    created_at{"created_at"}, open{"open"}, entered{"entered"},
    pending{"pending"}, held{"held"}, recurring_id{"recurring_id"},
    period{"period"}, rolled_from_grant_id{"rolled_from_grant_id"},
    rolled_over_amount{"rolled_over_amount"};
}  // namespace grants

// Statements of the paths that stay on SPI: rare operations, where a plan's
// flexibility is worth more than its cost.
Statement
    grant_owner("SELECT customer_id, credit_type FROM credit_ledger.grants"
                " WHERE grant_id = $1",
                {INT8OID});

Statement read_grant(
    "SELECT amount, remaining, promotional, cost_basis, expires_at, voided_at,"
    "       expired_at, expired_amount, voided_amount, priority, effective_at"
    "  FROM credit_ledger.grants"
    " WHERE grant_id = $1 AND customer_id = $2",
    {INT8OID, TEXTOID});

Statement
    save_grant("UPDATE credit_ledger.grants"
               "   SET remaining = $3, expired_amount = $4, voided_amount = $5,"
               "       voided_at = $6, expired_at = $7, open = $8"
               " WHERE grant_id = $1 AND customer_id = $2",
               {INT8OID, TEXTOID, NUMERICOID, NUMERICOID, NUMERICOID,
                TIMESTAMPTZOID, TIMESTAMPTZOID, BOOLOID});

Statement save_terms("UPDATE credit_ledger.grants"
                     "   SET expires_at = $3, priority = $4"
                     " WHERE grant_id = $1 AND customer_id = $2",
                     {INT8OID, TEXTOID, TIMESTAMPTZOID, INT4OID});

// Calls visit(row, id) with each of the wallet's open blocks in the ledger
// that `index` finds by `keys`, in the index's order, until visit returns
// false. A 1.2 block that has not entered (scheduled or pending) is open but
// skipped: it is nobody's to spend, and its credit is not in the ledger
// balance. The row is valid during the call only.
template <typename Visit>
void OpenBlocks(Table& t, const Wallet& wallet, const char* index,
                const IndexKey* keys, int nkeys, Visit&& visit) {
  const AttrNumber entered = t.OptAt(grants::entered);
  t.Scan(index, keys, nkeys, [&](const Row& r, RowId id) {
    if (entered != InvalidAttrNumber && !r.Bool(entered)) return true;
    if (r.Text(t.At(grants::customer_id)) != wallet.customer_id) return true;
    return visit(r, id);
  });
}

// OpenBlocks in one range of grants_open_idx (wallet_id, coalesce(expires_at,
// infinity)): those still to expire after `now`, never-expiring ones
// included, or (`lapsed`) those that lapsed by `now`.
template <typename Visit>
void OpenBlocks(Table& t, const Wallet& wallet, Micros now, bool lapsed,
                Visit&& visit) {
  const IndexKey keys[2] = {IndexKey::Int64(1, wallet.wallet_id),
                            lapsed ? IndexKey::TimestampAtOrBefore(2, now)
                                   : IndexKey::TimestampAfter(2, now)};
  OpenBlocks(t, wallet, "grants_open_idx", keys, 2, visit);
}

// A block as the planners see it.
OpenGrant ReadOpen(Table& t, const Row& r, RowId id, int scale) {
  OpenGrant g;
  g.row = id;
  g.state.grant_id = r.Int64(t.At(grants::grant_id));
  g.state.priority = r.Int32(t.At(grants::priority));
  g.state.effective_at = r.Timestamp(t.At(grants::effective_at));
  g.state.expires_at =
      r.OptTimestamp(t.At(grants::expires_at)).value_or(kNever);
  g.state.promotional = r.Bool(t.At(grants::promotional));
  g.state.remaining = r.Units(t.At(grants::remaining), scale);
  g.cost_basis = r.NumericText(t.At(grants::cost_basis));
  return g;
}

}  // namespace

std::vector<OpenGrant> Ledger::ReadOpenGrants(const Wallet& wallet,
                                              Micros now) {
  Table t = tables_.Open(TableId::kGrants);
  std::vector<OpenGrant> out;
  OpenBlocks(t, wallet, now, false, [&](const Row& r, RowId id) {
    out.push_back(ReadOpen(t, r, id, wallet.scale));
    return true;
  });
  return out;
}

void Ledger::ReadDrawdownBlocks(const Wallet& wallet, Micros now,
                                const std::function<bool(OpenGrant)>& take) {
  Table t = tables_.Open(TableId::kGrants);
  auto visit = [&](const Row& r, RowId id) {
    return take(ReadOpen(t, r, id, wallet.scale));
  };
  if (!wallet.timed) {
    OpenBlocks(t, wallet, now, false, visit);
    return;
  }
  const IndexKey key = IndexKey::Int64(1, wallet.wallet_id);
  OpenBlocks(t, wallet, "grants_drawdown_idx", &key, 1, visit);
}

void Ledger::SaveRemaining(const Wallet& wallet,
                           const std::vector<OpenGrant>& before,
                           const std::vector<std::int64_t>& remaining_after) {
  Table t = tables_.Open(TableId::kGrants);
  const AttrNumber held = t.OptAt(grants::held);  // 1.2
  bool prepared = false;
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (remaining_after[i] == before[i].state.remaining) continue;
    if (!prepared) t.PrepareWrite();
    prepared = true;
    CheckForInterrupts();
    if (!before[i].row) {
      throw LedgerError(ErrorCode::kInternal,
                        "a grant to update was not read from the table");
    }
    RowScope row(tables_);
    const StoredRow old = t.FetchVersion(*before[i].row);
    // Read open, so neither voided nor expired. What holds reserve from it
    // is its credit too: a block emptied of free credit stays open for them.
    const std::int64_t reserved =
        held == InvalidAttrNumber ? 0 : t.Read(old).Units(held, wallet.scale);
    t.Write()
        .Units(grants::remaining, remaining_after[i], wallet.scale)
        .Bool(grants::open,
              IsOpen(AddUnits(remaining_after[i], reserved), false, false))
        .Update(old);
  }
}

std::int64_t Ledger::Spendable(const Wallet& wallet, Micros now) {
  const bool none_scheduled =
      wallet.latest_effective_tracked &&
      (!wallet.latest_effective_at || *wallet.latest_effective_at <= now);
  if (!none_scheduled) {
    return SpendableBalance(PlannerState(wallet, ReadOpenGrants(wallet, now)),
                            now);
  }
  // The other range of grants_open_idx: the wallet's open blocks that lapsed
  // by now (usually none: the sweep closes them).
  Table t = tables_.Open(TableId::kGrants);
  std::int64_t lapsed = 0;
  OpenBlocks(t, wallet, now, true, [&](const Row& r, RowId) {
    lapsed = AddUnits(lapsed, r.Units(t.At(grants::remaining), wallet.scale));
    return true;
  });
  return SpendableFromLedger(wallet.balance, lapsed);
}

void Ledger::InsertGrant(Wallet& wallet, const NewGrant& g, Datum metadata,
                         bool metadata_null, Micros now, bool entered,
                         bool pending, const CreatedBlock* created) {
  if (!wallet.latest_effective_at ||
      g.effective_at > *wallet.latest_effective_at) {
    wallet.latest_effective_at = g.effective_at;
  }
  Table t = tables_.Open(TableId::kGrants);
  RowWriter row = t.Write();
  // 1.2 columns (absent on an older version's schema): a table-layer insert
  // sets every column, so their defaults do not apply.
  if (t.OptAt(grants::entered) != InvalidAttrNumber) {
    row.Bool(grants::entered, entered)
        .Bool(grants::pending, pending)
        .Units(grants::held, 0, wallet.scale);
  }
  // Issue 14's columns: the schedule and period of a block a schedule
  // issued, the origin of a rollover block.
  if (t.OptAt(grants::rolled_over_amount) != InvalidAttrNumber) {
    std::optional<std::int64_t> recurring_id, period, from;
    std::int64_t rolled = 0;
    if (created != nullptr) {
      recurring_id = created->recurring_id;
      period = created->period;
      from = created->rolled_from_grant_id;
      rolled = created->rolled_over_amount;
    }
    row.Int64(grants::recurring_id, recurring_id)
        .Int64(grants::period, period)
        .Int64(grants::rolled_from_grant_id, from)
        .Units(grants::rolled_over_amount, rolled, wallet.scale);
  }
  row.Int64(grants::grant_id, g.grant_id)
      .Int64(grants::wallet_id, wallet.wallet_id)
      .Text(grants::customer_id, wallet.customer_id)
      .Text(grants::credit_type, wallet.credit_type)
      .Units(grants::amount, g.amount, wallet.scale)
      .Units(grants::remaining, g.remaining, wallet.scale)
      .Bool(grants::promotional, g.promotional)
      .Int32(grants::priority, g.priority)
      .Numeric(grants::cost_basis, g.cost_basis)
      .Timestamp(grants::effective_at, g.effective_at)
      .Timestamp(grants::expires_at, g.expires_at)
      .Units(grants::expired_amount, 0, wallet.scale)
      .Units(grants::voided_amount, 0, wallet.scale)
      .Text(grants::reason, g.reason)
      .Text(grants::source_id, g.source_id)
      .Jsonb(grants::metadata, metadata, metadata_null)
      .Text(grants::kind, g.kind)
      .Int64(grants::operation_id, g.operation_id)
      .Timestamp(grants::created_at, now)
      .Bool(grants::open,
            IsBlockOpen(g.remaining, 0, entered, false, false, false))
      .Insert();
}

std::int64_t Ledger::NextGrantId() {
  return NextVal("grant_id_seq");
}

std::pair<std::string, std::string> Ledger::GrantOwner(std::int64_t grant_id) {
  UseSpi();
  Params p;
  p.Int64(grant_id);
  Rows rows = Execute(grant_owner, p, 1);
  if (rows.empty()) {
    throw LedgerError(ErrorCode::kNotFound,
                      "grant " + std::to_string(grant_id) + " does not exist");
  }
  return {rows[0].Text(1), rows[0].Text(2)};
}

GrantRow Ledger::ReadGrant(const Wallet& wallet, std::int64_t grant_id) {
  UseSpi();
  Params p;
  p.Int64(grant_id).Text(wallet.customer_id);
  Rows rows = Execute(read_grant, p, 1);
  if (rows.empty()) {
    throw LedgerError(ErrorCode::kNotFound,
                      "grant " + std::to_string(grant_id) + " does not exist");
  }
  Row r = rows[0];
  GrantRow g;
  g.grant_id = grant_id;
  g.amount = r.Units(1, wallet.scale);
  g.remaining = r.Units(2, wallet.scale);
  g.promotional = r.Bool(3);
  g.cost_basis = r.NumericText(4);
  g.expires_at = r.OptTimestamp(5).value_or(kNever);
  g.voided_at = r.OptTimestamp(6);
  g.expired_at = r.OptTimestamp(7);
  g.expired_amount = r.Units(8, wallet.scale);
  g.voided_amount = r.Units(9, wallet.scale);
  g.priority = r.Int32(10);
  g.effective_at = r.Timestamp(11);
  return g;
}

void Ledger::SaveGrant(const Wallet& wallet, const GrantRow& g) {
  UseSpi();
  Params p;
  p.Int64(g.grant_id)
      .Text(wallet.customer_id)
      .Units(g.remaining, wallet.scale)
      .Units(g.expired_amount, wallet.scale)
      .Units(g.voided_amount, wallet.scale)
      .Timestamp(g.voided_at)
      .Timestamp(g.expired_at)
      .Bool(IsOpen(g));
  Execute(save_grant, p);
}

void Ledger::SaveTerms(const Wallet& wallet, const GrantRow& g) {
  UseSpi();
  Params p;
  p.Int64(g.grant_id).Text(wallet.customer_id);
  if (g.expires_at == kNever) {
    p.Null();
  } else {
    p.Timestamp(g.expires_at);
  }
  p.Int32(g.priority);
  Execute(save_terms, p);
}

}  // namespace credit_ledger::pg
