// The shared library's entry points for PostgreSQL's loader: the module
// magic block and _PG_init, which defines the settings (settings.hpp). The
// SQL-callable functions are defined with CL_FUNCTION in the api_*.cpp files.
#include "postgres.hpp"
#include "null_guard.hpp"
#include "settings.hpp"

extern "C" {
PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);  // NOLINT(bugprone-reserved-identifier)

void _PG_init(void) {  // NOLINT(bugprone-reserved-identifier)
  credit_ledger::pg::DefineSettings();
  credit_ledger::pg::InstallNullCustomerGuard();
}
}
