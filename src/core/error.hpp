// The ledger's error type and every SQLSTATE the extension raises itself.
#pragma once

#include <exception>
#include <string>
#include <utility>

namespace credit_ledger {

// Each code maps to exactly one SQLSTATE (see SqlStateOf). Custom codes live in
// class LG; the rest are PostgreSQL's own data-exception codes.
enum class ErrorCode {
  kInsufficientCredits,  // LG001
  kIdempotencyMismatch,  // LG002
  kUnknownCreditType,    // LG003
  kNotFound,             // LG004
  kAppendOnly,           // LG005
  kInvalidState,         // LG006
  kNoPrice,              // LG007
  kInvalidParameter,     // 22023
  kNullValue,            // 22004
  kOutOfRange,           // 22003
  kInternal,             // XX000
};

// The five-character SQLSTATE for a code.
constexpr const char* SqlStateOf(ErrorCode code) {
  switch (code) {
  case ErrorCode::kInsufficientCredits:
    return "LG001";
  case ErrorCode::kIdempotencyMismatch:
    return "LG002";
  case ErrorCode::kUnknownCreditType:
    return "LG003";
  case ErrorCode::kNotFound:
    return "LG004";
  case ErrorCode::kAppendOnly:
    return "LG005";
  case ErrorCode::kInvalidState:
    return "LG006";
  case ErrorCode::kNoPrice:
    return "LG007";
  case ErrorCode::kInvalidParameter:
    return "22023";
  case ErrorCode::kNullValue:
    return "22004";
  case ErrorCode::kOutOfRange:
    return "22003";
  case ErrorCode::kInternal:
    return "XX000";
  }
  return "XX000";
}

// A business or validation error decided by the ledger. Messages are lower-case
// without a trailing period; detail and hint are full sentences (or empty).
class LedgerError : public std::exception {
 public:
  LedgerError(ErrorCode code, std::string message, std::string detail = {},
              std::string hint = {})
      : code_(code), message_(std::move(message)), detail_(std::move(detail)),
        hint_(std::move(hint)) {}

  ErrorCode code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  const std::string& detail() const noexcept { return detail_; }
  const std::string& hint() const noexcept { return hint_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  ErrorCode code_;
  std::string message_;
  std::string detail_;
  std::string hint_;
};

}  // namespace credit_ledger
