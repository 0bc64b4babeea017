#include "operations.hpp"

#include "amount.hpp"
#include "auto_topup.hpp"
#include "error.hpp"
#include "fingerprint.hpp"
#include "catch_up.hpp"
#include "grant.hpp"
#include "drawdown.hpp"
#include "holds.hpp"
#include "plan.hpp"
#include "prefix.hpp"
#include "validate.hpp"
#include "settings.hpp"

namespace credit_ledger::pg {

EntryContext MakeContext(std::int64_t operation_id, Micros now,
                         const EntryLabels& labels) {
  EntryContext ctx;
  ctx.operation_id = operation_id;
  ctx.now = now;
  ctx.occurred_at = labels.occurred_at.value_or(now);
  ctx.feature = labels.feature;
  ctx.source_id = labels.source_id;
  ctx.reason = labels.reason;
  ctx.actor = CurrentActor();
  ctx.metadata = labels.metadata.datum;
  ctx.metadata_null = !labels.metadata.text.has_value();
  ctx.metadata_text = labels.metadata.text;
  ctx.priced = labels.priced;
  return ctx;
}

OperationResult MakeResult(const Wallet& wallet, Micros now,
                           std::size_t entry_count) {
  OperationResult result;
  result.wallet_id = wallet.wallet_id;
  result.credit_type = wallet.credit_type;
  result.scale = wallet.scale;
  result.first_seq = wallet.last_seq + 1;
  result.last_seq = wallet.last_seq + static_cast<std::int64_t>(entry_count);
  result.created_at = now;
  return result;
}

EventSubject SubjectOf(const Wallet& wallet, std::int64_t operation_id) {
  EventSubject s{wallet.customer_id, wallet.credit_type, wallet.wallet_id,
                 wallet.scale, operation_id};
  s.currency = wallet.currency;
  return s;
}

void Record(Ledger& ledger, Wallet& wallet, const EntryContext& context,
            const std::vector<EntryDraft>& drafts, std::int64_t spendable_after,
            std::vector<PendingEvent> events) {
  ledger.AppendEntries(wallet, context, drafts);
  AlertEvents alerts =
      BalanceAlertEvents(SubjectOf(wallet, context.operation_id),
                         wallet.thresholds, wallet.alerts, spendable_after);
  for (PendingEvent& e : alerts.events) events.push_back(std::move(e));
  wallet.alerts = alerts.next;
  ledger.InsertEvents(wallet, context.operation_id, context.now, events);
}

void Conclude(Ledger& ledger, Wallet& wallet, const EntryContext& context,
              const std::vector<EntryDraft>& drafts,
              std::int64_t spendable_after, std::vector<PendingEvent> events) {
  Record(ledger, wallet, context, drafts, spendable_after, std::move(events));
  ledger.SaveWallet(wallet, context.now);
}

void CheckUsageRequest(const std::string& customer_id,
                       const std::string* amount,
                       const std::optional<std::string>& idempotency_key,
                       const EntryLabels& labels, Micros now) {
  CheckText("customer_id", customer_id, kMaxCustomerIdChars);
  if (amount != nullptr) CheckPositiveAmount(*amount);
  CheckOptionalText("idempotency_key", idempotency_key,
                    kMaxIdempotencyKeyChars);
  CheckOptionalText("feature", labels.feature, kMaxLabelChars);
  CheckOptionalText("source_id", labels.source_id, kMaxLabelChars);
  if (labels.occurred_at) CheckOccurredAt(*labels.occurred_at, now);
}

void ValidateConsume(const ConsumeRequest& r, Micros now) {
  CheckUsageRequest(r.customer_id, &r.amount, r.idempotency_key, r.labels, now);
}

OperationRequest ConsumeOperation(const ConsumeRequest& r) {
  return WithKeyDigest(OperationRequest{
      "consume", r.customer_id, r.idempotency_key,
      ConsumeFingerprint({r.credit_type, r.amount, ViewOf(r.labels.feature),
                          ViewOf(r.labels.source_id), r.labels.occurred_at,
                          ViewOf(r.labels.metadata.text), r.allow_partial})});
}

namespace {

// Stores a drawdown's operation: a consume of one entry as that entry alone,
// written first (its key decides whether this call applies), any other as
// its operation row. nullopt: a concurrent call with the same key committed
// first.
std::optional<std::int64_t>
StoreDrawDown(Ledger& ledger, const OperationRequest& request,
              const OperationResult& result, Wallet& wallet,
              const std::vector<EntryDraft>& drafts, bool standalone,
              const EntryLabels& labels) {
  if (!standalone) return ledger.InsertOperation(request, result);
  const std::int64_t id = NextVal("operation_id_seq");
  if (!ledger.AppendStandalone(wallet,
                               MakeContext(id, result.created_at, labels),
                               drafts[0], request)) {
    return std::nullopt;
  }
  return id;
}

}  // namespace

OperationOutcome DrawDown(Ledger& ledger, const OperationRequest& request,
                          const std::string& credit_type,
                          const std::string& amount_text, EntryType entry_type,
                          const EntryLabels& labels, bool allow_partial) {
  if (auto op = ledger.FindReplay(request)) return ReplayOutcome(*op);
  return DrawDownNew(ledger, request, credit_type, amount_text, entry_type,
                     labels, allow_partial);
}

OperationOutcome DrawDownNew(Ledger& ledger, const OperationRequest& request,
                             const std::string& credit_type,
                             const std::string& amount_text,
                             EntryType entry_type, const EntryLabels& labels,
                             bool allow_partial) {
  const Micros now = LedgerNow();
  std::optional<StoredOperation> replay;
  std::optional<Wallet> found = LockForWrite(
      ledger, request.customer_id, credit_type, now, &request, &replay);
  if (replay) return ReplayOutcome(*replay);
  if (!found) {
    RefuseWithoutWallet(request.customer_id, credit_type, amount_text,
                        ledger.RequireCreditType(credit_type));
  }
  Wallet& wallet = *found;
  const std::int64_t units = ParseAmount(amount_text, wallet.scale);

  // Blocks' remaining excludes what holds reserve from them; what holds
  // reserve against the overdraft allowance is the one part left to count.
  // The blocks are read in drawdown order only as far as the core needs.
  PrefixDrawDown read(PlannerState(wallet, {}), now, units, entry_type,
                      allow_partial, wallet.held_overdraft,
                      LedgerAvailable(wallet, now));
  if (!read.Decided()) {  // a draw-down of 0 credits reads nothing
    ledger.ReadDrawdownBlocks(
        wallet, now, [&read](OpenGrant g) { return read.Take(std::move(g)); });
  }
  const std::vector<OpenGrant>& grants = read.grants();
  const DrawDownPlan p = read.Plan();
  const std::int64_t available = p.available_after;

  OperationResult result = MakeResult(wallet, now, p.drafts.size());
  result.amount = p.amount;
  result.balance = available;
  const bool standalone =
      ledger.FitsOneEntry(request, result, wallet, p.drafts);
  auto operation_id = StoreDrawDown(ledger, request, result, wallet, p.drafts,
                                    standalone, labels);
  if (!operation_id) return ReplayOutcome(ledger.ReplayAfterConflict(request));

  ledger.SaveRemaining(wallet, grants, p.plan.remaining_after);
  std::vector<PendingEvent> events;
  AddDepletedGrants(events, SubjectOf(wallet, *operation_id), p.state.grants,
                    p.plan.emptied, available);
  for (PendingEvent& e : BlockUsageAlerts(ledger, wallet, *operation_id,
                                          DrawnBlocks(p.drafts), available)) {
    events.push_back(std::move(e));
  }
  RequestTopup(ledger, wallet, *operation_id, now, available, events);
  Conclude(ledger, wallet, MakeContext(*operation_id, now, labels),
           standalone ? std::vector<EntryDraft>{} : p.drafts, available,
           std::move(events));

  OperationOutcome out;
  out.operation_id = *operation_id;
  out.amount = FormatAmount(p.amount, wallet.scale);
  out.balance = FormatAmount(available, wallet.scale);
  return out;
}

namespace {

// What PlanBlock reads: the open grants only when there is debt to repay,
// else the spendable balance; and what holds reserve against the overdraft
// allowance, which the plan's available balance counts out.
BlockInput ReadForBlock(Ledger& ledger, const Wallet& wallet, Micros now) {
  BlockInput in;
  in.debt = wallet.debt;
  in.policy = wallet.policy;
  in.scale = wallet.scale;
  in.now = now;
  in.order = wallet.order;
  in.reserved_overdraft = wallet.held_overdraft;
  if (wallet.debt > 0) {
    in.open = ledger.ReadOpenGrants(wallet, now);
  } else {
    in.spendable_before = ledger.Spendable(wallet, now);
  }
  return in;
}

BlockOutcome BlockReplay(const StoredOperation& op) {
  return BlockOutcome{op.grant_id.value_or(0), ReplayOutcome(op)};
}

// A 1.2 block that does not enter the ledger now: scheduled (it enters
// through the catch-up at its effective_at, which next_due_at is lowered
// to) or pending (at confirmation). Its operation has no entries and sends
// no event; credits.granted comes when it enters.
BlockOutcome AddWaitingBlock(Ledger& ledger, const OperationRequest& request,
                             Wallet& wallet, const BlockSpec& spec,
                             const EntryLabels& labels, bool pending,
                             std::int64_t units, std::int64_t grant_id,
                             Micros effective_at, Micros now) {
  NewGrant row = BlockRow(spec, units, grant_id, effective_at);
  row.reason = labels.reason;
  row.source_id = labels.source_id;
  const std::int64_t available = AvailableNow(ledger, wallet, now);
  OperationResult result = MakeResult(wallet, now, 0);
  result.amount = units;
  result.balance = available;
  result.grant_id = grant_id;
  auto operation_id = ledger.InsertOperation(request, result);
  if (!operation_id) return BlockReplay(ledger.ReplayAfterConflict(request));
  row.operation_id = *operation_id;
  ledger.InsertGrant(wallet, row, labels.metadata.datum,
                     !labels.metadata.text.has_value(), now, false, pending);
  if (!pending)
    wallet.next_due_at = LowerDueAt(wallet.next_due_at, effective_at);
  ledger.SaveWallet(wallet, now);

  BlockOutcome out;
  out.grant_id = grant_id;
  out.operation.operation_id = *operation_id;
  out.operation.amount = FormatAmount(units, wallet.scale);
  out.operation.balance = FormatAmount(available, wallet.scale);
  return out;
}

}  // namespace

BlockOutcome AddBlock(Ledger& ledger, const OperationRequest& request,
                      const std::string& credit_type,
                      const std::string& amount_text, const BlockSpec& spec,
                      const EntryLabels& labels, bool pending) {
  if (auto op = ledger.FindReplay(request)) return BlockReplay(*op);
  const Micros now = LedgerNow();
  // 22023 before the wallet is looked at
  const Micros effective_at = BlockEffectiveAt(spec, now);

  Wallet wallet =
      ledger.LockOrCreateWallet(request.customer_id, credit_type, now);
  // The key again under the lock: a replay writes nothing (LockForWrite).
  if (auto op = ledger.FindReplay(request)) return BlockReplay(*op);
  CatchUp(ledger, wallet, now);
  const std::int64_t units = ParseAmount(amount_text, wallet.scale);
  const std::int64_t grant_id = ledger.NextGrantId();
  if (wallet.timed && (pending || effective_at > now)) {
    return AddWaitingBlock(ledger, request, wallet, spec, labels, pending,
                           units, grant_id, effective_at, now);
  }
  const BlockInput in = ReadForBlock(ledger, wallet, now);
  BlockPlan plan =
      PlanBlock(in, spec, units, grant_id, labels.reason, labels.source_id);
  const std::int64_t available = plan.available_after;

  OperationResult result = MakeResult(wallet, now, plan.drafts.size());
  result.amount = units;
  result.balance = available;
  result.grant_id = grant_id;
  auto operation_id = ledger.InsertOperation(request, result);
  if (!operation_id) return BlockReplay(ledger.ReplayAfterConflict(request));

  plan.grant.operation_id = *operation_id;
  ledger.InsertGrant(wallet, plan.grant, labels.metadata.datum,
                     !labels.metadata.text.has_value(), now);
  ledger.LoadCurrency(wallet);  // credits.granted carries cost_basis
  const EventSubject subject = SubjectOf(wallet, *operation_id);
  std::vector<PendingEvent> events{
      GrantedEvent(subject, plan.grant, available)};
  AddDepletedGrants(events, subject, plan.planned.grants, plan.settle.emptied,
                    available);
  ledger.SaveRemaining(wallet, in.open, plan.OpenRemainingAfter());
  if (wallet.timed && plan.grant.expires_at) {
    wallet.next_due_at = LowerDueAt(wallet.next_due_at, *plan.grant.expires_at);
  }
  Conclude(ledger, wallet, MakeContext(*operation_id, now, labels), plan.drafts,
           available, std::move(events));

  BlockOutcome out;
  out.grant_id = grant_id;
  out.operation.operation_id = *operation_id;
  out.operation.amount = FormatAmount(units, wallet.scale);
  out.operation.balance = FormatAmount(available, wallet.scale);
  return out;
}

void RequireOwner(const std::string& customer_id, const std::string& owner,
                  const std::string& what) {
  if (owner == customer_id) return;
  throw LedgerError(ErrorCode::kNotFound, what + " does not exist",
                    "No " + what.substr(0, what.find(' ')) +
                        " with this id belongs to customer \"" + customer_id +
                        "\".");
}

}  // namespace credit_ledger::pg
