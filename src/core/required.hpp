// A required argument of an entry point: its value, or 22004 naming it.
#pragma once

#include "error.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace credit_ledger {

template <typename T>
const T& Required(const std::optional<T>& value, std::string_view what) {
  if (!value) {
    throw LedgerError(ErrorCode::kNullValue,
                      std::string(what) + " must not be null");
  }
  return *value;
}

}  // namespace credit_ledger
