#include "ledger.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "guard.hpp"
#include "spi.hpp"

namespace credit_ledger::pg {
namespace {

Statement credit_type_scale(
    "SELECT scale FROM credit_ledger.credit_types WHERE credit_type = $1",
    {TEXTOID});

Statement lock_wallet(
    "SELECT w.wallet_id, w.balance, w.debt, w.overdraft_limit, w.last_seq,"
    "       w.last_hash, t.scale"
    "  FROM credit_ledger.wallets w"
    "  JOIN credit_ledger.credit_types t ON t.credit_type = w.credit_type"
    " WHERE w.customer_id = $1 AND w.credit_type = $2"
    "   FOR UPDATE OF w",
    {TEXTOID, TEXTOID});

Statement read_wallet(
    "SELECT w.wallet_id, w.balance, w.debt, w.overdraft_limit, w.last_seq,"
    "       w.last_hash, t.scale"
    "  FROM credit_ledger.wallets w"
    "  JOIN credit_ledger.credit_types t ON t.credit_type = w.credit_type"
    " WHERE w.customer_id = $1 AND w.credit_type = $2",
    {TEXTOID, TEXTOID});

Statement try_lock_wallet(
    "SELECT w.wallet_id, w.balance, w.debt, w.overdraft_limit, w.last_seq,"
    "       w.last_hash, t.scale"
    "  FROM credit_ledger.wallets w"
    "  JOIN credit_ledger.credit_types t ON t.credit_type = w.credit_type"
    " WHERE w.customer_id = $1 AND w.credit_type = $2"
    "   FOR UPDATE OF w SKIP LOCKED",
    {TEXTOID, TEXTOID});

Statement insert_grant(
    "INSERT INTO credit_ledger.grants"
    "       (grant_id, wallet_id, customer_id, credit_type, amount, remaining,"
    "        promotional, priority, cost_basis, effective_at, expires_at,"
    "        reason, source_id, metadata, kind, operation_id, created_at, open)"
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
    "        $15, $16, $17, $6 > 0)",
    {INT8OID, INT8OID, TEXTOID, TEXTOID, NUMERICOID, NUMERICOID, BOOLOID,
     INT4OID, NUMERICOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, TEXTOID,
     JSONBOID, TEXTOID, INT8OID, TIMESTAMPTZOID});

Statement create_wallet(
    "INSERT INTO credit_ledger.wallets"
    "       (customer_id, credit_type, balance, overdraft_limit, debt,"
    "        created_at, updated_at)"
    "VALUES ($1, $2, $4, $4, $4, $3, $3)"
    "    ON CONFLICT (customer_id, credit_type) DO NOTHING",
    {TEXTOID, TEXTOID, TIMESTAMPTZOID, NUMERICOID});

Statement open_grants(
    "SELECT grant_id, priority, effective_at, expires_at, promotional,"
    "       remaining, cost_basis"
    "  FROM credit_ledger.grants"
    " WHERE wallet_id = $1 AND customer_id = $2 AND open",
    {INT8OID, TEXTOID});

Statement set_remaining(
    "UPDATE credit_ledger.grants"
    "   SET remaining = $3,"
    "       open = ($3 > 0 AND voided_at IS NULL AND expired_at IS NULL)"
    " WHERE grant_id = $1 AND customer_id = $2",
    {INT8OID, TEXTOID, NUMERICOID});

Statement find_operation(
    "SELECT operation_id, operation_type, request_hash, amount, balance,"
    "       grant_id, created_at"
    "  FROM credit_ledger.operations"
    " WHERE customer_id = $1 AND key_hash = $2",
    {TEXTOID, BYTEAOID});

Statement insert_operation(
    "INSERT INTO credit_ledger.operations"
    "       (operation_id, customer_id, wallet_id, credit_type, operation_type,"
    "        idempotency_key, key_hash, request_hash, amount, balance,"
    "        grant_id, reverses_operation_id, first_seq, last_seq, created_at)"
    "VALUES (nextval('credit_ledger.operation_id_seq'), $1, $2, $3, $4, $5,"
    "        $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    "    ON CONFLICT (customer_id, key_hash) WHERE key_hash IS NOT NULL"
    "    DO NOTHING"
    " RETURNING operation_id",
    {TEXTOID, INT8OID, TEXTOID, TEXTOID, TEXTOID, BYTEAOID, BYTEAOID,
     NUMERICOID, NUMERICOID, INT8OID, INT8OID, INT8OID, INT8OID,
     TIMESTAMPTZOID});

Statement next_grant_id("SELECT nextval('credit_ledger.grant_id_seq')", {});

Statement insert_entry(
    "INSERT INTO credit_ledger.entries"
    "       (entry_id, wallet_id, customer_id, credit_type, seq, entry_type,"
    "        amount, value, balance_after, grant_id, operation_id, promotional,"
    "        feature, source_id, reason, actor, metadata, occurred_at,"
    "        created_at, hash)"
    "VALUES (nextval('credit_ledger.entry_id_seq'), $1, $2, $3, $4, $5, $6,"
    "        $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
    {INT8OID, TEXTOID, TEXTOID, INT8OID, TEXTOID, NUMERICOID, NUMERICOID,
     NUMERICOID, INT8OID, INT8OID, BOOLOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
     JSONBOID, TIMESTAMPTZOID, TIMESTAMPTZOID, BYTEAOID});

Statement save_wallet(
    "UPDATE credit_ledger.wallets"
    "   SET balance = $3, debt = $4, last_seq = $5, last_hash = $6,"
    "       updated_at = $7"
    " WHERE wallet_id = $1 AND customer_id = $2",
    {INT8OID, TEXTOID, NUMERICOID, NUMERICOID, INT8OID, BYTEAOID,
     TIMESTAMPTZOID});

// amount x cost basis, exactly, as numeric text.
std::string EntryValue(std::int64_t units, int scale,
                       const std::string& cost_basis) {
  const char* basis = cost_basis.c_str();
  const char* text = Guard([&] {
    Datum amount = NumericGetDatum(int64_div_fast_to_numeric(units, scale));
    Datum rate = DirectFunctionCall3(numeric_in, CStringGetDatum(basis),
                                     ObjectIdGetDatum(InvalidOid),
                                     Int32GetDatum(-1));
    Datum product = DirectFunctionCall2(numeric_mul, amount, rate);
    return DatumGetCString(DirectFunctionCall1(numeric_out, product));
  });
  return text;
}

Wallet WalletFromRow(const Row& row, const std::string& customer_id,
                  const std::string& credit_type) {
  Wallet w;
  w.wallet_id = row.Int64(1);
  w.customer_id = customer_id;
  w.credit_type = credit_type;
  w.scale = row.Int32(7);
  w.balance = row.Units(2, w.scale);
  w.debt = row.Units(3, w.scale);
  w.policy.limit = row.OptUnits(4, w.scale);
  w.last_seq = row.Int64(5);
  w.last_hash = row.Bytes(6).value_or(kGenesisHash);
  return w;
}

}  // namespace

int RequireCreditType(const std::string& credit_type) {
  Params p;
  p.Text(credit_type);
  Rows rows = Execute(credit_type_scale, p, 1);
  if (rows.empty()) {
    throw LedgerError(ErrorCode::kUnknownCreditType,
                      "credit type \"" + credit_type + "\" does not exist",
                      "", "Create it first with credit_type_create().");
  }
  return rows[0].Int32(1);
}

namespace {

std::optional<Wallet> FetchWallet(Statement& statement,
                                  const std::string& customer_id,
                                  const std::string& credit_type) {
  Params p;
  p.Text(customer_id).Text(credit_type);
  Rows rows = Execute(statement, p, 1);
  if (rows.empty()) return std::nullopt;
  return WalletFromRow(rows[0], customer_id, credit_type);
}

}  // namespace

std::optional<Wallet> LockWallet(const std::string& customer_id,
                                 const std::string& credit_type) {
  return FetchWallet(lock_wallet, customer_id, credit_type);
}

std::optional<Wallet> ReadWallet(const std::string& customer_id,
                                 const std::string& credit_type) {
  return FetchWallet(read_wallet, customer_id, credit_type);
}

std::optional<Wallet> TryLockWallet(const std::string& customer_id,
                                    const std::string& credit_type) {
  return FetchWallet(try_lock_wallet, customer_id, credit_type);
}

Wallet LockOrCreateWallet(const std::string& customer_id,
                          const std::string& credit_type, Micros now) {
  if (auto w = LockWallet(customer_id, credit_type)) return *w;
  const int scale = RequireCreditType(credit_type);
  Params p;
  // Zero at the type's scale, so a new wallet reads 0.00 rather than 0.
  p.Text(customer_id).Text(credit_type).Timestamp(now).Units(0, scale);
  Execute(create_wallet, p);
  // Either our insert or a concurrent one that committed first.
  if (auto w = LockWallet(customer_id, credit_type)) return *w;
  throw LedgerError(ErrorCode::kInternal, "wallet vanished after creation");
}

std::vector<OpenGrant> ReadOpenGrants(const Wallet& wallet) {
  Params p;
  p.Int64(wallet.wallet_id).Text(wallet.customer_id);
  Rows rows = Execute(open_grants, p);
  std::vector<OpenGrant> grants;
  grants.reserve(rows.size());
  for (std::uint64_t i = 0; i < rows.size(); ++i) {
    Row r = rows[i];
    OpenGrant g;
    g.state.grant_id = r.Int64(1);
    g.state.priority = r.Int32(2);
    g.state.effective_at = r.Timestamp(3);
    g.state.expires_at = r.OptTimestamp(4).value_or(kNever);
    g.state.promotional = r.Bool(5);
    g.state.remaining = r.Units(6, wallet.scale);
    g.cost_basis = r.NumericText(7);
    grants.push_back(std::move(g));
  }
  return grants;
}

void SetGrantRemaining(const Wallet& wallet, std::int64_t grant_id,
                       std::int64_t remaining) {
  Params p;
  p.Int64(grant_id).Text(wallet.customer_id).Units(remaining, wallet.scale);
  Execute(set_remaining, p);
}

void SaveRemaining(const Wallet& wallet, const std::vector<OpenGrant>& before,
                   const std::vector<std::int64_t>& remaining_after) {
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (remaining_after[i] != before[i].state.remaining) {
      SetGrantRemaining(wallet, before[i].state.grant_id, remaining_after[i]);
    }
  }
}

WalletState PlannerState(const Wallet& wallet,
                         const std::vector<OpenGrant>& grants) {
  WalletState state;
  state.grants.reserve(grants.size());
  for (const OpenGrant& g : grants) state.grants.push_back(g.state);
  state.debt = wallet.debt;
  state.policy = wallet.policy;
  state.scale = wallet.scale;
  return state;
}

void InsertGrant(const Wallet& wallet, const NewGrant& g, Micros now) {
  Params p;
  p.Int64(g.grant_id)
      .Int64(wallet.wallet_id)
      .Text(wallet.customer_id)
      .Text(wallet.credit_type)
      .Units(g.amount, wallet.scale)
      .Units(g.remaining, wallet.scale)
      .Bool(g.promotional)
      .Int32(g.priority)
      .NumericText(g.cost_basis)
      .Timestamp(g.effective_at)
      .Timestamp(g.expires_at)
      .Text(g.reason)
      .Text(g.source_id)
      .Raw(g.metadata, g.metadata_null)
      .Text(g.kind)
      .Int64(g.operation_id)
      .Timestamp(now);
  Execute(insert_grant, p);
}

void AddDrawEntries(std::vector<EntryDraft>& drafts,
                    const std::vector<OpenGrant>& grants,
                    const std::vector<Draw>& draws, EntryType type) {
  for (const Draw& d : draws) {
    const OpenGrant& g = grants[d.index];
    EntryDraft e;
    e.type = type;
    e.amount = -d.amount;
    e.grant_id = g.state.grant_id;
    e.promotional = g.state.promotional;
    e.cost_basis = g.cost_basis;
    drafts.push_back(std::move(e));
  }
}

void AddRepaymentEntries(std::vector<EntryDraft>& drafts,
                         const std::vector<OpenGrant>& grants,
                         const std::vector<Draw>& draws) {
  // The grant is charged first, then the debt cleared: balance_after dips by
  // the repayment and comes back, and so always stays within the range the
  // wallet's balance has before and after. Clearing the debt first would
  // briefly raise it by the repayment, past 10^18 - 1 for a grant that fits.
  for (const Draw& d : draws) {
    AddDrawEntries(drafts, grants, {d}, EntryType::kRepayment);
    EntryDraft settle;
    settle.type = EntryType::kRepayment;
    settle.amount = d.amount;
    drafts.push_back(std::move(settle));
  }
}

std::optional<StoredOperation> FindReplay(const OperationRequest& request) {
  if (!request.idempotency_key) return std::nullopt;
  Params p;
  p.Text(request.customer_id).Bytes(Sha256Of(*request.idempotency_key));
  Rows rows = Execute(find_operation, p, 1);
  if (rows.empty()) return std::nullopt;
  Row r = rows[0];
  StoredOperation op;
  op.operation_id = r.Int64(1);
  op.operation_type = r.Text(2);
  op.request_hash = r.Bytes(3);
  op.amount = r.NumericText(4);
  op.balance = r.NumericText(5);
  op.grant_id = r.OptInt64(6);
  op.created_at = r.Timestamp(7);
  if (op.operation_type != request.operation_type ||
      op.request_hash != request.request_hash) {
    throw LedgerError(
        ErrorCode::kIdempotencyMismatch,
        "idempotency key was already used with different parameters",
        "The key was first used by " + op.operation_type + " operation " +
            std::to_string(op.operation_id) + " of customer \"" +
            request.customer_id + "\".",
        "Use a new key for a new request; retry a request with exactly the "
        "parameters it was first sent with.");
  }
  return op;
}

std::optional<std::int64_t> InsertOperation(const OperationRequest& request,
                                            const OperationResult& result) {
  std::optional<Digest> key_hash;
  if (request.idempotency_key) key_hash = Sha256Of(*request.idempotency_key);
  Params p;
  p.Text(request.customer_id)
      .Int64(result.wallet_id)
      .Text(result.credit_type)
      .Text(request.operation_type)
      .Text(request.idempotency_key)
      .Bytes(key_hash)
      .Bytes(request.request_hash)
      .Units(result.amount, result.scale)
      .Units(result.balance, result.scale)
      .Int64(result.grant_id)
      .Int64(result.reverses_operation_id)
      .Int64(result.first_seq)
      .Int64(result.last_seq)
      .Timestamp(result.created_at);
  Rows rows = Execute(insert_operation, p);
  if (rows.empty()) return std::nullopt;
  return rows[0].Int64(1);
}

std::int64_t NextGrantId() {
  Rows rows = Execute(next_grant_id, 1);
  return rows[0].Int64(1);
}

void AppendEntries(Wallet& wallet, const EntryContext& ctx,
                   const std::vector<EntryDraft>& drafts) {
  for (const EntryDraft& d : drafts) {
    EntryRecord e;
    e.wallet_id = wallet.wallet_id;
    e.seq = wallet.last_seq + 1;
    e.type = d.type;
    e.amount = d.amount;
    if (d.cost_basis) e.value = EntryValue(d.amount, wallet.scale, *d.cost_basis);
    e.balance_after = AddUnits(wallet.balance, d.amount);
    e.grant_id = d.grant_id;
    e.operation_id = ctx.operation_id;
    e.promotional = d.promotional;
    e.customer_id = wallet.customer_id;
    e.credit_type = wallet.credit_type;
    e.feature = ctx.feature;
    e.source_id = ctx.source_id;
    e.reason = ctx.reason;
    e.actor = ctx.actor;
    e.metadata = ctx.metadata_text;
    e.occurred_at = d.occurred_at.value_or(ctx.occurred_at);
    e.created_at = ctx.now;
    const Digest hash = ChainHash(wallet.last_hash, e);

    Params p;
    p.Int64(e.wallet_id)
        .Text(e.customer_id)
        .Text(e.credit_type)
        .Int64(e.seq)
        .Text(EntryTypeName(e.type))
        .Units(e.amount, wallet.scale)
        .NumericText(e.value)
        .Units(e.balance_after, wallet.scale)
        .Int64(e.grant_id)
        .Int64(e.operation_id);
    if (e.promotional) {
      p.Bool(*e.promotional);
    } else {
      p.Null();
    }
    p.Text(e.feature)
        .Text(e.source_id)
        .Text(e.reason)
        .Text(e.actor)
        .Raw(ctx.metadata, ctx.metadata_null)
        .Timestamp(e.occurred_at)
        .Timestamp(e.created_at)
        .Bytes(hash);
    Execute(insert_entry, p);

    wallet.last_seq = e.seq;
    wallet.balance = e.balance_after;
    wallet.last_hash = hash;
    if (!d.grant_id) wallet.debt = SubUnits(wallet.debt, d.amount, "debt");
  }
}

void SaveWallet(const Wallet& wallet, Micros now) {
  Params p;
  p.Int64(wallet.wallet_id)
      .Text(wallet.customer_id)
      .Units(wallet.balance, wallet.scale)
      .Units(wallet.debt, wallet.scale)
      .Int64(wallet.last_seq)
      .Bytes(wallet.last_hash)
      .Timestamp(now);
  Execute(save_wallet, p);
}

}  // namespace credit_ledger::pg
