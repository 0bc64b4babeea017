// Known-answer vectors for the formats the ledger stores forever: the
// canonical encoding (hashed for request fingerprints and the entry chain)
// and ChainHash. The expected bytes are written out by hand here, not
// produced by the code under test; the expected digests were recorded from
// the 1.1 release and must never change (a new format takes a new domain
// tag). sql/27_stored_formats.sql pins the same formats as stored by the
// extension, fingerprints of every operation type included.
#include "canonical.hpp"
#include "entry.hpp"
#include "sha256.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace credit_ledger {
namespace {

// The encoding, spelled out: a one-byte tag, then for text and bytes a
// 64-bit big-endian length and the bytes, for integers 64 bits big-endian
// two's complement; NULL is 'N', booleans 't' and 'f'.
std::string Be64(std::uint64_t v) {
  std::string out;
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
  return out;
}
std::string T(const std::string& s) { return "T" + Be64(s.size()) + s; }
std::string I(std::int64_t v) { return "I" + Be64(static_cast<std::uint64_t>(v)); }
const std::string N = "N";

TEST(StoredFormat, CanonicalEncodingBytes) {
  Digest d{};
  for (int i = 0; i < 32; ++i) d[i] = static_cast<std::uint8_t>(i);
  std::string expected = T("d") + N + T("ab") + I(-1) + "t" + "f" + "B" + Be64(32);
  for (int i = 0; i < 32; ++i) expected += static_cast<char>(i);
  const Digest got = Canonical("d").Null().Text("ab").Int(-1).Bool(true).Bool(false).Bytes(d).Hash();
  EXPECT_EQ(got, Sha256Of(expected));
  EXPECT_EQ(ToHex(got), "b00f7af43f4ca55a27da6d006a99931ff2f96106450c562aa59201fc25dd84d2");
}

EntryRecord First() {
  EntryRecord e;
  e.wallet_id = 7;
  e.seq = 3;
  e.type = EntryType::kUsage;
  e.amount = -250;
  e.value = "-125.00";
  e.balance_after = 950;
  e.grant_id = 2;
  e.operation_id = 11;
  e.promotional = true;
  e.customer_id = "acme";
  e.credit_type = "usd";
  e.feature = "llm";
  e.occurred_at = 1000;
  e.created_at = 2000;
  return e;
}

TEST(StoredFormat, ChainHashBytesAndVectors) {
  const EntryRecord e = First();
  // Field order: domain, previous hash, wallet_id, seq, entry_type, amount,
  // value, balance_after, grant_id, operation_id, promotional, customer_id,
  // credit_type, feature, source_id, reason, actor, metadata, occurred_at,
  // created_at.
  const std::string bytes = T("credit_ledger.entry.v1") + "B" + Be64(32) + std::string(32, '\0') +
                            I(7) + I(3) + T("usage") + I(-250) + T("-125.00") + I(950) + I(2) +
                            I(11) + "t" + T("acme") + T("usd") + T("llm") + N + N + N + N +
                            I(1000) + I(2000);
  const Digest first = ChainHash(kGenesisHash, e);
  EXPECT_EQ(first, Sha256Of(bytes));
  EXPECT_EQ(ToHex(first), "78cd5be023eec27ac7bcc67e363499bcf41740a5d0fcf60b74f7050b0759ed56");

  EntryRecord f = e;
  f.seq = 4;
  f.type = EntryType::kGrant;
  f.amount = 500;
  f.value.reset();
  f.grant_id.reset();
  f.promotional.reset();
  f.feature.reset();
  f.source_id = "src";
  f.reason = "r";
  f.actor = "a";
  f.metadata = "{\"k\": 1}";
  f.occurred_at = -5;
  f.created_at = INT64_MAX;
  EXPECT_EQ(ToHex(ChainHash(first, f)),
            "f7145b2ef2f2ae0222d3643178a0d062e3e40bb56b3b46b047ddc95fc6dca726");
}

}  // namespace
}  // namespace credit_ledger
