// The rules of credit_consume_batch that do not depend on stored rows: what
// one event of the JSON array may hold, and the order its events are applied
// in so that each has exactly the outcome single credit_consume calls in
// array order would have had.
#pragma once

#include "error.hpp"
#include "time.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace credit_ledger {

// The JSON type of a value, as the glue found it.
enum class JsonKind { kNull, kString, kNumber, kBool, kObject, kArray };

// One member of an event object: its name, the type of its value and, for a
// string, its text; for a number, its exact decimal text (as the number was
// written, never through a binary float); for a boolean, true or false.
struct JsonMember {
  std::string name;
  JsonKind kind = JsonKind::kNull;
  std::string text;
};

// The fields of one event. A member that is absent or JSON null leaves an
// optional field unset.
struct BatchEventFields {
  std::string customer_id;
  std::string credit_type;
  std::string amount;  // decimal text, checked against the scale later
  std::optional<std::string> idempotency_key;
  std::optional<std::string> feature;
  std::optional<std::string> source_id;
  std::optional<Micros> occurred_at;
  // The index in `members` of the metadata object, if one was given.
  std::optional<std::size_t> metadata;
  bool allow_partial = false;  // absent or null: false
  // A usage event (ReadUsageBatchEvent): the quantity's text; credit_type
  // and amount stay empty (the price decides them).
  std::string quantity;
};

// Reads one event of a batch (`kind`: the type of the array element, whose
// members are `members`). Rules, each an error of that event only:
// - the event is a JSON object (22023);
// - every member is one of customer_id, credit_type, amount,
//   idempotency_key, feature, source_id, occurred_at, metadata,
//   allow_partial (22023 naming
//   the first other one, so a misspelt key is never ignored);
// - customer_id, credit_type and amount are present and not null (22004);
// - customer_id, credit_type, idempotency_key, feature, source_id and
//   occurred_at are strings, amount a number or a string, metadata an object,
//   allow_partial a boolean; optional ones may be null (22023);
// - occurred_at is an RFC 3339 timestamp with an offset
//   (ParseTimestampRfc3339).
// Lengths, the amount's sign and scale and occurred_at's future bound are
// credit_consume's checks, made afterwards for both.
BatchEventFields ReadBatchEvent(JsonKind kind,
                                const std::vector<JsonMember>& members);

// One event of credit_report_usage_batch (1.2): the same rules, except that
// the fields are customer_id, feature and quantity (required; quantity a
// number or a string) and optionally idempotency_key, source_id,
// occurred_at, metadata and allow_partial. The quantity's sign and
// precision are credit_report_usage's checks (CheckQuantity), made after.
BatchEventFields ReadUsageBatchEvent(JsonKind kind,
                                     const std::vector<JsonMember>& members);

// An event to apply, as the scheduler sees it.
struct BatchItem {
  std::string customer_id;
  std::string credit_type;
  std::optional<std::string> idempotency_key;
};

// The order a batch is applied in.
struct BatchSchedule {
  // The distinct (customer_id, credit_type) wallets, in lock order: ascending
  // by customer_id then credit_type (bytewise), so concurrent batches always
  // lock the wallets they share in the same order and cannot deadlock on them.
  std::vector<std::pair<std::string, std::string>> wallets;
  // For each item, its wallet's index in `wallets`.
  std::vector<std::size_t> wallet_of;
  // Every item's index once, in the order to apply them: wallet after wallet
  // in lock order, each wallet's items in array order - except that an item
  // whose idempotency key an earlier item of the same customer in another
  // wallet also carries is applied only after that item (and so after what
  // that item waits for). Each event then finds a key used exactly by the
  // events before it in the array, as single calls in array order would.
  std::vector<std::size_t> order;
  // For each item, whether an earlier item of the array carries its
  // customer and idempotency key: only such an item can find its key stored
  // by this batch, so only it looks the key up again before it is decided
  // (any other meets a key stored since the batch began when it is
  // written, as credit_consume does).
  std::vector<bool> repeats_key;
};

// Schedules `items` (the events left to apply, in array order). All wallets
// must be locked, in `wallets` order, before the first item is applied.
BatchSchedule ScheduleBatch(const std::vector<BatchItem>& items);

// The most events one call takes; 22023 for a larger batch.
constexpr std::size_t kMaxBatch = 10000;
void CheckBatchSize(std::size_t count);

// An event's row when it was rejected (it wrote nothing and the batch goes
// on): status `insufficient` for LG001, the business refusal a caller acts
// on, `error` for anything else; the SQLSTATE; the message, with the
// detail appended after a colon when there is one.
struct BatchRejection {
  std::string status;
  std::string sqlstate;
  std::string message;
};
BatchRejection RejectBatchEvent(const LedgerError& error);

}  // namespace credit_ledger
