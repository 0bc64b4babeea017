#include "usage.hpp"

#include "amount.hpp"
#include "fingerprint.hpp"

namespace credit_ledger::pg {

void ValidateUsage(const ConsumeRequest& r, Micros now) {
  CheckUsageRequest(r.customer_id, nullptr, r.idempotency_key, r.labels, now);
  CheckQuantity(*r.quantity);
}

OperationRequest UsageOperation(const ConsumeRequest& r) {
  return WithKeyDigest(OperationRequest{
      "consume", r.customer_id, r.idempotency_key,
      UsageFingerprint({*r.labels.feature, *r.quantity,
                        ViewOf(r.labels.source_id), r.labels.occurred_at,
                        ViewOf(r.labels.metadata.text), r.allow_partial})});
}

void PriceRequest(ConsumeRequest& r, const PriceRow& price, int scale) {
  PricedUsage priced = PriceUsage(price, *r.quantity, scale);
  r.credit_type = price.credit_type;
  r.amount = FormatAmount(priced.units, scale);
  r.labels.priced = std::move(priced);
}

bool PriceBook::MayHaveOwn(const std::string& feature) {
  if (!probe_own_) return true;
  auto has_own = has_own_.find(feature);
  if (has_own == has_own_.end()) {
    has_own =
        has_own_.emplace(feature, ledger_.HasCustomerPrices(feature)).first;
  }
  return has_own->second;
}

PriceRow PriceBook::Choose(const std::string& customer_id,
                           const std::string& feature, Micros at) {
  std::vector<PriceRow> candidates;
  if (MayHaveOwn(feature)) {
    auto own = own_.find({feature, customer_id, at});
    if (own == own_.end()) {
      own = own_.emplace(std::make_tuple(feature, customer_id, at),
                         ledger_.LatestPrice(feature, &customer_id, at))
                .first;
    }
    if (own->second) candidates.push_back(*own->second);
  }
  auto general = general_.find({feature, at});
  if (general == general_.end()) {
    general = general_
                  .emplace(std::make_pair(feature, at),
                           ledger_.LatestPrice(feature, nullptr, at))
                  .first;
  }
  if (general->second) candidates.push_back(*general->second);
  return ChoosePrice(candidates, customer_id, feature, at);
}

}  // namespace credit_ledger::pg
