// The assertion the fuzz targets use: a broken property prints what failed
// and aborts, which libFuzzer records as a crash with the input that caused
// it. Unlike assert() it is never compiled out.
#pragma once

#include "error.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#define CL_FUZZ_CHECK(cond)                                                    \
  do {                                                                         \
    if (!(cond)) ::credit_ledger::fuzz::Fail(__FILE__, __LINE__, #cond);       \
  } while (0)

namespace credit_ledger::fuzz {

// Reports a broken property and stops the run so libFuzzer keeps the input.
[[noreturn]] inline void Fail(const char* file, int line, const char* what) {
  std::fprintf(stderr, "%s:%d: property violated: %s\n", file, line, what);
  std::abort();
}

// True when `e` follows the house rules for messages: a non-empty message
// without a trailing period, and a detail and hint that are empty or full
// sentences.
inline bool WellFormed(const LedgerError& e) {
  auto sentence = [](const std::string& s) {
    return s.empty() || s.back() == '.';
  };
  return !e.message().empty() && e.message().back() != '.' &&
         sentence(e.detail()) && sentence(e.hint());
}

}  // namespace credit_ledger::fuzz
