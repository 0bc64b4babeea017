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
constexpr std::size_t kMaxLabelChars = 255;    // feature, source_id, units
constexpr std::size_t kMaxReasonChars = 1000;  // reason, description
// Metadata is copied into every entry an operation writes (a consume drawing
// from 20 blocks stores it 20 times), so its size is bounded: 32 KiB of JSON
// text holds any metadata Stripe accepts (50 keys of 40 characters with
// values of 500, in ASCII).
constexpr std::size_t kMaxMetadataBytes = 32768;

// Characters (not bytes) in UTF-8 text.
std::size_t Utf8Length(std::string_view text);

// The length in bytes of the longest prefix of UTF-8 `text` that is at most
// `max_bytes` long and does not end inside a character: wherever text is
// cut (error messages, fixed buffers), it is cut there, so the result is
// still valid in the database's encoding.
std::size_t Utf8PrefixBytes(std::string_view text,
                            std::size_t max_bytes) noexcept;

// `text` as messages show it: at most `max_bytes` bytes of it, cut at a
// character boundary, followed by "..." when it was cut.
std::string Abbreviated(std::string_view text, std::size_t max_bytes = 64);

// Non-empty and at most `max_chars` characters.
void CheckText(std::string_view what, std::string_view text,
               std::size_t max_chars);

// The same for an optional argument; absent is fine.
void CheckOptionalText(std::string_view what,
                       const std::optional<std::string>& text,
                       std::size_t max_chars);

// A metadata object, given as its JSON text (jsonb's canonical form, as
// metadata::text prints it): at most kMaxMetadataBytes bytes.
void CheckMetadata(std::string_view what, std::string_view json_text);

// A credit type name: 1..63 of [a-z0-9_], starting with a letter ("usd",
// "ai_tokens"), so it reads the same in SQL, JSON and URLs.
void CheckCreditTypeName(std::string_view name);

// Lower numbers are drawn first; 0 is the highest priority.
void CheckPriority(std::int64_t priority);

// A grant's cost_basis (numeric text), if given: not negative.
void CheckCostBasis(const std::optional<std::string>& cost_basis);

}  // namespace credit_ledger
