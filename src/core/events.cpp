#include "events.hpp"

#include "amount.hpp"
#include "json.hpp"

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

// The fields every payload starts with.
JsonObject Base(const EventSubject& s) {
  JsonObject o;
  o.String("customer_id", s.customer_id)
      .String("credit_type", s.credit_type)
      .Integer("wallet_id", s.wallet_id)
      .Integer("operation_id", s.operation_id);
  return o;
}

std::string Units(const EventSubject& s, std::int64_t units) {
  return FormatAmount(units, s.scale);
}

}  // namespace

JsonObject EventFields(const EventSubject& subject) {
  return Base(subject);
}

PendingEvent GrantedEvent(const EventSubject& s, const NewGrant& g,
                          std::int64_t balance) {
  JsonObject o = Base(s);
  o.Integer("grant_id", g.grant_id)
      .String("kind", g.kind)
      .String("amount", Units(s, g.amount))
      .Bool("promotional", g.promotional)
      .Integer("priority", std::int64_t{g.priority})
      .String("cost_basis", g.cost_basis);
  if (s.currency) o.String("currency", *s.currency);
  o.String("effective_at", FormatTimestampUtc(g.effective_at));
  if (g.expires_at) {
    o.String("expires_at", FormatTimestampUtc(*g.expires_at));
  } else {
    o.Null("expires_at");
  }
  o.String("reason", g.reason)
      .String("source_id", g.source_id)
      .String("balance", Units(s, balance));
  return {"credits.granted", o.str()};
}

PendingEvent GrantDepletedEvent(const EventSubject& s, std::int64_t grant_id,
                                std::int64_t balance) {
  JsonObject o = Base(s);
  o.Integer("grant_id", grant_id).String("balance", Units(s, balance));
  return {"credits.grant.depleted", o.str()};
}

PendingEvent ExpiredEvent(const EventSubject& s, const ExpiryPlan& plan,
                          const std::optional<std::string>& value,
                          std::int64_t balance) {
  JsonObject o = Base(s);
  o.Integer("grant_id", plan.grant.grant_id)
      .String("amount", Units(s, plan.expired))
      .String("value", value);
  if (s.currency) o.String("currency", *s.currency);
  o.Bool("promotional", plan.grant.promotional)
      .String("expires_at", FormatTimestampUtc(plan.grant.expires_at))
      .String("balance", Units(s, balance));
  return {"credits.expired", o.str()};
}

PendingEvent VoidedEvent(const EventSubject& s, const VoidPlan& plan,
                         const std::optional<std::string>& reason) {
  JsonObject o = Base(s);
  o.Integer("grant_id", plan.grant.grant_id)
      .String("amount", Units(s, plan.voided))
      .String("reason", reason)
      .String("balance", Units(s, plan.spendable_after));
  return {"credits.voided", o.str()};
}

PendingEvent UsageLowEvent(const EventSubject& s, std::int64_t threshold,
                           std::int64_t balance) {
  JsonObject o = Base(s);
  o.String("threshold", Units(s, threshold))
      .String("balance", Units(s, balance));
  return {"credits.balance.usage_low", o.str()};
}

PendingEvent BalanceDepletedEvent(const EventSubject& s, std::int64_t balance) {
  JsonObject o = Base(s);
  o.String("balance", Units(s, balance));
  return {"credits.balance.depleted", o.str()};
}

void AddDepletedGrants(std::vector<PendingEvent>& events,
                       const EventSubject& subject,
                       const std::vector<GrantState>& grants,
                       const std::vector<std::size_t>& emptied,
                       std::int64_t balance) {
  for (std::size_t i : emptied) {
    events.push_back(GrantDepletedEvent(subject, grants[i].grant_id, balance));
  }
}

AlertEvents BalanceAlertEvents(const EventSubject& subject,
                               const std::vector<std::int64_t>& thresholds,
                               const AlertState& state,
                               std::int64_t spendable_after) {
  const AlertOutcome alerts =
      EvaluateAlerts(thresholds, state, spendable_after);
  AlertEvents out;
  for (std::int64_t t : alerts.usage_low) {
    out.events.push_back(UsageLowEvent(subject, t, spendable_after));
  }
  if (alerts.depleted) {
    out.events.push_back(BalanceDepletedEvent(subject, spendable_after));
  }
  out.next = alerts.next;
  return out;
}

}  // namespace credit_ledger
