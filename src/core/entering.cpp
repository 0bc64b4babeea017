#include "entering.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "wallet_work.hpp"

#include <string>
#include <utility>

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

// Writes a block's opening entry, dated `at`, and repays debt from what is
// then spendable.
void Enter(WalletWork& work, Block& block, EntryType type, Micros at,
           Micros now) {
  EntryDraft opening = BlockEntry(block.row, type, block.row.remaining);
  opening.occurred_at = at;
  block.entered = true;
  work.TouchBlock(block.row.grant_id);
  work.Append(std::move(opening));
  work.RepayDebt(now, std::nullopt);
}

Block& FindOrRaise(WalletWork& work, std::int64_t grant_id) {
  Block* b = work.FindBlock(grant_id);
  if (b == nullptr) {
    throw LedgerError(ErrorCode::kNotFound,
                      "grant " + std::to_string(grant_id) + " does not exist");
  }
  return *b;
}

void CheckNotCanceled(const Block& b) {
  if (b.canceled) {
    throw LedgerError(ErrorCode::kInvalidState,
                      "grant " + std::to_string(b.row.grant_id) +
                          " is canceled");
  }
}

void CheckPending(const Block& b) {
  CheckNotCanceled(b);
  if (!b.pending) {
    throw LedgerError(ErrorCode::kInvalidState,
                      "grant " + std::to_string(b.row.grant_id) +
                          " is not pending",
                      "Only a block created with pending => true and not yet "
                      "confirmed or canceled waits for payment.");
  }
}

}  // namespace

NewBlockPlan PlanNewBlock(const TimedWallet& wallet, Micros now,
                          const BlockSpec& spec, std::int64_t units,
                          std::int64_t grant_id, bool pending) {
  NewBlockPlan p;
  const NewGrant g =
      BlockRow(spec, units, grant_id, BlockEffectiveAt(spec, now));
  GrantRow& row = p.block.row;
  static_cast<GrantTerms&>(row) = g;
  row.expires_at = g.expires_at.value_or(kNever);
  p.block.pending = pending;
  p.block.entered = false;

  WalletWork work(wallet);
  work.edit().blocks.push_back(p.block);
  Block& added = work.edit().blocks.back();
  work.TouchBlock(grant_id);
  if (!pending && row.effective_at <= now) {
    Enter(work, added, spec.opening, row.effective_at, now);
  }
  p.block = work.wallet().blocks.back();
  p.change = std::move(work).Finish();
  p.available_after = AvailableBalance(p.change.wallet, now);
  return p;
}

ConfirmPlan PlanConfirm(const TimedWallet& wallet, Micros now,
                        std::int64_t grant_id) {
  WalletWork work(wallet);
  Block& b = FindOrRaise(work, grant_id);
  CheckPending(b);
  if (b.row.expires_at <= now) {
    throw LedgerError(ErrorCode::kInvalidState,
                      "grant " + std::to_string(grant_id) + " has expired",
                      "Its expires_at passed before payment was confirmed, "
                      "so it could never be spent.",
                      "Cancel it with credit_grant_cancel().");
  }
  ConfirmPlan p;
  p.amount = b.row.amount;
  b.pending = false;
  work.TouchBlock(grant_id);
  if (b.row.effective_at <= now) {
    Enter(work, b, EntryType::kGrant, now, now);
    p.entered = true;
  }
  p.change = std::move(work).Finish();
  p.available_after = AvailableBalance(p.change.wallet, now);
  return p;
}

WalletChange PlanCancel(const TimedWallet& wallet, std::int64_t grant_id) {
  WalletWork work(wallet);
  Block& b = FindOrRaise(work, grant_id);
  CheckPending(b);
  b.pending = false;
  b.canceled = true;
  work.TouchBlock(grant_id);
  return std::move(work).Finish();
}

BlockVoidPlan PlanVoidBlock(const TimedWallet& wallet, Micros now,
                            std::int64_t grant_id) {
  WalletWork work(wallet);
  Block& b = FindOrRaise(work, grant_id);
  CheckNotCanceled(b);
  if (b.pending) {
    throw LedgerError(ErrorCode::kInvalidState,
                      "grant " + std::to_string(grant_id) + " is pending",
                      "A pending block never entered the wallet.",
                      "Cancel it with credit_grant_cancel().");
  }
  BlockVoidPlan p;
  const VoidPlan v = PlanVoid(b.row, AvailableBalance(wallet, now), now);
  p.voided = v.voided;
  b.row = v.grant;
  work.TouchBlock(grant_id);
  // A block that never entered has no entries to take its credit out.
  if (b.entered) {
    for (const EntryDraft& d : v.drafts) work.Append(d);
  }
  p.change = std::move(work).Finish();
  p.available_after = AvailableBalance(p.change.wallet, now);
  return p;
}

}  // namespace credit_ledger
