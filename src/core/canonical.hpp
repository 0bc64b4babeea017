// An unambiguous byte encoding of a list of typed values (each tagged and
// length-prefixed), hashed for request fingerprints and the entry hash chain.
#pragma once

#include "sha256.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace credit_ledger {

class Canonical {
 public:
  explicit Canonical(std::string_view domain) { Text(domain); }

  Canonical& Null();
  Canonical& Text(std::string_view value);
  Canonical& Text(const std::string& value) {
    return Text(std::string_view(value));
  }
  Canonical& Text(const char* value) { return Text(std::string_view(value)); }
  Canonical& Text(const std::optional<std::string>& value);
  Canonical& Int(std::int64_t value);
  Canonical& Int(const std::optional<std::int64_t>& value);
  Canonical& Bool(bool value);
  Canonical& Bool(const std::optional<bool>& value);
  Canonical& Bytes(const Digest& value);

  Digest Hash() const { return Sha256Of(bytes_); }

 private:
  void Tag(char tag) { bytes_ += tag; }
  void Raw64(std::uint64_t value);

  std::string bytes_;
};

}  // namespace credit_ledger
