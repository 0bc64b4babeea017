// libFuzzer target for the 1.2 wallet planners: the catch-up
// (src/core/timeline.hpp), holds, captures, releases and consumes with
// allow_partial (holds.hpp), new, pending, confirmed, canceled and voided
// blocks (entering.hpp).
//
// A random sequence of operations and time advances is applied the way the
// glue applies them: every operation first catches the wallet up to now
// (PlanCatchUp) and stores what it returns, then plans its own change on the
// caught-up wallet and stores that. A refusal must be one of the codes the
// contract names for that call, well-formed, and leaves the wallet as it
// was. After every step the target checks, against its own record of every
// entry ever appended (not against the planners' bookkeeping):
//  - the ledger balance is the sum of the entries, and every happening's
//    balance_after the running sum after its entries (gapless);
//  - each entered block's entries sum to remaining + held, a block not
//    entered has none, 0 <= remaining and remaining + held <= amount;
//  - the debt is minus the entries that name no block;
//  - each block's held is what the active holds reserve from it, and a
//    hold's parts add up to its amount;
//  - caught up at now: available = balance - held, nothing due remains (no
//    unswept lapse, no block past its effective_at outside the ledger, no
//    active hold past its deadline), next_due_at > now, and a catch-up at
//    any instant before next_due_at finds nothing;
//  - entries written by a catch-up are dated in time order, after the
//    previous catch-up's now and no later than this one's;
//  - under a limit, debt + what holds reserve against the allowance never
//    exceeds it;
//  - a capture of up to the held amount of an active hold never fails;
//    allow_partial applies 0 <= applied <= amount and never adds debt.
#include "entering.hpp"
#include "error.hpp"
#include "fuzz_check.hpp"
#include "grant.hpp"
#include "holds.hpp"
#include "timeline.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace credit_ledger::fuzz {
namespace {

constexpr Micros kStart = 1000 * kMicrosPerDay;

class Run {
 public:
  explicit Run(FuzzedDataProvider& in) : in_(in) {
    switch (in_.ConsumeIntegralInRange<int>(0, 2)) {
    case 0:
      w_.policy.limit = 0;
      break;
    case 1:
      w_.policy.limit = in_.ConsumeIntegralInRange<std::int64_t>(1, 300);
      break;
    default:
      w_.policy.limit = std::nullopt;
    }
  }

  void Step() {
    switch (in_.ConsumeIntegralInRange<int>(0, 9)) {
    case 0:
      now_ += in_.ConsumeIntegralInRange<Micros>(0, 60);
      CatchUp();
      break;
    case 1:
      NewBlock();
      break;
    case 2:
      Hold();
      break;
    case 3:
      Capture();
      break;
    case 4:
      Release();
      break;
    case 5:
      Consume();
      break;
    case 6:
      ConfirmOrCancel();
      break;
    case 7:
      Void();
      break;
    case 8:
      Read();
      break;
    default:
      now_ += in_.ConsumeIntegralInRange<Micros>(0, 5);
      break;
    }
    Check();
  }

 private:
  std::int64_t Amount() { return in_.ConsumeIntegralInRange<int>(1, 150); }

  // Some id the wallet has, or one it does not.
  std::int64_t AnyBlockId() {
    if (w_.blocks.empty() || in_.ConsumeIntegralInRange<int>(0, 15) == 0)
      return 999999;
    return w_
        .blocks[in_.ConsumeIntegralInRange<std::size_t>(0,
                                                        w_.blocks.size() - 1)]
        .row.grant_id;
  }
  std::int64_t AnyHoldId() {
    if (w_.holds.empty() || in_.ConsumeIntegralInRange<int>(0, 15) == 0)
      return 999999;
    return w_
        .holds[in_.ConsumeIntegralInRange<std::size_t>(0, w_.holds.size() - 1)]
        .hold_id;
  }

  // Appends a change's entries to the record and takes its wallet.
  void Store(const WalletChange& c) {
    for (const EntryDraft& d : c.drafts) {
      balance_ += d.amount;
      if (d.grant_id) {
        by_block_[*d.grant_id] += d.amount;
      } else {
        debt_entries_ += d.amount;
      }
    }
    CL_FUZZ_CHECK(balance_ == c.wallet.balance);
    w_ = c.wallet;
  }

  // What every operation does first, as the glue does.
  void CatchUp() {
    const bool nothing_due = now_ < next_due_;
    const std::int64_t before = balance_;
    const CatchUpPlan p = PlanCatchUp(w_, now_, next_due_);
    if (nothing_due) CL_FUZZ_CHECK(p.happenings.empty());
    std::int64_t running = before;
    Micros last = caught_up_to_;
    for (const Happening& h : p.happenings) {
      CL_FUZZ_CHECK(h.at <= now_ && h.at >= last);
      last = h.at;
      for (const EntryDraft& d : h.drafts) {
        CL_FUZZ_CHECK(d.occurred_at == h.at);
        running += d.amount;
      }
      CL_FUZZ_CHECK(running == h.balance_after);
    }
    Store(p.change);
    CL_FUZZ_CHECK(p.next_due_at > now_);
    next_due_ = p.next_due_at;
    caught_up_to_ = now_;
    CheckCaughtUp();
  }

  // Runs an operation's planner; a refusal must be one of `allowed`.
  template <typename F>
  void Try(F plan, const std::vector<ErrorCode>& allowed) {
    try {
      plan();
    } catch (const LedgerError& e) {
      CL_FUZZ_CHECK(WellFormed(e));
      CL_FUZZ_CHECK(std::find(allowed.begin(), allowed.end(), e.code()) !=
                    allowed.end());
    }
  }

  void NewBlock() {
    CatchUp();
    BlockSpec spec;
    spec.promotional = in_.ConsumeBool();
    spec.priority = in_.ConsumeIntegralInRange<int>(0, 3);
    if (in_.ConsumeBool())
      spec.effective_at = now_ + in_.ConsumeIntegralInRange<Micros>(-20, 80);
    if (in_.ConsumeBool())
      spec.expires_at = now_ + in_.ConsumeIntegralInRange<Micros>(-5, 150);
    const bool pending = in_.ConsumeIntegralInRange<int>(0, 3) == 0;
    const std::int64_t id = ++last_grant_;
    Try(
        [&] {
          const NewBlockPlan p =
              PlanNewBlock(w_, now_, spec, Amount(), id, pending);
          Store(p.change);
          next_due_ = std::min(next_due_, NextDueAt(w_, now_));
        },
        {ErrorCode::kInvalidParameter});
  }

  void Hold() {
    CatchUp();
    const std::int64_t id = ++last_hold_;
    const Micros timeout = in_.ConsumeIntegralInRange<Micros>(1, 100);
    const std::int64_t amount = Amount();
    Try(
        [&] {
          const HoldPlan p =
              PlanHold(w_, now_, amount, id, HoldExpiresAt(now_, timeout));
          Store(p.change);
          next_due_ = std::min(next_due_, p.hold.expires_at);
          CL_FUZZ_CHECK(p.available_after == w_.balance - HeldAt(w_, now_));
        },
        {ErrorCode::kInsufficientCredits});
  }

  void Capture() {
    CatchUp();
    const std::int64_t id = AnyHoldId();
    std::optional<std::int64_t> amount;
    if (in_.ConsumeBool()) amount = in_.ConsumeIntegralInRange<int>(0, 200);
    const TimedWallet before = w_;
    bool guaranteed = false;
    for (const credit_ledger::Hold& h : w_.holds) {
      if (h.hold_id == id && h.ActiveAt(now_) &&
          (!amount || (*amount > 0 && *amount <= h.amount)))
        guaranteed = true;
    }
    try {
      const CapturePlan p = PlanCapture(w_, now_, id, amount);
      Store(p.change);
      CL_FUZZ_CHECK(p.available_after == w_.balance - HeldAt(w_, now_));
    } catch (const LedgerError& e) {
      CL_FUZZ_CHECK(!guaranteed);
      CL_FUZZ_CHECK(WellFormed(e));
      CL_FUZZ_CHECK(e.code() == ErrorCode::kInsufficientCredits ||
                    e.code() == ErrorCode::kInvalidParameter ||
                    e.code() == ErrorCode::kNotFound ||
                    e.code() == ErrorCode::kInvalidState);
    }
  }

  void Release() {
    CatchUp();
    const std::int64_t id = AnyHoldId();
    Try(
        [&] {
          const ReleasePlan p = PlanRelease(w_, now_, id);
          Store(p.change);
        },
        {ErrorCode::kNotFound, ErrorCode::kInvalidState});
  }

  void Consume() {
    CatchUp();
    const bool partial = in_.ConsumeBool();
    const std::int64_t amount = Amount();
    const std::int64_t debt = w_.debt;
    Try(
        [&] {
          const WalletConsumePlan p =
              PlanWalletConsume(w_, now_, amount, partial);
          Store(p.change);
          CL_FUZZ_CHECK(p.available_after == w_.balance - HeldAt(w_, now_));
          if (partial) {
            CL_FUZZ_CHECK(p.applied >= 0 && p.applied <= amount);
            CL_FUZZ_CHECK(w_.debt <= debt);
          } else {
            CL_FUZZ_CHECK(p.applied == amount);
          }
        },
        partial ? std::vector<ErrorCode>{}
                : std::vector<ErrorCode>{ErrorCode::kInsufficientCredits});
  }

  void ConfirmOrCancel() {
    CatchUp();
    const std::int64_t id = AnyBlockId();
    if (in_.ConsumeBool()) {
      Try(
          [&] {
            const ConfirmPlan p = PlanConfirm(w_, now_, id);
            Store(p.change);
            next_due_ = std::min(next_due_, NextDueAt(w_, now_));
          },
          {ErrorCode::kNotFound, ErrorCode::kInvalidState});
    } else {
      Try([&] { Store(PlanCancel(w_, id)); },
          {ErrorCode::kNotFound, ErrorCode::kInvalidState});
    }
  }

  void Void() {
    CatchUp();
    const std::int64_t id = AnyBlockId();
    Try(
        [&] {
          const BlockVoidPlan p = PlanVoidBlock(w_, now_, id);
          Store(p.change);
        },
        {ErrorCode::kNotFound, ErrorCode::kInvalidState});
  }

  // A read catches up without storing: it sees what a write would.
  void Read() {
    const Micros at = now_ + in_.ConsumeIntegralInRange<Micros>(0, 30);
    const CatchUpPlan p = PlanCatchUp(w_, at, next_due_);
    CL_FUZZ_CHECK(AvailableBalance(p.change.wallet, at) ==
                  p.change.wallet.balance - HeldAt(p.change.wallet, at));
    if (at < next_due_) CL_FUZZ_CHECK(p.happenings.empty());
  }

  void CheckCaughtUp() const {
    CL_FUZZ_CHECK(AvailableBalance(w_, now_) == w_.balance - HeldAt(w_, now_));
    for (const Block& b : w_.blocks) {
      const bool live = !b.pending && !b.canceled && !b.row.voided_at;
      if (live && !b.entered) CL_FUZZ_CHECK(b.row.effective_at > now_);
      if (live && b.entered && b.row.remaining > 0)
        CL_FUZZ_CHECK(b.row.expires_at > now_);
    }
    for (const credit_ledger::Hold& h : w_.holds) {
      if (h.status == HoldStatus::kHeld) CL_FUZZ_CHECK(h.expires_at > now_);
    }
  }

  void Check() const {
    std::int64_t sum = 0;
    for (const auto& [id, amount] : by_block_) sum += amount;
    CL_FUZZ_CHECK(sum + debt_entries_ == balance_);
    CL_FUZZ_CHECK(w_.balance == balance_);
    CL_FUZZ_CHECK(w_.debt >= 0 && w_.debt == -debt_entries_);
    std::map<std::int64_t, std::int64_t> reserved;
    std::int64_t overdraft = 0;
    std::set<std::int64_t> ids;
    for (const credit_ledger::Hold& h : w_.holds) {
      CL_FUZZ_CHECK(ids.insert(h.hold_id).second);
      if (h.status != HoldStatus::kHeld) continue;
      std::int64_t parts = 0;
      for (const Reservation& r : h.reserved) {
        CL_FUZZ_CHECK(r.amount > 0);
        parts += r.amount;
        if (r.grant_id) reserved[*r.grant_id] += r.amount;
      }
      CL_FUZZ_CHECK(parts == h.amount);
      overdraft += h.Overdraft();
    }
    for (const Block& b : w_.blocks) {
      const std::int64_t id = b.row.grant_id;
      const auto found = by_block_.find(id);
      const std::int64_t entries = found == by_block_.end() ? 0 : found->second;
      CL_FUZZ_CHECK(b.row.remaining >= 0);
      CL_FUZZ_CHECK(b.row.remaining + b.held <= b.row.amount);
      CL_FUZZ_CHECK(b.held == reserved[id]);
      if (b.entered) {
        CL_FUZZ_CHECK(entries == b.row.remaining + b.held);
      } else {
        CL_FUZZ_CHECK(entries == 0 && b.held == 0);
      }
    }
    if (w_.policy.limit) CL_FUZZ_CHECK(w_.debt + overdraft <= *w_.policy.limit);
  }

  FuzzedDataProvider& in_;
  TimedWallet w_;
  Micros now_ = kStart;
  Micros next_due_ = kNever;
  Micros caught_up_to_ = kStart;
  std::int64_t balance_ = 0;
  std::int64_t debt_entries_ = 0;
  std::map<std::int64_t, std::int64_t> by_block_;
  std::int64_t last_grant_ = 0;
  std::int64_t last_hold_ = 0;
};

}  // namespace
}  // namespace credit_ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  FuzzedDataProvider in(data, size);
  credit_ledger::fuzz::Run run(in);
  for (int steps = 0; steps < 200 && in.remaining_bytes() > 0; ++steps) {
    run.Step();
  }
  return 0;
}
