#include "amount.hpp"
#include "error.hpp"
#include "time.hpp"
#include "validate.hpp"

#include <gtest/gtest.h>

#include <string>

namespace credit_ledger {
namespace {

// The JSON text of an object whose text is exactly `bytes` long.
std::string ObjectOfSize(std::size_t bytes) {
  const std::string open = "{\"k\": \"", close = "\"}";
  return open + std::string(bytes - open.size() - close.size(), 'x') + close;
}

TEST(CheckMetadata, AcceptsUpToTheLimit) {
  EXPECT_NO_THROW(CheckMetadata("metadata", "{}"));
  EXPECT_NO_THROW(CheckMetadata("metadata", ObjectOfSize(kMaxMetadataBytes)));
}

TEST(CheckMetadata, RefusesOneByteMoreWith22023GivingSizeAndLimit) {
  try {
    CheckMetadata("metadata", ObjectOfSize(kMaxMetadataBytes + 1));
    ADD_FAILURE();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidParameter);
    EXPECT_EQ(e.message(), "metadata is too large");
    EXPECT_EQ(e.detail(),
              "It is 32769 bytes as JSON text; the limit is 32768 bytes.");
  }
}

TEST(CheckMetadata, CountsBytesNotCharacters) {
  // 10,923 three-byte characters: fewer characters than the limit, more bytes.
  std::string value;
  for (int i = 0; i < 10923; ++i) value += "\xE2\x82\xAC";  // the euro sign
  const std::string text = "{\"k\": \"" + value + "\"}";
  ASSERT_LT(Utf8Length(text), kMaxMetadataBytes);
  EXPECT_THROW(CheckMetadata("metadata", text), LedgerError);
}

// Stripe's largest metadata (50 keys of 40 characters, values of 500) fits.
TEST(CheckMetadata, HoldsAnyStripeMetadata) {
  std::string text = "{";
  for (int i = 0; i < 50; ++i) {
    std::string key = std::to_string(100 + i) + std::string(37, 'k');
    if (i > 0) text += ", ";
    text += "\"" + key + "\": \"" + std::string(500, 'v') + "\"";
  }
  text += "}";
  EXPECT_NO_THROW(CheckMetadata("metadata", text));
}

TEST(CheckText, LabelsAreBoundedInCharacters) {
  EXPECT_NO_THROW(
      CheckText("credit_ledger.actor", std::string(255, 'a'), kMaxLabelChars));
  try {
    CheckText("credit_ledger.actor", std::string(256, 'a'), kMaxLabelChars);
    ADD_FAILURE();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidParameter);
    EXPECT_EQ(e.detail(), "It has 256 characters; the limit is 255.");
  }
}

// Whether `text` is well-formed UTF-8 (what PostgreSQL's UTF8 encoding
// accepts, short of the code point range checks).
bool ValidUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t len = c < 0x80         ? 1
                            : (c >> 5) == 6  ? 2
                            : (c >> 4) == 14 ? 3
                            : (c >> 3) == 30 ? 4
                                             : 0;
    if (len == 0 || i + len > text.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80)
        return false;
    }
    i += len;
  }
  return true;
}

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(Utf8PrefixBytes, CutsAtACharacterBoundary) {
  const std::string euro = "\xE2\x82\xAC";     // 3 bytes
  const std::string text = "ab" + euro + "c";  // 6 bytes
  EXPECT_EQ(Utf8PrefixBytes(text, 100), 6u);
  EXPECT_EQ(Utf8PrefixBytes(text, 6), 6u);
  EXPECT_EQ(Utf8PrefixBytes(text, 5), 5u);  // ab€
  EXPECT_EQ(Utf8PrefixBytes(text, 4), 2u);  // not inside the €
  EXPECT_EQ(Utf8PrefixBytes(text, 3), 2u);
  EXPECT_EQ(Utf8PrefixBytes(text, 2), 2u);
  EXPECT_EQ(Utf8PrefixBytes(text, 0), 0u);
  EXPECT_EQ(Utf8PrefixBytes(euro, 2), 0u);
  const std::string emoji = "\xF0\x9F\x98\x80";  // 4 bytes
  for (std::size_t max = 0; max < 12; ++max) {
    const std::string mixed = "a" + emoji + euro + "\xC3\xA9";
    const std::size_t n = Utf8PrefixBytes(mixed, max);
    EXPECT_LE(n, max);
    EXPECT_TRUE(ValidUtf8(mixed.substr(0, n))) << max;
  }
}

TEST(Abbreviated, MarksACut) {
  EXPECT_EQ(Abbreviated("short"), "short");
  EXPECT_EQ(Abbreviated(std::string(64, 'x')), std::string(64, 'x'));
  EXPECT_EQ(Abbreviated(std::string(65, 'x')), std::string(64, 'x') + "...");
  // 22 euro signs are 66 bytes: 21 fit in 64.
  EXPECT_EQ(Abbreviated(Repeat("\xE2\x82\xAC", 22)),
            Repeat("\xE2\x82\xAC", 21) + "...");
}

// The review's repro: messages quoting long non-ASCII input were cut inside
// a character (an amount's, an occurred_at's), and the text was then invalid.
TEST(Abbreviated, MessagesQuotingInputStayValidUtf8) {
  const std::string euros = Repeat("\xE2\x82\xAC", 70);
  try {
    ParseTimestampRfc3339(euros, "occurred_at");
    FAIL();
  } catch (const LedgerError& e) {
    EXPECT_TRUE(ValidUtf8(e.detail())) << e.detail();
  }
  try {
    ParseAmount(euros, 2, "amount");
    FAIL();
  } catch (const LedgerError& e) {
    EXPECT_TRUE(ValidUtf8(e.detail())) << e.detail();
  }
  try {
    ParseAmount("1." + std::string(10, '0') + euros, 2, "amount");
    FAIL();
  } catch (const LedgerError& e) {
    EXPECT_TRUE(ValidUtf8(e.detail())) << e.detail();
  }
}

TEST(CheckCostBasis, NotNegative) {
  CheckCostBasis(std::nullopt);
  CheckCostBasis(std::string("0"));
  CheckCostBasis(std::string("0.0125"));
  try {
    CheckCostBasis(std::string("-0.5"));
    FAIL();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidParameter);
    EXPECT_EQ(e.message(), "cost_basis must not be negative");
    EXPECT_EQ(e.detail(), "The cost basis given was -0.5.");
  }
  EXPECT_THROW(CheckCostBasis(std::string("abc")), LedgerError);
}

}  // namespace
}  // namespace credit_ledger
