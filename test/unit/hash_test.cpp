// Known-answer vectors (StoredFormat.*) pin the formats the ledger stores
// forever: the canonical encoding, hashed for request fingerprints and the
// entry chain, and ChainHash. Their expected bytes are written out by hand,
// not produced by the code under test; the digests were recorded from the
// 1.1 release and must never change (a new format takes a new domain tag).
// test/sql/27_stored_formats.sql pins the same formats as the extension stores
// them, the fingerprint of every operation type included.
#include "canonical.hpp"
#include "entry.hpp"
#include "sha256.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace credit_ledger {
namespace {

TEST(Sha256, FipsVectors) {
  EXPECT_EQ(ToHex(Sha256Of("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ToHex(Sha256Of("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ToHex(Sha256Of(
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(ToHex(Sha256Of(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalEqualsOneShot) {
  const std::string text(300, 'x');
  for (std::size_t split = 0; split <= text.size(); split += 7) {
    Sha256 h;
    h.Update(std::string_view(text).substr(0, split));
    h.Update(std::string_view(text).substr(split));
    EXPECT_EQ(h.Finish(), Sha256Of(text)) << split;
  }
}

TEST(Canonical, FieldBoundariesAreUnambiguous) {
  // "ab" + "c" must not hash like "a" + "bc", nor NULL like "".
  EXPECT_NE(Canonical("t").Text("ab").Text("c").Hash(),
            Canonical("t").Text("a").Text("bc").Hash());
  EXPECT_NE(Canonical("t").Null().Hash(), Canonical("t").Text("").Hash());
  EXPECT_NE(Canonical("t").Int(1).Hash(), Canonical("t").Text("1").Hash());
  EXPECT_NE(Canonical("consume").Int(1).Hash(),
            Canonical("grant").Int(1).Hash());
  EXPECT_EQ(Canonical("t").Int(std::optional<std::int64_t>{}).Hash(),
            Canonical("t").Null().Hash());
}

// The encoding, spelled out: a one-byte tag, then for text and bytes a
// 64-bit big-endian length and the bytes, for integers 64 bits big-endian
// two's complement; NULL is 'N', booleans 't' and 'f'.
std::string Be64(std::uint64_t v) {
  std::string out;
  for (int shift = 56; shift >= 0; shift -= 8)
    out += static_cast<char>((v >> shift) & 0xff);
  return out;
}
std::string T(const std::string& s) {
  return "T" + Be64(s.size()) + s;
}
std::string I(std::int64_t v) {
  return "I" + Be64(static_cast<std::uint64_t>(v));
}
const std::string N = "N";

TEST(StoredFormat, CanonicalEncodingBytes) {
  Digest d{};
  for (int i = 0; i < 32; ++i) d[i] = static_cast<std::uint8_t>(i);
  std::string expected =
      T("d") + N + T("ab") + I(-1) + "t" + "f" + "B" + Be64(32);
  for (int i = 0; i < 32; ++i) expected += static_cast<char>(i);
  const Digest got = Canonical("d")
                         .Null()
                         .Text("ab")
                         .Int(-1)
                         .Bool(true)
                         .Bool(false)
                         .Bytes(d)
                         .Hash();
  EXPECT_EQ(got, Sha256Of(expected));
  EXPECT_EQ(ToHex(got),
            "b00f7af43f4ca55a27da6d006a99931ff2f96106450c562aa59201fc25dd84d2");
}

EntryRecord SampleEntry() {
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

TEST(ChainHash, EveryFieldIsCovered) {
  const EntryRecord base = SampleEntry();
  const Digest h = ChainHash(kGenesisHash, base);
  EXPECT_EQ(h, ChainHash(kGenesisHash, base));
  std::vector<EntryRecord> altered(18, base);
  altered[0].wallet_id = 8;
  altered[1].seq = 4;
  altered[2].type = EntryType::kAdjustment;
  altered[3].amount = -251;
  altered[4].value = "-125.000";
  altered[5].balance_after = 949;
  altered[6].grant_id.reset();
  altered[7].operation_id = 12;
  altered[8].promotional = false;
  altered[9].customer_id = "acme2";
  altered[10].credit_type = "eur";
  altered[11].feature.reset();
  altered[12].source_id = "x";
  altered[13].reason = "x";
  altered[14].actor = "x";
  altered[15].metadata = "{}";
  altered[16].occurred_at = 1001;
  altered[17].created_at = 2001;
  for (std::size_t i = 0; i < altered.size(); ++i) {
    EXPECT_NE(ChainHash(kGenesisHash, altered[i]), h) << "field " << i;
  }
  Digest other_previous{};
  other_previous[31] = 1;
  EXPECT_NE(ChainHash(other_previous, base), h);
}

TEST(StoredFormat, ChainHashBytesAndVectors) {
  const EntryRecord e = SampleEntry();
  // Field order: domain, previous hash, wallet_id, seq, entry_type, amount,
  // value, balance_after, grant_id, operation_id, promotional, customer_id,
  // credit_type, feature, source_id, reason, actor, metadata, occurred_at,
  // created_at.
  const std::string bytes = T("credit_ledger.entry.v1") + "B" + Be64(32) +
                            std::string(32, '\0') + I(7) + I(3) + T("usage") +
                            I(-250) + T("-125.00") + I(950) + I(2) + I(11) +
                            "t" + T("acme") + T("usd") + T("llm") + N + N + N +
                            N + I(1000) + I(2000);
  const Digest first = ChainHash(kGenesisHash, e);
  EXPECT_EQ(first, Sha256Of(bytes));
  EXPECT_EQ(ToHex(first),
            "78cd5be023eec27ac7bcc67e363499bcf41740a5d0fcf60b74f7050b0759ed56");

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

TEST(EntryType, NamesRoundTrip) {
  for (EntryType t :
       {EntryType::kGrant, EntryType::kUsage, EntryType::kAdjustment,
        EntryType::kReversal, EntryType::kExpiration, EntryType::kVoid,
        EntryType::kRepayment}) {
    EXPECT_EQ(ParseEntryType(EntryTypeName(t)), t);
  }
  EXPECT_THROW(ParseEntryType("refund"), std::exception);
}

}  // namespace
}  // namespace credit_ledger
