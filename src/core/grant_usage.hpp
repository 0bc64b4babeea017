// Block usage alerts (1.2): credit_wallet_configure's grant_usage_thresholds
// are percentages of a block's amount used ({50,80,100}) at which
// credits.grant.usage_low fires, once per block and threshold. Each block
// stores the highest threshold it has fired (grants.usage_alerted), so a
// reversal that gives credit back never makes a threshold fire twice.
#pragma once

#include "events.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace credit_ledger {

// A percentage in billionths of a percent (12.5% = 12'500'000'000): the
// thresholds' exact form.
using Percent = std::int64_t;
constexpr Percent kPercentUnit = 1000000000;
constexpr int kPercentScale = 9;  // its decimals: Percent is units at it

// The thresholds as given: each more than 0 and at most 100 with at most 9
// decimals (22023 otherwise; 22004 for a NULL element). Returns them
// ascending without duplicates.
std::vector<Percent> ParseGrantUsageThresholds(
    const std::vector<std::optional<std::string>>& thresholds);

// A percentage as text ("12.5").
std::string FormatPercent(Percent p);

// What a block's use decides: the thresholds its used share reached and
// had not fired (ascending), and the highest fired after them.
struct GrantUsageAlerts {
  std::vector<Percent> fire;
  std::optional<Percent> alerted;
};

// For a block of `amount` (> 0) of which `used` credits have been used
// (usage net of reversals: not what expired, was voided or rolled over, nor
// what holds reserve), with `alerted` the highest threshold already fired
// for it: the thresholds t > alerted with used >= t% of amount.
GrantUsageAlerts DecideGrantUsage(const std::vector<Percent>& thresholds,
                                  std::int64_t amount, std::int64_t used,
                                  std::optional<Percent> alerted);

// credits.grant.usage_low: grant_id, threshold, usage_percent (the used
// share, rounded down to 2 decimals) and the balance after.
PendingEvent GrantUsageLowEvent(const EventSubject& subject,
                                std::int64_t grant_id, Percent threshold,
                                std::int64_t amount, std::int64_t used,
                                std::int64_t balance);

}  // namespace credit_ledger
