// 1.2: the wallet as the timeline planners see it (blocks entered or not,
// active holds) and the rows their changes touch. Only rare paths come here
// (a catch-up, a confirmation, a cancellation, a scheduled block), so it
// runs on SPI, where a plan's flexibility is worth more than its cost.
#include "error.hpp"
#include "ledger.hpp"
#include "settings.hpp"

#include <set>

namespace credit_ledger::pg {
namespace {

// Every column a Block needs; $3 NULL: the wallet's open blocks, else the
// one block.
Statement read_blocks(
    "SELECT grant_id, amount, remaining, promotional, cost_basis, expires_at,"
    "       voided_at, expired_at, expired_amount, voided_amount, priority,"
    "       effective_at, entered, pending, canceled_at, held, kind, reason,"
    "       source_id, recurring_id, period"
    "  FROM credit_ledger.grants"
    " WHERE wallet_id = $1 AND customer_id = $2"
    "   AND CASE WHEN $3::bigint IS NULL THEN open ELSE grant_id = $3 END",
    {INT8OID, TEXTOID, INT8OID});

// The wallet's active holds (status held, deadline passed or not), one row
// per reserved part in order.
Statement read_holds(
    "SELECT h.hold_id, h.amount, h.captured, h.expires_at, r.grant_id,"
    "       r.amount"
    "  FROM credit_ledger.holds h"
    "  LEFT JOIN LATERAL unnest(h.reserved_grant_ids, h.reserved_amounts)"
    "       WITH ORDINALITY AS r(grant_id, amount, ord) ON true"
    " WHERE h.wallet_id = $1 AND h.customer_id = $2 AND h.status = 'held'"
    " ORDER BY h.hold_id, r.ord",
    {INT8OID, TEXTOID});

Statement save_block(
    "UPDATE credit_ledger.grants"
    "   SET remaining = $3, held = $4, expired_amount = $5,"
    "       voided_amount = $6, voided_at = $7, expired_at = $8,"
    "       entered = $9, pending = $10,"
    "       canceled_at = CASE WHEN $11 THEN coalesce(canceled_at, $12) END,"
    "       open = $13"
    " WHERE grant_id = $1 AND customer_id = $2",
    {INT8OID, TEXTOID, NUMERICOID, NUMERICOID, NUMERICOID, NUMERICOID,
     TIMESTAMPTZOID, TIMESTAMPTZOID, BOOLOID, BOOLOID, BOOLOID, TIMESTAMPTZOID,
     BOOLOID});

Statement save_hold("UPDATE credit_ledger.holds"
                    "   SET status = $3, captured = $4, closed_at = $5"
                    " WHERE hold_id = $1 AND customer_id = $2",
                    {INT8OID, TEXTOID, TEXTOID, NUMERICOID, TIMESTAMPTZOID});

const char* StatusName(HoldStatus s) {
  switch (s) {
  case HoldStatus::kHeld:
    return "held";
  case HoldStatus::kCaptured:
    return "captured";
  case HoldStatus::kReleased:
    return "released";
  case HoldStatus::kExpired:
    return "expired";
  }
  return "held";
}

Block ReadBlockRow(const Row& r, int s, BlockLabels* labels) {
  Block b;
  GrantRow& g = b.row;
  g.grant_id = r.Int64(1);
  g.amount = r.Units(2, s);
  g.remaining = r.Units(3, s);
  g.promotional = r.Bool(4);
  g.cost_basis = r.NumericText(5);
  g.expires_at = r.OptTimestamp(6).value_or(kNever);
  g.voided_at = r.OptTimestamp(7);
  g.expired_at = r.OptTimestamp(8);
  g.expired_amount = r.Units(9, s);
  g.voided_amount = r.Units(10, s);
  g.priority = r.Int32(11);
  g.effective_at = r.Timestamp(12);
  b.entered = r.Bool(13);
  b.pending = r.Bool(14);
  b.canceled = !r.IsNull(15);
  b.held = r.Units(16, s);
  b.kind = r.Text(17);
  b.recurring_id = r.OptInt64(20);
  b.period = r.OptInt64(21).value_or(0);
  if (labels != nullptr) {
    labels->kind = r.Text(17);
    labels->reason = r.OptText(18);
    labels->source_id = r.OptText(19);
  }
  return b;
}

}  // namespace

TimedWallet
Ledger::ReadTimedWallet(const Wallet& wallet,
                        std::map<std::int64_t, BlockLabels>* labels) {
  UseSpi();
  TimedWallet tw;
  tw.balance = wallet.balance;
  tw.debt = wallet.debt;
  tw.policy = wallet.policy;
  tw.scale = wallet.scale;
  tw.order = wallet.order;
  const int s = wallet.scale;
  Params key;
  key.Int64(wallet.wallet_id).Text(wallet.customer_id).Null();
  Rows blocks = Execute(read_blocks, key, 0, tables_.mode());
  std::set<std::int64_t> have;
  for (std::uint64_t i = 0; i < blocks.size(); ++i) {
    BlockLabels l;
    Block b = ReadBlockRow(blocks[i], s, &l);
    have.insert(b.row.grant_id);
    if (labels != nullptr) (*labels)[b.row.grant_id] = std::move(l);
    tw.blocks.push_back(std::move(b));
  }
  FreeRows(blocks);

  Params hkey;
  hkey.Int64(wallet.wallet_id).Text(wallet.customer_id);
  Rows holds = Execute(read_holds, hkey, 0, tables_.mode());
  for (std::uint64_t i = 0; i < holds.size(); ++i) {
    Row r = holds[i];
    const std::int64_t id = r.Int64(1);
    if (tw.holds.empty() || tw.holds.back().hold_id != id) {
      Hold h;
      h.hold_id = id;
      h.amount = r.Units(2, s);
      h.captured = r.Units(3, s);
      h.expires_at = r.Timestamp(4);
      tw.holds.push_back(std::move(h));
    }
    if (r.IsNull(6)) continue;  // no parts
    Reservation part;
    part.grant_id = r.OptInt64(5);
    part.amount = r.Units(6, s);
    tw.holds.back().reserved.push_back(part);
  }
  FreeRows(holds);
  tw.schedules = ReadSchedules(wallet);
  // Blocks a hold reserves from that are no longer open (voided, expired).
  for (const Hold& h : tw.holds) {
    for (const Reservation& part : h.reserved) {
      if (!part.grant_id || have.count(*part.grant_id) != 0) continue;
      if (auto b = ReadBlock(wallet, *part.grant_id)) {
        have.insert(*part.grant_id);
        tw.blocks.push_back(std::move(*b));
      }
    }
  }
  return tw;
}

std::optional<Block> Ledger::ReadBlock(const Wallet& wallet,
                                       std::int64_t grant_id) {
  UseSpi();
  Params p;
  p.Int64(wallet.wallet_id).Text(wallet.customer_id).Int64(grant_id);
  Rows rows = Execute(read_blocks, p, 1, tables_.mode());
  if (rows.empty()) return std::nullopt;
  return ReadBlockRow(rows[0], wallet.scale, nullptr);
}

void Ledger::SaveBlocks(const Wallet& wallet, const WalletChange& change) {
  if (change.changed_blocks.empty() && change.changed_holds.empty()) return;
  UseSpi();
  const int s = wallet.scale;
  const Micros now = LedgerNow();
  for (const std::int64_t id : change.changed_blocks) {
    const Block* b = nullptr;
    for (const Block& x : change.wallet.blocks) {
      if (x.row.grant_id == id) b = &x;
    }
    if (b == nullptr) {
      throw LedgerError(ErrorCode::kInternal,
                        "a changed block is not in the planned wallet");
    }
    Params p;
    p.Int64(id)
        .Text(wallet.customer_id)
        .Units(b->row.remaining, s)
        .Units(b->held, s)
        .Units(b->row.expired_amount, s)
        .Units(b->row.voided_amount, s)
        .Timestamp(b->row.voided_at)
        .Timestamp(b->row.expired_at)
        .Bool(b->entered)
        .Bool(b->pending)
        .Bool(b->canceled)
        .Timestamp(now)
        .Bool(IsBlockOpen(*b));
    Execute(save_block, p);
  }
  for (const std::int64_t id : change.changed_holds) {
    const Hold* h = nullptr;
    for (const Hold& x : change.wallet.holds) {
      if (x.hold_id == id) h = &x;
    }
    if (h == nullptr) {
      throw LedgerError(ErrorCode::kInternal,
                        "a changed hold is not in the planned wallet");
    }
    Params p;
    p.Int64(id)
        .Text(wallet.customer_id)
        .Text(StatusName(h->status))
        .Units(h->captured, s)
        .Timestamp(h->closed_at);
    Execute(save_hold, p);
  }
}

}  // namespace credit_ledger::pg
