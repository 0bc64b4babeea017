// 1.2: the wallet as the timeline planners see it (blocks entered or not,
// active holds, and for a catch-up its schedules) and the rows their changes
// touch. Every hold, capture and release comes here, so the blocks and holds
// go through the table layer (ledger_grants.cpp, ledger_holds.cpp); only the
// schedules, which a catch-up alone needs, are read on SPI.
#include "error.hpp"
#include "ledger.hpp"
#include "settings.hpp"

#include <set>

namespace credit_ledger::pg {

TimedWallet Ledger::ReadTimedWallet(const Wallet& wallet,
                                    std::map<std::int64_t, BlockLabels>* labels,
                                    bool schedules) {
  TimedWallet tw;
  tw.balance = wallet.balance;
  tw.debt = wallet.debt;
  tw.policy = wallet.policy;
  tw.scale = wallet.scale;
  tw.order = wallet.order;
  tw.blocks = ReadOpenBlocks(wallet, labels);
  std::set<std::int64_t> have;
  for (const Block& b : tw.blocks) have.insert(b.row.grant_id);
  tw.holds = ReadActiveHolds(wallet);
  if (schedules) tw.schedules = ReadSchedules(wallet);
  // Blocks a hold reserves from that are no longer open (voided, expired).
  for (const Hold& h : tw.holds) {
    for (const Reservation& part : h.reserved) {
      if (!part.grant_id || have.count(*part.grant_id) != 0) continue;
      if (auto b = ReadBlock(wallet, *part.grant_id)) {
        have.insert(*part.grant_id);
        tw.blocks.push_back(std::move(*b));
      }
    }
  }
  return tw;
}

void Ledger::SaveBlocks(const Wallet& wallet, const WalletChange& change,
                        std::optional<std::int64_t> inserted_hold) {
  if (change.changed_blocks.empty() && change.changed_holds.empty()) return;
  const Micros now = LedgerNow();
  for (const std::int64_t id : change.changed_blocks) {
    const Block* b = nullptr;
    for (const Block& x : change.wallet.blocks) {
      if (x.row.grant_id == id) b = &x;
    }
    if (b == nullptr) {
      throw LedgerError(ErrorCode::kInternal,
                        "a changed block is not in the planned wallet");
    }
    SaveBlock(wallet, *b, now);
  }
  for (const std::int64_t id : change.changed_holds) {
    if (id == inserted_hold) continue;
    const Hold* h = nullptr;
    for (const Hold& x : change.wallet.holds) {
      if (x.hold_id == id) h = &x;
    }
    if (h == nullptr) {
      throw LedgerError(ErrorCode::kInternal,
                        "a changed hold is not in the planned wallet");
    }
    SaveHold(wallet, *h);
  }
}

}  // namespace credit_ledger::pg
