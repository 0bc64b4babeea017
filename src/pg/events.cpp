#include "events.hpp"

#include "amount.hpp"
#include "json.hpp"

namespace credit_ledger::pg {
namespace {

// The fields every payload starts with.
JsonObject Base(const Wallet& wallet, std::int64_t operation_id) {
  JsonObject o;
  o.String("customer_id", wallet.customer_id)
      .String("credit_type", wallet.credit_type)
      .Integer("wallet_id", wallet.wallet_id)
      .Integer("operation_id", operation_id);
  return o;
}

std::string Units(const Wallet& wallet, std::int64_t units) {
  return FormatAmount(units, wallet.scale);
}

}  // namespace

PendingEvent GrantedEvent(const Wallet& wallet, std::int64_t operation_id,
                          const NewGrant& g, std::int64_t balance) {
  JsonObject o = Base(wallet, operation_id);
  o.Integer("grant_id", g.grant_id)
      .String("kind", g.kind)
      .String("amount", Units(wallet, g.amount))
      .Bool("promotional", g.promotional)
      .Integer("priority", std::int64_t{g.priority})
      .String("cost_basis", g.cost_basis)
      .String("effective_at", FormatTimestampUtc(g.effective_at));
  if (g.expires_at) {
    o.String("expires_at", FormatTimestampUtc(*g.expires_at));
  } else {
    o.Null("expires_at");
  }
  o.String("reason", g.reason)
      .String("source_id", g.source_id)
      .String("balance", Units(wallet, balance));
  return {"credits.granted", o.str()};
}

PendingEvent GrantDepletedEvent(const Wallet& wallet, std::int64_t operation_id,
                                std::int64_t grant_id, std::int64_t balance) {
  JsonObject o = Base(wallet, operation_id);
  o.Integer("grant_id", grant_id).String("balance", Units(wallet, balance));
  return {"credits.grant.depleted", o.str()};
}

PendingEvent ExpiredEvent(const Wallet& wallet, std::int64_t operation_id,
                          std::int64_t grant_id, std::int64_t amount,
                          const std::optional<std::string>& value,
                          bool promotional, Micros expires_at,
                          std::int64_t balance) {
  JsonObject o = Base(wallet, operation_id);
  o.Integer("grant_id", grant_id)
      .String("amount", Units(wallet, amount))
      .String("value", value)
      .Bool("promotional", promotional)
      .String("expires_at", FormatTimestampUtc(expires_at))
      .String("balance", Units(wallet, balance));
  return {"credits.expired", o.str()};
}

PendingEvent VoidedEvent(const Wallet& wallet, std::int64_t operation_id,
                         std::int64_t grant_id, std::int64_t amount,
                         const std::optional<std::string>& reason,
                         std::int64_t balance) {
  JsonObject o = Base(wallet, operation_id);
  o.Integer("grant_id", grant_id)
      .String("amount", Units(wallet, amount))
      .String("reason", reason)
      .String("balance", Units(wallet, balance));
  return {"credits.voided", o.str()};
}

PendingEvent UsageLowEvent(const Wallet& wallet, std::int64_t operation_id,
                           std::int64_t threshold, std::int64_t balance) {
  JsonObject o = Base(wallet, operation_id);
  o.String("threshold", Units(wallet, threshold))
      .String("balance", Units(wallet, balance));
  return {"credits.balance.usage_low", o.str()};
}

PendingEvent BalanceDepletedEvent(const Wallet& wallet,
                                  std::int64_t operation_id,
                                  std::int64_t balance) {
  JsonObject o = Base(wallet, operation_id);
  o.String("balance", Units(wallet, balance));
  return {"credits.balance.depleted", o.str()};
}

}  // namespace credit_ledger::pg
