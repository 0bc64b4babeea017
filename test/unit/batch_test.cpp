#include "batch.hpp"
#include "error.hpp"
#include "time.hpp"

#include <gtest/gtest.h>

#include <limits>

#include <algorithm>
#include <map>
#include <set>

namespace credit_ledger {
namespace {

JsonMember Str(std::string name, std::string text) {
  return {std::move(name), JsonKind::kString, std::move(text)};
}
JsonMember Num(std::string name, std::string text) {
  return {std::move(name), JsonKind::kNumber, std::move(text)};
}
JsonMember Of(std::string name, JsonKind kind) {
  return {std::move(name), kind, ""};
}

std::vector<JsonMember> Minimal() {
  return {Str("customer_id", "acme"), Str("credit_type", "usd"),
          Num("amount", "2.50")};
}

// The SQLSTATE and message ReadBatchEvent throws for `members`.
std::pair<std::string, std::string>
Refusal(const std::vector<JsonMember>& members,
        JsonKind kind = JsonKind::kObject) {
  try {
    ReadBatchEvent(kind, members);
  } catch (const LedgerError& e) {
    return {SqlStateOf(e.code()), e.message()};
  }
  return {"none", ""};
}

TEST(ReadBatchEvent, ReadsEveryField) {
  std::vector<JsonMember> m = Minimal();
  m.push_back(Str("idempotency_key", "evt-1"));
  m.push_back(Str("feature", "chat"));
  m.push_back(Str("source_id", "req-9"));
  m.push_back(Str("occurred_at", "2026-03-01T12:00:00Z"));
  m.push_back(Of("metadata", JsonKind::kObject));
  const BatchEventFields f = ReadBatchEvent(JsonKind::kObject, m);
  EXPECT_EQ(f.customer_id, "acme");
  EXPECT_EQ(f.credit_type, "usd");
  EXPECT_EQ(f.amount, "2.50");
  EXPECT_EQ(f.idempotency_key, "evt-1");
  EXPECT_EQ(f.feature, "chat");
  EXPECT_EQ(f.source_id, "req-9");
  EXPECT_EQ(f.occurred_at, ParseTimestampRfc3339("2026-03-01T12:00:00Z", "t"));
  EXPECT_EQ(f.metadata, 7u);
}

TEST(ReadBatchEvent, AbsentAndNullOptionalFieldsAreUnset) {
  BatchEventFields f = ReadBatchEvent(JsonKind::kObject, Minimal());
  EXPECT_FALSE(f.idempotency_key || f.feature || f.source_id || f.occurred_at ||
               f.metadata);
  std::vector<JsonMember> m = Minimal();
  for (const char* name :
       {"idempotency_key", "feature", "source_id", "occurred_at", "metadata"}) {
    m.push_back(Of(name, JsonKind::kNull));
  }
  f = ReadBatchEvent(JsonKind::kObject, m);
  EXPECT_FALSE(f.idempotency_key || f.feature || f.source_id || f.occurred_at ||
               f.metadata);
}

TEST(ReadBatchEvent, AllowPartialIsABooleanFalseByDefault) {
  EXPECT_FALSE(ReadBatchEvent(JsonKind::kObject, Minimal()).allow_partial);
  std::vector<JsonMember> m = Minimal();
  m.push_back({"allow_partial", JsonKind::kBool, "true"});
  EXPECT_TRUE(ReadBatchEvent(JsonKind::kObject, m).allow_partial);
  m.back().text = "false";
  EXPECT_FALSE(ReadBatchEvent(JsonKind::kObject, m).allow_partial);
  m.back() = Of("allow_partial", JsonKind::kNull);
  EXPECT_FALSE(ReadBatchEvent(JsonKind::kObject, m).allow_partial);
  m.back() = Str("allow_partial", "true");  // a string is not a boolean
  EXPECT_EQ(Refusal(m), std::make_pair(std::string("22023"),
                                       std::string("allow_partial must be a "
                                                   "JSON boolean")));
}

TEST(ReadBatchEvent, AmountAsStringOrNumberKeepsItsText) {
  std::vector<JsonMember> m = Minimal();
  m[2] = Str("amount", "0.10");
  EXPECT_EQ(ReadBatchEvent(JsonKind::kObject, m).amount, "0.10");
  m[2] = Num("amount", "100000000000000000000000000000000000000001");
  EXPECT_EQ(ReadBatchEvent(JsonKind::kObject, m).amount,
            "100000000000000000000000000000000000000001");
}

TEST(ReadBatchEvent, UnknownFieldIsRefusedByName) {
  std::vector<JsonMember> m = Minimal();
  m.push_back(Str("idempotencyKey", "evt-1"));
  EXPECT_EQ(
      Refusal(m),
      std::make_pair(std::string("22023"),
                     std::string("unknown field \"idempotencyKey\" in event")));
  // Even when it is null, and before any other problem of the event.
  m = {Of("Amount", JsonKind::kNull)};
  EXPECT_EQ(Refusal(m).second, "unknown field \"Amount\" in event");
  m = Minimal();
  m.push_back(Of(std::string(100, 'x'), JsonKind::kNull));
  EXPECT_EQ(Refusal(m).second,
            "unknown field \"" + std::string(64, 'x') + "...\" in event");
}

TEST(ReadBatchEvent, RequiredFieldsMissingOrNull) {
  for (std::size_t drop = 0; drop < 3; ++drop) {
    std::vector<JsonMember> m = Minimal();
    const std::string name = m[drop].name;
    m.erase(m.begin() + static_cast<std::ptrdiff_t>(drop));
    EXPECT_EQ(Refusal(m),
              std::make_pair(std::string("22004"), name + " must not be NULL"));
    m.push_back(Of(name, JsonKind::kNull));
    EXPECT_EQ(Refusal(m),
              std::make_pair(std::string("22004"), name + " must not be NULL"));
  }
}

TEST(ReadBatchEvent, IdsMustBeStrings) {
  for (const char* name : {"customer_id", "credit_type", "idempotency_key",
                           "feature", "source_id", "occurred_at"}) {
    for (JsonKind kind : {JsonKind::kNumber, JsonKind::kBool, JsonKind::kObject,
                          JsonKind::kArray}) {
      std::vector<JsonMember> m = Minimal();
      m.erase(
          std::remove_if(m.begin(), m.end(),
                         [&](const JsonMember& x) { return x.name == name; }),
          m.end());
      m.push_back({name, kind, "42"});
      EXPECT_EQ(Refusal(m),
                std::make_pair(std::string("22023"),
                               std::string(name) + " must be a JSON string"))
          << name;
    }
  }
}

TEST(ReadBatchEvent, AmountMustBeNumberOrString) {
  for (JsonKind kind : {JsonKind::kBool, JsonKind::kObject, JsonKind::kArray}) {
    std::vector<JsonMember> m = Minimal();
    m[2] = {"amount", kind, "true"};
    EXPECT_EQ(Refusal(m),
              std::make_pair(
                  std::string("22023"),
                  std::string("amount must be a JSON number or a string")));
  }
}

TEST(ReadBatchEvent, MetadataMustBeObjectOrNull) {
  for (JsonKind kind : {JsonKind::kString, JsonKind::kNumber, JsonKind::kBool,
                        JsonKind::kArray}) {
    std::vector<JsonMember> m = Minimal();
    m.push_back({"metadata", kind, "{}"});
    EXPECT_EQ(Refusal(m),
              std::make_pair(std::string("22023"),
                             std::string("metadata must be a JSON object")));
  }
}

TEST(ReadBatchEvent, EventMustBeObject) {
  for (JsonKind kind : {JsonKind::kNull, JsonKind::kString, JsonKind::kNumber,
                        JsonKind::kBool, JsonKind::kArray}) {
    EXPECT_EQ(Refusal({}, kind),
              std::make_pair(std::string("22023"),
                             std::string("each event must be a JSON object")));
  }
}

TEST(ReadBatchEvent, OccurredAtMustBeExplicit) {
  std::vector<JsonMember> m = Minimal();
  m.push_back(Str("occurred_at", "today"));
  EXPECT_EQ(Refusal(m),
            std::make_pair(
                std::string("22023"),
                std::string(
                    "occurred_at is not a timestamp with a time zone offset")));
}

Micros At(const char* text) {
  return ParseTimestampRfc3339(text, "t");
}

std::vector<JsonMember> MinimalUsage() {
  return {Str("customer_id", "acme"), Str("feature", "image"),
          Num("quantity", "3.50")};
}

TEST(ReadUsageBatchEvent, ReadsFeatureAndQuantityNotCreditTypeOrAmount) {
  std::vector<JsonMember> m = MinimalUsage();
  m.push_back(Str("idempotency_key", "u-1"));
  m.push_back(Str("occurred_at", "2026-03-01T12:00:00Z"));
  m.push_back({"allow_partial", JsonKind::kBool, "true"});
  m.push_back(Of("metadata", JsonKind::kObject));
  const BatchEventFields f = ReadUsageBatchEvent(JsonKind::kObject, m);
  EXPECT_EQ(f.customer_id, "acme");
  EXPECT_EQ(f.feature, "image");
  EXPECT_EQ(f.quantity, "3.50");
  EXPECT_EQ(f.credit_type, "");
  EXPECT_EQ(f.amount, "");
  EXPECT_EQ(f.idempotency_key, "u-1");
  EXPECT_TRUE(f.allow_partial);
  EXPECT_EQ(f.metadata, 6u);
  m[2] = Str("quantity", "0.10");  // a string keeps its text too
  EXPECT_EQ(ReadUsageBatchEvent(JsonKind::kObject, m).quantity, "0.10");
}

TEST(ReadUsageBatchEvent, RefusesConsumeFieldsAndNeedsFeatureAndQuantity) {
  auto refusal = [](const std::vector<JsonMember>& m)
      -> std::pair<std::string, std::string> {
    try {
      ReadUsageBatchEvent(JsonKind::kObject, m);
    } catch (const LedgerError& e) {
      return std::make_pair(SqlStateOf(e.code()), e.message());
    }
    return {"none", ""};
  };
  for (const char* name : {"credit_type", "amount"}) {
    std::vector<JsonMember> m = MinimalUsage();
    m.push_back(Str(name, "1"));
    EXPECT_EQ(refusal(m).second,
              std::string("unknown field \"") + name + "\" in event");
  }
  for (std::size_t drop = 0; drop < 3; ++drop) {
    std::vector<JsonMember> m = MinimalUsage();
    const std::string name = m[drop].name;
    m.erase(m.begin() + static_cast<std::ptrdiff_t>(drop));
    EXPECT_EQ(refusal(m),
              std::make_pair(std::string("22004"), name + " must not be NULL"));
  }
  std::vector<JsonMember> m = MinimalUsage();
  m[2] = Of("quantity", JsonKind::kBool);
  EXPECT_EQ(refusal(m).second, "quantity must be a JSON number or a string");
  // A consume event does not take a quantity.
  m = Minimal();
  m.push_back(Num("quantity", "1"));
  EXPECT_EQ(Refusal(m).second, "unknown field \"quantity\" in event");
}

TEST(ParseTimestampRfc3339, ReadsInstants) {
  EXPECT_EQ(At("2000-01-01T00:00:00Z"), 0);
  EXPECT_EQ(At("2000-01-01T00:00:00.000001Z"), 1);
  EXPECT_EQ(At("1999-12-31T23:59:59.5Z"), -500000);
  EXPECT_EQ(At("2000-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(At("2000-01-01 01:00:00+01"), 0);
  EXPECT_EQ(At("2000-01-01t01:30:00+0130"), 0);
  EXPECT_EQ(At("1999-12-31T19:00:00-05:00"), 0);
  EXPECT_EQ(At("2000-01-01T00:00:00-00:00"), 0);
  EXPECT_EQ(At("2000-01-01T00:00:00z"), 0);
  EXPECT_EQ(At("2000-03-01T00:00:00Z"), 60 * kMicrosPerDay);  // 2000 is leap
  EXPECT_EQ(At("2024-02-29T00:00:00Z"),
            At("2024-03-01T00:00:00Z") - kMicrosPerDay);
  EXPECT_EQ(At("0001-01-01T00:00:00Z"), -63082281600LL * kMicrosPerSecond);
  EXPECT_EQ(At("9999-12-31T23:59:59.999999Z"), 252455615999999999LL);
}

TEST(ParseTimestampRfc3339, RoundTripsFormatTimestampUtc) {
  for (Micros t :
       std::vector<Micros>{0, 1, -1, 825 * kMicrosPerDay + 123456,
                           -36524 * kMicrosPerDay, 252455615999999999LL}) {
    EXPECT_EQ(At(FormatTimestampUtc(t).c_str()), t) << FormatTimestampUtc(t);
  }
}

// An instant whose UTC form has no four-digit year could not be written back
// and read again (batch_fuzz found 9999-12-31T23:59:59.9999-12:00).
TEST(ParseTimestampRfc3339, RefusesInstantsOutsideFourDigitUtcYears) {
  EXPECT_THROW(At("9999-12-31T23:59:59.9999-12:00"), LedgerError);
  EXPECT_THROW(At("9999-12-31T23:59:59-00:01"), LedgerError);
  EXPECT_THROW(At("0001-01-01T00:00:00+00:01"), LedgerError);
  EXPECT_EQ(FormatTimestampUtc(At("9999-12-31T23:59:59.999999Z")),
            FormatTimestampUtc(At("9999-12-31T23:59:59.999999+00:00")));
  EXPECT_EQ(At("0001-01-01T00:01:00+00:01"), At("0001-01-01T00:00:00Z"));
}

TEST(ParseTimestampRfc3339, RefusesWhatIsNotExplicit) {
  for (const char* text : {"today",
                           "now",
                           "tomorrow",
                           "epoch",
                           "infinity",
                           "",
                           "2026-03-01",
                           "2026-03-01T12:00:00",
                           "2026-03-01T12:00Z",
                           "2026-03-01T12:00:00 UTC",
                           "2026-03-01T12:00:00 Europe/Paris",
                           "2026-03-01T12:00:00+1",
                           "2026-03-01T12:00:00+01:0",
                           "2026-03-01T12:00:00+24:00",
                           "2026-03-01T12:00:00+01:60",
                           "2026-03-01T12:00:00.Z",
                           "2026-03-01T12:00:00.1234567Z",
                           "2026-02-29T12:00:00Z",
                           "2026-04-31T12:00:00Z",
                           "2026-13-01T12:00:00Z",
                           "2026-00-01T12:00:00Z",
                           "2026-03-00T12:00:00Z",
                           "2026-03-01T24:00:00Z",
                           "2026-03-01T12:60:00Z",
                           "2026-03-01T23:59:60Z",
                           "0000-01-01T00:00:00Z",
                           "26-03-01T12:00:00Z",
                           "+2026-03-01T12:00:00Z",
                           "2026-03-01T12:00:00Z ",
                           " 2026-03-01T12:00:00Z",
                           "2026-03-01X12:00:00Z",
                           "2026-03-01T12:00:00ZZ",
                           "Mar 1 2026 12:00 +00",
                           "1772366400",
                           "2026-03-01T12:00:00+01:00:00"}) {
    try {
      At(text);
      ADD_FAILURE() << "accepted \"" << text << "\"";
    } catch (const LedgerError& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidParameter) << text;
      EXPECT_EQ(e.message(), "t is not a timestamp with a time zone offset");
    }
  }
}

TEST(CheckOccurredAt, BoundsTheFutureNotThePast) {
  const Micros now = At("2026-03-01T12:00:00Z");
  CheckOccurredAt(now, now);
  CheckOccurredAt(now + kMaxOccurredAhead, now);
  CheckOccurredAt(At("1970-01-01T00:00:00Z"), now);
  CheckOccurredAt(std::numeric_limits<Micros>::min(),
                  std::numeric_limits<Micros>::max());
  for (Micros t : std::vector<Micros>{now + kMaxOccurredAhead + 1,
                                      At("2099-01-01T00:00:00Z"),
                                      std::numeric_limits<Micros>::max()}) {
    try {
      CheckOccurredAt(t, now);
      ADD_FAILURE() << t;
    } catch (const LedgerError& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidParameter);
      EXPECT_EQ(e.message(), "occurred_at is too far in the future");
    }
  }
  try {
    CheckOccurredAt(std::numeric_limits<Micros>::max(),
                    std::numeric_limits<Micros>::min());
    ADD_FAILURE();
  } catch (const LedgerError&) {
  }
}

BatchItem Item(std::string customer, std::string type,
               std::optional<std::string> key = std::nullopt) {
  return {std::move(customer), std::move(type), std::move(key)};
}

// A model of single calls in array order: an item's key is decided by the
// items before it. The schedule is right if every item that shares a
// customer and key with an earlier one comes after it, and each wallet's
// items keep array order.
void ExpectSound(const std::vector<BatchItem>& items, const BatchSchedule& s) {
  ASSERT_EQ(s.order.size(), items.size());
  std::vector<std::size_t> position(items.size(), items.size());
  for (std::size_t p = 0; p < s.order.size(); ++p) {
    ASSERT_LT(s.order[p], items.size());
    ASSERT_EQ(position[s.order[p]], items.size()) << "applied twice";
    position[s.order[p]] = p;
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(s.wallets[s.wallet_of[i]],
              std::make_pair(items[i].customer_id, items[i].credit_type));
    for (std::size_t j = 0; j < i; ++j) {
      const bool same_wallet = s.wallet_of[i] == s.wallet_of[j];
      const bool same_key =
          items[i].idempotency_key && items[j].idempotency_key &&
          items[i].customer_id == items[j].customer_id &&
          *items[i].idempotency_key == *items[j].idempotency_key;
      if (same_wallet || same_key) {
        EXPECT_LT(position[j], position[i]) << j << " before " << i;
      }
    }
  }
  EXPECT_TRUE(std::is_sorted(s.wallets.begin(), s.wallets.end()));
  EXPECT_EQ(std::set(s.wallets.begin(), s.wallets.end()).size(),
            s.wallets.size());
}

TEST(ScheduleBatch, GroupsByWalletInLockOrder) {
  const std::vector<BatchItem> items = {
      Item("b", "usd", "k1"), Item("a", "usd"), Item("b", "usd"),
      Item("a", "tok", "k2"), Item("a", "usd", "k1")};
  const BatchSchedule s = ScheduleBatch(items);
  ExpectSound(items, s);
  EXPECT_EQ(s.wallets, (std::vector<std::pair<std::string, std::string>>{
                           {"a", "tok"}, {"a", "usd"}, {"b", "usd"}}));
  EXPECT_EQ(s.order, (std::vector<std::size_t>{3, 1, 4, 0, 2}));
}

TEST(ScheduleBatch, KeySharedAcrossCreditTypesIsDecidedInArrayOrder) {
  // The case: usd sorts after tok, but the usd event came first.
  const std::vector<BatchItem> items = {Item("a", "usd", "k9"),
                                        Item("a", "tok", "k9")};
  const BatchSchedule s = ScheduleBatch(items);
  ExpectSound(items, s);
  EXPECT_EQ(s.order, (std::vector<std::size_t>{0, 1}));
}

TEST(ScheduleBatch, RunsAWalletOnlyAsFarAsNeeded) {
  // tok's second item waits for usd's first; usd's later items stay after
  // the rest of tok.
  const std::vector<BatchItem> items = {Item("a", "tok"), Item("a", "usd", "k"),
                                        Item("a", "tok", "k"), Item("a", "usd"),
                                        Item("a", "tok")};
  const BatchSchedule s = ScheduleBatch(items);
  ExpectSound(items, s);
  EXPECT_EQ(s.order, (std::vector<std::size_t>{0, 1, 2, 4, 3}));
}

TEST(ScheduleBatch, KeysAreScopedPerCustomer) {
  const std::vector<BatchItem> items = {Item("b", "usd", "k"),
                                        Item("a", "usd", "k")};
  EXPECT_EQ(ScheduleBatch(items).order, (std::vector<std::size_t>{1, 0}));
}

TEST(ScheduleBatch, ChainsAcrossManyWallets) {
  // Every item waits for the one before it, through wallets in reverse lock
  // order, and keys alternate so each wallet is entered several times.
  std::vector<BatchItem> items;
  for (int i = 0; i < 200; ++i) {
    items.push_back(Item("c", "t" + std::to_string(999 - i % 50),
                         "k" + std::to_string(i % 3)));
  }
  const BatchSchedule s = ScheduleBatch(items);
  ExpectSound(items, s);
}

TEST(ScheduleBatch, PseudoRandomBatchesAreSound) {
  std::uint64_t seed = 42;
  auto next = [&](std::uint64_t n) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (seed >> 33) % n;
  };
  for (int round = 0; round < 300; ++round) {
    std::vector<BatchItem> items;
    const std::uint64_t n = 1 + next(40);
    for (std::uint64_t i = 0; i < n; ++i) {
      std::optional<std::string> key;
      if (next(3) != 0) key = "k" + std::to_string(next(4));
      items.push_back(Item("c" + std::to_string(next(3)),
                           "t" + std::to_string(next(4)), key));
    }
    ExpectSound(items, ScheduleBatch(items));
  }
}

TEST(ScheduleBatch, MarksTheItemsThatRepeatAnEarlierKey) {
  // Per customer, whatever the wallet; the first use of a key and items
  // without one are not repeats.
  const std::vector<BatchItem> items = {
      Item("a", "usd", "k"), Item("a", "tok", "k"), Item("b", "usd", "k"),
      Item("a", "usd"),      Item("a", "usd", "k"), Item("b", "usd", "j")};
  EXPECT_EQ(ScheduleBatch(items).repeats_key,
            (std::vector<bool>{false, true, false, false, true, false}));
}

TEST(ScheduleBatch, Empty) {
  const BatchSchedule s = ScheduleBatch({});
  EXPECT_TRUE(s.order.empty() && s.wallets.empty());
}

// A rejected event's row: LG001 is the business refusal ("insufficient"),
// anything else an error; the detail follows the message after a colon.
TEST(RejectBatchEvent, StatusSqlstateAndMessage) {
  BatchRejection r = RejectBatchEvent(
      LedgerError(ErrorCode::kInsufficientCredits, "insufficient credits",
                  "Customer \"acme\" has no usd wallet."));
  EXPECT_EQ(r.status, "insufficient");
  EXPECT_EQ(r.sqlstate, "LG001");
  EXPECT_EQ(r.message,
            "insufficient credits: Customer \"acme\" has no usd wallet.");
  r = RejectBatchEvent(
      LedgerError(ErrorCode::kInvalidParameter, "amount must be positive"));
  EXPECT_EQ(r.status, "error");
  EXPECT_EQ(r.sqlstate, "22023");
  EXPECT_EQ(r.message, "amount must be positive");
}

TEST(CheckBatchSize, AtMostTenThousandEvents) {
  CheckBatchSize(0);
  CheckBatchSize(kMaxBatch);
  try {
    CheckBatchSize(kMaxBatch + 1);
    FAIL();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidParameter);
    EXPECT_EQ(e.message(), "a batch holds at most 10000 events");
    EXPECT_EQ(e.detail(), "The batch given has 10001 events.");
  }
}

}  // namespace
}  // namespace credit_ledger
