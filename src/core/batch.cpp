#include "batch.hpp"

#include "error.hpp"
#include "validate.hpp"

#include <map>
#include <string_view>
#include <tuple>

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

enum class Field {
  kCustomerId,
  kCreditType,
  kAmount,
  kIdempotencyKey,
  kFeature,
  kSourceId,
  kOccurredAt,
  kMetadata,
  kAllowPartial,
  kQuantity,
};

const char* const kFieldNames[] = {
    "customer_id", "credit_type", "amount",   "idempotency_key", "feature",
    "source_id",   "occurred_at", "metadata", "allow_partial",   "quantity"};

constexpr std::size_t kFieldCount =
    sizeof(kFieldNames) / sizeof(kFieldNames[0]);

const char* KindName(JsonKind kind) {
  switch (kind) {
  case JsonKind::kNull:
    return "null";
  case JsonKind::kString:
    return "a string";
  case JsonKind::kNumber:
    return "a number";
  case JsonKind::kBool:
    return "a boolean";
  case JsonKind::kObject:
    return "an object";
  case JsonKind::kArray:
    return "an array";
  }
  return "a value";
}

// A member name as messages show it: quoted, and cut short if long.
std::string Shown(std::string_view name) {
  return "\"" + Abbreviated(name) + "\"";
}

[[noreturn]] void WrongKind(Field field, const char* expected, JsonKind got) {
  throw LedgerError(ErrorCode::kInvalidParameter,
                    std::string(kFieldNames[static_cast<int>(field)]) +
                        " must be " + expected,
                    std::string("The value given was ") + KindName(got) + ".");
}

// A string field: absent or null gives nullopt.
std::optional<std::string> OptString(const JsonMember* m, Field field) {
  if (m == nullptr || m->kind == JsonKind::kNull) return std::nullopt;
  if (m->kind != JsonKind::kString) WrongKind(field, "a JSON string", m->kind);
  return m->text;
}

[[noreturn]] void Missing(Field field) {
  throw LedgerError(ErrorCode::kNullValue,
                    std::string(kFieldNames[static_cast<int>(field)]) +
                        " must not be NULL");
}

// An event's members by field; an unknown field is refused.
struct EventMembers {
  const JsonMember* found[kFieldCount] = {};
  std::optional<std::size_t> metadata_index;  // of the metadata member
};

// Which fields an event of one kind holds, and how the refusal of any other
// says so.
struct EventShape {
  bool usage = false;  // feature and quantity instead of credit_type, amount
  const char* hint;
};

const EventShape kConsumeShape{
    false, "An event holds customer_id, credit_type, amount and optionally "
           "idempotency_key, feature, source_id, occurred_at, metadata and "
           "allow_partial."};
const EventShape kUsageShape{
    true,
    "A usage event holds customer_id, feature, quantity and optionally "
    "idempotency_key, source_id, occurred_at, metadata and allow_partial."};

bool Allowed(const EventShape& shape, std::size_t f) {
  switch (static_cast<Field>(f)) {
  case Field::kCreditType:
  case Field::kAmount:
    return !shape.usage;
  case Field::kQuantity:
    return shape.usage;
  default:
    return true;
  }
}

EventMembers IndexMembers(const std::vector<JsonMember>& members,
                          const EventShape& shape) {
  EventMembers out;
  for (std::size_t i = 0; i < members.size(); ++i) {
    std::size_t f = 0;
    while (f < kFieldCount && members[i].name != kFieldNames[f]) ++f;
    if (f == kFieldCount || !Allowed(shape, f)) {
      throw LedgerError(ErrorCode::kInvalidParameter,
                        "unknown field " + Shown(members[i].name) + " in event",
                        shape.hint);
    }
    out.found[f] = &members[i];
    if (f == static_cast<std::size_t>(Field::kMetadata)) out.metadata_index = i;
  }
  return out;
}

// A required member that is a number or a string holding a decimal.
std::string DecimalText(const JsonMember* m, Field field) {
  if (m == nullptr || m->kind == JsonKind::kNull) Missing(field);
  if (m->kind != JsonKind::kNumber && m->kind != JsonKind::kString) {
    WrongKind(field, "a JSON number or a string", m->kind);
  }
  return m->text;
}

// The optional fields both kinds of event share.
void ReadOptionalFields(const EventMembers& fields, const EventShape& shape,
                        BatchEventFields& out) {
  auto member = [&](Field f) { return fields.found[static_cast<int>(f)]; };
  out.idempotency_key =
      OptString(member(Field::kIdempotencyKey), Field::kIdempotencyKey);
  if (!shape.usage) {
    out.feature = OptString(member(Field::kFeature), Field::kFeature);
  }
  out.source_id = OptString(member(Field::kSourceId), Field::kSourceId);
  if (auto t = OptString(member(Field::kOccurredAt), Field::kOccurredAt)) {
    out.occurred_at = ParseTimestampRfc3339(*t, "occurred_at");
  }
  if (const JsonMember* m = member(Field::kMetadata);
      m != nullptr && m->kind != JsonKind::kNull) {
    if (m->kind != JsonKind::kObject) {
      WrongKind(Field::kMetadata, "a JSON object", m->kind);
    }
    out.metadata = fields.metadata_index;
  }
  if (const JsonMember* m = member(Field::kAllowPartial);
      m != nullptr && m->kind != JsonKind::kNull) {
    if (m->kind != JsonKind::kBool) {
      WrongKind(Field::kAllowPartial, "a JSON boolean", m->kind);
    }
    out.allow_partial = m->text == "true";
  }
}

BatchEventFields ReadEventOf(JsonKind kind,
                             const std::vector<JsonMember>& members,
                             const EventShape& shape) {
  if (kind != JsonKind::kObject) {
    throw LedgerError(
        ErrorCode::kInvalidParameter, "each event must be a JSON object",
        std::string("The event given was ") + KindName(kind) + ".");
  }
  const EventMembers fields = IndexMembers(members, shape);
  auto member = [&](Field f) { return fields.found[static_cast<int>(f)]; };
  auto required = [&](Field f) {
    std::optional<std::string> v = OptString(member(f), f);
    if (!v) Missing(f);
    return *v;
  };
  BatchEventFields out;
  out.customer_id = required(Field::kCustomerId);
  if (shape.usage) {
    out.feature = required(Field::kFeature);
    out.quantity = DecimalText(member(Field::kQuantity), Field::kQuantity);
  } else {
    out.credit_type = required(Field::kCreditType);
    out.amount = DecimalText(member(Field::kAmount), Field::kAmount);
  }
  ReadOptionalFields(fields, shape, out);
  return out;
}

}  // namespace

BatchEventFields ReadBatchEvent(JsonKind kind,
                                const std::vector<JsonMember>& members) {
  return ReadEventOf(kind, members, kConsumeShape);
}

BatchEventFields ReadUsageBatchEvent(JsonKind kind,
                                     const std::vector<JsonMember>& members) {
  return ReadEventOf(kind, members, kUsageShape);
}

namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

// Fills the wallets in lock order and each item's wallet; returns each
// wallet's items in array order.
std::vector<std::vector<std::size_t>>
GroupByWallet(const std::vector<BatchItem>& items, BatchSchedule& s) {
  std::map<std::pair<std::string, std::string>, std::size_t> index;
  for (const BatchItem& item : items) {
    index.emplace(std::make_pair(item.customer_id, item.credit_type), 0);
  }
  for (auto& [wallet, i] : index) {
    i = s.wallets.size();
    s.wallets.push_back(wallet);
  }
  std::vector<std::vector<std::size_t>> items_of(s.wallets.size());
  s.wallet_of.resize(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    s.wallet_of[i] = index.at({items[i].customer_id, items[i].credit_type});
    items_of[s.wallet_of[i]].push_back(i);
  }
  return items_of;
}

// An item waits for the previous item with its customer and key when that
// one is in another wallet (one in the same wallet precedes it anyway);
// marks each item that repeats an earlier item's key.
std::vector<std::size_t> KeyWaits(const std::vector<BatchItem>& items,
                                  BatchSchedule& s) {
  std::vector<std::size_t> waits_for(items.size(), kNone);
  s.repeats_key.assign(items.size(), false);
  std::map<std::pair<std::string_view, std::string_view>, std::size_t> last;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!items[i].idempotency_key) continue;
    auto [it, fresh] =
        last.try_emplace({items[i].customer_id, *items[i].idempotency_key}, i);
    if (!fresh) {
      if (s.wallet_of[it->second] != s.wallet_of[i]) waits_for[i] = it->second;
      s.repeats_key[i] = true;
      it->second = i;
    }
  }
  return waits_for;
}

// Runs wallets in lock order; a wallet whose next item waits for an item
// not applied yet runs that item's wallet up to it first. Each wallet is on
// the stack at most once (the items the stack waits on strictly decrease),
// so the stack holds at most one entry per wallet.
void Order(const std::vector<std::vector<std::size_t>>& items_of,
           const std::vector<std::size_t>& waits_for, BatchSchedule& s) {
  std::vector<std::size_t> next(s.wallets.size(), 0);
  std::vector<bool> done(waits_for.size(), false);
  struct Run {
    std::size_t wallet;
    std::size_t until;  // the item to stop after, or kNone: all of them
  };
  std::vector<Run> stack;
  s.order.reserve(waits_for.size());
  for (std::size_t w = 0; w < s.wallets.size(); ++w) {
    stack.push_back({w, kNone});
    while (!stack.empty()) {
      const Run run = stack.back();
      if (next[run.wallet] == items_of[run.wallet].size() ||
          (run.until != kNone && done[run.until])) {
        stack.pop_back();
        continue;
      }
      const std::size_t i = items_of[run.wallet][next[run.wallet]];
      if (waits_for[i] != kNone && !done[waits_for[i]]) {
        stack.push_back({s.wallet_of[waits_for[i]], waits_for[i]});
        continue;
      }
      s.order.push_back(i);
      done[i] = true;
      ++next[run.wallet];
    }
  }
}

}  // namespace

BatchSchedule ScheduleBatch(const std::vector<BatchItem>& items) {
  BatchSchedule s;
  const auto items_of = GroupByWallet(items, s);
  Order(items_of, KeyWaits(items, s), s);
  return s;
}

void CheckBatchSize(std::size_t count) {
  if (count > kMaxBatch) {
    throw LedgerError(
        ErrorCode::kInvalidParameter,
        "a batch holds at most " + std::to_string(kMaxBatch) + " events",
        "The batch given has " + std::to_string(count) + " events.");
  }
}

BatchRejection RejectBatchEvent(const LedgerError& error) {
  BatchRejection r;
  r.status = error.code() == ErrorCode::kInsufficientCredits ? "insufficient"
                                                             : "error";
  r.sqlstate = SqlStateOf(error.code());
  r.message = error.message();
  if (!error.detail().empty()) r.message += ": " + error.detail();
  return r;
}

}  // namespace credit_ledger
