// SPI with kept plans: each statement is prepared once per backend, run with
// typed parameters, and its rows read back as C++ values. Every PostgreSQL
// call here goes through Guard.
#pragma once

#include "datum.hpp"
#include "postgres.hpp"
#include "read_mode.hpp"

#include "sha256.hpp"
#include "time.hpp"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace credit_ledger::pg {

// SPI_connect on construction is not enough: SPI_finish is called by Finish()
// (a destructor must not call PostgreSQL); on error the (sub)transaction
// abort cleans SPI up.
void SpiConnect();
void SpiFinish();

// A statement prepared once and kept for the life of the backend.
class Statement {
 public:
  Statement(const char* sql, std::initializer_list<Oid> types)
      : sql_(sql), types_(types) {}
  SPIPlanPtr plan();
  const char* sql() const { return sql_; }

 private:
  const char* sql_;
  std::vector<Oid> types_;
  SPIPlanPtr plan_ = nullptr;
};

// Positional parameters built in order ($1, $2, ...).
class Params {
 public:
  Params& Null();
  Params& Int64(std::int64_t v);
  Params& Int64(const std::optional<std::int64_t>& v);
  Params& Int32(std::int32_t v);
  Params& Bool(bool v);
  Params& Text(std::string_view v);
  Params& Text(const std::string& v) { return Text(std::string_view(v)); }
  Params& Text(const char* v) { return Text(std::string_view(v)); }
  Params& Text(const std::optional<std::string>& v);
  Params& Timestamp(Micros v);
  Params& Timestamp(const std::optional<Micros>& v);
  Params& Units(std::int64_t units, int scale);  // numeric
  Params& Units(const std::optional<std::int64_t>& units, int scale);
  Params& NumericText(const std::optional<std::string>& v);  // numeric
  Params& Bytes(const Digest& v);                            // bytea
  Params& Bytes(const std::optional<Digest>& v);
  Params& Raw(::Datum v, bool is_null);  // a value passed through as is

  ::Datum* values() { return values_.data(); }
  const char* nulls() const { return nulls_.data(); }

 private:
  Params& Push(::Datum v, bool is_null);
  std::vector<::Datum> values_;
  std::vector<char> nulls_;
};

class Rows {
 public:
  Rows(SPITupleTable* table, std::uint64_t count)
      : table_(table), count_(count) {}
  std::uint64_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  Row operator[](std::uint64_t i) const {
    return Row(table_->vals[i], table_->tupdesc);
  }
  SPITupleTable* table() const { return table_; }

 private:
  SPITupleTable* table_;
  std::uint64_t count_;
};

// Releases a result's memory before SpiFinish (for loops over many results).
void FreeRows(Rows& rows);

// A portal over a kept statement, for results too large to hold at once;
// it reads as ReadMode::kReadOnly.
class Cursor {
 public:
  Cursor(Statement& statement, Params& params);
  Rows Fetch(long count);  // empty at the end
  void Close();

 private:
  Portal portal_ = nullptr;
};

// Runs a kept statement; `limit` 0 means all rows.
Rows Execute(Statement& statement, Params& params, long limit = 0,
             ReadMode mode = ReadMode::kWriting);
Rows Execute(Statement& statement, long limit = 0);

}  // namespace credit_ledger::pg
