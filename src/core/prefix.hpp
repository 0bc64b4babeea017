// A draw-down planned from the first of a wallet's blocks instead of all of
// them, so that a consume costs what it draws, not what the wallet holds.
//
// The glue reads the wallet's open blocks in the index order of
// grants_drawdown_idx - DrawsBefore, the expiry-first order - and hands
// each to Take; Take says when the blocks taken decide the draw-down, and
// the glue stops reading. Plan then returns exactly what PlanWalletDrawDown
// returns on all of the wallet's blocks (fuzz/drawdown_fuzz.cpp checks it).
//
// Why a prefix is enough. Every block not read yet comes after the last one
// taken in the index order. The blocks taken that precede every such block
// under the wallet's policy are "settled": they are the first blocks of the
// wallet in its drawdown order. Under expiry_first that is every block
// taken; under promotional_first, those of a lower priority than the last
// taken, and the promotional ones of its priority (a promotional block not
// read yet at that priority expires later, a paid one sorts after every
// promotional one). Once the settled blocks' spendable credits cover the
// debt the draw-down repays first and what it draws, no plan reaches past
// them: the draws, repayments and depleted blocks are those of all blocks.
// What the plan says of the balance - spendable before and after, and what
// an allow_partial consume applies - comes from the ledger balance instead,
// which the glue passes when it holds only spendable credit (a 1.2 wallet
// caught up to now): without it every block is read, in any order.
#pragma once

#include "drafts.hpp"
#include "entry.hpp"
#include "plan.hpp"
#include "time.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace credit_ledger {

class PrefixDrawDown {
 public:
  // The arguments of PlanWalletDrawDown (`wallet`: its state without the
  // blocks), and `available`: the wallet's available balance as its ledger
  // tells it (the ledger balance less what active holds reserve), or
  // nullopt when the ledger balance holds credit that cannot be spent now.
  PrefixDrawDown(WalletState wallet, Micros now, std::int64_t units,
                 EntryType type, bool allow_partial,
                 std::int64_t reserved_overdraft,
                 std::optional<std::int64_t> available);

  // Takes the wallet's next block: in the index order (DrawsBefore; an
  // internal error otherwise) when `available` was given, in any order
  // without it. Returns whether the glue must read on: false once the
  // blocks taken decide the draw-down (a block offered after that, e.g.
  // to a draw-down of 0 credits, is not taken).
  bool Take(OpenGrant block);

  // Whether the blocks taken decide the draw-down without the rest.
  bool Decided() const { return decided_; }

  // The blocks taken, in the order taken: the plan's `grants`.
  const std::vector<OpenGrant>& grants() const { return grants_; }

  // What PlanWalletDrawDown plans on all of the wallet's blocks; call it
  // once the glue stopped (Take returned false) or read every block.
  DrawDownPlan Plan() const;

 private:
  WalletState wallet_;
  Micros now_;
  std::int64_t units_;
  EntryType type_;
  bool allow_partial_;
  std::int64_t reserved_overdraft_;
  std::optional<std::int64_t> available_;
  std::int64_t needed_ = 0;   // the debt, then what is drawn
  std::int64_t settled_ = 0;  // spendable credits of settled blocks (capped)
  std::int64_t pending_ = 0;  // of blocks taken but not settled yet (capped)
  bool decided_ = false;
  std::vector<OpenGrant> grants_;
};

}  // namespace credit_ledger
