#include "validate.hpp"

#include "amount.hpp"
#include "error.hpp"

#include <string>
#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {

std::size_t Utf8Length(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::size_t Utf8PrefixBytes(std::string_view text,
                            std::size_t max_bytes) noexcept {
  if (text.size() <= max_bytes) return text.size();
  std::size_t n = max_bytes;
  // text[n] is the first byte left out; while it continues a character, that
  // character started inside the prefix and is left out whole.
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return n;
}

std::string Abbreviated(std::string_view text, std::size_t max_bytes) {
  const std::size_t n = Utf8PrefixBytes(text, max_bytes);
  std::string out(text.substr(0, n));
  if (n < text.size()) out += "...";
  return out;
}

void CheckText(std::string_view what, std::string_view text,
               std::size_t max_chars) {
  if (text.empty()) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      std::string(what) + " must not be empty");
  }
  const std::size_t chars = Utf8Length(text);
  if (chars > max_chars) {
    throw LedgerError(
        ErrorCode::kInvalidParameter, std::string(what) + " is too long",
        "It has " + std::to_string(chars) + " characters; the limit is " +
            std::to_string(max_chars) + ".");
  }
}

void CheckOptionalText(std::string_view what,
                       const std::optional<std::string>& text,
                       std::size_t max_chars) {
  if (text) CheckText(what, *text, max_chars);
}

void CheckMetadata(std::string_view what, std::string_view json_text) {
  if (json_text.size() > kMaxMetadataBytes) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      std::string(what) + " is too large",
                      "It is " + std::to_string(json_text.size()) +
                          " bytes as JSON text; the limit is " +
                          std::to_string(kMaxMetadataBytes) + " bytes.",
                      "Keep large documents in your own table and put their "
                      "id in the metadata.");
  }
}

void CheckCreditTypeName(std::string_view name) {
  CheckText("credit_type", name, kMaxCreditTypeChars);
  bool ok = name[0] >= 'a' && name[0] <= 'z';
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
  if (!ok) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "credit_type \"" + std::string(name) +
                          "\" is not a valid name",
                      "A credit type name starts with a lower-case letter and "
                      "holds only lower-case letters, digits and underscores.");
  }
}

void CheckPriority(std::int64_t priority) {
  if (priority < 0) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "priority must not be negative",
                      "The priority given was " + std::to_string(priority) +
                          "; 0 is drawn first.");
  }
}

void CheckCostBasis(const std::optional<std::string>& cost_basis) {
  if (cost_basis && DecimalSign(*cost_basis, "cost_basis") < 0) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "cost_basis must not be negative",
                      "The cost basis given was " + *cost_basis + ".");
  }
}

}  // namespace credit_ledger
