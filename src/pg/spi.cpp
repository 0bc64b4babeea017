#include "spi.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "guard.hpp"

#include <cstring>

namespace credit_ledger::pg {

void SpiConnect() {
  int rc = Guard([] { return SPI_connect(); });
  if (rc != SPI_OK_CONNECT) {
    throw LedgerError(ErrorCode::kInternal, "SPI_connect failed",
                      SPI_result_code_string(rc));
  }
}

void SpiFinish() {
  int rc = Guard([] { return SPI_finish(); });
  if (rc != SPI_OK_FINISH) {
    throw LedgerError(ErrorCode::kInternal, "SPI_finish failed",
                      SPI_result_code_string(rc));
  }
}

SPIPlanPtr Statement::plan() {
  if (plan_ != nullptr) return plan_;
  SPIPlanPtr plan = Guard([&] {
    SPIPlanPtr p =
        SPI_prepare(sql_, static_cast<int>(types_.size()), types_.data());
    if (p != nullptr && SPI_keepplan(p) != 0) p = nullptr;
    return p;
  });
  if (plan == nullptr) {
    throw LedgerError(ErrorCode::kInternal, "could not prepare a statement",
                      std::string(SPI_result_code_string(SPI_result)) + ": " +
                          sql_);
  }
  plan_ = plan;
  return plan_;
}

Params& Params::Push(::Datum v, bool is_null) {
  values_.push_back(is_null ? 0 : v);
  nulls_.push_back(is_null ? 'n' : ' ');
  return *this;
}

Params& Params::Null() {
  return Push(0, true);
}
Params& Params::Int64(std::int64_t v) {
  return Push(Int64GetDatum(v), false);
}
Params& Params::Int64(const std::optional<std::int64_t>& v) {
  return v ? Int64(*v) : Null();
}
Params& Params::Int32(std::int32_t v) {
  return Push(Int32GetDatum(v), false);
}
Params& Params::Bool(bool v) {
  return Push(BoolGetDatum(v), false);
}

Params& Params::Text(std::string_view v) {
  return Push(TextDatum(v), false);
}

Params& Params::Text(const std::optional<std::string>& v) {
  return v ? Text(std::string_view(*v)) : Null();
}

Params& Params::Timestamp(Micros v) {
  return Push(TimestampTzGetDatum(v), false);
}

Params& Params::Timestamp(const std::optional<Micros>& v) {
  return v ? Timestamp(*v) : Null();
}

Params& Params::Units(std::int64_t units, int scale) {
  return Push(UnitsToNumeric(units, scale), false);
}

Params& Params::Units(const std::optional<std::int64_t>& units, int scale) {
  return units ? Units(*units, scale) : Null();
}

Params& Params::NumericText(const std::optional<std::string>& v) {
  return v ? Push(NumericTextDatum(*v), false) : Null();
}

Params& Params::Bytes(const Digest& v) {
  return Push(BytesDatum(v), false);
}

Params& Params::Bytes(const std::optional<Digest>& v) {
  return v ? Bytes(*v) : Null();
}

Params& Params::Raw(::Datum v, bool is_null) {
  return Push(v, is_null);
}

::Datum Row::Raw(int col, bool* is_null) const {
  return Guard([&] { return SPI_getbinval(tuple_, desc_, col, is_null); });
}

bool Row::IsNull(int col) const {
  bool is_null = false;
  Raw(col, &is_null);
  return is_null;
}

namespace {

[[noreturn]] void UnexpectedNull(int col) {
  throw LedgerError(ErrorCode::kInternal,
                    "unexpected NULL in column " + std::to_string(col));
}

}  // namespace

std::int64_t Row::Int64(int col) const {
  auto v = OptInt64(col);
  if (!v) UnexpectedNull(col);
  return *v;
}

std::optional<std::int64_t> Row::OptInt64(int col) const {
  bool is_null = false;
  ::Datum d = Raw(col, &is_null);
  if (is_null) return std::nullopt;
  return DatumGetInt64(d);
}

std::int32_t Row::Int32(int col) const {
  bool is_null = false;
  ::Datum d = Raw(col, &is_null);
  if (is_null) UnexpectedNull(col);
  return DatumGetInt32(d);
}

bool Row::Bool(int col) const {
  bool is_null = false;
  ::Datum d = Raw(col, &is_null);
  if (is_null) UnexpectedNull(col);
  return DatumGetBool(d);
}

std::string Row::Text(int col) const {
  auto v = OptText(col);
  if (!v) UnexpectedNull(col);
  return *v;
}

std::optional<std::string> Row::OptText(int col) const {
  bool is_null = false;
  ::Datum d = Raw(col, &is_null);
  if (is_null) return std::nullopt;
  return TextDatumString(d);
}

Micros Row::Timestamp(int col) const {
  auto v = OptTimestamp(col);
  if (!v) UnexpectedNull(col);
  return *v;
}

std::optional<Micros> Row::OptTimestamp(int col) const {
  bool is_null = false;
  ::Datum d = Raw(col, &is_null);
  if (is_null) return std::nullopt;
  return DatumGetTimestampTz(d);
}

std::int64_t Row::Units(int col, int scale) const {
  auto v = OptUnits(col, scale);
  if (!v) UnexpectedNull(col);
  return *v;
}

std::optional<std::int64_t> Row::OptUnits(int col, int scale) const {
  auto text = NumericText(col);
  if (!text) return std::nullopt;
  return ParseAmount(*text, scale, "stored amount");
}

std::vector<std::int64_t> Row::UnitsArray(int col, int scale) const {
  bool is_null = false;
  ::Datum d = Raw(col, &is_null);
  std::vector<std::int64_t> out;
  if (is_null) return out;
  ::Datum* elems = nullptr;
  bool* nulls = nullptr;
  int count = 0;
  Guard([&] {
    deconstruct_array(DatumGetArrayTypeP(d), NUMERICOID, -1, false,
                      TYPALIGN_INT, &elems, &nulls, &count);
  });
  for (int i = 0; i < count; ++i) {
    if (!nulls[i]) {
      out.push_back(
          ParseAmount(NumericDatumText(elems[i]), scale, "stored amount"));
    }
  }
  return out;
}

std::optional<std::string> Row::NumericText(int col) const {
  bool is_null = false;
  ::Datum d = Raw(col, &is_null);
  if (is_null) return std::nullopt;
  return NumericDatumText(d);
}

std::optional<Digest> Row::Bytes(int col) const {
  bool is_null = false;
  ::Datum d = Raw(col, &is_null);
  if (is_null) return std::nullopt;
  Digest out{};
  bool ok = Guard([&] {
    bytea* b = DatumGetByteaPP(d);
    if (VARSIZE_ANY_EXHDR(b) != out.size()) return false;
    std::memcpy(out.data(), VARDATA_ANY(b), out.size());
    return true;
  });
  if (!ok) {
    // A digest of the wrong length can only come from tampering; report it
    // as a digest that matches nothing rather than failing the read.
    out.fill(0xff);
  }
  return out;
}

std::optional<std::string> Row::JsonbText(int col) const {
  bool is_null = false;
  ::Datum d = Raw(col, &is_null);
  if (is_null) return std::nullopt;
  return JsonbDatumText(d);
}

Rows Execute(Statement& statement, Params& params, long limit, ReadMode mode) {
  SPIPlanPtr plan = statement.plan();
  // SPI's read_only mode reads with the active snapshot and takes no new one.
  const bool read_only = mode == ReadMode::kReadOnly;
  int rc = Guard([&] {
    return SPI_execute_plan(plan, params.values(), params.nulls(), read_only,
                            limit);
  });
  if (rc < 0) {
    throw LedgerError(ErrorCode::kInternal, "statement failed",
                      std::string(SPI_result_code_string(rc)) + ": " +
                          statement.sql());
  }
  return Rows(SPI_tuptable, SPI_processed);
}

void FreeRows(Rows& rows) {
  SPITupleTable* table = rows.table();
  if (table != nullptr) Guard([&] { SPI_freetuptable(table); });
  rows = Rows(nullptr, 0);
}

Cursor::Cursor(Statement& statement, Params& params) {
  SPIPlanPtr plan = statement.plan();
  portal_ = Guard([&] {
    return SPI_cursor_open(nullptr, plan, params.values(), params.nulls(),
                           true);
  });
}

Rows Cursor::Fetch(long count) {
  Guard([&] { SPI_cursor_fetch(portal_, true, count); });
  return Rows(SPI_tuptable, SPI_processed);
}

void Cursor::Close() {
  if (portal_ != nullptr) Guard([&] { SPI_cursor_close(portal_); });
  portal_ = nullptr;
}

Rows Execute(Statement& statement, long limit) {
  Params none;
  return Execute(statement, none, limit);
}

std::string NumericDatumText(::Datum numeric) {
  const char* text = Guard([&] {
    return DatumGetCString(DirectFunctionCall1(numeric_out, numeric));
  });
  return std::string(text);
}

::Datum UnitsToNumeric(std::int64_t units, int scale) {
  return Guard(
      [&] { return NumericGetDatum(int64_div_fast_to_numeric(units, scale)); });
}

::Datum TextDatum(std::string_view v) {
  return Guard([&] {
    return PointerGetDatum(
        cstring_to_text_with_len(v.data(), static_cast<int>(v.size())));
  });
}

::Datum BytesDatum(const Digest& v) {
  return Guard([&] {
    bytea* b = static_cast<bytea*>(palloc(VARHDRSZ + v.size()));
    SET_VARSIZE(b, VARHDRSZ + v.size());
    std::memcpy(VARDATA(b), v.data(), v.size());
    return PointerGetDatum(b);
  });
}

::Datum NumericTextDatum(const std::string& v) {
  const char* text = v.c_str();
  return Guard([&] {
    return DirectFunctionCall3(numeric_in, CStringGetDatum(text),
                               ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
  });
}

std::string JsonbDatumText(::Datum jsonb) {
  const char* text = Guard([&] {
    Jsonb* j = DatumGetJsonbP(jsonb);
    return JsonbToCString(nullptr, &j->root, VARSIZE(j));
  });
  return std::string(text);
}

std::string TextDatumString(::Datum value) {
  std::string out;
  const char* data = nullptr;
  int len = 0;
  Guard([&] {
    text* t = DatumGetTextPP(value);
    data = VARDATA_ANY(t);
    len = static_cast<int>(VARSIZE_ANY_EXHDR(t));
  });
  out.assign(data, static_cast<std::size_t>(len));
  return out;
}

}  // namespace credit_ledger::pg
