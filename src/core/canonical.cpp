#include "canonical.hpp"
#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {

void Canonical::Raw64(std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    bytes_ += static_cast<char>((value >> shift) & 0xff);
  }
}

Canonical& Canonical::Null() {
  Tag('N');
  return *this;
}

Canonical& Canonical::Text(std::string_view value) {
  Tag('T');
  Raw64(value.size());
  bytes_.append(value.data(), value.size());
  return *this;
}

Canonical& Canonical::Text(const std::optional<std::string>& value) {
  return value ? Text(std::string_view(*value)) : Null();
}

Canonical& Canonical::Int(std::int64_t value) {
  Tag('I');
  Raw64(static_cast<std::uint64_t>(value));
  return *this;
}

Canonical& Canonical::Int(const std::optional<std::int64_t>& value) {
  return value ? Int(*value) : Null();
}

Canonical& Canonical::Bool(bool value) {
  Tag(value ? 't' : 'f');
  return *this;
}

Canonical& Canonical::Bool(const std::optional<bool>& value) {
  return value ? Bool(*value) : Null();
}

Canonical& Canonical::Bytes(const Digest& value) {
  Tag('B');
  Raw64(value.size());
  bytes_.append(reinterpret_cast<const char*>(value.data()), value.size());
  return *this;
}

}  // namespace credit_ledger
