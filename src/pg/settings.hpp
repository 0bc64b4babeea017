// Backend-wide settings: the ledger clock and the recorded actor.
#pragma once

#include "time.hpp"

#include <string>

namespace credit_ledger::pg {

// "now" for the ledger: the transaction timestamp, unless the superuser-only
// setting credit_ledger.clock holds a timestamp (tests move time with it).
Micros LedgerNow();

// Who an entry is recorded as made by: credit_ledger.actor if set (an
// application's user id), else the role that called the function.
std::string CurrentActor();

}  // namespace credit_ledger::pg
