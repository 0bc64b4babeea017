// The payloads of the transactional outbox's events. Ledger::InsertEvents
// writes them in the operation's own transaction, so an event exists if and
// only if the change that caused it committed. With credit_ledger.notify on,
// each is also announced with NOTIFY credit_ledger_events (payload: the event
// id), which PostgreSQL delivers only at commit.
#pragma once

#include "ledger.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace credit_ledger::pg {

// Payloads carry the customer, credit type, wallet and operation, the amounts
// as exact decimal strings, and the spendable balance after the change.
PendingEvent GrantedEvent(const Wallet& wallet, std::int64_t operation_id,
                          const NewGrant& grant, std::int64_t balance);
PendingEvent GrantDepletedEvent(const Wallet& wallet, std::int64_t operation_id,
                                std::int64_t grant_id, std::int64_t balance);
PendingEvent ExpiredEvent(const Wallet& wallet, std::int64_t operation_id,
                          std::int64_t grant_id, std::int64_t amount,
                          const std::optional<std::string>& value,
                          bool promotional, Micros expires_at,
                          std::int64_t balance);
PendingEvent VoidedEvent(const Wallet& wallet, std::int64_t operation_id,
                         std::int64_t grant_id, std::int64_t amount,
                         const std::optional<std::string>& reason,
                         std::int64_t balance);
PendingEvent UsageLowEvent(const Wallet& wallet, std::int64_t operation_id,
                           std::int64_t threshold, std::int64_t balance);
PendingEvent BalanceDepletedEvent(const Wallet& wallet,
                                  std::int64_t operation_id,
                                  std::int64_t balance);

}  // namespace credit_ledger::pg
