// The ledger's holds (1.2): a new hold's row, and finding a hold by id
// under its customer. What a hold reserves is read with the wallet
// (ReadTimedWallet) and its status moves with SaveBlocks (ledger_time.cpp).
// Holds are not the hot path: SPI with kept plans.
#include "amount.hpp"
#include "error.hpp"
#include "ledger.hpp"

#include <string>

namespace credit_ledger::pg {
namespace {

Statement next_hold_id("SELECT nextval('credit_ledger.hold_id_seq')", {});

Statement insert_hold(
    "INSERT INTO credit_ledger.holds (hold_id, wallet_id, customer_id,"
    "       credit_type, amount, captured, status, expires_at, feature,"
    "       source_id, metadata, created_at, closed_at, reserved_grant_ids,"
    "       reserved_amounts, operation_id)"
    " VALUES ($1, $2, $3, $4, $5, 0, 'held', $6, $7, $8, $9, $10, NULL,"
    "         $11::bigint[], $12::numeric[], $13)",
    {INT8OID, INT8OID, TEXTOID, TEXTOID, NUMERICOID, TIMESTAMPTZOID, TEXTOID,
     TEXTOID, JSONBOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, INT8OID});

// $2 NULL: by hold id; else by the operation that made it.
Statement find_hold(
    "SELECT hold_id, credit_type, status, expires_at, feature, source_id,"
    "       metadata::text"
    "  FROM credit_ledger.holds"
    " WHERE customer_id = $1"
    "   AND CASE WHEN $3::bigint IS NULL THEN hold_id = $2"
    "            ELSE operation_id = $3 END",
    {TEXTOID, INT8OID, INT8OID});

HoldStatus StatusOf(const std::string& status) {
  if (status == "captured") return HoldStatus::kCaptured;
  if (status == "released") return HoldStatus::kReleased;
  if (status == "expired") return HoldStatus::kExpired;
  return HoldStatus::kHeld;
}

std::optional<StoredHold> FindHold(Params& p) {
  Rows rows = Execute(find_hold, p, 1);
  if (rows.empty()) return std::nullopt;
  Row r = rows[0];
  StoredHold h;
  h.hold_id = r.Int64(1);
  h.credit_type = r.Text(2);
  h.status = StatusOf(r.Text(3));
  h.expires_at = r.Timestamp(4);
  h.feature = r.OptText(5);
  h.source_id = r.OptText(6);
  h.metadata_text = r.OptText(7);
  return h;
}

// A numeric[] or bigint[] literal of the reserved parts (NULL for the part
// reserved against the overdraft allowance).
std::string PartsText(const Hold& hold, int scale, bool ids) {
  std::string out = "{";
  for (std::size_t i = 0; i < hold.reserved.size(); ++i) {
    const Reservation& r = hold.reserved[i];
    if (i > 0) out += ',';
    if (!ids) {
      out += FormatAmount(r.amount, scale);
    } else {
      out += r.grant_id ? std::to_string(*r.grant_id) : "NULL";
    }
  }
  return out + "}";
}

}  // namespace

std::int64_t Ledger::NextHoldId() {
  UseSpi();
  Rows rows = Execute(next_hold_id, 1);
  return rows[0].Int64(1);
}

void Ledger::InsertHold(const Wallet& wallet, const Hold& hold,
                        std::int64_t operation_id, const HoldLabels& labels,
                        Micros now) {
  UseSpi();
  const int s = wallet.scale;
  Params p;
  p.Int64(hold.hold_id)
      .Int64(wallet.wallet_id)
      .Text(wallet.customer_id)
      .Text(wallet.credit_type)
      .Units(hold.amount, s)
      .Timestamp(hold.expires_at)
      .Text(labels.feature)
      .Text(labels.source_id)
      .Raw(labels.metadata, labels.metadata_null)
      .Timestamp(now)
      .Text(PartsText(hold, s, true))
      .Text(PartsText(hold, s, false))
      .Int64(operation_id);
  Execute(insert_hold, p);
}

StoredHold Ledger::RequireHold(const std::string& customer_id,
                               std::int64_t hold_id) {
  UseSpi();
  Params p;
  p.Text(customer_id).Int64(hold_id).Null();
  if (auto h = FindHold(p)) return *h;
  throw LedgerError(ErrorCode::kNotFound,
                    "hold " + std::to_string(hold_id) + " does not exist",
                    "No hold with this id belongs to customer \"" +
                        customer_id + "\".");
}

std::optional<StoredHold>
Ledger::HoldOfOperation(const std::string& customer_id,
                        std::int64_t operation_id) {
  UseSpi();
  Params p;
  p.Text(customer_id).Null().Int64(operation_id);
  return FindHold(p);
}

}  // namespace credit_ledger::pg
