// A guard against a Citus 13.2 crash: a call of a function Citus delegates
// by its first argument, with that argument NULL (SELECT credit_consume(NULL,
// 'usd', 1) once credit_ledger.citus_distribute() ran), makes Citus's
// planner hash a NULL datum (ShardPlacementForFunctionColocatedWithDistTable
// has no constisnull check) and the server crashes. With the library in
// shared_preload_libraries (after citus), a planner hook in front of Citus's
// refuses such a call of a ledger function with 22004, as the function
// itself would, before Citus plans it. Loaded any other way (on the first
// call), it installs nothing: a hook installed mid-session would guard only
// the queries after it. On a plain server it costs one look at each top-
// level call's first argument.
//
// Only _PG_init calls it; the hook itself is PostgreSQL code (it may
// ereport) and throws nothing.
#pragma once

#include "postgres.hpp"

namespace credit_ledger::pg {

void InstallNullCustomerGuard();

}  // namespace credit_ledger::pg
