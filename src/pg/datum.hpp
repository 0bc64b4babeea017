// Conversions between PostgreSQL Datums and the C++ values the core works
// with (text, int64, units at a scale as numeric, exact numeric text,
// timestamptz, bytea digests, jsonb text), shared by argument reading, SPI
// (spi.hpp) and direct table access (table.hpp). Every PostgreSQL call here
// goes through Guard.
#pragma once

#include "postgres.hpp"

#include "sha256.hpp"
#include "time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace credit_ledger::pg {

std::string NumericDatumText(::Datum numeric);
::Datum UnitsToNumeric(std::int64_t units, int scale);
::Datum TextDatum(std::string_view text);
// A bytea of the first `length` bytes of a digest.
::Datum BytesDatum(const Digest& digest, std::size_t length = kDigestBytes);
::Datum NumericTextDatum(const std::string& text);  // numeric_in, exact
std::string JsonbDatumText(::Datum jsonb);
::Datum JsonbDatum(const std::string& json);  // jsonb_in
std::string TextDatumString(::Datum value);

// units x cost_basis, exactly, as numeric text (an entry's value).
std::string MoneyValue(std::int64_t units, int scale,
                       const std::string& cost_basis);

// A numeric[] literal ("{1.00,2.50}") of units at `scale`.
std::string UnitsArrayText(const std::vector<std::int64_t>& units, int scale);

// A numeric[] of units at `scale`.
::Datum UnitsArrayDatum(const std::vector<std::int64_t>& units, int scale);

// A bigint[] whose elements may be NULL (nullopt).
::Datum OptInt64ArrayDatum(const std::vector<std::optional<std::int64_t>>& v);

// A tuple read column by column: a row of an SPI result (valid as long as
// its result: until FreeRows on the Rows it came from, or SpiFinish) or one
// the direct path read (table.hpp). Later statements do not invalidate it
// (each result keeps its own SPITupleTable; only the SPI_tuptable global
// moves on), and the code relies on that: credit_verify audits a wallet row
// while running the statements that read its grants and entries.
class Row {
 public:
  Row(HeapTuple tuple, TupleDesc desc) : tuple_(tuple), desc_(desc) {}
  bool IsNull(int col) const;
  ::Datum Raw(int col, bool* is_null) const;
  std::int64_t Int64(int col) const;
  std::optional<std::int64_t> OptInt64(int col) const;
  std::int32_t Int32(int col) const;
  bool Bool(int col) const;
  std::string Text(int col) const;
  std::optional<std::string> OptText(int col) const;
  Micros Timestamp(int col) const;
  std::optional<Micros> OptTimestamp(int col) const;
  // A numeric column as units at `scale` (exact, or an error).
  std::int64_t Units(int col, int scale) const;
  std::optional<std::int64_t> OptUnits(int col, int scale) const;
  // A numeric[] column (NULL or empty: no elements) as units at `scale`.
  std::vector<std::int64_t> UnitsArray(int col, int scale) const;
  // A bigint[] column (NULL: no elements), NULL elements as nullopt.
  std::vector<std::optional<std::int64_t>> OptInt64Array(int col) const;
  // A numeric column's exact text (numeric_out).
  std::optional<std::string> NumericText(int col) const;
  // A bytea column of a digest: all 32 bytes, or the first 16 or 8 that
  // the ledger stores of idempotency digests since 1.2 (the rest zero).
  std::optional<Digest> Bytes(int col) const;
  // A jsonb column's canonical text.
  std::optional<std::string> JsonbText(int col) const;

 private:
  HeapTuple tuple_;
  TupleDesc desc_;
};

}  // namespace credit_ledger::pg
