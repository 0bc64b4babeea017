#include "operations.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "fingerprint.hpp"
#include "grant.hpp"
#include "validate.hpp"
#include "plan.hpp"
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

void Record(Ledger& ledger, Wallet& wallet, const EntryContext& context,
            const std::vector<EntryDraft>& drafts, std::int64_t spendable_after,
            std::vector<PendingEvent> events) {
  ledger.AppendEntries(wallet, context, drafts);
  const AlertOutcome alerts =
      EvaluateAlerts(wallet.thresholds, wallet.alerts, spendable_after);
  for (std::int64_t t : alerts.usage_low) {
    events.push_back(
        UsageLowEvent(wallet, context.operation_id, t, spendable_after));
  }
  if (alerts.depleted) {
    events.push_back(
        BalanceDepletedEvent(wallet, context.operation_id, spendable_after));
  }
  wallet.alerts = alerts.next;
  ledger.InsertEvents(wallet, context.operation_id, context.now, events);
}

void Conclude(Ledger& ledger, Wallet& wallet, const EntryContext& context,
              const std::vector<EntryDraft>& drafts,
              std::int64_t spendable_after, std::vector<PendingEvent> events) {
  Record(ledger, wallet, context, drafts, spendable_after, std::move(events));
  ledger.SaveWallet(wallet, context.now);
}

void ValidateConsume(const ConsumeRequest& r, Micros now) {
  CheckText("customer_id", r.customer_id, kMaxCustomerIdChars);
  CheckPositiveAmount(r.amount);
  CheckOptionalText("idempotency_key", r.idempotency_key,
                    kMaxIdempotencyKeyChars);
  CheckOptionalText("feature", r.labels.feature, kMaxLabelChars);
  CheckOptionalText("source_id", r.labels.source_id, kMaxLabelChars);
  if (r.labels.occurred_at) CheckOccurredAt(*r.labels.occurred_at, now);
}

OperationRequest ConsumeOperation(const ConsumeRequest& r) {
  return OperationRequest{
      "consume", r.customer_id, r.idempotency_key,
      ConsumeFingerprint({r.credit_type, r.amount, ViewOf(r.labels.feature),
                          ViewOf(r.labels.source_id), r.labels.occurred_at,
                          ViewOf(r.labels.metadata.text)})};
}

void AddDepletedGrants(std::vector<PendingEvent>& events, const Wallet& wallet,
                       std::int64_t operation_id,
                       const std::vector<GrantState>& grants,
                       const std::vector<std::size_t>& emptied,
                       std::int64_t balance) {
  for (std::size_t i : emptied) {
    events.push_back(
        GrantDepletedEvent(wallet, operation_id, grants[i].grant_id, balance));
  }
}

void RefuseWithoutWallet(Ledger& ledger, const std::string& customer_id,
                         const std::string& credit_type,
                         const std::string& amount_text) {
  ParseAmount(amount_text, ledger.RequireCreditType(credit_type));
  throw LedgerError(ErrorCode::kInsufficientCredits, "insufficient credits",
                    "Customer \"" + customer_id + "\" has no " + credit_type +
                        " wallet.");
}

OperationOutcome DrawDown(Ledger& ledger, const OperationRequest& request,
                          const std::string& credit_type,
                          const std::string& amount_text, EntryType entry_type,
                          const EntryLabels& labels) {
  if (auto op = ledger.FindReplay(request)) return ReplayOutcome(*op);

  const Micros now = LedgerNow();
  std::optional<Wallet> found =
      ledger.LockWallet(request.customer_id, credit_type);
  if (!found) {
    RefuseWithoutWallet(ledger, request.customer_id, credit_type, amount_text);
  }
  Wallet& wallet = *found;
  const std::int64_t units = ParseAmount(amount_text, wallet.scale);

  const std::vector<OpenGrant> grants = ledger.ReadOpenGrants(wallet, now);
  const WalletState state = PlannerState(wallet, grants);
  const ConsumePlan plan = PlanConsume(state, now, units);
  const std::vector<EntryDraft> drafts =
      ConsumeDrafts(grants, plan, entry_type);

  OperationResult result = MakeResult(wallet, now, drafts.size());
  result.amount = entry_type == EntryType::kUsage ? units : -units;
  result.balance = plan.spendable_after;
  auto operation_id = ledger.InsertOperation(request, result);
  if (!operation_id) return ReplayOutcome(ledger.ReplayAfterConflict(request));

  ledger.SaveRemaining(wallet, grants, plan.remaining_after);
  std::vector<PendingEvent> events;
  AddDepletedGrants(events, wallet, *operation_id, state.grants, plan.emptied,
                    plan.spendable_after);
  Conclude(ledger, wallet, MakeContext(*operation_id, now, labels), drafts,
           plan.spendable_after, std::move(events));

  OperationOutcome out;
  out.operation_id = *operation_id;
  out.amount = FormatAmount(*result.amount, wallet.scale);
  out.balance = FormatAmount(plan.spendable_after, wallet.scale);
  return out;
}

namespace {

// What PlanBlock reads: the open grants only when there is debt to repay,
// else the spendable balance.
BlockInput ReadForBlock(Ledger& ledger, const Wallet& wallet, Micros now) {
  BlockInput in;
  in.debt = wallet.debt;
  in.policy = wallet.policy;
  in.scale = wallet.scale;
  in.now = now;
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

}  // namespace

BlockOutcome AddBlock(Ledger& ledger, const OperationRequest& request,
                      const std::string& credit_type,
                      const std::string& amount_text, const BlockSpec& spec,
                      const EntryLabels& labels) {
  if (auto op = ledger.FindReplay(request)) return BlockReplay(*op);
  const Micros now = LedgerNow();
  BlockEffectiveAt(spec, now);  // 22023 before the wallet is looked at

  Wallet wallet =
      ledger.LockOrCreateWallet(request.customer_id, credit_type, now);
  const std::int64_t units = ParseAmount(amount_text, wallet.scale);
  const std::int64_t grant_id = ledger.NextGrantId();
  const BlockInput in = ReadForBlock(ledger, wallet, now);
  BlockPlan plan =
      PlanBlock(in, spec, units, grant_id, labels.reason, labels.source_id);

  OperationResult result = MakeResult(wallet, now, plan.drafts.size());
  result.amount = units;
  result.balance = plan.spendable_after;
  result.grant_id = grant_id;
  auto operation_id = ledger.InsertOperation(request, result);
  if (!operation_id) return BlockReplay(ledger.ReplayAfterConflict(request));

  plan.grant.operation_id = *operation_id;
  ledger.InsertGrant(wallet, plan.grant, labels.metadata.datum,
                     !labels.metadata.text.has_value(), now);
  std::vector<PendingEvent> events{
      GrantedEvent(wallet, *operation_id, plan.grant, plan.spendable_after)};
  AddDepletedGrants(events, wallet, *operation_id, plan.planned.grants,
                    plan.settle.emptied, plan.spendable_after);
  ledger.SaveRemaining(wallet, in.open, plan.OpenRemainingAfter());
  Conclude(ledger, wallet, MakeContext(*operation_id, now, labels), plan.drafts,
           plan.spendable_after, std::move(events));

  BlockOutcome out;
  out.grant_id = grant_id;
  out.operation.operation_id = *operation_id;
  out.operation.amount = FormatAmount(units, wallet.scale);
  out.operation.balance = FormatAmount(plan.spendable_after, wallet.scale);
  return out;
}

}  // namespace credit_ledger::pg
