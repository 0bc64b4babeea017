// Building the composite values the API returns.
#pragma once

#include "ledger.hpp"
#include "postgres.hpp"

#include <cstdint>
#include <string>

namespace credit_ledger::pg {

// The function's composite result (its declared row type) from its column
// values.
Datum CompositeDatum(FunctionCallInfo fcinfo, Datum* values, bool* nulls);

// credit_ledger.operation_result: what consume, adjust and reverse return.
struct OperationOutcome {
  std::int64_t operation_id = 0;
  std::string amount;   // exact numeric text
  std::string balance;  // exact numeric text
  bool replayed = false;
};

// The outcome a replayed operation returns: its original result.
OperationOutcome ReplayOutcome(const StoredOperation& op);

// Forms the function's composite result. Call after SpiFinish so the tuple
// lives in the caller's memory.
Datum OperationResultDatum(FunctionCallInfo fcinfo,
                           const OperationOutcome& outcome);

// credit_ledger.hold_result: what credit_hold returns.
struct HoldOutcome {
  std::int64_t hold_id = 0;
  std::string amount;   // exact numeric text
  std::string balance;  // exact numeric text
  Micros expires_at = 0;
  bool replayed = false;
};

Datum HoldResultDatum(FunctionCallInfo fcinfo, const HoldOutcome& outcome);

}  // namespace credit_ledger::pg
