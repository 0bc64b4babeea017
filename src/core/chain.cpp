#include "chain.hpp"

#include "amount.hpp"
#include "error.hpp"

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

// The stored form of a draft at seq `seq`, before its hash.
EntryRecord Record(const EntryLabels& labels, const EntryDraft& d,
                   const std::optional<std::string>& value, std::int64_t seq,
                   std::int64_t balance_after) {
  EntryRecord e;
  e.wallet_id = labels.wallet_id;
  e.seq = seq;
  e.type = d.type;
  e.amount = d.amount;
  e.value = value;
  e.balance_after = balance_after;
  e.grant_id = d.grant_id;
  e.operation_id = labels.operation_id;
  e.promotional = d.promotional;
  e.customer_id = labels.customer_id;
  e.credit_type = labels.credit_type;
  e.feature = labels.feature;
  e.source_id = labels.source_id;
  e.reason = labels.reason;
  e.actor = labels.actor;
  e.metadata = labels.metadata;
  e.occurred_at = d.occurred_at.value_or(labels.occurred_at);
  e.created_at = labels.now;
  return e;
}

}  // namespace

NumberedEntries
NumberEntries(const WalletChain& before, const EntryLabels& labels,
              const std::vector<EntryDraft>& drafts,
              const std::vector<std::optional<std::string>>& values) {
  if (values.size() != drafts.size()) {
    throw LedgerError(ErrorCode::kInternal,
                      "entry values do not match the entry drafts");
  }
  NumberedEntries out;
  out.after = before;
  out.entries.reserve(drafts.size());
  for (std::size_t i = 0; i < drafts.size(); ++i) {
    const EntryDraft& d = drafts[i];
    WalletChain& w = out.after;
    NumberedEntry& n = out.entries.emplace_back();
    n.record = Record(labels, d, values[i], w.last_seq + 1,
                      AddUnits(w.balance, d.amount));
    n.hash = ChainHash(w.last_hash, n.record);
    w.last_seq = n.record.seq;
    w.balance = n.record.balance_after;
    w.last_hash = n.hash;
    if (!d.grant_id) w.debt = SubUnits(w.debt, d.amount, "debt");
  }
  return out;
}

}  // namespace credit_ledger
