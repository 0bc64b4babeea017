// The ledger's operations: idempotency (a retried key replays the stored
// result), new operations, and what later operations read of earlier ones.
#include "error.hpp"
#include "fingerprint.hpp"
#include "ledger.hpp"

namespace credit_ledger::pg {
namespace {

namespace operations {
ColumnRef operation_id{"operation_id"}, customer_id{"customer_id"},
    wallet_id{"wallet_id"}, credit_type{"credit_type"},
    operation_type{"operation_type"}, idempotency_key{"idempotency_key"},
    key_hash{"key_hash"}, request_hash{"request_hash"}, amount{"amount"},
    balance{"balance"}, grant_id{"grant_id"},
    reverses_operation_id{"reverses_operation_id"}, first_seq{"first_seq"},
    last_seq{"last_seq"}, created_at{"created_at"};
}  // namespace operations

// Statements of the paths that stay on SPI: rare operations, where a plan's
// flexibility is worth more than its cost.
Statement find_operation_by_id(
    "SELECT customer_id, credit_type, operation_type, first_seq, last_seq"
    "  FROM credit_ledger.operations WHERE operation_id = $1",
    {INT8OID});

Statement usage_entries(
    "SELECT grant_id, amount, feature, source_id"
    "  FROM credit_ledger.entries"
    " WHERE wallet_id = $1 AND customer_id = $2 AND seq BETWEEN $3 AND $4"
    "   AND entry_type = 'usage'"
    " ORDER BY seq",
    {INT8OID, TEXTOID, INT8OID, INT8OID});

Statement reversed_so_far(
    "SELECT coalesce(sum(amount), 0) FROM credit_ledger.operations"
    " WHERE customer_id = $1 AND reverses_operation_id = $2",
    {TEXTOID, INT8OID});

// An operation as stored, from its row.
StoredOperation ReadStored(Table& t, StoredRow row) {
  Row r = t.Read(row);
  StoredOperation op;
  op.operation_id = r.Int64(t.At(operations::operation_id));
  op.operation_type = r.Text(t.At(operations::operation_type));
  op.request_hash = r.Bytes(t.At(operations::request_hash));
  op.amount = r.NumericText(t.At(operations::amount));
  op.balance = r.NumericText(t.At(operations::balance));
  op.grant_id = r.OptInt64(t.At(operations::grant_id));
  return op;
}

// How many bytes of the key's and the request's digest the operations
// table keeps: a 1.0 or 1.1 table (which still has the key's text) all 32.
struct StoredBytes {
  std::size_t key = kStoredKeyBytes;
  std::size_t request = kStoredRequestBytes;
  bool Legacy() const { return key == kDigestBytes; }
};
StoredBytes StoredDigestBytes(Table& t) {
  if (t.OptAt(operations::idempotency_key) == InvalidAttrNumber) return {};
  return StoredBytes{kDigestBytes, kDigestBytes};
}

}  // namespace

OperationRequest WithKeyDigest(OperationRequest request) {
  if (request.idempotency_key) {
    request.key_hash = KeyHash(*request.idempotency_key);
  }
  return request;
}

Digest KeyDigest(const OperationRequest& request) {
  return request.key_hash ? *request.key_hash
                          : KeyHash(*request.idempotency_key);
}

std::optional<StoredOperation>
Ledger::FindReplay(const OperationRequest& request) {
  if (!request.idempotency_key) return std::nullopt;
  tables_.ForCustomer(request.customer_id);
  Table t = tables_.Open(TableId::kOperations);
  const StoredBytes stored = StoredDigestBytes(t);
  const Digest key_hash = KeyDigest(request);
  const IndexKey keys[2] = {IndexKey::Text(1, request.customer_id),
                            IndexKey::Bytes(2, key_hash, stored.key)};
  std::optional<StoredOperation> op;
  if (t.Fetch(kOperationKeyIndex, keys, 2)) {
    op = ReadStored(t, t.CopyCurrent());
  } else if (!stored.Legacy()) {
    op = FindStandalone(request.customer_id, key_hash);
  }
  if (!op) return std::nullopt;
  CheckSameRequest(op->operation_type, op->request_hash, op->operation_id,
                   request.operation_type,
                   StoredPrefix(request.request_hash, stored.request),
                   request.customer_id);
  return op;
}

std::optional<std::int64_t>
Ledger::InsertOperation(const OperationRequest& request,
                        const OperationResult& result) {
  std::optional<Digest> key_hash;
  if (request.idempotency_key) key_hash = KeyDigest(request);
  tables_.ForCustomer(request.customer_id);
  Table t = tables_.Open(TableId::kOperations);
  const StoredBytes stored = StoredDigestBytes(t);
  const std::int64_t id = NextVal("operation_id_seq");
  RowWriter row = t.Write();
  row.Int64(operations::operation_id, id)
      .Text(operations::customer_id, request.customer_id)
      .Int64(operations::wallet_id, result.wallet_id)
      .Text(operations::credit_type, result.credit_type)
      .Text(operations::operation_type, request.operation_type)
      .Bytes(operations::key_hash, key_hash, stored.key)
      .Bytes(operations::request_hash,
             key_hash ? std::optional<Digest>(request.request_hash)
                      : std::nullopt,
             stored.request)
      .Units(operations::amount, result.amount, result.scale)
      .Units(operations::balance, result.balance, result.scale)
      .Int64(operations::grant_id, result.grant_id)
      .Int64(operations::reverses_operation_id, result.reverses_operation_id)
      .Int64(operations::first_seq, result.first_seq)
      .Int64(operations::last_seq, result.last_seq)
      .Timestamp(operations::created_at, result.created_at);
  if (stored.Legacy()) {
    row.Text(operations::idempotency_key, request.idempotency_key);
  }
  if (!key_hash) {
    row.Insert();
    return id;
  }
  // A concurrent call with the same key is waited for; if it committed, this
  // call replays it instead of applying again (also one that stored the key
  // on a standalone entry, waited for before this row is written).
  if (!stored.Legacy() && KeyTaken(TableId::kEntries, kEntryKeyIndex,
                                   request.customer_id, *key_hash)) {
    return std::nullopt;
  }
  if (!row.InsertUnlessConflict(kOperationKeyIndex)) return std::nullopt;
  if (!stored.Legacy()) {
    RequireKeyFree(TableId::kEntries, kEntryKeyIndex, request.customer_id,
                   *key_hash);
  }
  return id;
}

bool Ledger::KeyTaken(TableId table, const char* index,
                      const std::string& customer_id, const Digest& key_hash) {
  Table t = tables_.Open(table);
  const IndexKey keys[2] = {IndexKey::Text(1, customer_id),
                            IndexKey::Bytes(2, key_hash, kStoredKeyBytes)};
  return t.KeyTaken(index, keys, 2);
}

void Ledger::RequireKeyFree(TableId table, const char* index,
                            const std::string& customer_id,
                            const Digest& key_hash) {
  if (!KeyTaken(table, index, customer_id, key_hash)) return;
  RaiseSerializationFailure("could not serialize access due to a concurrent "
                            "use of the same idempotency key");
}

StoredOperation Ledger::ReplayAfterConflict(const OperationRequest& request) {
  if (auto op = FindReplay(request)) return *op;
  RaiseSerializationFailure("could not serialize access due to a concurrent "
                            "use of the same idempotency key");
}

OperationRef Ledger::FindOperation(std::int64_t operation_id) {
  UseSpi();
  Params p;
  p.Int64(operation_id);
  Rows rows = Execute(find_operation_by_id, p, 1);
  if (rows.empty()) {
    throw LedgerError(ErrorCode::kNotFound, "operation " +
                                                std::to_string(operation_id) +
                                                " does not exist");
  }
  Row r = rows[0];
  OperationRef op;
  op.operation_id = operation_id;
  op.customer_id = r.Text(1);
  op.credit_type = r.Text(2);
  op.operation_type = r.Text(3);
  op.first_seq = r.Int64(4);
  op.last_seq = r.Int64(5);
  return op;
}

UsageEntries Ledger::ReadUsage(const Wallet& wallet,
                               const OperationRef& operation) {
  UseSpi();
  Params p;
  p.Int64(wallet.wallet_id)
      .Text(wallet.customer_id)
      .Int64(operation.first_seq)
      .Int64(operation.last_seq);
  Rows rows = Execute(usage_entries, p);
  UsageEntries out;
  for (std::uint64_t i = 0; i < rows.size(); ++i) {
    Row r = rows[i];
    out.portions.push_back(
        UsagePortion{r.OptInt64(1), -r.Units(2, wallet.scale)});
    if (i == 0) {
      out.feature = r.OptText(3);
      out.source_id = r.OptText(4);
    }
  }
  return out;
}

std::int64_t Ledger::ReversedSoFar(const Wallet& wallet,
                                   std::int64_t operation_id) {
  UseSpi();
  Params p;
  p.Text(wallet.customer_id).Int64(operation_id);
  Rows rows = Execute(reversed_so_far, p, 1);
  return rows[0].Units(1, wallet.scale);
}

}  // namespace credit_ledger::pg
