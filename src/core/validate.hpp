// Input rules shared by every entry point; each throws 22023 with a message
// naming the argument.
#pragma once


#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace credit_ledger {

constexpr std::size_t kMaxCustomerIdChars = 255;
constexpr std::size_t kMaxCreditTypeChars = 63;
constexpr std::size_t kMaxIdempotencyKeyChars = 10000;
constexpr std::size_t kMaxLabelChars = 255;   // feature, source_id, units
constexpr std::size_t kMaxReasonChars = 1000;  // reason, description

// Characters (not bytes) in UTF-8 text.
std::size_t Utf8Length(std::string_view text);

// Non-empty and at most `max_chars` characters.
void CheckText(std::string_view what, std::string_view text,
               std::size_t max_chars);

// The same for an optional argument; absent is fine.
void CheckOptionalText(std::string_view what,
                       const std::optional<std::string>& text,
                       std::size_t max_chars);

// A credit type name: 1..63 of [a-z0-9_], starting with a letter ("usd",
// "ai_tokens"), so it reads the same in SQL, JSON and URLs.
void CheckCreditTypeName(std::string_view name);

// Lower numbers are drawn first; 0 is the highest priority.
void CheckPriority(std::int64_t priority);

}  // namespace credit_ledger
