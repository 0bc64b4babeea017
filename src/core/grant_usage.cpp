#include "grant_usage.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "exact.hpp"
#include "json.hpp"
#include "required.hpp"
#include "validate.hpp"

#include <algorithm>

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

// used x 100 / amount in Percent units, rounded down: used divided by
// amount / 100. Comparing the floor with a whole number of Percent units is
// exact.
Percent UsedPercent(std::int64_t amount, std::int64_t used) {
  const Fixed u{static_cast<std::uint64_t>(std::max<std::int64_t>(used, 0)), 0};
  const Fixed hundredth{static_cast<std::uint64_t>(amount), 2};
  return ScaledQuotient(u, hundredth, kPercentScale, "usage").floor;
}

}  // namespace

std::vector<Percent> ParseGrantUsageThresholds(
    const std::vector<std::optional<std::string>>& thresholds) {
  std::vector<Percent> out;
  for (const std::optional<std::string>& t : thresholds) {
    const std::string& text = Required(t, "grant_usage_thresholds element");
    const Percent p =
        ParseAmount(text, kPercentScale, "grant_usage_thresholds element");
    if (p <= 0 || p > 100 * kPercentUnit) {
      throw LedgerError(ErrorCode::kInvalidParameter,
                        "grant_usage_thresholds must be between 0 and 100",
                        "Each threshold is a percentage of a block used, more "
                        "than 0 and at most 100; " +
                            Abbreviated(text) + " was given.");
    }
    out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string FormatPercent(Percent p) {
  return FormatFixed(Fixed{static_cast<std::uint64_t>(p), kPercentScale});
}

GrantUsageAlerts DecideGrantUsage(const std::vector<Percent>& thresholds,
                                  std::int64_t amount, std::int64_t used,
                                  std::optional<Percent> alerted) {
  GrantUsageAlerts out;
  out.alerted = alerted;
  if (amount <= 0) return out;
  const Percent share = UsedPercent(amount, used);
  for (Percent t : thresholds) {
    if ((!alerted || t > *alerted) && share >= t) {
      out.fire.push_back(t);
      out.alerted = t;
    }
  }
  return out;
}

PendingEvent GrantUsageLowEvent(const EventSubject& subject,
                                std::int64_t grant_id, Percent threshold,
                                std::int64_t amount, std::int64_t used,
                                std::int64_t balance) {
  const Percent share = UsedPercent(amount, used);
  const Percent hundredths = share / (kPercentUnit / 100);
  JsonObject o = EventFields(subject);
  o.Integer("grant_id", grant_id)
      .String("threshold", FormatPercent(threshold))
      .String("usage_percent", FormatAmount(hundredths, 2))
      .String("balance", FormatAmount(balance, subject.scale));
  return {"credits.grant.usage_low", o.str()};
}

}  // namespace credit_ledger
