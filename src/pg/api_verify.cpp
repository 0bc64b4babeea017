// credit_verify: recomputes every wallet invariant from the ledger entries
// and returns one row per problem; no rows means the ledger is healthy. Every
// statement reads with the calling query's snapshot, so a run sees one
// consistent ledger while writes commit around it, at any isolation level.
#include "amount.hpp"
#include "args.hpp"
#include "audit.hpp"
#include "error.hpp"
#include "guard.hpp"
#include "spi.hpp"

#include <vector>

namespace credit_ledger::pg {
namespace {

Statement wallets_to_check(
    "SELECT w.wallet_id, w.customer_id, w.credit_type, t.scale, w.balance,"
    "       w.debt, w.last_seq, w.last_hash,"
    // Read through to_jsonb: a 1.0 schema has no such column.
    "       to_jsonb(w) ? 'latest_effective_at',"
    "       (to_jsonb(w) ->> 'latest_effective_at')::timestamptz,"
    "       w.overdraft_limit,"
    // 1.2's sums over the active holds (absent before).
    "       to_jsonb(w) ? 'held',"
    "       coalesce((to_jsonb(w) ->> 'held')::numeric, 0),"
    "       coalesce((to_jsonb(w) ->> 'held_overdraft')::numeric, 0),"
    // 1.2's pending automatic top-up (absent before).
    "       to_jsonb(w) ? 'topup_pending_grant_id',"
    "       (to_jsonb(w) ->> 'topup_pending_grant_id')::bigint"
    "  FROM credit_ledger.wallets w"
    "  LEFT JOIN credit_ledger.credit_types t ON t.credit_type = w.credit_type"
    " WHERE $1::text IS NULL OR w.customer_id = $1"
    " ORDER BY w.customer_id, w.credit_type",
    {TEXTOID});

Statement wallet_grants(
    "SELECT grant_id, amount, remaining, expired_amount, voided_amount,"
    "       effective_at, priority, cost_basis, expires_at, voided_at,"
    "       expired_at, kind, open,"
    // 1.2's columns, read through to_jsonb (absent before: a 1.1 row).
    "       coalesce((to_jsonb(g) ->> 'entered')::boolean, true),"
    "       coalesce((to_jsonb(g) ->> 'held')::numeric, 0),"
    "       (to_jsonb(g) ->> 'canceled_at') IS NOT NULL,"
    "       coalesce((to_jsonb(g) ->> 'pending')::boolean, false)"
    "  FROM credit_ledger.grants g"
    " WHERE wallet_id = $1 AND customer_id = $2",
    {INT8OID, TEXTOID});

// What the wallet's active holds reserve, in all and against the overdraft
// allowance (1.2; run only where the holds table exists).
Statement wallet_holds(
    "SELECT coalesce(sum(r.amount), 0),"
    "       coalesce(sum(r.amount) FILTER (WHERE r.grant_id IS NULL), 0)"
    "  FROM credit_ledger.holds h,"
    "       unnest(h.reserved_grant_ids, h.reserved_amounts) AS r(grant_id, "
    "amount)"
    " WHERE h.wallet_id = $1 AND h.customer_id = $2 AND h.status = 'held'",
    {INT8OID, TEXTOID});

Statement wallet_entries(
    "SELECT seq, entry_type, amount, value, balance_after, grant_id,"
    "       operation_id, promotional, customer_id, credit_type, feature,"
    "       source_id, reason, actor, metadata, occurred_at, created_at, hash,"
    // 1.2: whether a lapse entry was written by a capture or release giving
    // held credit back (looked up for those entries only). Operations of
    // those types are rows of operation_rows (only consumes are standalone
    // entries), which is read directly: Citus cannot plan the correlated
    // subquery over the view credit_ledger.operations (a UNION ALL).
    "       e.entry_type IN ('expiration', 'void') AND EXISTS ("
    "         SELECT 1 FROM credit_ledger.operation_rows o"
    "          WHERE o.operation_id = e.operation_id"
    "            AND o.customer_id = e.customer_id"
    "            AND o.operation_type IN ('capture', 'release')),"
    // ... or by a catch-up timing a hold out (its reason says so).
    "       e.entry_type IN ('expiration', 'void')"
    "         AND e.reason = 'hold expired' AND EXISTS ("
    "         SELECT 1 FROM credit_ledger.operation_rows o"
    "          WHERE o.operation_id = e.operation_id"
    "            AND o.customer_id = e.customer_id"
    "            AND o.operation_type = 'catch_up')"
    "  FROM credit_ledger.entries e"
    " WHERE wallet_id = $1 AND customer_id = $2"
    " ORDER BY seq",
    {INT8OID, TEXTOID});

// The same on a 1.1 schema (the library runs on it until ALTER EXTENSION
// UPDATE), which has neither operation_rows nor holds.
Statement wallet_entries_1_1(
    "SELECT seq, entry_type, amount, value, balance_after, grant_id,"
    "       operation_id, promotional, customer_id, credit_type, feature,"
    "       source_id, reason, actor, metadata, occurred_at, created_at, hash,"
    "       false, false"
    "  FROM credit_ledger.entries e"
    " WHERE wallet_id = $1 AND customer_id = $2"
    " ORDER BY seq",
    {INT8OID, TEXTOID});

// Rows that belong to no wallet (the per-wallet audit cannot see them): each
// one's owner, whether it is a grant, and its id.
Statement orphans("SELECT customer_id, credit_type, true, grant_id"
                  "  FROM credit_ledger.grants g"
                  " WHERE ($1::text IS NULL OR g.customer_id = $1)"
                  "   AND NOT EXISTS (SELECT 1 FROM credit_ledger.wallets w"
                  "                    WHERE w.wallet_id = g.wallet_id"
                  "                      AND w.customer_id = g.customer_id)"
                  " UNION ALL "
                  "SELECT customer_id, credit_type, false, entry_id"
                  "  FROM credit_ledger.entries e"
                  " WHERE ($1::text IS NULL OR e.customer_id = $1)"
                  "   AND NOT EXISTS (SELECT 1 FROM credit_ledger.wallets w"
                  "                    WHERE w.wallet_id = e.wallet_id"
                  "                      AND w.customer_id = e.customer_id)",
                  {TEXTOID});

struct Finding {
  std::string customer_id;
  std::string credit_type;
  std::string problem;
  std::string detail;
};

constexpr long kChunk = 1000;

// Runs fn(cursor) over a cursor on `statement` and closes the cursor on
// every path: an unreadable row is a finding and the check goes on (Verify
// catches it), so a portal left open there would stay open, one per such
// wallet, until the end of the transaction.
template <typename Fn>
void WithCursor(Statement& statement, Params& params, Fn&& fn) {
  Cursor cursor(statement, params);
  try {
    fn(cursor);
  } catch (...) {
    cursor.Close();
    throw;
  }
  cursor.Close();
}

// The wallet's grants (wallet_grants' key), every column the audit checks.
std::vector<AuditGrant> ReadGrants(Params& key, int s) {
  Rows rows = Execute(wallet_grants, key, 0, ReadMode::kReadOnly);
  std::vector<AuditGrant> grants;
  for (std::uint64_t i = 0; i < rows.size(); ++i) {
    Row g = rows[i];
    AuditGrant grant{g.Int64(1),    g.Units(2, s), g.Units(3, s),
                     g.Units(4, s), g.Units(5, s), g.Timestamp(6)};
    grant.priority = g.Int32(7);
    grant.cost_basis = g.NumericText(8);
    grant.expires_at = g.OptTimestamp(9);
    grant.voided_at = g.OptTimestamp(10);
    grant.expired_at = g.OptTimestamp(11);
    grant.kind = g.Text(12);
    grant.open = g.Bool(13);
    grant.entered = g.Bool(14);
    grant.held = g.Units(15, s);
    grant.canceled = g.Bool(16);
    grant.pending = g.Bool(17);
    grants.push_back(std::move(grant));
  }
  FreeRows(rows);
  return grants;
}

// Feeds the wallet's entries, a chunk at a time, to the auditor.
void FeedEntries(Cursor& cursor, WalletAuditor& auditor, std::int64_t wallet_id,
                 int s) {
  for (;;) {
    Rows chunk = cursor.Fetch(kChunk);
    if (chunk.empty()) break;
    for (std::uint64_t i = 0; i < chunk.size(); ++i) {
      CheckForInterrupts();
      Row r = chunk[i];
      EntryRecord e;
      e.wallet_id = wallet_id;
      e.seq = r.Int64(1);
      e.type = ParseEntryType(r.Text(2));
      e.amount = r.Units(3, s);
      e.value = r.NumericText(4);
      e.balance_after = r.Units(5, s);
      e.grant_id = r.OptInt64(6);
      e.operation_id = r.Int64(7);
      if (!r.IsNull(8)) e.promotional = r.Bool(8);
      e.customer_id = r.Text(9);
      e.credit_type = r.Text(10);
      e.feature = r.OptText(11);
      e.source_id = r.OptText(12);
      e.reason = r.OptText(13);
      e.actor = r.OptText(14);
      e.metadata = r.JsonbText(15);
      e.occurred_at = r.Timestamp(16);
      e.created_at = r.Timestamp(17);
      if (r.Bool(19)) auditor.ReturnsHeldCredit(e.operation_id);
      if (r.Bool(20)) auditor.ReturnsHeldCreditEntry(e.seq);
      auditor.Add(e, r.Bytes(18).value_or(kGenesisHash));
    }
    FreeRows(chunk);
  }
}

// The wallet row's cached totals, read at its credit type's scale `s`.
AuditWallet ReadCachedWallet(const Row& w, int s) {
  AuditWallet cached;
  cached.balance = w.Units(5, s);
  cached.debt = w.Units(6, s);
  cached.last_seq = w.Int64(7);
  cached.last_hash = w.Bytes(8).value_or(kGenesisHash);
  cached.tracks_latest_effective = w.Bool(9);
  cached.latest_effective_at = w.OptTimestamp(10);
  cached.overdraft_limit = w.NumericText(11);
  cached.tracks_holds = w.Bool(12);
  cached.held = w.Units(13, s);
  cached.held_overdraft = w.Units(14, s);
  cached.tracks_topup = w.Bool(15);
  cached.topup_pending = w.OptInt64(16);
  return cached;
}

// Audits one row of wallets_to_check against its grants and entries.
std::vector<Problem> AuditWalletRow(const Row& w) {
  const auto scale = w.OptInt64(4);
  if (!scale) return {UnknownCreditType(w.Text(3))};
  const int s = static_cast<int>(*scale);
  AuditWallet cached = ReadCachedWallet(w, s);
  const std::int64_t wallet_id = w.Int64(1);
  Params key;
  key.Int64(wallet_id).Text(w.Text(2));
  if (cached.tracks_holds) {
    Rows held = Execute(wallet_holds, key, 0, ReadMode::kReadOnly);
    cached.holds_held = held[0].Units(1, s);
    cached.holds_overdraft = held[0].Units(2, s);
    FreeRows(held);
  }
  WalletAuditor auditor(s, ReadGrants(key, s));
  // The holds' columns came with 1.2, and so did operation_rows.
  WithCursor(
      cached.tracks_holds ? wallet_entries : wallet_entries_1_1, key,
      [&](Cursor& cursor) { FeedEntries(cursor, auditor, wallet_id, s); });
  return auditor.Finish(cached);
}

// Adds the findings of one wallet row; an unreadable row is a finding.
void AddWalletFindings(const Row& w, std::vector<Finding>& findings) {
  std::vector<Problem> problems;
  try {
    problems = AuditWalletRow(w);
  } catch (const LedgerError& e) {
    problems.push_back(UnreadableRow(e.message()));
  }
  for (Problem& pr : problems) {
    findings.push_back(Finding{w.Text(2), w.Text(3), std::move(pr.problem),
                               std::move(pr.detail)});
  }
}

std::vector<Finding> Verify(const std::optional<std::string>& customer_id) {
  std::vector<Finding> findings;
  Params p;
  p.Text(customer_id);
  WithCursor(wallets_to_check, p, [&](Cursor& wallets) {
    for (;;) {
      Rows chunk = wallets.Fetch(100);
      if (chunk.empty()) break;
      for (std::uint64_t i = 0; i < chunk.size(); ++i) {
        AddWalletFindings(chunk[i], findings);
      }
      FreeRows(chunk);
    }
  });

  Rows lost = Execute(orphans, p, 0, ReadMode::kReadOnly);
  for (std::uint64_t i = 0; i < lost.size(); ++i) {
    Row r = lost[i];
    Problem pr =
        Orphan(r.Bool(3) ? OrphanKind::kGrant : OrphanKind::kEntry, r.Int64(4));
    findings.push_back(Finding{r.Text(1), r.Text(2), std::move(pr.problem),
                               std::move(pr.detail)});
  }
  return findings;
}

}  // namespace
}  // namespace credit_ledger::pg

CL_FUNCTION(credit_verify) {
  using namespace credit_ledger::pg;
  Args args(fcinfo);
  const auto customer_id = args.OptText(0);
  SpiConnect();
  const std::vector<Finding> findings = Verify(customer_id);
  SpiFinish();
  ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
  Guard([&] { InitMaterializedSRF(fcinfo, 0); });
  for (const Finding& f : findings) {
    const std::string* texts[4] = {&f.customer_id, &f.credit_type, &f.problem,
                                   &f.detail};
    Guard([&] {
      Datum values[4];
      bool nulls[4] = {false, false, false, false};
      for (int c = 0; c < 4; ++c) {
        values[c] = PointerGetDatum(cstring_to_text_with_len(
            texts[c]->data(), static_cast<int>(texts[c]->size())));
      }
      tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    });
  }
  return 0;
}
