// Backend-wide settings: the ledger clock, the recorded actor and whether
// events are announced with NOTIFY.
#pragma once

#include "time.hpp"

#include <string>

namespace credit_ledger::pg {

// Defines the credit_ledger.* settings (called once, by _PG_init in
// module.cpp). Holds no C++ object with a destructor: an ereport in it
// longjmps straight out to the loader.
void DefineSettings();

// "now" for the ledger: the transaction timestamp, unless the superuser-only
// setting credit_ledger.clock holds a timestamp (tests move time with it).
Micros LedgerNow();

// Whether credit_ledger.clock is set: entries are then written at its
// instant, perhaps in time credit_revenue's summary has closed.
bool LedgerClockSet();

// Who an entry is recorded as made by: credit_ledger.actor if set (an
// application's user id), else the role that called the function.
std::string CurrentActor();

// Whether a written event is also announced with NOTIFY credit_ledger_events
// (credit_ledger.notify, off by default). A transaction that has sent a
// NOTIFY cannot PREPARE, and its commit takes PostgreSQL's cluster-wide
// notification-queue lock until its commit record is flushed, so unrelated
// writers serialize; with the setting off the outbox row is the only
// announcement and relays poll for it.
bool NotifyEvents();

// Whether direct writes evaluate the tables' CHECK constraints
// (credit_ledger.check_constraints, superuser-only; on by default in assert
// and sanitizer builds). Off by default elsewhere: with it on, a keyed
// consume took about a third more backend CPU (measured; see the commit that
// added it). ExecConstraints prepares the constraint expressions once per
// ResultRelInfo, which here means once per call.
bool CheckConstraints();

}  // namespace credit_ledger::pg
