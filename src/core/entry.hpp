// A ledger entry as the core sees it, and the hash that chains each entry of a
// wallet to the one before it (tamper evidence).
#pragma once

#include "sha256.hpp"
#include "time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace credit_ledger {

enum class EntryType {
  kGrant,       // a block was added (+)
  kUsage,       // a consume drew credits (-); grant_id NULL means debt
  kAdjustment,  // a manual correction (+ as a block, - drawn down)
  kReversal,    // a consume undone onto the grant it drew from (+)
  kExpiration,  // a block's remaining credits lapsed (-)
  kVoid,        // a block's remaining credits were removed (-)
  kRepayment,   // a new block paid overdraft debt: - on the block, + on debt
  kRollover,    // part of a lapsing block moved on: - on it, + on the new block
  kAmendment,   // a block's expiry or priority changed (amount 0)
};

// The name stored in entries.entry_type.
std::string_view EntryTypeName(EntryType type);

// Parses a stored entry_type; throws XX000 for an unknown name.
EntryType ParseEntryType(std::string_view name);

// Every hashed field of an entry. Amounts are units at the credit type's
// scale; value is the exact decimal text of amount x cost basis.
struct EntryRecord {
  std::int64_t wallet_id = 0;
  std::int64_t seq = 0;
  EntryType type = EntryType::kGrant;
  std::int64_t amount = 0;
  std::optional<std::string> value;
  std::int64_t balance_after = 0;
  std::optional<std::int64_t> grant_id;
  std::int64_t operation_id = 0;
  std::optional<bool> promotional;
  std::string customer_id;
  std::string credit_type;
  std::optional<std::string> feature;
  std::optional<std::string> source_id;
  std::optional<std::string> reason;
  std::optional<std::string> actor;
  std::optional<std::string> metadata;  // jsonb's canonical text
  Micros occurred_at = 0;
  Micros created_at = 0;
};

// SHA-256 over the previous entry's hash (all zeros before the first entry)
// and the canonical encoding of `entry`.
Digest ChainHash(const Digest& previous, const EntryRecord& entry);

// The chain's starting value.
constexpr Digest kGenesisHash{};

}  // namespace credit_ledger
