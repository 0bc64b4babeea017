// Issue 14: the recurring_grants table. Schedules are read by a catch-up, a
// create or a cancel (rare paths), so this runs on SPI. A schedule changes
// only under its wallet's lock.
#include "calendar_pg.hpp"
#include "error.hpp"
#include "guard.hpp"
#include "ledger.hpp"
#include "postgres.hpp"

namespace credit_ledger::pg {
namespace {

#define CL_RECURRING_COLUMNS                                                   \
  "r.recurring_id, r.amount, r.every, r.starts_at, r.ends_at,"                 \
  " r.expire_after, r.rollover_max, r.promotional, r.priority,"                \
  " r.cost_basis, r.reason, r.canceled_at, r.last_period, r.time_zone,"        \
  " r.source_id, r.next_start_at, r.credit_type, r.wallet_id, t.scale"

Statement insert_recurring(
    "INSERT INTO credit_ledger.recurring_grants"
    " (recurring_id, customer_id, credit_type, wallet_id, amount, every,"
    "  starts_at, ends_at, expire_after, rollover_max, promotional, priority,"
    "  cost_basis, time_zone, reason, source_id, last_period, next_start_at,"
    "  canceled_at, operation_id, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
    "         $15, $16, $17, $18, $19, $20, $21)",
    {INT8OID,       TEXTOID,        TEXTOID,        INT8OID,        NUMERICOID,
     INTERVALOID,   TIMESTAMPTZOID, TIMESTAMPTZOID, INTERVALOID,    NUMERICOID,
     BOOLOID,       INT4OID,        NUMERICOID,     TEXTOID,        TEXTOID,
     TEXTOID,       INT8OID,        TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID,
     TIMESTAMPTZOID});

Statement find_recurring(
    "SELECT " CL_RECURRING_COLUMNS "  FROM credit_ledger.recurring_grants r"
    "  JOIN credit_ledger.credit_types t ON t.credit_type = r.credit_type"
    " WHERE r.recurring_id = $1 AND r.customer_id = $2",
    {INT8OID, TEXTOID});

// A wallet's schedules that may still issue a period, or whose open blocks
// may still lapse and roll over.
Statement wallet_recurring(
    "SELECT " CL_RECURRING_COLUMNS "  FROM credit_ledger.recurring_grants r"
    "  JOIN credit_ledger.credit_types t ON t.credit_type = r.credit_type"
    " WHERE r.wallet_id = $1 AND r.customer_id = $2"
    "   AND (r.next_start_at IS NOT NULL"
    "        OR EXISTS (SELECT 1 FROM credit_ledger.grants g"
    "                    WHERE g.wallet_id = r.wallet_id AND g.open"
    "                      AND g.customer_id = r.customer_id"
    "                      AND g.recurring_id = r.recurring_id))"
    " ORDER BY r.recurring_id",
    {INT8OID, TEXTOID});

Statement recurring_of_operation(
    "SELECT recurring_id FROM credit_ledger.recurring_grants"
    " WHERE operation_id = $1 AND customer_id = $2",
    {INT8OID, TEXTOID});

Statement save_recurring(
    "UPDATE credit_ledger.recurring_grants"
    "   SET last_period = $3, next_start_at = $4, canceled_at = $5"
    " WHERE recurring_id = $1 AND customer_id = $2",
    {INT8OID, TEXTOID, INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID});

std::optional<Interval> OptInterval(const Row& r, int col) {
  bool is_null = false;
  const ::Datum d = r.Raw(col, &is_null);
  if (is_null) return std::nullopt;
  return IntervalOf(d);
}

RecurringRow ReadRecurring(const Row& r) {
  RecurringRow row;
  const int scale = r.Int32(19);
  RecurringSchedule& s = row.schedule;
  s.recurring_id = r.Int64(1);
  s.amount = r.Units(2, scale);
  s.every = OptInterval(r, 3).value();
  s.starts_at = r.Timestamp(4);
  s.ends_at = r.OptTimestamp(5);
  s.expire_after = OptInterval(r, 6);
  s.rollover_max = r.Units(7, scale);
  s.promotional = r.Bool(8);
  s.priority = r.Int32(9);
  s.cost_basis = r.NumericText(10);
  s.reason = r.OptText(11);
  s.canceled_at = r.OptTimestamp(12);
  s.last_period = r.Int64(13);
  row.time_zone = r.Text(14);
  row.source_id = r.OptText(15);
  row.next_start_at = r.OptTimestamp(16);
  row.credit_type = r.Text(17);
  row.wallet_id = r.Int64(18);
  return row;
}

::Datum OptIntervalDatum(const std::optional<Interval>& i) {
  return i ? IntervalDatum(*i) : ::Datum(0);
}

// On Citus, a catch-up runs inside a delegated call (on the customer's
// worker), where Citus refuses any SQL on a distributed table as a nested
// distributed query. This one reads only the customer's colocated shards on
// this node (routed by customer_id), the case Citus's warning does not
// cover, so citus.allow_nested_distributed_execution is set for it alone
// (as a function's SET clause would set it). Without Citus: nothing is set.
template <typename F>
auto WithNestedCitusReads(F&& read) {
  static const char* const kSetting =
      "citus.allow_nested_distributed_execution";
  const int nest = Guard([] {
    if (GetConfigOption(kSetting, true, false) == nullptr) return -1;
    const int level = NewGUCNestLevel();
    (void)set_config_option(kSetting, "on", PGC_SUSET, PGC_S_SESSION,
                            GUC_ACTION_SAVE, true, 0, false);
    return level;
  });
  auto restore = [nest] {
    if (nest >= 0) Guard([nest] { AtEOXact_GUC(true, nest); });
  };
  try {
    auto result = read();
    restore();
    return result;
  } catch (...) {
    restore();
    throw;
  }
}

}  // namespace

std::int64_t Ledger::NextRecurringId() {
  return NextVal("recurring_id_seq");
}

void Ledger::InsertRecurring(const Wallet& wallet, const RecurringRow& row,
                             std::int64_t operation_id, Micros now) {
  UseSpi();
  const RecurringSchedule& s = row.schedule;
  const int scale = wallet.scale;
  Params p;
  p.Int64(s.recurring_id)
      .Text(wallet.customer_id)
      .Text(wallet.credit_type)
      .Int64(wallet.wallet_id)
      .Units(s.amount, scale)
      .Raw(IntervalDatum(s.every), false)
      .Timestamp(s.starts_at)
      .Timestamp(s.ends_at)
      .Raw(OptIntervalDatum(s.expire_after), !s.expire_after)
      .Units(s.rollover_max, scale)
      .Bool(s.promotional)
      .Int32(s.priority)
      .NumericText(s.cost_basis)
      .Text(row.time_zone)
      .Text(s.reason)
      .Text(row.source_id)
      .Int64(s.last_period)
      .Timestamp(row.next_start_at)
      .Timestamp(s.canceled_at)
      .Int64(operation_id)
      .Timestamp(now);
  Execute(insert_recurring, p);
}

std::optional<RecurringRow>
Ledger::FindRecurring(const std::string& customer_id,
                      std::int64_t recurring_id) {
  UseSpi();
  Params p;
  p.Int64(recurring_id).Text(customer_id);
  Rows rows = Execute(find_recurring, p, 1, tables_.mode());
  if (rows.empty()) return std::nullopt;
  return ReadRecurring(rows[0]);
}

std::optional<std::int64_t>
Ledger::RecurringOfOperation(const std::string& customer_id,
                             std::int64_t operation_id) {
  UseSpi();
  Params p;
  p.Int64(operation_id).Text(customer_id);
  Rows rows = Execute(recurring_of_operation, p, 1, tables_.mode());
  if (rows.empty()) return std::nullopt;
  return rows[0].Int64(1);
}

void Ledger::SaveRecurring(const std::string& customer_id,
                           const RecurringRow& row) {
  UseSpi();
  Params p;
  p.Int64(row.schedule.recurring_id)
      .Text(customer_id)
      .Int64(row.schedule.last_period)
      .Timestamp(row.next_start_at)
      .Timestamp(row.schedule.canceled_at);
  Execute(save_recurring, p);
}

std::vector<TimedSchedule> Ledger::ReadSchedules(const Wallet& wallet) {
  UseSpi();
  Params p;
  p.Int64(wallet.wallet_id).Text(wallet.customer_id);
  Rows rows = WithNestedCitusReads(
      [&] { return Execute(wallet_recurring, p, 0, tables_.mode()); });
  std::vector<TimedSchedule> out;
  for (std::uint64_t i = 0; i < rows.size(); ++i) {
    RecurringRow row = ReadRecurring(rows[i]);
    out.push_back(TimedSchedule{row.schedule, CalendarOf(row.time_zone)});
  }
  FreeRows(rows);
  return out;
}

}  // namespace credit_ledger::pg
