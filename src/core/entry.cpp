#include "entry.hpp"

#include "canonical.hpp"
#include "error.hpp"

#include <array>
#include <utility>
#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

constexpr std::array<std::pair<EntryType, std::string_view>, 9> kNames = {{
    {EntryType::kGrant, "grant"},
    {EntryType::kUsage, "usage"},
    {EntryType::kAdjustment, "adjustment"},
    {EntryType::kReversal, "reversal"},
    {EntryType::kExpiration, "expiration"},
    {EntryType::kVoid, "void"},
    {EntryType::kRepayment, "repayment"},
    {EntryType::kRollover, "rollover"},
    {EntryType::kAmendment, "amendment"},
}};

}  // namespace

std::string_view EntryTypeName(EntryType type) {
  for (const auto& [t, name] : kNames) {
    if (t == type) return name;
  }
  return "unknown";
}

EntryType ParseEntryType(std::string_view name) {
  for (const auto& [t, n] : kNames) {
    if (n == name) return t;
  }
  throw LedgerError(ErrorCode::kInternal,
                    "unknown entry type \"" + std::string(name) + "\"");
}

Digest ChainHash(const Digest& previous, const EntryRecord& e) {
  Canonical c("credit_ledger.entry.v1");
  c.Bytes(previous)
      .Int(e.wallet_id)
      .Int(e.seq)
      .Text(EntryTypeName(e.type))
      .Int(e.amount)
      .Text(e.value)
      .Int(e.balance_after)
      .Int(e.grant_id)
      .Int(e.operation_id)
      .Bool(e.promotional)
      .Text(e.customer_id)
      .Text(e.credit_type)
      .Text(e.feature)
      .Text(e.source_id)
      .Text(e.reason)
      .Text(e.actor)
      .Text(e.metadata)
      .Int(e.occurred_at)
      .Int(e.created_at);
  return c.Hash();
}

}  // namespace credit_ledger
