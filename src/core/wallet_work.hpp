// The working copy of a TimedWallet that the 1.2 planners (timeline,
// holds, entering) change step by step: it keeps the running ledger
// balance, the entries written so far and which rows changed, so each
// planner only says what happens and WalletWork keeps the books. Internal to
// the core; the glue sees only the WalletChange it returns.
#pragma once

#include "drafts.hpp"
#include "plan.hpp"
#include "timeline.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace credit_ledger {

class WalletWork {
 public:
  explicit WalletWork(const TimedWallet& wallet) : w_(wallet) {}

  const TimedWallet& wallet() const { return w_; }
  const std::vector<EntryDraft>& drafts() const { return drafts_; }
  // For changes WalletWork has no method for (the caller touches the rows).
  TimedWallet& edit() { return w_; }

  // The block or hold with this id: nullptr when the wallet has none.
  Block* FindBlock(std::int64_t grant_id);
  Hold* FindHold(std::int64_t hold_id);
  // The same, XX000 when absent (the glue did not read a row it had to).
  Block& GetBlock(std::int64_t grant_id);

  // Appends an entry, moving the running ledger balance.
  void Append(EntryDraft draft);
  void TouchBlock(std::int64_t grant_id);
  void TouchHold(std::int64_t hold_id);

  // Credits a hold gave up go back to their blocks: onto remaining for a
  // live block, out again at once (expiration or void entry) for one that
  // lapsed or was voided meanwhile; overdraft parts just end. Returns true
  // when credit went back to a live block (debt may then be repaid).
  bool ReturnReserved(const std::vector<Reservation>& parts, Micros at,
                      std::optional<Micros> occurred_at);

  // Repays debt from what is spendable at `at` (drawdown order), as credit
  // taking effect does.
  void RepayDebt(Micros at, std::optional<Micros> occurred_at);

  // Draws `amount` like a consume at `now` (debt repaid first), writing its
  // entries of `type`. With `check` the overdraft policy judges what no
  // block covers, counting what holds reserve against the allowance (LG001);
  // without, the debt may grow (a capture of an overdraft reservation, which
  // the policy admitted when the hold was made).
  ConsumePlan Consume(std::int64_t amount, Micros now, bool check,
                      EntryType type);

  // The entered blocks as the drawdown planner sees them, with their index
  // into wallet().blocks.
  std::vector<OpenGrant> Open(std::vector<std::size_t>& index) const;

  // The policy a new debt is judged by: the limit minus what active holds
  // reserve against it.
  OverdraftPolicy PolicyWithHolds(Micros now) const;

  WalletChange Finish() &&;

 private:
  TimedWallet w_;
  std::vector<EntryDraft> drafts_;
  std::vector<std::int64_t> changed_blocks_;
  std::vector<std::int64_t> changed_holds_;
};

// A block's entry (grant, usage, ...) of `amount`, with its terms.
EntryDraft BlockEntry(const GrantRow& row, EntryType type, std::int64_t amount);

}  // namespace credit_ledger
