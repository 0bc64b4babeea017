// The events of the transactional outbox: which ones an operation implies and
// the bytes of their payloads. The glue writes them in the operation's own
// transaction (Ledger::InsertEvents), so an event exists if and only if the
// change that caused it committed; with credit_ledger.notify on, each is also
// announced with NOTIFY credit_ledger_events (payload: the event id), which
// PostgreSQL delivers only at commit. Payloads are a stored and consumed
// format: test/unit/events_test.cpp pins each one's bytes.
#pragma once

#include "alerts.hpp"
#include "grant.hpp"
#include "lifecycle.hpp"
#include "time.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace credit_ledger {

// One event of the outbox, as written.
struct PendingEvent {
  std::string type;     // e.g. credits.granted
  std::string payload;  // a JSON object
};

// Whom an event is about: the fields every payload starts with, and the
// scale its amounts are written at.
struct EventSubject {
  std::string customer_id;
  std::string credit_type;
  std::int64_t wallet_id = 0;
  int scale = 0;
  std::int64_t operation_id = 0;
  // 1.2: the credit type's ISO 4217 currency; payloads carrying money
  // (cost_basis, value) name it after that field when it is set.
  std::optional<std::string> currency = std::nullopt;
};

// The fields every payload starts with (customer, credit type, wallet and
// operation), for payloads written outside events.cpp.
class JsonObject;
JsonObject EventFields(const EventSubject& subject);

// Payloads carry the customer, credit type, wallet and operation, the amounts
// as exact decimal strings, and the spendable balance after the change.

// credits.granted for a new block.
PendingEvent GrantedEvent(const EventSubject& subject, const NewGrant& grant,
                          std::int64_t balance);
// credits.grant.depleted: a plan emptied the grant.
PendingEvent GrantDepletedEvent(const EventSubject& subject,
                                std::int64_t grant_id, std::int64_t balance);
// credits.expired: the sweep removed what a lapsed grant held (`value`:
// the credits times the grant's cost basis, NULL without one).
PendingEvent ExpiredEvent(const EventSubject& subject, const ExpiryPlan& plan,
                          const std::optional<std::string>& value,
                          std::int64_t balance);
// credits.voided: credit_void removed a grant's remaining credits.
PendingEvent VoidedEvent(const EventSubject& subject, const VoidPlan& plan,
                         const std::optional<std::string>& reason);
// credits.balance.usage_low: the balance fell below `threshold`.
PendingEvent UsageLowEvent(const EventSubject& subject, std::int64_t threshold,
                           std::int64_t balance);
// credits.balance.depleted: the balance reached zero or below.
PendingEvent BalanceDepletedEvent(const EventSubject& subject,
                                  std::int64_t balance);

// Appends credits.grant.depleted for each grant a plan emptied (`grants`:
// the grants planned, `emptied`: the plan's indices into them, in the order
// they were drawn).
void AddDepletedGrants(std::vector<PendingEvent>& events,
                       const EventSubject& subject,
                       const std::vector<GrantState>& grants,
                       const std::vector<std::size_t>& emptied,
                       std::int64_t balance);

// The balance alerts an operation ends with: EvaluateAlerts decides which
// thresholds (and whether depletion) fire, and the state the wallet keeps.
struct AlertEvents {
  std::vector<PendingEvent> events;  // usage_low highest first, then depleted
  AlertState next;
};
AlertEvents BalanceAlertEvents(const EventSubject& subject,
                               const std::vector<std::int64_t>& thresholds,
                               const AlertState& state,
                               std::int64_t spendable_after);

}  // namespace credit_ledger
