// The prices of features (1.2): read directly through the lookup index,
// (feature, customer_id, effective_at DESC, price_id DESC), so the first row
// at or before an instant is the price in force then. A reference table on
// Citus: every node reads its own copy.
#include "ledger.hpp"

namespace credit_ledger::pg {
namespace {

namespace prices {
ColumnRef price_id{"price_id"}, credit_type{"credit_type"},
    customer_id{"customer_id"}, credits_per_unit{"credits_per_unit"},
    rounding{"rounding"}, effective_at{"effective_at"};
}  // namespace prices

constexpr const char* kLookupIndex = "prices_lookup_idx";

PriceRow ReadPrice(const Table& t, const Row& row) {
  PriceRow p;
  p.price_id = row.Int64(t.At(prices::price_id));
  p.credit_type = row.Text(t.At(prices::credit_type));
  p.customer_id = row.OptText(t.At(prices::customer_id));
  p.credits_per_unit = row.NumericText(t.At(prices::credits_per_unit)).value();
  p.rounding = ParseRounding(row.Text(t.At(prices::rounding)));
  p.effective_at = row.Timestamp(t.At(prices::effective_at));
  return p;
}

}  // namespace

std::optional<PriceRow> Ledger::LatestPrice(const std::string& feature,
                                            const std::string* customer_id,
                                            Micros at) {
  Table t = tables_.Open(TableId::kPrices);
  const IndexKey keys[3] = {IndexKey::Text(1, feature),
                            customer_id ? IndexKey::Text(2, *customer_id)
                                        : IndexKey::IsNull(2),
                            IndexKey::TimestampAtOrBefore(3, at)};
  if (!t.Fetch(kLookupIndex, keys, 3)) return std::nullopt;
  const StoredRow row = t.CopyCurrent();
  return ReadPrice(t, t.Read(row));
}

bool Ledger::HasCustomerPrices(const std::string& feature) {
  Table t = tables_.Open(TableId::kPrices);
  const IndexKey keys[2] = {IndexKey::Text(1, feature), IndexKey::IsNotNull(2)};
  return t.Fetch(kLookupIndex, keys, 2);
}

}  // namespace credit_ledger::pg
