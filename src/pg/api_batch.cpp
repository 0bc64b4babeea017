// credit_consume_batch: many usage events in one call, each with exactly the
// semantics of credit_consume, returning one row per event instead of
// aborting the batch on a business rejection. Every wallet of the batch is
// locked first, in one fixed order (customer_id, credit_type), so concurrent
// batches cannot deadlock on them; the events are then applied wallet by
// wallet in the core's schedule (ScheduleBatch), which keeps each event's
// idempotency key decided in array order; each wallet's row and grants are
// read and written once, whatever the number of its events.
#include "amount.hpp"
#include "args.hpp"
#include "auto_topup.hpp"
#include "batch.hpp"
#include "error.hpp"
#include "guard.hpp"
#include "holds.hpp"
#include "operations.hpp"
#include "plan.hpp"
#include "settings.hpp"
#include "spi.hpp"
#include "usage.hpp"
#include "validate.hpp"

#include <algorithm>
#include <utility>

namespace credit_ledger::pg {
namespace {

// One element of the events array as found: its type and, for an object, its
// members (with each member's jsonb value, from which metadata is taken).
struct RawEvent {
  JsonKind kind = JsonKind::kNull;
  std::vector<JsonMember> members;
  std::vector<JsonbValue> values;
};

JsonKind KindOf(const JsonbValue& v) {
  switch (v.type) {
  case jbvNull:
    return JsonKind::kNull;
  case jbvString:
    return JsonKind::kString;
  case jbvNumeric:
    return JsonKind::kNumber;
  case jbvBool:
    return JsonKind::kBool;
  case jbvBinary:
    return JsonContainerIsObject(v.val.binary.data) ? JsonKind::kObject
                                                    : JsonKind::kArray;
  default:
    return JsonKind::kObject;  // jbvObject/jbvArray: not produced
  }
}

// A member's value as the core reads it: a string's text or a number's exact
// text (numeric_out of the number jsonb parsed from the JSON text).
JsonMember MemberOf(std::string name, const JsonbValue& v) {
  JsonMember m{std::move(name), KindOf(v), {}};
  if (v.type == jbvString) {
    m.text.assign(v.val.string.val, static_cast<std::size_t>(v.val.string.len));
  } else if (v.type == jbvNumeric) {
    m.text = NumericDatumText(NumericGetDatum(v.val.numeric));
  } else if (v.type == jbvBool) {
    m.text = v.val.boolean ? "true" : "false";
  }
  return m;
}

// The elements of the events array, in order, without interpreting them.
std::vector<RawEvent> ReadRawEvents(Jsonb* array) {
  std::vector<RawEvent> events;
  events.reserve(Guard([&] { return JsonContainerSize(&array->root); }));
  JsonbIterator* it = Guard([&] { return JsonbIteratorInit(&array->root); });
  JsonbValue v;
  for (;;) {
    const JsonbIteratorToken token =
        Guard([&] { return JsonbIteratorNext(&it, &v, true); });
    if (token == WJB_DONE) break;
    if (token != WJB_ELEM) continue;
    CheckForInterrupts();
    RawEvent& e = events.emplace_back();
    e.kind = KindOf(v);
    if (e.kind != JsonKind::kObject) continue;
    JsonbIterator* members =
        Guard([&] { return JsonbIteratorInit(v.val.binary.data); });
    JsonbValue m;
    std::string name;
    for (;;) {
      const JsonbIteratorToken t =
          Guard([&] { return JsonbIteratorNext(&members, &m, true); });
      if (t == WJB_DONE) break;
      if (t == WJB_KEY) {
        name.assign(m.val.string.val,
                    static_cast<std::size_t>(m.val.string.len));
      } else if (t == WJB_VALUE) {
        e.members.push_back(MemberOf(name, m));
        e.values.push_back(m);
      }
    }
  }
  return events;
}

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
  bool repeats_key = false;  // an earlier event carries its key (the core's)

  void Fail(const LedgerError& e) {
    BatchRejection r = RejectBatchEvent(e);
    status = std::move(r.status);
    sqlstate = std::move(r.sqlstate);
    message = std::move(r.message);
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

// The request an event's fields make (either kind of event).
void FillRequest(const BatchEventFields& f, const RawEvent& raw,
                 ConsumeRequest& q) {
  q.customer_id = f.customer_id;
  q.credit_type = f.credit_type;
  q.amount = f.amount;
  q.idempotency_key = f.idempotency_key;
  q.labels.feature = f.feature;
  q.labels.source_id = f.source_id;
  q.labels.occurred_at = f.occurred_at;
  q.allow_partial = f.allow_partial;
  if (f.metadata) {
    JsonbValue value = raw.values[*f.metadata];  // a nested object
    const Datum metadata =
        Guard([&] { return PointerGetDatum(JsonbValueToJsonb(&value)); });
    q.labels.metadata = JsonObject(metadata, "metadata");
  }
}

// Reads one event of the array with the core's rules, then validates what
// credit_consume's (or credit_report_usage's) arguments would have
// validated.
void ReadEvent(const RawEvent& raw, Micros now, bool usage, BatchEvent& e) {
  if (usage) {
    const BatchEventFields f = ReadUsageBatchEvent(raw.kind, raw.members);
    FillRequest(f, raw, e.request);
    e.request.quantity = f.quantity;
    ValidateUsage(e.request, now);
    e.operation = UsageOperation(e.request);
  } else {
    FillRequest(ReadBatchEvent(raw.kind, raw.members), raw, e.request);
    ValidateConsume(e.request, now);
    e.operation = ConsumeOperation(e.request);
  }
}

// Prices the usage events left to apply (each lookup once per call); an
// event without a price (LG007) or whose credits overflow fails alone.
void PriceEvents(Ledger& ledger, std::vector<BatchEvent>& events, Micros now) {
  PriceBook book(ledger, true);
  for (BatchEvent& e : events) {
    if (e.done) continue;
    try {
      ConsumeRequest& q = e.request;
      const PriceRow price =
          book.Choose(q.customer_id, *q.labels.feature, PricedAt(q, now));
      PriceRequest(q, price, ledger.RequireCreditType(price.credit_type));
    } catch (const LedgerError& err) {
      e.Fail(err);
    }
  }
}

// One wallet of the batch: locked before any event is applied; its grants
// are read at its first event that gets that far and kept in memory; it is
// written once, after its last event.
struct WalletRun {
  std::optional<Wallet> wallet;  // nullopt: the customer has no such wallet
  bool open = false;             // grants read
  bool applied = false;          // an event was applied: write it back
  std::vector<OpenGrant> grants;
  std::optional<ConsumePlanner> planner;  // sorted once per wallet
  std::size_t left = 0;                   // events still to apply
  // Block usage alerts, judged once the grants are saved (CloseWallet):
  // the blocks drawn, the last operation and the balance after it.
  std::vector<std::int64_t> drawn;
  std::int64_t last_operation_id = 0;
  std::int64_t last_available = 0;
};

// What an event will write, decided before anything is written.
struct DecidedEvent {
  std::int64_t units = 0;
  ConsumePlan plan;
  std::int64_t available = 0;  // after it (PartialConsume::available_after)
  std::vector<EntryDraft> drafts;
  OperationResult result;
};

// A rejected event's outcome: the key's stored operation if one holds it
// now (a replay, or LG002), as a lookup before deciding would have found;
// else the rejection.
void Reject(Ledger& ledger, BatchEvent& e, const LedgerError& rejection) {
  try {
    if (e.request.idempotency_key && !e.repeats_key) {
      if (auto op = ledger.FindReplay(e.operation)) {
        e.Replay(*op);
        return;
      }
    }
  } catch (const LedgerError& err) {
    e.Fail(err);
    return;
  }
  e.Fail(rejection);
}

// Decides one event against its locked wallet, exactly as credit_consume
// would, and writes nothing: a rejection (LG001, a bad amount, no wallet, a
// replay) is the event's outcome and the batch carries on. Only an event
// whose key an earlier event of the batch carries looks it up first; any
// other key stored since the batch looked (PrepareEvents) is met when the
// event is written, or, for a rejected event, looked up then (Reject).
std::optional<DecidedEvent> DecideEvent(Ledger& ledger, WalletRun& run,
                                        BatchEvent& e, Micros now) {
  try {
    if (e.repeats_key) {
      if (auto op = ledger.FindReplay(e.operation)) {
        e.Replay(*op);
        return std::nullopt;
      }
    }
    if (!run.wallet) {
      RefuseWithoutWallet(e.request.customer_id, e.request.credit_type,
                          e.request.amount,
                          ledger.RequireCreditType(e.request.credit_type));
    }
    Wallet& wallet = *run.wallet;
    if (!run.open) {
      run.grants = ledger.ReadOpenGrants(wallet, now);
      WalletState state = PlannerState(wallet, run.grants);
      state.policy = PolicyLessReserved(state.policy, wallet.held_overdraft);
      run.planner.emplace(std::move(state), now);
      run.open = true;
    }
    DecidedEvent d;
    PartialConsume planned = PlanBatchConsume(
        *run.planner, ParseAmount(e.request.amount, wallet.scale),
        e.request.allow_partial, wallet.held_overdraft);
    d.units = planned.applied;
    d.plan = std::move(planned.plan);
    d.drafts = ConsumeDrafts(run.grants, d.plan, EntryType::kUsage);
    d.result = MakeResult(wallet, now, d.drafts.size());
    d.result.amount = DrawDownAmount(EntryType::kUsage, d.units);
    d.available = planned.available_after;
    d.result.balance = d.available;
    return d;
  } catch (const LedgerError& err) {
    Reject(ledger, e, err);
    return std::nullopt;
  }
}

// Stores a decided event's operation as credit_consume does: a consume of
// one entry as that entry alone (`standalone`), any other as its operation
// row. nullopt, with nothing written: the key is taken.
std::optional<std::int64_t> StoreEvent(Ledger& ledger, Wallet& wallet,
                                       const BatchEvent& e,
                                       const DecidedEvent& d, Micros now,
                                       bool standalone) {
  if (!standalone) return ledger.InsertOperation(e.operation, d.result);
  const std::int64_t id = NextVal("operation_id_seq");
  if (!ledger.AppendStandalone(wallet, MakeContext(id, now, e.request.labels),
                               d.drafts[0], e.operation)) {
    return std::nullopt;
  }
  return id;
}

// Writes a decided event: its operation, entries and events. Once the
// operation is stored nothing here catches: any error (a LedgerError
// included) aborts the whole call, so no operation is left with part of its
// entries while the batch carries on.
void WriteEvent(Ledger& ledger, WalletRun& run, BatchEvent& e, Micros now,
                const DecidedEvent& d) {
  Wallet& wallet = *run.wallet;
  const bool standalone =
      ledger.FitsOneEntry(e.operation, d.result, wallet, d.drafts);
  auto operation_id = StoreEvent(ledger, wallet, e, d, now, standalone);
  if (!operation_id) {
    // Not written: another transaction stored the key first. Its answer,
    // or LG002 for a different request, is this event's outcome.
    try {
      e.Replay(ledger.ReplayAfterConflict(e.operation));
    } catch (const LedgerError& err) {
      e.Fail(err);
    }
    return;
  }
  std::vector<PendingEvent> pending;
  AddDepletedGrants(pending, SubjectOf(wallet, *operation_id),
                    run.planner->state().grants, d.plan.emptied, d.available);
  run.planner->Apply(d.plan);
  run.applied = true;
  RequestTopup(ledger, wallet, *operation_id, now, d.available, pending);
  if (!run.wallet->grant_usage_thresholds.empty()) {
    for (std::int64_t id : DrawnBlocks(d.drafts)) run.drawn.push_back(id);
    run.last_operation_id = *operation_id;
    run.last_available = d.available;
  }
  Record(ledger, wallet, MakeContext(*operation_id, now, e.request.labels),
         standalone ? std::vector<EntryDraft>{} : d.drafts, d.available,
         std::move(pending));
  e.status = "applied";
  e.operation_id = *operation_id;
  e.amount = FormatAmount(d.units, wallet.scale);
  e.balance = FormatAmount(d.available, wallet.scale);
  e.done = true;
}

// Applies one event to its locked wallet: decide (may reject the event),
// then write (may only fail the whole call).
void ApplyEvent(Ledger& ledger, WalletRun& run, BatchEvent& e, Micros now) {
  CheckForInterrupts();
  if (auto decided = DecideEvent(ledger, run, e, now)) {
    WriteEvent(ledger, run, e, now, *decided);
  }
}

// Writes a wallet after its last event: its grants and its row, once.
void CloseWallet(Ledger& ledger, WalletRun& run, Micros now) {
  if (!run.applied) return;
  if (run.planner) {
    std::vector<std::int64_t> remaining;
    for (const GrantState& g : run.planner->state().grants) {
      remaining.push_back(g.remaining);
    }
    ledger.SaveRemaining(*run.wallet, run.grants, remaining);
  }
  if (!run.drawn.empty()) {
    // Announced with the wallet's last operation of the batch.
    std::sort(run.drawn.begin(), run.drawn.end());
    run.drawn.erase(std::unique(run.drawn.begin(), run.drawn.end()),
                    run.drawn.end());
    ledger.InsertEvents(*run.wallet, run.last_operation_id, now,
                        BlockUsageAlerts(ledger, *run.wallet,
                                         run.last_operation_id, run.drawn,
                                         run.last_available));
  }
  ledger.SaveWallet(*run.wallet, now);
  run.grants = {};
  run.planner.reset();
}

// Whether every event of wallet `w` finds its key stored now, under the
// lock (which waited for a concurrent call that committed them): then the
// wallet is not caught up, so a replay writes nothing.
bool AllReplays(Ledger& ledger, const BatchSchedule& schedule,
                const std::vector<BatchEvent*>& pending, std::size_t w) {
  for (std::size_t i = 0; i < pending.size(); ++i) {
    if (schedule.wallet_of[i] != w) continue;
    try {
      if (!ledger.FindReplay(pending[i]->operation)) return false;
    } catch (const LedgerError&) {
      return false;  // LG002: the event decides it
    }
  }
  return true;
}

// Reads and checks every event, then answers the replays of keys stored
// before the batch (they need no lock: a committed key answers for itself)
// and, for usage, prices the rest.
std::vector<BatchEvent> PrepareEvents(Ledger& ledger, Jsonb* events_json,
                                      bool usage, Micros now) {
  const std::vector<RawEvent> raw = ReadRawEvents(events_json);
  std::vector<BatchEvent> events(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    try {
      ReadEvent(raw[i], now, usage, events[i]);
    } catch (const LedgerError& err) {
      events[i].Fail(err);
    }
  }

  ledger.UseSpi();
  for (BatchEvent& e : events) {
    if (e.done) continue;
    try {
      if (auto op = ledger.FindReplay(e.operation)) e.Replay(*op);
    } catch (const LedgerError& err) {
      e.Fail(err);
    }
  }
  if (usage) PriceEvents(ledger, events, now);
  return events;
}

// Applies a batch of consume events or (`usage`) usage reports.
std::vector<BatchEvent> ConsumeBatch(Ledger& ledger, Jsonb* events_json,
                                     bool usage) {
  const Micros now = LedgerNow();
  std::vector<BatchEvent> events =
      PrepareEvents(ledger, events_json, usage, now);

  // The rest: every wallet locked in lock order first, then the events in
  // the core's schedule.
  std::vector<BatchEvent*> pending;
  std::vector<BatchItem> items;
  for (BatchEvent& e : events) {
    if (e.done) continue;
    pending.push_back(&e);
    items.push_back({e.request.customer_id, e.request.credit_type,
                     e.request.idempotency_key});
  }
  const BatchSchedule schedule = ScheduleBatch(items);
  for (std::size_t i = 0; i < pending.size(); ++i) {
    pending[i]->repeats_key = schedule.repeats_key[i];
  }
  std::vector<WalletRun> runs(schedule.wallets.size());
  for (std::size_t w = 0; w < runs.size(); ++w) {
    CheckForInterrupts();
    runs[w].wallet = ledger.LockWallet(schedule.wallets[w].first,
                                       schedule.wallets[w].second);
    // Brought up to now first; a catch-up that wrote leaves the wallet row
    // to save even if no event applies.
    // Only a due catch-up needs the keys checked first (nothing is written
    // otherwise): no second key lookup per event on the hot path.
    if (runs[w].wallet && IsDue(*runs[w].wallet, now) &&
        !AllReplays(ledger, schedule, pending, w)) {
      runs[w].applied = CatchUp(ledger, *runs[w].wallet, now);
    }
  }
  for (std::size_t w : schedule.wallet_of) ++runs[w].left;
  for (std::size_t i : schedule.order) {
    WalletRun& run = runs[schedule.wallet_of[i]];
    ApplyEvent(ledger, run, *pending[i], now);
    if (--run.left == 0) CloseWallet(ledger, run, now);
  }
  return events;
}

// credit_consume_batch or (`usage`) credit_report_usage_batch: checks the
// array, applies it and returns one row per event.
void RunBatch(FunctionCallInfo fcinfo, bool usage) {
  Args args(fcinfo);
  if (args.IsNull(0)) {
    throw LedgerError(ErrorCode::kNullValue, "events must not be NULL");
  }
  Jsonb* const events_json = Guard([&] { return PG_GETARG_JSONB_P(0); });
  const bool is_array = Guard([&] {
    return JB_ROOT_IS_ARRAY(events_json) && !JB_ROOT_IS_SCALAR(events_json);
  });
  if (!is_array) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "events must be a JSON array of event objects");
  }
  const std::size_t count = Guard([&] { return JB_ROOT_COUNT(events_json); });
  CheckBatchSize(count);
  Ledger ledger;
  const std::vector<BatchEvent> results =
      ConsumeBatch(ledger, events_json, usage);
  ledger.Finish();

  ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
  Guard([&] { InitMaterializedSRF(fcinfo, 0); });
  for (std::size_t i = 0; i < results.size(); ++i) {
    const BatchEvent& e = results[i];
    Datum values[7];
    bool nulls[7] = {false,      false,       !e.operation_id, !e.amount,
                     !e.balance, !e.sqlstate, !e.message};
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
}

}  // namespace
}  // namespace credit_ledger::pg

CL_FUNCTION(credit_consume_batch) {
  credit_ledger::pg::RunBatch(fcinfo, false);
  return 0;
}

CL_FUNCTION(credit_report_usage_batch) {
  credit_ledger::pg::RunBatch(fcinfo, true);
  return 0;
}
