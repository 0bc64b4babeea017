#include "spi.hpp"

#include "error.hpp"
#include "guard.hpp"

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

}  // namespace credit_ledger::pg
