#include "money.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "exact.hpp"
#include "validate.hpp"

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

// "3.33 (value 9.99)": an amount in units and what it costs.
std::string Priced(std::int64_t units, const Fixed& cost_basis, int scale) {
  const Fixed amount{static_cast<std::uint64_t>(units), scale};
  return FormatAmount(units, scale) + " (value " +
         ExactProduct(amount, cost_basis) + ")";
}

[[noreturn]] void Inexact(const std::string& value,
                          const std::string& cost_basis, std::int64_t below,
                          const Fixed& basis, int scale) {
  std::string detail = "value / cost_basis = " + value + " / " + cost_basis +
                       " is not a whole number of credits at scale " +
                       std::to_string(scale) +
                       "; the nearest exact amounts are ";
  detail += below > 0 ? Priced(below, basis, scale) + " and " : "";
  detail += Priced(below + 1, basis, scale) + ".";
  throw LedgerError(ErrorCode::kInvalidParameter,
                    "value is not an exact number of credits", detail,
                    "Give one of those values, or the amount itself.");
}

}  // namespace

void CheckCurrency(const std::optional<std::string>& currency) {
  if (!currency) return;
  bool ok = currency->size() == 3;
  for (char c : *currency) ok = ok && c >= 'A' && c <= 'Z';
  if (!ok) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "currency must be an ISO 4217 code",
                      "The value given was \"" + Abbreviated(*currency) +
                          "\"; a code is three capital letters, like USD.");
  }
}

std::int64_t GrantUnits(const std::optional<std::string>& amount,
                        const std::optional<std::string>& value,
                        const std::optional<std::string>& cost_basis,
                        int scale) {
  if (amount && value) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "amount and value are exclusive",
                      "Give the credits as amount, or their money value as "
                      "value with a cost_basis.");
  }
  if (amount) return ParseAmount(*amount, scale);
  if (!value) {
    throw LedgerError(ErrorCode::kNullValue, "amount must not be null");
  }
  if (!cost_basis) {
    throw LedgerError(ErrorCode::kNullValue,
                      "cost_basis must not be null when value is given",
                      "The amount is value / cost_basis.");
  }
  CheckPositiveAmount(*value);
  const Fixed v = ParseFixed(*value, "value");
  const Fixed c = ParseFixed(*cost_basis, "cost_basis");
  if (c.coefficient == 0) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "cost_basis must be positive when value is given",
                      "The amount is value / cost_basis.");
  }
  const Quotient q = ScaledQuotient(v, c, scale, "amount");
  if (!q.exact) Inexact(*value, *cost_basis, q.floor, c, scale);
  return q.floor;
}

}  // namespace credit_ledger
