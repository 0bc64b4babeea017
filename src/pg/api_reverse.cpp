// credit_reverse: undoes a consume, all or part, putting the credits back onto
// the exact grants they came from (last drawn, first restored) and the part
// that became debt back onto the debt. Credit restored to a grant that has
// since expired or been voided leaves again at once, in entries of its own.
#include "amount.hpp"
#include "args.hpp"
#include "error.hpp"
#include "fingerprint.hpp"
#include "guard.hpp"
#include "operations.hpp"
#include "plan.hpp"
#include "settings.hpp"
#include "spi.hpp"
#include "validate.hpp"

#include <map>

namespace credit_ledger::pg {
namespace {

struct ReverseArgs {
  std::int64_t operation_id = 0;
  std::optional<std::string> amount;
  std::optional<std::string> idempotency_key;
  EntryLabels labels;
};

// Restores each portion: onto its grant (and out again if the grant has
// lapsed), onto the debt, or - for debt that later grants already repaid -
// into a new block of its own. Fills drafts and the grants it touched.
void Restore(Ledger& ledger, Wallet& wallet, const std::vector<Restoration>& restorations,
             Micros now, std::vector<EntryDraft>& drafts,
             std::map<std::int64_t, GrantRow>& touched,
             std::optional<NewGrant>& new_block) {
  std::int64_t debt_left = wallet.debt;
  for (const Restoration& r : restorations) {
    if (!r.grant_id) {
      const std::int64_t onto_debt = std::min(r.amount, debt_left);
      debt_left -= onto_debt;
      if (onto_debt > 0) {
        EntryDraft e;
        e.type = EntryType::kReversal;
        e.amount = onto_debt;
        drafts.push_back(e);
      }
      if (r.amount > onto_debt) {
        NewGrant block;
        block.grant_id = ledger.NextGrantId();
        block.amount = r.amount - onto_debt;
        block.remaining = block.amount;
        block.effective_at = now;
        block.kind = "reversal";
        EntryDraft e;
        e.type = EntryType::kReversal;
        e.amount = block.amount;
        e.grant_id = block.grant_id;
        e.promotional = false;
        drafts.push_back(e);
        new_block = block;
      }
      continue;
    }
    GrantRow& g = touched.try_emplace(*r.grant_id, ledger.ReadGrant(wallet, *r.grant_id))
                      .first->second;
    EntryDraft back;
    back.type = EntryType::kReversal;
    back.amount = r.amount;
    back.grant_id = g.grant_id;
    back.promotional = g.promotional;
    back.cost_basis = g.cost_basis;
    drafts.push_back(back);
    if (g.Lapsed(now)) {
      EntryDraft out = back;
      out.amount = -r.amount;
      if (g.voided_at) {
        out.type = EntryType::kVoid;
        g.voided_amount = AddUnits(g.voided_amount, r.amount);
      } else {
        out.type = EntryType::kExpiration;
        g.expired_amount = AddUnits(g.expired_amount, r.amount);
      }
      drafts.push_back(out);
    } else {
      g.remaining = AddUnits(g.remaining, r.amount);
    }
  }
}

OperationOutcome Reverse(Ledger& ledger, const ReverseArgs& a) {
  const OperationRef target = ledger.FindOperation(a.operation_id);
  const std::string id = std::to_string(a.operation_id);
  if (target.operation_type != "consume") {
    throw LedgerError(ErrorCode::kInvalidState,
                      "only consume operations can be reversed",
                      "Operation " + id + " is a " + target.operation_type + ".",
                      "Correct other operations with credit_adjust() or "
                      "credit_void().");
  }
  const OperationRequest request{
      "reverse", target.customer_id, a.idempotency_key,
      ReverseFingerprint({a.operation_id, ViewOf(a.amount), ViewOf(a.labels.reason)})};
  if (auto op = ledger.FindReplay(request)) return ReplayOutcome(*op);

  const Micros now = LedgerNow();
  Wallet wallet = ledger.LockWallet(target.customer_id, target.credit_type).value();
  std::optional<std::int64_t> units;
  if (a.amount) units = ParseAmount(*a.amount, wallet.scale);
  const UsageEntries usage = ledger.ReadUsage(wallet, target);
  const std::vector<Restoration> restorations = PlanReversal(
      usage.portions, ledger.ReversedSoFar(wallet, a.operation_id), units, wallet.scale);
  std::int64_t total = 0;
  for (const Restoration& r : restorations) total = AddUnits(total, r.amount);

  std::vector<EntryDraft> drafts;
  std::map<std::int64_t, GrantRow> touched;
  std::optional<NewGrant> new_block;
  Restore(ledger, wallet, restorations, now, drafts, touched, new_block);

  // Restored credit repays outstanding debt first, like any new credit: plan
  // over the open grants with the restored ones (and the new block) updated.
  std::map<std::int64_t, OpenGrant> by_id;
  for (OpenGrant& g : ledger.ReadOpenGrants(wallet, now)) by_id[g.state.grant_id] = g;
  for (const auto& [grant_id, row] : touched) by_id[grant_id] = row.AsOpen();
  if (new_block) {
    OpenGrant g;
    g.state.grant_id = new_block->grant_id;
    g.state.priority = new_block->priority;
    g.state.effective_at = now;
    g.state.remaining = new_block->remaining;
    by_id[g.state.grant_id] = g;
  }
  std::vector<OpenGrant> grants;
  for (auto& [grant_id, g] : by_id) grants.push_back(g);
  WalletState state = PlannerState(wallet, grants);
  for (const EntryDraft& d : drafts) {
    if (!d.grant_id) state.debt = SubUnits(state.debt, d.amount, "debt");
  }
  const ConsumePlan settle = PlanConsume(state, now, 0);
  AddRepaymentEntries(drafts, grants, settle.repayments);

  OperationResult result = MakeResult(wallet, now, drafts.size());
  result.amount = total;
  result.balance = settle.spendable_after;
  result.reverses_operation_id = a.operation_id;
  auto operation_id = ledger.InsertOperation(request, result);
  if (!operation_id) return ReplayOutcome(ledger.ReplayAfterConflict(request));

  // Write the grants: the new block, the restored ones, then any other grant
  // the debt settlement drew from.
  std::vector<OpenGrant> others;
  std::vector<std::int64_t> others_after;
  for (std::size_t i = 0; i < grants.size(); ++i) {
    const std::int64_t grant_id = grants[i].state.grant_id;
    const std::int64_t remaining = settle.remaining_after[i];
    if (new_block && grant_id == new_block->grant_id) {
      new_block->remaining = remaining;
    } else if (auto t = touched.find(grant_id); t != touched.end()) {
      if (!t->second.Lapsed(now)) t->second.remaining = remaining;
    } else {
      others.push_back(grants[i]);
      others_after.push_back(remaining);
    }
  }
  ledger.SaveRemaining(wallet, others, others_after);
  if (new_block) {
    new_block->reason = a.labels.reason;
    new_block->operation_id = *operation_id;
    ledger.InsertGrant(wallet, *new_block, Datum(0), true, now);  // no metadata
  }
  for (const auto& [grant_id, row] : touched) ledger.SaveGrant(wallet, row);

  EntryLabels labels = a.labels;
  labels.feature = usage.feature;
  labels.source_id = usage.source_id;
  std::vector<PendingEvent> events;
  AddDepletedGrants(events, wallet, *operation_id, state.grants, settle.emptied,
                    settle.spendable_after);
  Conclude(ledger, wallet, MakeContext(*operation_id, now, labels), drafts,
           settle.spendable_after, std::move(events));

  OperationOutcome out;
  out.operation_id = *operation_id;
  out.amount = FormatAmount(total, wallet.scale);
  out.balance = FormatAmount(settle.spendable_after, wallet.scale);
  return out;
}

}  // namespace
}  // namespace credit_ledger::pg

CL_FUNCTION(credit_reverse) {
  using namespace credit_ledger;
  using namespace credit_ledger::pg;
  Args args(fcinfo);
  ReverseArgs a;
  a.operation_id = args.Int64(0, "operation_id");
  a.amount = args.OptDecimal(1, "amount");
  a.labels.reason = args.OptText(2);
  a.idempotency_key = args.OptText(3);
  if (a.amount) CheckPositiveAmount(*a.amount);
  CheckOptionalText("reason", a.labels.reason, kMaxReasonChars);
  CheckOptionalText("idempotency_key", a.idempotency_key, kMaxIdempotencyKeyChars);
  Ledger ledger;
  const OperationOutcome outcome = Reverse(ledger, a);
  ledger.Finish();
  return OperationResultDatum(fcinfo, outcome);
}
