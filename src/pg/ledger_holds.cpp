// The ledger's holds (1.2): a new hold's row, a hold by id under its
// customer, a wallet's active holds (read with the wallet, ReadTimedWallet)
// and a hold's status, captured and closed_at as a plan left them. Every
// hold, capture and release reads and writes them, so they go through the
// table layer; only a replay's lookup by operation stays on SPI (holds have
// no index on operation_id).
#include "amount.hpp"
#include "error.hpp"
#include "ledger.hpp"

#include <algorithm>
#include <string>

namespace credit_ledger::pg {
namespace {

namespace holds {
ColumnRef hold_id{"hold_id"}, wallet_id{"wallet_id"},
    customer_id{"customer_id"}, credit_type{"credit_type"}, amount{"amount"},
    captured{"captured"}, status{"status"}, expires_at{"expires_at"},
    feature{"feature"}, source_id{"source_id"}, metadata{"metadata"},
    created_at{"created_at"}, closed_at{"closed_at"},
    reserved_grant_ids{"reserved_grant_ids"},
    reserved_amounts{"reserved_amounts"}, operation_id{"operation_id"};
}  // namespace holds

// A replay's lookup, rare: SPI.
Statement hold_of_operation("SELECT hold_id FROM credit_ledger.holds"
                            " WHERE customer_id = $1 AND operation_id = $2",
                            {TEXTOID, INT8OID});

HoldStatus StatusOf(const std::string& status) {
  if (status == "captured") return HoldStatus::kCaptured;
  if (status == "released") return HoldStatus::kReleased;
  if (status == "expired") return HoldStatus::kExpired;
  return HoldStatus::kHeld;
}

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

// The hold's row under its customer (holds_pkey) made current; false if
// there is none.
bool FetchHold(Table& t, const std::string& customer_id, std::int64_t hold_id) {
  const IndexKey keys[2] = {IndexKey::Int64(1, hold_id),
                            IndexKey::Text(2, customer_id)};
  return t.Fetch("holds_pkey", keys, 2);
}

// What a hold reserves, in order, from its two arrays.
std::vector<Reservation> ReservedParts(Table& t, const Row& r, int scale) {
  const std::vector<std::optional<std::int64_t>> ids =
      r.OptInt64Array(t.At(holds::reserved_grant_ids));
  const std::vector<std::int64_t> amounts =
      r.UnitsArray(t.At(holds::reserved_amounts), scale);
  if (ids.size() != amounts.size()) {
    throw LedgerError(ErrorCode::kInternal,
                      "a hold's reserved parts do not match");
  }
  std::vector<Reservation> parts;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    parts.push_back(Reservation{ids[i], amounts[i]});
  }
  return parts;
}

}  // namespace

std::int64_t Ledger::NextHoldId() {
  return NextVal("hold_id_seq");
}

void Ledger::InsertHold(const Wallet& wallet, const Hold& hold,
                        std::int64_t operation_id, const HoldLabels& labels,
                        Micros now) {
  const int s = wallet.scale;
  std::vector<std::optional<std::int64_t>> ids;
  std::vector<std::int64_t> amounts;
  for (const Reservation& r : hold.reserved) {
    ids.push_back(r.grant_id);
    amounts.push_back(r.amount);
  }
  Table t = tables_.Open(TableId::kHolds);
  t.Write()
      .Int64(holds::hold_id, hold.hold_id)
      .Int64(holds::wallet_id, wallet.wallet_id)
      .Text(holds::customer_id, wallet.customer_id)
      .Text(holds::credit_type, wallet.credit_type)
      .Units(holds::amount, hold.amount, s)
      .Units(holds::captured, 0, s)
      .Text(holds::status, StatusName(HoldStatus::kHeld))
      .Timestamp(holds::expires_at, hold.expires_at)
      .Text(holds::feature, labels.feature)
      .Text(holds::source_id, labels.source_id)
      .Jsonb(holds::metadata, labels.metadata, labels.metadata_null)
      .Timestamp(holds::created_at, now)
      .Null(holds::closed_at)
      .Set(holds::reserved_grant_ids, OptInt64ArrayDatum(ids))
      .UnitsArray(holds::reserved_amounts, amounts, s)
      .Int64(holds::operation_id, operation_id)
      .Insert();
}

StoredHold Ledger::RequireHold(const std::string& customer_id,
                               std::int64_t hold_id) {
  tables_.ForCustomer(customer_id);
  Table t = tables_.Open(TableId::kHolds);
  if (!FetchHold(t, customer_id, hold_id)) {
    throw LedgerError(ErrorCode::kNotFound,
                      "hold " + std::to_string(hold_id) + " does not exist",
                      "No hold with this id belongs to customer \"" +
                          customer_id + "\".");
  }
  const Row r = t.Read(t.CopyCurrent());
  StoredHold h;
  h.hold_id = hold_id;
  h.credit_type = r.Text(t.At(holds::credit_type));
  h.status = StatusOf(r.Text(t.At(holds::status)));
  h.expires_at = r.Timestamp(t.At(holds::expires_at));
  h.feature = r.OptText(t.At(holds::feature));
  h.source_id = r.OptText(t.At(holds::source_id));
  h.metadata_text = r.JsonbText(t.At(holds::metadata));
  return h;
}

std::optional<StoredHold>
Ledger::HoldOfOperation(const std::string& customer_id,
                        std::int64_t operation_id) {
  UseSpi();
  Params p;
  p.Text(customer_id).Int64(operation_id);
  Rows rows = Execute(hold_of_operation, p, 1);
  if (rows.empty()) return std::nullopt;
  return RequireHold(customer_id, rows[0].Int64(1));
}

std::vector<Hold> Ledger::ReadActiveHolds(const Wallet& wallet) {
  Table t = tables_.Open(TableId::kHolds);
  const IndexKey keys[2] = {IndexKey::Int64(1, wallet.wallet_id),
                            IndexKey::Text(2, wallet.customer_id)};
  std::vector<Hold> out;
  t.Scan("holds_active_idx", keys, 2, [&](const Row& r, RowId id) {
    if (StatusOf(r.Text(t.At(holds::status))) != HoldStatus::kHeld) return;
    Hold h;
    h.row_id = id;
    h.hold_id = r.Int64(t.At(holds::hold_id));
    h.amount = r.Units(t.At(holds::amount), wallet.scale);
    h.captured = r.Units(t.At(holds::captured), wallet.scale);
    h.expires_at = r.Timestamp(t.At(holds::expires_at));
    h.reserved = ReservedParts(t, r, wallet.scale);
    out.push_back(std::move(h));
  });
  // In hold id order, as the planners' ties expect.
  std::sort(out.begin(), out.end(),
            [](const Hold& a, const Hold& b) { return a.hold_id < b.hold_id; });
  return out;
}

void Ledger::SaveHold(const Wallet& wallet, const Hold& hold) {
  Table t = tables_.Open(TableId::kHolds);
  // Updated where ReadActiveHolds read it (the wallet lock keeps that
  // version current).
  StoredRow old = nullptr;
  if (hold.row_id) {
    old = t.FetchVersion(*hold.row_id);
  } else if (FetchHold(t, wallet.customer_id, hold.hold_id)) {
    old = t.CopyCurrent();
  } else {
    throw LedgerError(ErrorCode::kInternal, "a changed hold is missing");
  }
  t.Write()
      .Text(holds::status, StatusName(hold.status))
      .Units(holds::captured, hold.captured, wallet.scale)
      .Timestamp(holds::closed_at, hold.closed_at)
      .Update(old);
}

}  // namespace credit_ledger::pg
