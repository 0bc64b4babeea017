// The error a call raises, for the 1.2 planners' tests: its SQLSTATE,
// message and detail ("none" when it raised nothing).
#pragma once

#include "error.hpp"

#include <functional>
#include <string>

namespace credit_ledger {

struct Refusal {
  std::string sqlstate = "none";
  std::string message;
  std::string detail;
};

inline Refusal RefusalOf(const std::function<void()>& call) {
  try {
    call();
  } catch (const LedgerError& e) {
    return {SqlStateOf(e.code()), e.message(), e.detail()};
  }
  return {};
}

// Just the SQLSTATE.
inline std::string StateOf(const std::function<void()>& call) {
  return RefusalOf(call).sqlstate;
}

}  // namespace credit_ledger
