// The append-only guard on ledger tables (entries, operations, prices):
// UPDATE, DELETE and TRUNCATE raise LG005 for every role, the table owner
// included.
#include "error.hpp"
#include "guard.hpp"

#include <string>

CL_FUNCTION(credit_ledger_append_only) {
  using credit_ledger::ErrorCode;
  using credit_ledger::LedgerError;
  if (!CALLED_AS_TRIGGER(fcinfo)) {
    throw LedgerError(ErrorCode::kInternal,
                      "credit_ledger_append_only must be called as a trigger");
  }
  const auto* trigger = reinterpret_cast<TriggerData*>(fcinfo->context);
  const TriggerEvent event = trigger->tg_event;
  const char* action = TRIGGER_FIRED_BY_UPDATE(event)     ? "UPDATE"
                       : TRIGGER_FIRED_BY_DELETE(event)   ? "DELETE"
                       : TRIGGER_FIRED_BY_TRUNCATE(event) ? "TRUNCATE"
                                                          : "a change";
  const std::string table = RelationGetRelationName(trigger->tg_relation);
  // A price is replaced by a newer one, from its own effective_at (on Citus
  // the table is a shard, prices_<shard id>).
  const bool prices = table.rfind("prices", 0) == 0;
  throw LedgerError(
      ErrorCode::kAppendOnly, "credit_ledger." + table + " is append-only",
      std::string(action) + " was attempted; ledger rows are never changed "
                            "or removed.",
      prices ? "Set a new price with credit_price_set(): it applies from its "
               "effective_at."
             : "Correct a mistake with a new entry: credit_adjust() or "
               "credit_reverse().");
}
