#include "fingerprint.hpp"

#include "amount.hpp"
#include "canonical.hpp"
#include "error.hpp"
#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

Canonical& Add(Canonical& c, const OptText& text) {
  return text ? c.Text(*text) : c.Null();
}

}  // namespace

Digest ConsumeFingerprint(const ConsumeFingerprintInput& r) {
  Canonical c("consume");
  c.Text(r.credit_type).Text(NormalizeDecimal(r.amount));
  Add(c, r.feature);
  Add(c, r.source_id);
  c.Int(r.occurred_at);
  Add(c, r.metadata);
  if (r.allow_partial) c.Bool(true);
  return c.Hash();
}

Digest UsageFingerprint(const UsageFingerprintInput& r) {
  Canonical c("usage");
  c.Text(r.feature).Text(NormalizeDecimal(r.quantity, "quantity"));
  Add(c, r.source_id);
  c.Int(r.occurred_at);
  Add(c, r.metadata);
  return c.Bool(r.allow_partial).Hash();
}

Digest HoldFingerprint(const HoldFingerprintInput& r) {
  Canonical c("hold");
  c.Text(r.credit_type).Text(NormalizeDecimal(r.amount)).Int(r.timeout);
  Add(c, r.feature);
  Add(c, r.source_id);
  return Add(c, r.metadata).Hash();
}

Digest CaptureFingerprint(const CaptureFingerprintInput& r) {
  Canonical c("capture");
  c.Int(r.hold_id);
  if (r.amount) {
    c.Text(NormalizeDecimal(*r.amount));
  } else {
    c.Null();
  }
  Add(c, r.feature);
  Add(c, r.source_id);
  c.Int(r.occurred_at);
  return Add(c, r.metadata).Hash();
}

Digest GrantFingerprint(const GrantFingerprintInput& r) {
  Canonical c("grant");
  c.Text(r.credit_type)
      .Text(NormalizeDecimal(r.amount))
      .Bool(r.promotional)
      .Int(std::int64_t{r.priority});
  if (r.cost_basis) {
    c.Text(NormalizeDecimal(*r.cost_basis, "cost_basis"));
  } else {
    c.Null();
  }
  c.Int(r.effective_at).Int(r.expires_at);
  Add(c, r.reason);
  Add(c, r.source_id);
  Add(c, r.metadata);
  if (r.pending) c.Bool(true);
  if (r.value) c.Text("value").Text(NormalizeDecimal(*r.value, "value"));
  return c.Hash();
}

Digest AdjustFingerprint(const AdjustFingerprintInput& r) {
  return Canonical("adjust")
      .Text(r.credit_type)
      .Text(NormalizeDecimal(r.amount))
      .Text(r.reason)
      .Hash();
}

Digest RecurringFingerprint(const RecurringFingerprintInput& r) {
  Canonical c("recurring");
  c.Text(r.credit_type).Text(NormalizeDecimal(r.amount));
  c.Int(r.every.months).Int(r.every.days).Int(r.every.micros);
  c.Int(r.starts_at).Int(r.ends_at);
  if (r.expire_after) {
    c.Int(r.expire_after->months)
        .Int(r.expire_after->days)
        .Int(r.expire_after->micros);
  } else {
    c.Null();
  }
  c.Text(NormalizeDecimal(r.rollover_max)).Bool(r.promotional).Int(r.priority);
  Add(c, r.cost_basis);
  c.Text(r.time_zone);
  Add(c, r.reason);
  return Add(c, r.source_id).Hash();
}

Digest AmendFingerprint(const AmendFingerprintInput& r) {
  Canonical c("amend");
  c.Int(r.grant_id).Int(r.expires_at);
  if (r.priority) {
    c.Int(std::int64_t{*r.priority});
  } else {
    c.Null();
  }
  Add(c, r.reason);
  return c.Hash();
}

Digest ConfirmFingerprint(std::int64_t grant_id) {
  return Canonical("confirm").Int(grant_id).Hash();
}

Digest ReverseFingerprint(const ReverseFingerprintInput& r) {
  Canonical c("reverse");
  c.Int(r.operation_id);
  if (r.amount) {
    c.Text(NormalizeDecimal(*r.amount));
  } else {
    c.Null();
  }
  return Add(c, r.reason).Hash();
}

void CheckSameRequest(const std::string& stored_type,
                      const std::optional<Digest>& stored_hash,
                      std::int64_t stored_id, const std::string& type,
                      const Digest& request_hash,
                      const std::string& customer_id) {
  if (stored_type == type && stored_hash == request_hash) return;
  throw LedgerError(
      ErrorCode::kIdempotencyMismatch,
      "idempotency key was already used with different parameters",
      "The key was first used by " + stored_type + " operation " +
          std::to_string(stored_id) + " of customer \"" + customer_id + "\".",
      "Use a new key for a new request; retry a request with exactly the "
      "parameters it was first sent with.");
}

}  // namespace credit_ledger
