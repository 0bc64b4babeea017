#include "topup.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "required.hpp"
#include "json.hpp"
#include "validate.hpp"

#include <string>

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
TopupConfig CheckTopupConfig(const TopupArgs& args, int scale) {
  TopupConfig c;
  const std::string& threshold = Required(args.threshold, "threshold");
  c.threshold = ParseAmount(threshold, scale, "threshold");
  if (c.threshold < 0) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "threshold must not be negative",
                      "The threshold given was " + threshold + ".");
  }
  const std::string& amount = Required(args.amount, "amount");
  c.amount = ParseAmount(amount, scale);
  if (c.amount <= 0) CheckPositiveAmount(amount);
  CheckCostBasis(args.cost_basis);
  c.cost_basis = args.cost_basis;
  c.max_per_day = Required(args.max_per_day, "max_per_day");
  if (c.max_per_day < 1) {
    throw LedgerError(
        ErrorCode::kInvalidParameter, "max_per_day must be at least 1",
        "The value given was " + std::to_string(c.max_per_day) + ".",
        "Switch automatic top-up off with enabled => false.");
  }
  c.enabled = Required(args.enabled, "enabled");
  return c;
}

std::int64_t UtcDay(Micros t) {
  return t / kMicrosPerDay - (t % kMicrosPerDay < 0 ? 1 : 0);
}

std::optional<TopupRequest> DecideTopup(const TopupConfig& config,
                                        const TopupInput& input,
                                        std::int64_t grant_id) {
  if (!config.enabled || input.replayed || input.pending ||
      input.available_after >= config.threshold) {
    return std::nullopt;
  }
  const std::int64_t today = UtcDay(input.now);
  const std::int32_t used =
      input.counter.day == today ? input.counter.count : 0;
  if (used >= config.max_per_day) return std::nullopt;
  TopupRequest r;
  r.grant.grant_id = grant_id;
  r.grant.amount = config.amount;
  r.grant.remaining = config.amount;
  r.grant.cost_basis = config.cost_basis;
  r.grant.effective_at = input.now;
  r.grant.kind = "topup";
  r.counter = TopupCounter{today, used + 1};
  return r;
}

PendingEvent TopupRequestedEvent(const EventSubject& subject,
                                 const TopupRequest& request,
                                 std::int64_t balance) {
  JsonObject o = EventFields(subject);
  o.Integer("grant_id", request.grant.grant_id)
      .String("amount", FormatAmount(request.grant.amount, subject.scale))
      .String("cost_basis", request.grant.cost_basis)
      .String("balance", FormatAmount(balance, subject.scale));
  return {"credits.auto_topup.requested", o.str()};
}

}  // namespace credit_ledger
