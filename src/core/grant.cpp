#include "grant.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {

Micros BlockEffectiveAt(const BlockSpec& spec, Micros now) {
  const Micros effective_at = spec.effective_at.value_or(now);
  if (spec.expires_at && spec.effective_at &&
      *spec.expires_at <= effective_at) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "expires_at must be after effective_at",
                      "A grant is spendable while effective_at <= now < "
                      "expires_at, so this one could never be spent.");
  }
  if (spec.expires_at && *spec.expires_at <= now) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "expires_at is already past",
                      "A grant that has expired when it is granted could "
                      "never be spent.");
  }
  return effective_at;
}

std::vector<std::int64_t> BlockPlan::OpenRemainingAfter() const {
  return std::vector<std::int64_t>(settle.remaining_after.begin(),
                                   settle.remaining_after.end() - 1);
}

NewGrant BlockRow(const BlockSpec& spec, std::int64_t units,
                  std::int64_t grant_id, Micros effective_at) {
  NewGrant g;
  g.grant_id = grant_id;
  g.amount = units;
  g.remaining = units;
  g.promotional = spec.promotional;
  g.priority = spec.priority;
  g.cost_basis = spec.cost_basis;
  g.effective_at = effective_at;
  g.expires_at = spec.expires_at;
  g.kind = spec.kind;
  return g;
}

namespace {

OpenGrant AsOpen(const NewGrant& g) {
  OpenGrant o;
  o.state.grant_id = g.grant_id;
  o.state.priority = g.priority;
  o.state.effective_at = g.effective_at;
  o.state.expires_at = g.expires_at.value_or(kNever);
  o.state.promotional = g.promotional;
  o.state.remaining = g.amount;
  o.cost_basis = g.cost_basis;
  return o;
}

}  // namespace

BlockPlan PlanBlock(const BlockInput& in, const BlockSpec& spec,
                    std::int64_t units, std::int64_t grant_id,
                    const std::optional<std::string>& reason,
                    const std::optional<std::string>& source_id) {
  BlockPlan p;
  p.grant = BlockRow(spec, units, grant_id, BlockEffectiveAt(spec, in.now));
  p.grant.reason = reason;
  p.grant.source_id = source_id;
  const OpenGrant block = AsOpen(p.grant);

  // Debt is repaid from what is spendable now, the new block included. A
  // wallet without debt needs only its spendable balance, which does not
  // take reading its active blocks (so granting stays cheap however many
  // open blocks the wallet holds).
  std::vector<OpenGrant> grants;
  if (in.debt > 0) grants = in.open;
  grants.push_back(block);
  p.planned = PlannerState(grants, in.debt, in.policy, in.scale, in.order);
  if (in.debt > 0) {
    p.settle = PlanConsume(p.planned, in.now, 0);
    p.spendable_after = p.settle.spendable_after;
  } else {
    p.spendable_after = IsSpendableAt(block.state, in.now)
                            ? AddUnits(in.spendable_before, units)
                            : in.spendable_before;
    p.settle.spendable_after = p.spendable_after;
    p.settle.remaining_after = {units};
  }
  p.grant.remaining = p.settle.remaining_after.back();
  p.available_after = SubUnits(p.spendable_after, in.reserved_overdraft);

  EntryDraft opening;
  opening.type = spec.opening;
  opening.amount = units;
  opening.grant_id = grant_id;
  opening.promotional = spec.promotional;
  opening.cost_basis = spec.cost_basis;
  opening.occurred_at = p.grant.effective_at;
  p.drafts.push_back(opening);
  AddRepaymentEntries(p.drafts, grants, p.settle.repayments);
  return p;
}

Adjustment ReadAdjustment(const std::string& amount) {
  const int sign = DecimalSign(amount);
  if (sign == 0) {
    throw LedgerError(ErrorCode::kInvalidParameter, "amount must not be zero");
  }
  Adjustment a;
  a.adds = sign > 0;
  a.magnitude = a.adds ? amount : amount.substr(1);
  return a;
}

BlockSpec AdjustmentBlock() {
  BlockSpec spec;
  spec.kind = "adjustment";
  spec.opening = EntryType::kAdjustment;
  return spec;
}

}  // namespace credit_ledger
