#include "datum.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "guard.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

namespace credit_ledger::pg {

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

::Datum BytesDatum(const Digest& v, std::size_t length) {
  const std::size_t n = std::min(length, v.size());
  return Guard([&] {
    bytea* b = static_cast<bytea*>(palloc(VARHDRSZ + n));
    SET_VARSIZE(b, VARHDRSZ + n);
    std::memcpy(VARDATA(b), v.data(), n);
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

::Datum JsonbDatum(const std::string& json) {
  const char* text = json.c_str();
  return Guard(
      [&] { return DirectFunctionCall1(jsonb_in, CStringGetDatum(text)); });
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

std::string MoneyValue(std::int64_t units, int scale,
                       const std::string& cost_basis) {
  const char* basis = cost_basis.c_str();
  const char* text = Guard([&] {
    Datum amount = NumericGetDatum(int64_div_fast_to_numeric(units, scale));
    Datum rate =
        DirectFunctionCall3(numeric_in, CStringGetDatum(basis),
                            ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
    Datum product = DirectFunctionCall2(numeric_mul, amount, rate);
    return DatumGetCString(DirectFunctionCall1(numeric_out, product));
  });
  return text;
}

std::string UnitsArrayText(const std::vector<std::int64_t>& units, int scale) {
  std::string out = "{";
  for (std::size_t i = 0; i < units.size(); ++i) {
    if (i > 0) out += ',';
    out += FormatAmount(units[i], scale);
  }
  return out + "}";
}

::Datum UnitsArrayDatum(const std::vector<std::int64_t>& units, int scale) {
  std::vector<::Datum> elems;
  elems.reserve(units.size());
  for (std::int64_t u : units) elems.push_back(UnitsToNumeric(u, scale));
  return Guard([&] {
    return PointerGetDatum(
        construct_array(elems.data(), static_cast<int>(elems.size()),
                        NUMERICOID, -1, false, TYPALIGN_INT));
  });
}

::Datum OptInt64ArrayDatum(const std::vector<std::optional<std::int64_t>>& v) {
  std::vector<::Datum> elems(v.size());
  // std::vector<bool> has no data(): the flags go in a plain array.
  std::unique_ptr<bool[]> nulls(new bool[v.size() + 1]);
  for (std::size_t i = 0; i < v.size(); ++i) {
    nulls[i] = !v[i].has_value();
    elems[i] = Int64GetDatum(v[i].value_or(0));
  }
  return Guard([&] {
    const int dims[1] = {static_cast<int>(v.size())};
    const int lbs[1] = {1};
    return PointerGetDatum(construct_md_array(
        elems.data(), nulls.get(), 1, const_cast<int*>(dims),
        const_cast<int*>(lbs), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
  });
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

std::vector<std::optional<std::int64_t>> Row::OptInt64Array(int col) const {
  bool is_null = false;
  ::Datum d = Raw(col, &is_null);
  std::vector<std::optional<std::int64_t>> out;
  if (is_null) return out;
  ::Datum* elems = nullptr;
  bool* nulls = nullptr;
  int count = 0;
  Guard([&] {
    deconstruct_array(DatumGetArrayTypeP(d), INT8OID, 8, FLOAT8PASSBYVAL,
                      TYPALIGN_DOUBLE, &elems, &nulls, &count);
  });
  for (int i = 0; i < count; ++i) {
    out.push_back(nulls[i]
                      ? std::nullopt
                      : std::optional<std::int64_t>(DatumGetInt64(elems[i])));
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
    const std::size_t n = VARSIZE_ANY_EXHDR(b);
    if (n != out.size() && n != kStoredKeyBytes && n != kStoredRequestBytes) {
      return false;
    }
    std::memcpy(out.data(), VARDATA_ANY(b), n);
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

}  // namespace credit_ledger::pg
