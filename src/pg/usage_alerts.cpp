// 1.2, block usage alerts (issue 14): after a plan draws from blocks, the
// wallet's grant_usage_thresholds are judged on each block drawn (the core's
// DecideGrantUsage) and credits.grant.usage_low fires once per block and
// threshold. A block's use is read from its row, as grant_status shows it:
// amount - remaining - held - expired - voided. Nothing is read when the
// wallet has no thresholds, so the hot path pays nothing for them.
#include "grant_usage.hpp"
#include "operations.hpp"
#include "spi.hpp"

#include <set>

namespace credit_ledger::pg {
namespace {

Statement read_usage(
    "SELECT amount, amount - remaining - held - expired_amount - voided_amount,"
    "       usage_alerted"
    "  FROM credit_ledger.grants"
    " WHERE grant_id = $1 AND customer_id = $2",
    {INT8OID, TEXTOID});

Statement save_alerted("UPDATE credit_ledger.grants SET usage_alerted = $3"
                       " WHERE grant_id = $1 AND customer_id = $2",
                       {INT8OID, TEXTOID, NUMERICOID});

}  // namespace

std::vector<std::int64_t> DrawnBlocks(const std::vector<EntryDraft>& drafts) {
  std::set<std::int64_t> seen;
  std::vector<std::int64_t> out;
  for (const EntryDraft& d : drafts) {
    if (d.amount < 0 && d.grant_id && seen.insert(*d.grant_id).second) {
      out.push_back(*d.grant_id);
    }
  }
  return out;
}

std::vector<PendingEvent>
BlockUsageAlerts(Ledger& ledger, const Wallet& wallet,
                 std::int64_t operation_id,
                 const std::vector<std::int64_t>& drawn, std::int64_t balance) {
  std::vector<PendingEvent> events;
  if (wallet.grant_usage_thresholds.empty() || drawn.empty()) return events;
  ledger.UseSpi();
  const EventSubject subject = SubjectOf(wallet, operation_id);
  for (const std::int64_t id : drawn) {
    Params key;
    key.Int64(id).Text(wallet.customer_id);
    Rows rows = Execute(read_usage, key, 1);
    if (rows.empty()) continue;
    const std::int64_t amount = rows[0].Units(1, wallet.scale);
    const std::int64_t used = rows[0].Units(2, wallet.scale);
    const std::optional<Percent> alerted = rows[0].OptUnits(3, kPercentScale);
    const credit_ledger::GrantUsageAlerts decided =
        DecideGrantUsage(wallet.grant_usage_thresholds, amount, used, alerted);
    if (decided.fire.empty()) continue;
    for (const Percent t : decided.fire) {
      events.push_back(
          GrantUsageLowEvent(subject, id, t, amount, used, balance));
    }
    std::optional<std::string> highest;
    if (decided.alerted) highest = FormatPercent(*decided.alerted);
    Params save;
    save.Int64(id).Text(wallet.customer_id).NumericText(highest);
    Execute(save_alerted, save);
  }
  return events;
}

}  // namespace credit_ledger::pg
