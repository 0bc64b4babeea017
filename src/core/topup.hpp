// Automatic top-up (1.2): when an operation that takes credit leaves the
// available balance below the wallet's threshold, the same transaction
// creates a pending grant (kind 'topup') and the event
// credits.auto_topup.requested; the user's payment code confirms or cancels
// it. At most one pending top-up per wallet, at most max_per_day requests
// per wallet and UTC day, nothing for a replayed call.
#pragma once

#include "events.hpp"
#include "grant.hpp"
#include "time.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace credit_ledger {

// A wallet's configuration (credit_auto_topup_configure), amounts in units.
struct TopupConfig {
  std::int64_t threshold = 0;
  std::int64_t amount = 0;
  std::optional<std::string> cost_basis;
  std::int32_t max_per_day = 3;
  bool enabled = true;
};

// credit_auto_topup_configure's arguments as given.
struct TopupArgs {
  std::optional<std::string> threshold;
  std::optional<std::string> amount;
  std::optional<std::string> cost_basis;
  std::optional<std::int32_t> max_per_day;  // default 3
  std::optional<bool> enabled;              // default true
};

// 22004 for a NULL threshold, amount, max_per_day or enabled; 22023 for a
// negative threshold, an amount that is not positive, a negative cost basis,
// a max_per_day below 1 (switch it off with enabled => false), or decimals
// beyond the scale; 22003 beyond 18 digits.
TopupConfig CheckTopupConfig(const TopupArgs& args, int scale);

// The UTC day of an instant (days since 2000-01-01), for max_per_day.
std::int64_t UtcDay(Micros t);

// What the wallet stores to count requests: the UTC day of the last request
// and how many were made that day.
struct TopupCounter {
  std::int64_t day = 0;
  std::int32_t count = 0;
};

// What the operation left and knows, for the decision.
struct TopupInput {
  std::int64_t available_after = 0;  // the balance the operation returns
  bool pending = false;   // a topup block of the wallet is still pending
  bool replayed = false;  // the call replayed an idempotency key
  TopupCounter counter;   // as stored
  Micros now = 0;
};

// A request: the pending block to insert and the counter to store.
struct TopupRequest {
  NewGrant grant;  // kind 'topup', amount and cost_basis of the config
  TopupCounter counter;
};

// Whether the operation requests a top-up: the config is enabled, the
// available balance is below the threshold, no top-up is pending, the call
// was not replayed, and fewer than max_per_day were requested this UTC day.
// The block gets id `grant_id`, effective at now, never expiring.
std::optional<TopupRequest> DecideTopup(const TopupConfig& config,
                                        const TopupInput& input,
                                        std::int64_t grant_id);

// credits.auto_topup.requested: grant_id, amount, cost_basis, balance.
PendingEvent TopupRequestedEvent(const EventSubject& subject,
                                 const TopupRequest& request,
                                 std::int64_t balance);

}  // namespace credit_ledger
