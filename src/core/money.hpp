// Money on credit types (1.2): the ISO 4217 currency of a type's money
// values, and Monk's dollar input mode of credit_grant (a block given by its
// value and cost basis instead of its amount).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace credit_ledger {

// A currency code if given: three capital letters A-Z (ISO 4217's form),
// 22023 otherwise. Whether the code is assigned is not checked.
void CheckCurrency(const std::optional<std::string>& currency);

// credit_grant's amount from its arguments: `amount` when given (then
// `value` must be NULL: 22023 for both), else value / cost_basis credits
// (22004 for neither, or value without cost_basis), which must be exact at
// the credit type's `scale`: 22023 otherwise, the detail naming the nearest
// exact amounts and their values. 22023 for a value that is not positive or
// a zero cost_basis; 22003 beyond 18 digits.
std::int64_t GrantUnits(const std::optional<std::string>& amount,
                        const std::optional<std::string>& value,
                        const std::optional<std::string>& cost_basis,
                        int scale);

}  // namespace credit_ledger
