// Recurring grants (1.2): a schedule that issues a block every period
// ("5,000 AI credits every month on the Pro plan") and, on the lapse of one
// of its blocks, rolls part of what is left over into a new block.
//
// Period k starts at starts_at + k x every and its block expires at that
// start + expire_after, both by the schedule's Calendar (its time zone), never
// by repeated addition. The schedule row stores last_period, the highest
// period issued: under the wallet lock the catch-up issues the periods after
// it whose start has come (DuePeriods, IssuePeriod), so each period's block
// exists exactly once whoever catches the wallet up, dated from its start.
#pragma once

#include "calendar.hpp"
#include "grant.hpp"
#include "time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace credit_ledger {

// A stored schedule (credit_ledger.recurring_grants), amounts in units.
struct RecurringSchedule {
  std::int64_t recurring_id = 0;
  std::int64_t amount = 0;
  Interval every;
  Micros starts_at = 0;
  std::optional<Micros> ends_at;  // no period starts at or after it
  std::optional<Interval> expire_after;
  std::int64_t rollover_max = 0;
  bool promotional = false;
  std::int32_t priority = 50;
  std::optional<std::string> cost_basis;
  std::optional<std::string> reason;
  std::optional<Micros> canceled_at;  // no period starts at or after it
  std::int64_t last_period = -1;      // the highest period issued
};

// credit_recurring_create's arguments (amounts as decimal text; nullopt:
// NULL or the default).
struct RecurringArgs {
  std::optional<std::string> amount;
  std::optional<Interval> every;
  std::optional<Micros> starts_at;  // default now
  std::optional<Micros> ends_at;
  std::optional<Interval> expire_after;
  std::optional<std::string> rollover_max;  // default 0
  bool promotional = false;
  std::int32_t priority = 50;
  std::optional<std::string> cost_basis;
  std::optional<std::string> reason;
};

// The schedule to insert (recurring_id aside): 22004 for a NULL amount or
// every; 22023 for an amount that is not positive or has too many decimals,
// an every or expire_after that is not a positive interval, ends_at not
// after starts_at, a rollover_max that is negative or beyond the scale, or a
// rollover_max above zero without expire_after (an unexpiring block never
// lapses, so nothing could roll over); 22003 beyond 18 digits.
RecurringSchedule CheckRecurringCreate(const RecurringArgs& args, int scale,
                                       Micros now);

// When period k (>= 0) starts, and when its block expires (nullopt: never).
Micros PeriodStart(const RecurringSchedule& s, std::int64_t k,
                   const Calendar& calendar);
std::optional<Micros> PeriodExpiry(const RecurringSchedule& s, std::int64_t k,
                                   const Calendar& calendar);

// Whether period k starts at all: before ends_at and before canceled_at.
bool PeriodRuns(const RecurringSchedule& s, std::int64_t k,
                const Calendar& calendar);

// The start of the first period not issued yet, kNever when none will run:
// what the wallet's next_due_at takes into account.
Micros NextPeriodStart(const RecurringSchedule& s, const Calendar& calendar);

// The periods not issued yet that start at or before `now`, in order, at
// most `max_periods` (the caller repeats after issuing them).
std::vector<std::int64_t> DuePeriods(const RecurringSchedule& s, Micros now,
                                     const Calendar& calendar,
                                     std::size_t max_periods = 1000);

// Period k's block, issued as block `grant_id`: kind 'recurring',
// effective at the period's start (the catch-up enters it then, and it
// fires credits.granted), its source_id naming the schedule and the period.
// k must be last_period + 1 (XX000 otherwise: a period issued twice or
// skipped is a bug); the schedule's last_period becomes k.
struct PeriodBlock {
  NewGrant grant;
  std::int64_t recurring_id = 0;
  std::int64_t period = 0;
  RecurringSchedule schedule;  // as it is to be saved
};
PeriodBlock IssuePeriod(const RecurringSchedule& s, std::int64_t k,
                        const Calendar& calendar, std::int64_t grant_id);

// The source_id of period k's block: "recurring:<id>:<k>".
std::string PeriodSourceId(std::int64_t recurring_id, std::int64_t k);

// credit_recurring_cancel: no period starts at or after `at` (default now).
// 22023 for an `at` before now; LG006 when the schedule is already canceled
// or has ended (ends_at at or before now). Returns the schedule to save.
RecurringSchedule PlanRecurringCancel(const RecurringSchedule& s,
                                      std::optional<Micros> at, Micros now);

}  // namespace credit_ledger
