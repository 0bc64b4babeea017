#include "json.hpp"

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {

std::string JsonQuote(std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    default:
      if (u < 0x20) {
        out += "\\u00";
        out += kHex[u >> 4];
        out += kHex[u & 15];
      } else {
        out += c;  // UTF-8 passes through unchanged
      }
    }
  }
  out += '"';
  return out;
}

void JsonObject::Key(std::string_view key) {
  if (body_.size() > 1) body_ += ", ";
  body_ += JsonQuote(key);
  body_ += ": ";
}

JsonObject& JsonObject::String(std::string_view key, std::string_view value) {
  Key(key);
  body_ += JsonQuote(value);
  return *this;
}

JsonObject& JsonObject::String(std::string_view key,
                               const std::optional<std::string>& value) {
  return value ? String(key, std::string_view(*value)) : Null(key);
}

JsonObject& JsonObject::Integer(std::string_view key, std::int64_t value) {
  Key(key);
  body_ += std::to_string(value);
  return *this;
}

JsonObject& JsonObject::Integer(std::string_view key,
                                const std::optional<std::int64_t>& value) {
  return value ? Integer(key, *value) : Null(key);
}

JsonObject& JsonObject::Bool(std::string_view key, bool value) {
  Key(key);
  body_ += value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::Null(std::string_view key) {
  Key(key);
  body_ += "null";
  return *this;
}

JsonObject& JsonObject::Raw(std::string_view key,
                            const std::optional<std::string>& json) {
  if (!json) return Null(key);
  Key(key);
  body_ += *json;
  return *this;
}

}  // namespace credit_ledger
