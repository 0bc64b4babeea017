// Builders and book checks shared by the 1.2 planner tests (timeline,
// holds, entering).
#pragma once

#include "error.hpp"
#include "timeline.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

namespace credit_ledger::timed {

constexpr Micros kT = 800 * kMicrosPerDay;

// A block in the ledger since `effective_at`.
inline Block Entered(std::int64_t id, std::int64_t amount,
                     Micros effective_at = kT - 100, Micros expires_at = kNever,
                     std::int32_t priority = 50) {
  Block b;
  b.row.grant_id = id;
  b.row.amount = amount;
  b.row.remaining = amount;
  b.row.effective_at = effective_at;
  b.row.expires_at = expires_at;
  b.row.priority = priority;
  return b;
}

// A block waiting for its effective_at (no entry yet).
inline Block Scheduled(std::int64_t id, std::int64_t amount,
                       Micros effective_at, Micros expires_at = kNever) {
  Block b = Entered(id, amount, effective_at, expires_at);
  b.entered = false;
  return b;
}

// A wallet whose ledger balance is what its entered blocks hold minus debt.
inline TimedWallet WalletOf(std::vector<Block> blocks, std::int64_t debt = 0,
                            std::optional<std::int64_t> limit = 0) {
  TimedWallet w;
  w.blocks = std::move(blocks);
  w.debt = debt;
  w.policy.limit = limit;
  for (const Block& b : w.blocks) {
    if (b.entered) w.balance += b.row.remaining + b.held;
  }
  w.balance -= debt;
  return w;
}

// The code of the LedgerError `f` throws (a test failure if none).
inline ErrorCode CodeOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const LedgerError& e) {
    return e.code();
  }
  ADD_FAILURE() << "no error";
  return ErrorCode::kInternal;
}

inline const Block& BlockOf(const TimedWallet& w, std::int64_t id) {
  for (const Block& b : w.blocks) {
    if (b.row.grant_id == id) return b;
  }
  ADD_FAILURE() << "no block " << id;
  return w.blocks.front();
}

inline const Hold& HoldOf(const TimedWallet& w, std::int64_t id) {
  for (const Hold& h : w.holds) {
    if (h.hold_id == id) return h;
  }
  ADD_FAILURE() << "no hold " << id;
  return w.holds.front();
}

// The books of a change: the drafts move the balance from `before` to the
// wallet's; the ledger balance is what entered blocks hold (free or
// reserved) minus debt; each block's held is what active holds reserve
// from it; 0 <= remaining <= amount.
inline void ExpectBooks(const TimedWallet& before, const WalletChange& c) {
  std::int64_t sum = before.balance;
  for (const EntryDraft& d : c.drafts) sum += d.amount;
  EXPECT_EQ(sum, c.wallet.balance);
  std::int64_t held_in_blocks = 0;
  std::map<std::int64_t, std::int64_t> reserved;
  for (const Hold& h : c.wallet.holds) {
    if (h.status != HoldStatus::kHeld) continue;
    std::int64_t parts = 0;
    for (const Reservation& r : h.reserved) {
      parts += r.amount;
      if (r.grant_id) reserved[*r.grant_id] += r.amount;
    }
    EXPECT_EQ(parts, h.amount);
  }
  for (const Block& b : c.wallet.blocks) {
    EXPECT_GE(b.row.remaining, 0);
    EXPECT_LE(b.row.remaining + b.held, b.row.amount);
    EXPECT_EQ(b.held, reserved[b.row.grant_id]) << "block " << b.row.grant_id;
    if (b.entered) held_in_blocks += b.row.remaining + b.held;
  }
  EXPECT_EQ(c.wallet.balance, held_in_blocks - c.wallet.debt);
}

}  // namespace credit_ledger::timed
