#include "result.hpp"

#include "error.hpp"
#include "guard.hpp"
#include "spi.hpp"

namespace credit_ledger::pg {

OperationOutcome ReplayOutcome(const StoredOperation& op) {
  OperationOutcome out;
  out.operation_id = op.operation_id;
  out.amount = op.amount.value_or("0");
  out.balance = op.balance.value_or("0");
  out.replayed = true;
  return out;
}

Datum CompositeDatum(FunctionCallInfo fcinfo, Datum* values, bool* nulls) {
  return Guard([&] {
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE) {
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("function returning a record called in a "
                             "context that cannot accept it")));
    }
    desc = BlessTupleDesc(desc);
    return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
  });
}

Datum OperationResultDatum(FunctionCallInfo fcinfo,
                           const OperationOutcome& outcome) {
  Datum values[4];
  bool nulls[4] = {false, false, false, false};
  values[0] = Int64GetDatum(outcome.operation_id);
  values[1] = NumericTextDatum(outcome.amount);
  values[2] = NumericTextDatum(outcome.balance);
  values[3] = BoolGetDatum(outcome.replayed);
  return CompositeDatum(fcinfo, values, nulls);
}

Datum HoldResultDatum(FunctionCallInfo fcinfo, const HoldOutcome& outcome) {
  Datum values[5];
  bool nulls[5] = {false, false, false, false, false};
  values[0] = Int64GetDatum(outcome.hold_id);
  values[1] = NumericTextDatum(outcome.amount);
  values[2] = NumericTextDatum(outcome.balance);
  values[3] = TimestampTzGetDatum(outcome.expires_at);
  values[4] = BoolGetDatum(outcome.replayed);
  return CompositeDatum(fcinfo, values, nulls);
}

}  // namespace credit_ledger::pg
