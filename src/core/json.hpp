// A minimal JSON object writer for event payloads (RFC 8259 string escaping).
// Amounts are written as JSON strings holding exact decimals, so no consumer
// can round them through a binary float.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace credit_ledger {

class JsonObject {
 public:
  JsonObject& String(std::string_view key, std::string_view value);
  JsonObject& String(std::string_view key, const char* value) {
    return String(key, std::string_view(value));
  }
  JsonObject& String(std::string_view key, const std::string& value) {
    return String(key, std::string_view(value));
  }
  JsonObject& String(std::string_view key,
                     const std::optional<std::string>& value);
  JsonObject& Integer(std::string_view key, std::int64_t value);
  JsonObject& Integer(std::string_view key,
                      const std::optional<std::int64_t>& value);
  JsonObject& Bool(std::string_view key, bool value);
  JsonObject& Null(std::string_view key);
  // A value that is already JSON (e.g. stored metadata).
  JsonObject& Raw(std::string_view key, const std::optional<std::string>& json);

  // The finished object text.
  std::string str() const { return body_ + "}"; }

 private:
  void Key(std::string_view key);
  std::string body_ = "{";
};

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(std::string_view text);

}  // namespace credit_ledger
