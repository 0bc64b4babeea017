// libFuzzer target for the batch rules (src/core/batch.hpp) and the
// timestamps they read (ParseTimestampRfc3339 in src/core/time.hpp).
//
// Input: the first byte picks the check. 't': the rest is timestamp text,
// compared with a model built on std::regex and timegm (written differently
// from time.cpp's scanner and day arithmetic). 'e': the rest describes one
// event's members (per member: a name byte, a kind byte and a text up to a
// NUL), read with ReadBatchEvent. Anything else: the bytes describe a batch
// (per event: customer, credit type and key bytes), scheduled with
// ScheduleBatch and checked against the rule it must keep. Seeds live in
// fuzz/corpus/batch_fuzz/ and are readable ("t2026-03-01T12:00:00Z").
#include "batch.hpp"
#include "error.hpp"
#include "fuzz_check.hpp"
#include "time.hpp"

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace credit_ledger::fuzz {
namespace {

// The model: the grammar as one regular expression, the value by timegm.
std::optional<Micros> RefTimestamp(const std::string& text) {
  static const std::regex kGrammar(
      "([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
      "(\\.[0-9]{1,6})?(([Zz])|([+-])([0-9]{2})(:?([0-9]{2}))?)");
  std::smatch m;
  if (!std::regex_match(text, m, kGrammar)) return std::nullopt;
  const int year = std::stoi(m[1]), month = std::stoi(m[2]),
            day = std::stoi(m[3]);
  const int hour = std::stoi(m[4]), minute = std::stoi(m[5]),
            second = std::stoi(m[6]);
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 ||
      minute > 59 || second > 59) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t unix = timegm(&tm);
  if (tm.tm_mday != day || tm.tm_mon != month - 1)
    return std::nullopt;  // 31 April
  Micros fraction = 0;
  if (m[7].matched) {
    std::string digits = m[7].str().substr(1);
    digits.resize(6, '0');
    fraction = std::stoll(digits);
  }
  std::int64_t offset = 0;
  if (m[10].matched) {
    const int oh = std::stoi(m[11]);
    const int om = m[13].matched ? std::stoi(m[13]) : 0;
    if (oh > 23 || om > 59) return std::nullopt;
    offset = (m[10] == "-" ? -1 : 1) * (oh * 3600 + om * 60);
  }
  // The UTC instant must itself have a four-digit year (so it can be written
  // back): from 0001-01-01 up to, not including, 10000-01-01.
  const std::int64_t utc = static_cast<std::int64_t>(unix) - offset;
  if (utc < -62135596800 || utc >= 253402300800) return std::nullopt;
  return (utc - 946684800) * kMicrosPerSecond + fraction;
}

void CheckTimestamp(std::string_view input) {
  const std::string text(input);
  const std::optional<Micros> ref = RefTimestamp(text);
  try {
    const Micros t = ParseTimestampRfc3339(text, "occurred_at");
    CL_FUZZ_CHECK(ref.has_value() && *ref == t);
    CL_FUZZ_CHECK(ParseTimestampRfc3339(FormatTimestampUtc(t), "occurred_at") ==
                  t);
  } catch (const LedgerError& e) {
    CL_FUZZ_CHECK(!ref.has_value());
    CL_FUZZ_CHECK(e.code() == ErrorCode::kInvalidParameter && WellFormed(e));
  }
}

const char* const kNames[] = {
    "customer_id", "credit_type", "amount",   "idempotency_key", "feature",
    "source_id",   "occurred_at", "metadata", "idempotencyKey",  ""};

void CheckEvent(std::string_view input) {
  std::vector<JsonMember> members;
  std::set<std::string> names;  // jsonb keys are unique
  std::size_t pos = 0;
  while (pos + 2 <= input.size()) {
    const auto name_byte = static_cast<unsigned char>(input[pos]);
    const auto kind_byte = static_cast<unsigned char>(input[pos + 1]);
    pos += 2;
    const std::size_t end = std::min(input.find('\0', pos), input.size());
    const std::string text(input.substr(pos, end - pos));
    pos = end + 1;
    const std::string name =
        kNames[name_byte % (sizeof kNames / sizeof kNames[0])];
    if (!names.insert(name).second) continue;
    members.push_back({name, static_cast<JsonKind>(kind_byte % 6), text});
  }
  const auto kind =
      members.empty() && !input.empty()
          ? static_cast<JsonKind>(static_cast<unsigned char>(input[0]) % 6)
          : JsonKind::kObject;
  try {
    const BatchEventFields f = ReadBatchEvent(kind, members);
    CL_FUZZ_CHECK(kind == JsonKind::kObject);
    for (const JsonMember& m : members) {
      CL_FUZZ_CHECK(m.name != "idempotencyKey" && !m.name.empty());
      if (m.name == "customer_id")
        CL_FUZZ_CHECK(m.kind == JsonKind::kString && f.customer_id == m.text);
      if (m.name == "credit_type")
        CL_FUZZ_CHECK(m.kind == JsonKind::kString && f.credit_type == m.text);
      if (m.name == "amount") {
        CL_FUZZ_CHECK(
            (m.kind == JsonKind::kString || m.kind == JsonKind::kNumber) &&
            f.amount == m.text);
      }
      if (m.name == "feature")
        CL_FUZZ_CHECK(
            f.feature ==
            (m.kind == JsonKind::kNull ? std::nullopt : std::optional(m.text)));
      if (m.name == "metadata") {
        CL_FUZZ_CHECK(f.metadata.has_value() == (m.kind == JsonKind::kObject));
        CL_FUZZ_CHECK(!f.metadata || members[*f.metadata].name == "metadata");
      }
    }
  } catch (const LedgerError& e) {
    CL_FUZZ_CHECK(e.code() == ErrorCode::kInvalidParameter ||
                  e.code() == ErrorCode::kNullValue);
    CL_FUZZ_CHECK(WellFormed(e));
  }
}

// Every event after each earlier one of its wallet and each earlier one of
// its customer with its key; wallets distinct and in lock order.
void CheckSchedule(std::string_view input) {
  std::vector<BatchItem> items;
  for (std::size_t i = 0; i + 3 <= input.size() && items.size() < 2000;
       i += 3) {
    std::optional<std::string> key;
    if (input[i + 2] % 4 != 0) key = "k" + std::to_string(input[i + 2] % 7);
    items.push_back({"c" + std::to_string(input[i] % 5),
                     "t" + std::to_string(input[i + 1] % 6), key});
  }
  const BatchSchedule s = ScheduleBatch(items);
  CL_FUZZ_CHECK(s.order.size() == items.size());
  std::vector<std::size_t> position(items.size(), items.size());
  for (std::size_t p = 0; p < s.order.size(); ++p) {
    CL_FUZZ_CHECK(s.order[p] < items.size() &&
                  position[s.order[p]] == items.size());
    position[s.order[p]] = p;
  }
  for (std::size_t w = 1; w < s.wallets.size(); ++w) {
    CL_FUZZ_CHECK(s.wallets[w - 1] < s.wallets[w]);
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    CL_FUZZ_CHECK(s.wallets[s.wallet_of[i]].first == items[i].customer_id &&
                  s.wallets[s.wallet_of[i]].second == items[i].credit_type);
    for (std::size_t j = 0; j < i; ++j) {
      const bool same_key =
          items[i].idempotency_key && items[j].idempotency_key &&
          items[i].customer_id == items[j].customer_id &&
          *items[i].idempotency_key == *items[j].idempotency_key;
      if (s.wallet_of[i] == s.wallet_of[j] || same_key) {
        CL_FUZZ_CHECK(position[j] < position[i]);
      }
    }
  }
}

}  // namespace
}  // namespace credit_ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace credit_ledger::fuzz;
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1,
                              size - 1);
  switch (data[0]) {
  case 't':
    CheckTimestamp(rest);
    break;
  case 'e':
    CheckEvent(rest);
    break;
  default:
    CheckSchedule(rest);
    break;
  }
  return 0;
}
