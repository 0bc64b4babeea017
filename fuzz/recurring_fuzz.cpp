// libFuzzer target for recurring grants and rollover (src/core/calendar.hpp,
// recurring.hpp, rollover.hpp): the schedule is a state machine whose only
// state is last_period, advanced by catch-ups at arbitrary moments.
//
// A schedule (every and expire_after from calendar and elapsed units, a
// start in 2000..2100, maybe an end or a cancel) in a zone with up to three
// offset transitions (gaps and repeats), caught up at up to 16 increasing
// instants, each catch-up issuing at most a few due periods (as a bounded
// catch-up would). Checked: the periods issued are 0, 1, 2, ... each exactly
// once and in order, each block dated at its period's start (which never
// moves backwards and is at or before the catch-up that issued it), its
// expiry after its start, nothing that is due left behind at the end, and
// nothing issued at or after ends_at or the cancel. For each issued block a
// lapse with random free credit and cap conserves credit: rolled + expired
// = what was free, rolled <= cap, and the entries sum to -free on the old
// block and +rolled on the new one.
#include "calendar.hpp"
#include "error.hpp"
#include "fuzz_check.hpp"
#include "recurring.hpp"
#include "rollover.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <vector>

namespace credit_ledger::fuzz {
namespace {

constexpr Micros kHour = 3600 * kMicrosPerSecond;
constexpr Micros kYear2100 = 100LL * 365 * kMicrosPerDay;

Interval PickInterval(FuzzedDataProvider& in) {
  Interval i;
  i.months = in.ConsumeIntegralInRange<std::int32_t>(0, 14);
  i.days = in.ConsumeIntegralInRange<std::int32_t>(0, 40);
  // Elapsed time in whole minutes, at least an hour when it stands alone,
  // so a run issues thousands of periods, not billions.
  i.micros =
      in.ConsumeIntegralInRange<Micros>(0, 48 * 60) * 60 * kMicrosPerSecond;
  if (i.months == 0 && i.days == 0 && i.micros < kHour) i.micros = kHour;
  if (i == Interval{}) i.days = 1;
  return i;
}

ZoneCalendar PickZone(FuzzedDataProvider& in) {
  std::vector<ZoneCalendar::Transition> t;
  const int n = in.ConsumeIntegralInRange<int>(0, 3);
  for (int k = 0; k < n; ++k) {
    t.push_back({in.ConsumeIntegralInRange<Micros>(0, kYear2100),
                 in.ConsumeIntegralInRange<Micros>(-14, 14) * kHour});
  }
  return ZoneCalendar(in.ConsumeIntegralInRange<Micros>(-14, 14) * kHour, t);
}

RecurringSchedule PickSchedule(FuzzedDataProvider& in) {
  RecurringSchedule s;
  s.recurring_id = 1;
  s.amount = in.ConsumeIntegralInRange<std::int64_t>(1, 1000);
  s.every = PickInterval(in);
  s.starts_at = in.ConsumeIntegralInRange<Micros>(0, kYear2100);
  if (in.ConsumeBool()) s.expire_after = PickInterval(in);
  s.rollover_max =
      s.expire_after ? in.ConsumeIntegralInRange<std::int64_t>(0, 1200) : 0;
  if (in.ConsumeBool()) {
    s.ends_at = s.starts_at +
                in.ConsumeIntegralInRange<Micros>(1, 2000) * kMicrosPerDay;
  }
  if (in.ConsumeBool()) {
    s.canceled_at = s.starts_at +
                    in.ConsumeIntegralInRange<Micros>(0, 2000) * kMicrosPerDay;
  }
  return s;
}

void CheckLapse(FuzzedDataProvider& in, const RecurringSchedule& s,
                const PeriodBlock& b, const Calendar& calendar) {
  if (!b.grant.expires_at) return;
  GrantRow row;
  row.grant_id = b.grant.grant_id;
  row.amount = b.grant.amount;
  row.remaining = in.ConsumeIntegralInRange<std::int64_t>(0, row.amount);
  row.effective_at = b.grant.effective_at;
  row.expires_at = *b.grant.expires_at;
  const std::optional<RolloverTerms> terms =
      RolloverTermsFor(s, b.period, b.grant.kind, row.expires_at, calendar);
  const LapsePlan p = PlanLapse(row, row.expires_at, terms, row.grant_id + 1);
  CL_FUZZ_CHECK(p.rolled + p.expired == row.remaining);
  CL_FUZZ_CHECK(p.rolled <= s.rollover_max && p.rolled >= 0);
  CL_FUZZ_CHECK(p.block.has_value() == (p.rolled > 0));
  CL_FUZZ_CHECK(!p.block || *p.block->expires_at > row.expires_at);
  std::int64_t old_side = 0;
  std::int64_t new_side = 0;
  for (const EntryDraft& d : p.drafts) {
    (d.grant_id == row.grant_id ? old_side : new_side) += d.amount;
    CL_FUZZ_CHECK(d.occurred_at == row.expires_at && d.amount != 0);
  }
  CL_FUZZ_CHECK(old_side == -row.remaining && new_side == p.rolled);
  CL_FUZZ_CHECK(p.lapsed.remaining == 0 &&
                p.lapsed.expired_amount == p.expired);
}

// Catches the schedule up at increasing instants; returns the last one.
Micros Run(FuzzedDataProvider& in, RecurringSchedule& s, const Calendar& cal) {
  Micros now = s.starts_at - kMicrosPerDay;
  Micros last_start = 0;
  const int steps = in.ConsumeIntegralInRange<int>(1, 16);
  for (int step = 0; step < steps; ++step) {
    now += in.ConsumeIntegralInRange<Micros>(0, 400) * kMicrosPerDay / 7;
    const auto max = in.ConsumeIntegralInRange<std::size_t>(1, 4);
    for (std::int64_t k : DuePeriods(s, now, cal, max)) {
      CL_FUZZ_CHECK(k == s.last_period + 1);
      const PeriodBlock b = IssuePeriod(s, k, cal, 100 + k);
      CL_FUZZ_CHECK(b.grant.effective_at <= now);
      CL_FUZZ_CHECK(k == 0 || b.grant.effective_at >= last_start);
      CL_FUZZ_CHECK(!s.ends_at || b.grant.effective_at < *s.ends_at);
      CL_FUZZ_CHECK(!s.canceled_at || b.grant.effective_at < *s.canceled_at);
      CL_FUZZ_CHECK(!b.grant.expires_at ||
                    *b.grant.expires_at > b.grant.effective_at);
      CheckLapse(in, s, b, cal);
      last_start = b.grant.effective_at;
      s = b.schedule;
    }
  }
  return now;
}

}  // namespace
}  // namespace credit_ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace credit_ledger;
  using namespace credit_ledger::fuzz;
  FuzzedDataProvider in(data, size);
  const ZoneCalendar cal = PickZone(in);
  RecurringSchedule s = PickSchedule(in);
  try {
    const Micros end = Run(in, s, cal);
    // Everything due by the last catch-up was issued by it or earlier, if
    // the bounded catch-ups kept up; a final unbounded one leaves nothing.
    for (std::int64_t k : DuePeriods(s, end, cal, 100000)) {
      s = IssuePeriod(s, k, cal, 0).schedule;
    }
    CL_FUZZ_CHECK(DuePeriods(s, end, cal).empty());
    CL_FUZZ_CHECK(NextPeriodStart(s, cal) > end);
  } catch (const LedgerError&) {
    // The zone and intervals here stay far inside a timestamptz's range, so
    // nothing may raise.
    CL_FUZZ_CHECK(false);
  }
  return 0;
}
