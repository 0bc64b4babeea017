// Priced usage (1.2): credit_report_usage and credit_report_usage_batch
// check a report, find the price in force (ChoosePrice), turn the quantity
// into credits (PriceUsage) and then consume exactly as credit_consume and
// credit_consume_batch do - the same DrawDown and batch path, with the price
// on the usage entries.
#pragma once

#include "ledger.hpp"
#include "operations.hpp"
#include "pricing.hpp"

#include <map>
#include <optional>
#include <string>
#include <tuple>

namespace credit_ledger::pg {

// The checks before any price is read, in credit_consume's order, then the
// quantity (CheckQuantity). `r.quantity` and `r.labels.feature` are set.
void ValidateUsage(const ConsumeRequest& r, Micros now);

// The idempotency request: a consume operation with the usage fingerprint
// (feature, quantity, source, occurred_at, metadata, allow_partial).
OperationRequest UsageOperation(const ConsumeRequest& r);

// Prices a checked report: sets its credit type, amount (the credits at
// the type's scale, maybe 0) and the price its usage entries record.
void PriceRequest(ConsumeRequest& r, const PriceRow& price, int scale);

// The instant a report is priced at: its occurred_at, else now.
inline Micros PricedAt(const ConsumeRequest& r, Micros now) {
  return r.labels.occurred_at.value_or(now);
}

// The prices one call reads, each looked up once: a feature's general price
// per instant and a customer's own. With `probe_own` (a batch, where many
// reports share a feature) a customer's own price is looked up only if the
// feature has any (one lookup per feature).
class PriceBook {
 public:
  PriceBook(Ledger& ledger, bool probe_own)
      : ledger_(ledger), probe_own_(probe_own) {}

  // The price in force for the report at `at` (LG007 without one).
  PriceRow Choose(const std::string& customer_id, const std::string& feature,
                  Micros at);

 private:
  // Whether the feature may have a customer's own price.
  bool MayHaveOwn(const std::string& feature);

  Ledger& ledger_;
  bool probe_own_;
  std::map<std::string, bool> has_own_;
  std::map<std::pair<std::string, Micros>, std::optional<PriceRow>> general_;
  std::map<std::tuple<std::string, std::string, Micros>,
           std::optional<PriceRow>>
      own_;
};

}  // namespace credit_ledger::pg
