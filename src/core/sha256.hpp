// SHA-256 (FIPS 180-4), used for idempotency-key digests, request
// fingerprints and the per-wallet hash chain of ledger entries.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace credit_ledger {

using Digest = std::array<std::uint8_t, 32>;
constexpr std::size_t kDigestBytes = 32;
// What the ledger keeps since 1.2 of an idempotency key's digest (the first
// 128 bits) and of a request's (the first 64), see fingerprint.hpp.
constexpr std::size_t kStoredKeyBytes = 16;
constexpr std::size_t kStoredRequestBytes = 8;

class Sha256 {
 public:
  Sha256();
  void Update(const void* data, std::size_t size);
  void Update(std::string_view bytes) { Update(bytes.data(), bytes.size()); }
  Digest Finish();

 private:
  void Compress(const std::uint8_t* block);

  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

Digest Sha256Of(std::string_view bytes);

// Lower-case hex of a digest, for messages and tests.
std::string ToHex(const Digest& digest);

}  // namespace credit_ledger
