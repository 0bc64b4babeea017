#include "settings.hpp"

#include "args.hpp"
#include "error.hpp"
#include "guard.hpp"
#include "postgres.hpp"
#include "validate.hpp"

namespace credit_ledger::pg {
namespace {

char* clock_setting = nullptr;
char* actor_setting = nullptr;
bool notify_setting = false;

// On in assert-enabled servers and in builds with
// -DCREDIT_LEDGER_CHECK_CONSTRAINTS (scripts/sanitize.sh), off otherwise.
#if defined(USE_ASSERT_CHECKING) || defined(CREDIT_LEDGER_CHECK_CONSTRAINTS)
constexpr bool kCheckConstraintsByDefault = true;
#else
constexpr bool kCheckConstraintsByDefault = false;
#endif
bool check_constraints_setting = kCheckConstraintsByDefault;

}  // namespace

Micros LedgerNow() {
  if (clock_setting == nullptr || clock_setting[0] == '\0') {
    return Guard([] { return GetCurrentTransactionStartTimestamp(); });
  }
  Micros now = Guard([] {
    return DatumGetTimestampTz(
        DirectFunctionCall3(timestamptz_in, CStringGetDatum(clock_setting),
                            ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
  });
  if (now == DT_NOBEGIN || now == DT_NOEND) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "credit_ledger.clock must be a finite timestamp");
  }
  return now;
}

bool LedgerClockSet() {
  return clock_setting != nullptr && clock_setting[0] != '\0';
}

std::string CurrentActor() {
  if (actor_setting != nullptr && actor_setting[0] != '\0') {
    return actor_setting;
  }
  const char* name =
      Guard([] { return GetUserNameFromId(GetOuterUserId(), false); });
  return name;
}

bool NotifyEvents() {
  return notify_setting;
}

bool CheckConstraints() {
  return check_constraints_setting;
}

}  // namespace credit_ledger::pg

namespace {

// Rejects a clock value that is not a timestamp when it is set, not at use.
bool CheckClock(char** newval, void**, GucSource) {
  if (*newval == nullptr || (*newval)[0] == '\0') return true;
  // timestamptz_in reports malformed input by ereport; a GUC check hook must
  // not, so validate with the non-throwing parser.
  credit_ledger::Micros parsed = 0;
  if (!credit_ledger::pg::TryParseTimestamp(*newval, &parsed)) {
    GUC_check_errdetail(
        "credit_ledger.clock must be a finite timestamp such as "
        "'2026-01-01 00:00:00+00', or empty for the real clock.");
    return false;
  }
  return true;
}

// Rejects an overlong actor when it is set: it is copied into every entry
// the session writes, so it is bounded like the other labels.
bool CheckActor(char** newval, void**, GucSource) {
  if (*newval == nullptr || (*newval)[0] == '\0') return true;
  bool ok = true;
  char detail[256] = "";
  try {
    credit_ledger::CheckText("credit_ledger.actor", *newval,
                             credit_ledger::kMaxLabelChars);
  } catch (const credit_ledger::LedgerError& e) {
    ok = false;
    const std::size_t n =
        credit_ledger::Utf8PrefixBytes(e.detail(), sizeof(detail) - 1);
    e.detail().copy(detail, n);
    detail[n] = '\0';
  } catch (...) {
    ok = false;
  }
  if (!ok) GUC_check_errdetail("%s", detail);
  return ok;
}

}  // namespace

namespace credit_ledger::pg {

void DefineSettings() {
  DefineCustomStringVariable(
      "credit_ledger.clock",
      "Overrides the ledger's notion of now (for tests).",
      "Empty means the transaction timestamp. Superuser only.", &clock_setting,
      "", PGC_SUSET, 0, CheckClock, nullptr, nullptr);
  DefineCustomStringVariable(
      "credit_ledger.actor", "Who ledger entries are recorded as made by.",
      "Empty means the calling role. Applications set it to their own user id.",
      &actor_setting, "", PGC_USERSET, 0, CheckActor, nullptr, nullptr);
  // USERSET: any role may NOTIFY anyway, and a relay that listens needs
  // whoever owns the writing sessions (a role, a database) to turn it on.
  DefineCustomBoolVariable(
      "credit_ledger.notify",
      "Announces every event written with NOTIFY credit_ledger_events.",
      "Off by default: a transaction that has sent a NOTIFY cannot PREPARE "
      "(two-phase commit), and its commit takes a cluster-wide lock, which "
      "serializes event-writing commits. Relays find events by polling "
      "either way; notifications only wake them sooner.",
      &notify_setting, false, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  // SUSET: a development check that costs time on every write; an ordinary
  // role has no reason to turn it off, or to slow the ledger down.
  DefineCustomBoolVariable(
      "credit_ledger.check_constraints",
      "Evaluates the tables' CHECK constraints on every row the ledger writes.",
      "The ledger writes its rows without the executor, so the tables' CHECK "
      "constraints are otherwise not evaluated. On by default in assert and "
      "sanitizer builds. Superuser only.",
      &check_constraints_setting, kCheckConstraintsByDefault, PGC_SUSET, 0,
      nullptr, nullptr, nullptr);
  MarkGUCPrefixReserved("credit_ledger");
}

}  // namespace credit_ledger::pg
