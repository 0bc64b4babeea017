#include "error.hpp"
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
  EXPECT_NO_THROW(CheckText("credit_ledger.actor", std::string(255, 'a'),
                            kMaxLabelChars));
  try {
    CheckText("credit_ledger.actor", std::string(256, 'a'), kMaxLabelChars);
    ADD_FAILURE();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidParameter);
    EXPECT_EQ(e.detail(), "It has 256 characters; the limit is 255.");
  }
}

}  // namespace
}  // namespace credit_ledger
