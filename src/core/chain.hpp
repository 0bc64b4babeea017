// Numbering an operation's entries into its wallet's chain: each entry's
// seq, balance_after and hash follow from where the wallet's ledger stood
// and the entries before it, and the wallet's debt moves with every entry
// that draws on or repays it. The glue reads the wallet, calls
// NumberEntries and writes the entries and the wallet state it returns.
#pragma once

#include "drafts.hpp"
#include "entry.hpp"
#include "sha256.hpp"
#include "time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace credit_ledger {

// Where a wallet's ledger stands: what its next entry continues from.
struct WalletChain {
  std::int64_t last_seq = 0;  // the last entry's seq (0: none yet)
  std::int64_t balance = 0;   // the sum of all entries
  std::int64_t debt = 0;      // overdraft debt, >= 0
  Digest last_hash = kGenesisHash;
};

// What every entry of one operation shares: the wallet it belongs to and
// the operation's labels.
struct EntryLabels {
  std::int64_t wallet_id = 0;
  std::string customer_id;
  std::string credit_type;
  std::int64_t operation_id = 0;
  Micros now = 0;          // created_at
  Micros occurred_at = 0;  // unless a draft overrides it
  std::optional<std::string> feature;
  std::optional<std::string> source_id;
  std::optional<std::string> reason;
  std::optional<std::string> actor;
  std::optional<std::string> metadata;  // jsonb's canonical text
};

// An entry as it is stored, with its hash.
struct NumberedEntry {
  EntryRecord record;
  Digest hash{};
};

struct NumberedEntries {
  std::vector<NumberedEntry> entries;  // in the drafts' order
  WalletChain after;                   // the wallet once they are appended
};

// Numbers `drafts` after `before`. values[i] is draft i's value (its amount
// x cost basis as exact decimal text, computed by the caller), nullopt for a
// draft without a cost basis. A draft without a grant moves debt (usage on
// debt raises it, a repayment lowers it). Throws 22003 if the balance or
// debt leaves the amount range, XX000 if values does not match drafts.
NumberedEntries
NumberEntries(const WalletChain& before, const EntryLabels& labels,
              const std::vector<EntryDraft>& drafts,
              const std::vector<std::optional<std::string>>& values);

}  // namespace credit_ledger
