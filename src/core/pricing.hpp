// Prices and usage in product units (1.2): which price is in force for a
// customer's feature at an instant, and how many credits a quantity burns.
// credit_price_set validates with CheckPriceSet and inserts a row; the usage
// functions read the feature's prices for the credit type, call ChoosePrice
// and PriceUsage, and consume PricedUsage::units like credit_consume, writing
// quantity, credits_per_unit and price_id on every usage entry they write.
#pragma once

#include "exact.hpp"
#include "time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace credit_ledger {

// 'up', 'down' or 'half_even'; 22023 (naming the three) otherwise.
Rounding ParseRounding(std::string_view name);

// The stored name of a rounding mode.
std::string_view RoundingName(Rounding rounding);

// A credit_price_set call, checked: the row to insert (price_id aside).
struct PriceSpec {
  std::string feature;
  std::string credit_type;
  std::string credits_per_unit;  // canonical decimal text
  std::optional<std::string> customer_id;
  Micros effective_at = 0;
  Rounding rounding = Rounding::kUp;
};

// credit_price_set's arguments as given (nullopt: SQL NULL).
struct PriceArgs {
  std::optional<std::string> feature;
  std::optional<std::string> credit_type;
  std::optional<std::string> credits_per_unit;
  std::optional<std::string> customer_id;
  std::optional<Micros> effective_at;   // default now
  std::optional<std::string> rounding;  // nullopt (NULL): 'up'
};

// 22004 for a NULL feature, credit type or price; 22023 for a
// negative or malformed price (zero is allowed: a free feature), an unknown
// rounding, an invalid name; 22003 for a price beyond 18 significant digits
// or 18 decimals. The past is allowed for effective_at (a price may be
// back-dated for usage imported later).
PriceSpec CheckPriceSet(const PriceArgs& args, Micros now);

// A stored price of one feature.
struct PriceRow {
  std::int64_t price_id = 0;
  std::string credit_type;                 // the credits the feature burns
  std::optional<std::string> customer_id;  // nullopt: the general price
  std::string credits_per_unit;
  Rounding rounding = Rounding::kUp;
  Micros effective_at = 0;
};

// The price in force for `customer_id` at `occurred_at` among `prices` (all
// of the feature, any credit type, any order): the customer's own price with
// the latest effective_at <= occurred_at if there is one, else the general
// price chosen the same way; two prices with one effective_at: the higher
// price_id (set later). LG007 when none is in force. credit_report_usage
// names no credit type: the price in force says which wallet pays, so a
// feature moves to another credit type with a new price, from its
// effective_at on.
const PriceRow& ChoosePrice(const std::vector<PriceRow>& prices,
                            const std::string& customer_id,
                            const std::string& feature, Micros occurred_at);

// A usage report priced: the credits to consume and what the usage entries
// record.
struct PricedUsage {
  std::int64_t units = 0;        // quantity x price at the scale; may be 0
  std::string quantity;          // canonical decimal text
  std::string credits_per_unit;  // the price's, canonical
  std::int64_t price_id = 0;
  Rounding rounding = Rounding::kUp;
};

// A reported quantity checked before any price is looked up: 22023 for
// one that is zero, negative, NaN or infinite; 22003 beyond 18 significant
// digits or 18 decimals. Returns its canonical text.
std::string CheckQuantity(std::string_view quantity);

// Prices `quantity` (decimal text) at `price` for a credit type of `scale`:
// quantity x credits_per_unit exactly, then rounded to the scale. 22023 for
// a quantity that is zero, negative, NaN or infinite (quantities are never
// negative, so `up` never meets one); 22003 for a quantity beyond 18
// significant digits or 18 decimals, or credits beyond an amount's range.
PricedUsage PriceUsage(const PriceRow& price, std::string_view quantity,
                       int scale);

}  // namespace credit_ledger
