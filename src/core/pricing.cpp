#include "pricing.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "required.hpp"
#include "validate.hpp"

#include <array>
#include <utility>

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

constexpr std::array<std::pair<Rounding, std::string_view>, 3> kRoundings = {{
    {Rounding::kUp, "up"},
    {Rounding::kDown, "down"},
    {Rounding::kHalfEven, "half_even"},
}};

// Whether `row` is in force later than `best` (or set later at its instant).
bool Better(const PriceRow& row, const PriceRow* best) {
  return best == nullptr || row.effective_at > best->effective_at ||
         (row.effective_at == best->effective_at &&
          row.price_id > best->price_id);
}

// The latest price of `customer_id` (nullopt: the general price) in force
// at `at`, or nullptr.
const PriceRow* Latest(const std::vector<PriceRow>& prices,
                       const std::optional<std::string>& customer_id,
                       Micros at) {
  const PriceRow* best = nullptr;
  for (const PriceRow& row : prices) {
    if (row.customer_id == customer_id && row.effective_at <= at &&
        Better(row, best)) {
      best = &row;
    }
  }
  return best;
}

}  // namespace

Rounding ParseRounding(std::string_view name) {
  for (const auto& [r, n] : kRoundings) {
    if (n == name) return r;
  }
  throw LedgerError(ErrorCode::kInvalidParameter,
                    "rounding must be up, down or half_even",
                    "The value given was \"" + Abbreviated(name) + "\".");
}

std::string_view RoundingName(Rounding rounding) {
  for (const auto& [r, n] : kRoundings) {
    if (r == rounding) return n;
  }
  return "up";
}

PriceSpec CheckPriceSet(const PriceArgs& args, Micros now) {
  PriceSpec spec;
  spec.feature = Required(args.feature, "feature");
  CheckText("feature", spec.feature, kMaxLabelChars);
  spec.credit_type = Required(args.credit_type, "credit_type");
  CheckCreditTypeName(spec.credit_type);
  const Fixed price = ParseFixed(
      Required(args.credits_per_unit, "credits_per_unit"), "credits_per_unit");
  spec.credits_per_unit = FormatFixed(price);
  CheckOptionalText("customer_id", args.customer_id, kMaxCustomerIdChars);
  spec.customer_id = args.customer_id;
  spec.effective_at = args.effective_at.value_or(now);
  spec.rounding = ParseRounding(args.rounding.value_or("up"));
  return spec;
}

const PriceRow& ChoosePrice(const std::vector<PriceRow>& prices,
                            const std::string& customer_id,
                            const std::string& feature, Micros occurred_at) {
  const PriceRow* own = Latest(prices, customer_id, occurred_at);
  if (own != nullptr) return *own;
  const PriceRow* general = Latest(prices, std::nullopt, occurred_at);
  if (general != nullptr) return *general;
  throw LedgerError(
      ErrorCode::kNoPrice,
      "no price for feature \"" + Abbreviated(feature) + "\"",
      "No price of the feature is in force for customer \"" +
          Abbreviated(customer_id) + "\" at " +
          FormatTimestampUtc(occurred_at) + ".",
      "Set one with credit_price_set; a price applies from its effective_at.");
}

namespace {

Fixed ParseQuantity(std::string_view quantity) {
  if (DecimalSign(quantity, "quantity") <= 0) {
    throw LedgerError(ErrorCode::kInvalidParameter, "quantity must be positive",
                      "The quantity given was " + Abbreviated(quantity) + ".");
  }
  return ParseFixed(quantity, "quantity");
}

}  // namespace

std::string CheckQuantity(std::string_view quantity) {
  return FormatFixed(ParseQuantity(quantity));
}

PricedUsage PriceUsage(const PriceRow& price, std::string_view quantity,
                       int scale) {
  const Fixed q = ParseQuantity(quantity);
  const Fixed p = ParseFixed(price.credits_per_unit, "credits_per_unit");
  PricedUsage out;
  out.units = ScaledProduct(q, p, scale, price.rounding, "credits");
  out.quantity = FormatFixed(q);
  out.credits_per_unit = FormatFixed(p);
  out.price_id = price.price_id;
  out.rounding = price.rounding;
  return out;
}

}  // namespace credit_ledger
