// credit_consume_batch: many usage events in one call, each with exactly the
// semantics of credit_consume, returning one row per event instead of
// aborting the batch on a business rejection. Wallets are locked in one fixed
// order (customer_id, credit_type), so concurrent batches cannot deadlock on
// them; each wallet's row and grants are read and written once, whatever the
// number of its events.
#include "amount.hpp"
#include "args.hpp"
#include "error.hpp"
#include "guard.hpp"
#include "operations.hpp"
#include "plan.hpp"
#include "settings.hpp"
#include "spi.hpp"
#include "validate.hpp"

#include <map>
#include <utility>

namespace credit_ledger::pg {
namespace {

constexpr std::size_t kMaxBatch = 10000;

// The events of the jsonb array, in order; ordinality is 1-based.
Statement batch_events(
    "SELECT e->>'customer_id', e->>'credit_type', e->>'amount',"
    "       e->>'idempotency_key', e->>'feature', e->>'source_id',"
    "       e->>'occurred_at', e->'metadata', jsonb_typeof(e)"
    "  FROM jsonb_array_elements($1) WITH ORDINALITY AS t(e, n)"
    " ORDER BY n",
    {JSONBOID});

struct BatchEvent {
  ConsumeRequest request;
  OperationRequest operation;
  // Outcome.
  std::string status = "error";  // applied, replayed, insufficient, error
  std::optional<std::int64_t> operation_id;
  std::optional<std::string> amount;
  std::optional<std::string> balance;
  std::optional<std::string> sqlstate;
  std::optional<std::string> message;
  bool done = false;

  void Fail(const LedgerError& e) {
    status = e.code() == ErrorCode::kInsufficientCredits ? "insufficient" : "error";
    sqlstate = SqlStateOf(e.code());
    message = e.message();
    if (!e.detail().empty()) *message += ": " + e.detail();
    done = true;
  }
  void Replay(const StoredOperation& op) {
    status = "replayed";
    operation_id = op.operation_id;
    amount = op.amount;
    balance = op.balance;
    done = true;
  }
};

// Reads one event of the array, validating what credit_consume's arguments
// would have validated.
void ReadEvent(const Row& r, BatchEvent& e) {
  auto required = [&](int col, const char* name) {
    auto v = r.OptText(col);
    if (!v) {
      throw LedgerError(ErrorCode::kNullValue,
                        std::string(name) + " must not be NULL");
    }
    return *v;
  };
  if (r.OptText(9).value_or("") != "object") {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "each event must be a JSON object");
  }
  ConsumeRequest& q = e.request;
  q.customer_id = required(1, "customer_id");
  q.credit_type = required(2, "credit_type");
  q.amount = required(3, "amount");
  q.idempotency_key = r.OptText(4);
  q.labels.feature = r.OptText(5);
  q.labels.source_id = r.OptText(6);
  if (auto t = r.OptText(7)) q.labels.occurred_at = ParseTimestampText(*t, "occurred_at");
  bool null_metadata = false;
  const Datum metadata = r.Raw(8, &null_metadata);
  if (!null_metadata) {
    q.labels.metadata = JsonObject(metadata, "metadata");
    // The row is freed before the event is applied: keep a copy.
    q.labels.metadata.datum = Guard(
        [&] { return datumCopy(q.labels.metadata.datum, false, -1); });
  }
  ValidateConsume(q);
  e.operation = ConsumeOperation(q);
}

// Applies the events of one locked wallet in order, keeping its grants in
// memory; the wallet row and the grants are written once at the end.
void ApplyWallet(Ledger& ledger, Wallet& wallet,
                 std::vector<BatchEvent*>& events, Micros now) {
  const std::vector<OpenGrant> grants = ledger.ReadOpenGrants(wallet, now);
  ConsumePlanner planner(PlannerState(wallet, grants), now);
  for (BatchEvent* e : events) {
    CheckForInterrupts();
    try {
      // An earlier event of this batch may have used the same key.
      if (auto op = ledger.FindReplay(e->operation)) {
        e->Replay(*op);
        continue;
      }
      const std::int64_t units = ParseAmount(e->request.amount, wallet.scale);
      const ConsumePlan plan = planner.Plan(units);
      const std::vector<EntryDraft> drafts =
          ConsumeDrafts(grants, plan, EntryType::kUsage);
      OperationResult result = MakeResult(wallet, now, drafts.size());
      result.amount = units;
      result.balance = plan.spendable_after;
      auto operation_id = ledger.InsertOperation(e->operation, result);
      if (!operation_id) {
        e->Replay(ledger.ReplayAfterConflict(e->operation));
        continue;
      }

      std::vector<PendingEvent> pending;
      AddDepletedGrants(pending, wallet, *operation_id, planner.state().grants,
                        plan.emptied, plan.spendable_after);
      planner.Apply(plan);
      Record(ledger, wallet, MakeContext(*operation_id, now, e->request.labels),
             drafts, plan.spendable_after, std::move(pending));

      e->status = "applied";
      e->operation_id = *operation_id;
      e->amount = FormatAmount(units, wallet.scale);
      e->balance = FormatAmount(plan.spendable_after, wallet.scale);
      e->done = true;
    } catch (const LedgerError& err) {
      e->Fail(err);  // the plan was rejected before anything was written
    }
  }
  std::vector<std::int64_t> remaining;
  for (const GrantState& g : planner.state().grants) remaining.push_back(g.remaining);
  ledger.SaveRemaining(wallet, grants, remaining);
  ledger.SaveWallet(wallet, now);
}

std::vector<BatchEvent> ConsumeBatch(Ledger& ledger, Datum events_json) {
  ledger.UseSpi();
  Params p;
  p.Raw(events_json, false);
  Rows rows = Execute(batch_events, p);
  if (rows.size() > kMaxBatch) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "a batch holds at most 10000 events",
                      "The batch given has " + std::to_string(rows.size()) +
                          " events.");
  }
  std::vector<BatchEvent> events(rows.size());
  for (std::uint64_t i = 0; i < rows.size(); ++i) {
    try {
      ReadEvent(rows[i], events[i]);
    } catch (const LedgerError& err) {
      events[i].Fail(err);
    }
  }
  FreeRows(rows);

  // Replays need no lock: a committed key answers for itself.
  for (BatchEvent& e : events) {
    if (e.done) continue;
    try {
      if (auto op = ledger.FindReplay(e.operation)) e.Replay(*op);
    } catch (const LedgerError& err) {
      e.Fail(err);
    }
  }

  // Lock wallets in (customer_id, credit_type) order, then apply each one's
  // events in the order they were given.
  std::map<std::pair<std::string, std::string>, std::vector<BatchEvent*>> by_wallet;
  for (BatchEvent& e : events) {
    if (!e.done) {
      by_wallet[{e.request.customer_id, e.request.credit_type}].push_back(&e);
    }
  }
  const Micros now = LedgerNow();
  for (auto& [key, wallet_events] : by_wallet) {
    std::optional<Wallet> wallet = ledger.LockWallet(key.first, key.second);
    if (!wallet) {
      for (BatchEvent* e : wallet_events) {
        try {
          RefuseWithoutWallet(ledger, key.first, key.second, e->request.amount);
        } catch (const LedgerError& err) {
          e->Fail(err);
        }
      }
      continue;
    }
    ApplyWallet(ledger, *wallet, wallet_events, now);
  }
  return events;
}

}  // namespace
}  // namespace credit_ledger::pg

CL_FUNCTION(credit_consume_batch) {
  using namespace credit_ledger;
  using namespace credit_ledger::pg;
  Args args(fcinfo);
  if (args.IsNull(0)) {
    throw LedgerError(ErrorCode::kNullValue, "events must not be NULL");
  }
  const Datum events_json = PG_GETARG_DATUM(0);
  const bool is_array = Guard([&] {
    Jsonb* j = DatumGetJsonbP(events_json);
    return JB_ROOT_IS_ARRAY(j) && !JB_ROOT_IS_SCALAR(j);
  });
  if (!is_array) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "events must be a JSON array of event objects");
  }
  Ledger ledger;
  const std::vector<BatchEvent> results = ConsumeBatch(ledger, events_json);
  ledger.Finish();

  ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
  Guard([&] { InitMaterializedSRF(fcinfo, 0); });
  for (std::size_t i = 0; i < results.size(); ++i) {
    const BatchEvent& e = results[i];
    Datum values[7];
    bool nulls[7] = {false, false, !e.operation_id, !e.amount, !e.balance,
                     !e.sqlstate, !e.message};
    values[0] = Int32GetDatum(static_cast<int32>(i + 1));
    values[1] = TextDatum(e.status);
    values[2] = e.operation_id ? Int64GetDatum(*e.operation_id) : 0;
    values[3] = e.amount ? NumericTextDatum(*e.amount) : 0;
    values[4] = e.balance ? NumericTextDatum(*e.balance) : 0;
    values[5] = e.sqlstate ? TextDatum(*e.sqlstate) : 0;
    values[6] = e.message ? TextDatum(*e.message) : 0;
    Guard([&] {
      tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    });
  }
  return 0;
}
