#include "recurring.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "required.hpp"
#include "validate.hpp"

#include <string>

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

// The rollover cap: 0 or more at the scale, and only with expire_after.
std::int64_t RolloverMax(const RecurringArgs& args, int scale) {
  const std::int64_t cap =
      ParseAmount(args.rollover_max.value_or("0"), scale, "rollover_max");
  if (cap < 0) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "rollover_max must not be negative",
                      "The value given was " + *args.rollover_max + ".");
  }
  if (cap > 0 && !args.expire_after) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "rollover_max needs expire_after",
                      "Credit rolls over when a block lapses, and a block "
                      "without expire_after never lapses.");
  }
  return cap;
}

}  // namespace

RecurringSchedule CheckRecurringCreate(const RecurringArgs& args, int scale,
                                       Micros now) {
  RecurringSchedule s;
  s.amount = ParseAmount(Required(args.amount, "amount"), scale);
  if (s.amount <= 0) CheckPositiveAmount(*args.amount);
  s.every = Required(args.every, "every");
  CheckForwardInterval(s.every, "every");
  if (args.expire_after)
    CheckForwardInterval(*args.expire_after, "expire_after");
  s.expire_after = args.expire_after;
  s.starts_at = args.starts_at.value_or(now);
  if (args.ends_at && *args.ends_at <= s.starts_at) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "ends_at must be after starts_at",
                      "No period starts at or after ends_at, so this "
                      "schedule would never issue a block.");
  }
  s.ends_at = args.ends_at;
  s.rollover_max = RolloverMax(args, scale);
  CheckPriority(args.priority);
  s.priority = args.priority;
  CheckCostBasis(args.cost_basis);
  s.cost_basis = args.cost_basis;
  CheckOptionalText("reason", args.reason, kMaxReasonChars);
  s.reason = args.reason;
  s.promotional = args.promotional;
  return s;
}

Micros PeriodStart(const RecurringSchedule& s, std::int64_t k,
                   const Calendar& calendar) {
  return calendar.Add(s.starts_at, Times(s.every, k, "period start"));
}

std::optional<Micros> PeriodExpiry(const RecurringSchedule& s, std::int64_t k,
                                   const Calendar& calendar) {
  if (!s.expire_after) return std::nullopt;
  return calendar.Add(PeriodStart(s, k, calendar), *s.expire_after);
}

bool PeriodRuns(const RecurringSchedule& s, std::int64_t k,
                const Calendar& calendar) {
  const Micros start = PeriodStart(s, k, calendar);
  return (!s.ends_at || start < *s.ends_at) &&
         (!s.canceled_at || start < *s.canceled_at);
}

Micros NextPeriodStart(const RecurringSchedule& s, const Calendar& calendar) {
  const std::int64_t k = s.last_period + 1;
  return PeriodRuns(s, k, calendar) ? PeriodStart(s, k, calendar) : kNever;
}

std::vector<std::int64_t> DuePeriods(const RecurringSchedule& s, Micros now,
                                     const Calendar& calendar,
                                     std::size_t max_periods) {
  std::vector<std::int64_t> due;
  for (std::int64_t k = s.last_period + 1; due.size() < max_periods; ++k) {
    if (!PeriodRuns(s, k, calendar) || PeriodStart(s, k, calendar) > now) {
      break;
    }
    due.push_back(k);
  }
  return due;
}

std::string PeriodSourceId(std::int64_t recurring_id, std::int64_t k) {
  return "recurring:" + std::to_string(recurring_id) + ":" + std::to_string(k);
}

PeriodBlock IssuePeriod(const RecurringSchedule& s, std::int64_t k,
                        const Calendar& calendar, std::int64_t grant_id) {
  if (k != s.last_period + 1 || !PeriodRuns(s, k, calendar)) {
    throw LedgerError(
        ErrorCode::kInternal, "recurring period issued out of order",
        "Schedule " + std::to_string(s.recurring_id) + " issued up to period " +
            std::to_string(s.last_period) + "; period " + std::to_string(k) +
            " was asked for.");
  }
  PeriodBlock p;
  NewGrant& g = p.grant;
  g.grant_id = grant_id;
  g.amount = s.amount;
  g.remaining = s.amount;
  g.promotional = s.promotional;
  g.priority = s.priority;
  g.cost_basis = s.cost_basis;
  g.effective_at = PeriodStart(s, k, calendar);
  g.expires_at = PeriodExpiry(s, k, calendar);
  g.reason = s.reason;
  g.source_id = PeriodSourceId(s.recurring_id, k);
  g.kind = "recurring";
  p.recurring_id = s.recurring_id;
  p.period = k;
  p.schedule = s;
  p.schedule.last_period = k;
  return p;
}

RecurringSchedule PlanRecurringCancel(const RecurringSchedule& s,
                                      std::optional<Micros> at, Micros now) {
  const std::string id = std::to_string(s.recurring_id);
  if (s.canceled_at) {
    throw LedgerError(ErrorCode::kInvalidState,
                      "recurring grant " + id + " is already canceled",
                      "No period starts at or after " +
                          FormatTimestampUtc(*s.canceled_at) + ".");
  }
  if (s.ends_at && *s.ends_at <= now) {
    throw LedgerError(ErrorCode::kInvalidState,
                      "recurring grant " + id + " has ended",
                      "Its last period started before its ends_at, " +
                          FormatTimestampUtc(*s.ends_at) + ".");
  }
  if (at && *at < now) {
    throw LedgerError(ErrorCode::kInvalidParameter, "at is in the past",
                      "Periods that have started have issued their blocks; "
                      "void a block to take its credits back.");
  }
  RecurringSchedule out = s;
  out.canceled_at = at.value_or(now);
  return out;
}

}  // namespace credit_ledger
