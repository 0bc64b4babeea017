#include "args.hpp"

#include "error.hpp"
#include "guard.hpp"
#include "spi.hpp"
#include "validate.hpp"

namespace credit_ledger::pg {
namespace {

[[noreturn]] void NullArgument(const char* name) {
  throw LedgerError(ErrorCode::kNullValue,
                    std::string(name) + " must not be NULL");
}

}  // namespace

bool TryParseTimestamp(const char* input, Micros* out) {
  fsec_t fsec;
  struct pg_tm tm;
  int tz = 0, dtype = 0, nf = 0;
  char workbuf[MAXDATELEN + MAXDATEFIELDS];
  char* field[MAXDATEFIELDS];
  int ftype[MAXDATEFIELDS];
  int rc = ParseDateTime(input, workbuf, sizeof(workbuf), field, ftype,
                         MAXDATEFIELDS, &nf);
  if (rc == 0) rc = DecodeDateTime(field, ftype, nf, &dtype, &tm, &fsec, &tz);
  if (rc != 0 || dtype != DTK_DATE) return false;
  TimestampTz result = 0;
  if (tm2timestamp(&tm, fsec, &tz, &result) != 0) return false;
  *out = result;
  return true;
}

bool Args::IsNull(int n) const {
  return PG_ARGISNULL(n);
}

std::string Args::Text(int n, const char* name) const {
  if (IsNull(n)) NullArgument(name);
  return TextDatumString(PG_GETARG_DATUM(n));
}

Args::WalletName Args::Wallet() const {
  return WalletName{Text(0, "customer_id"), Text(1, "credit_type")};
}

void CheckCustomerAndKey(const std::string& customer_id,
                         const std::optional<std::string>& idempotency_key) {
  CheckText("customer_id", customer_id, kMaxCustomerIdChars);
  CheckOptionalText("idempotency_key", idempotency_key,
                    kMaxIdempotencyKeyChars);
}

std::optional<std::string> Args::OptText(int n) const {
  if (IsNull(n)) return std::nullopt;
  return TextDatumString(PG_GETARG_DATUM(n));
}

bool Args::Bool(int n, const char* name) const {
  if (IsNull(n)) NullArgument(name);
  return PG_GETARG_BOOL(n);
}

std::int32_t Args::Int32(int n, const char* name) const {
  if (IsNull(n)) NullArgument(name);
  return PG_GETARG_INT32(n);
}

std::int64_t Args::Int64(int n, const char* name) const {
  if (IsNull(n)) NullArgument(name);
  return PG_GETARG_INT64(n);
}

std::string Args::Decimal(int n, const char* name) const {
  if (IsNull(n)) NullArgument(name);
  auto text = OptDecimal(n, name);
  return *text;
}

std::optional<std::string> Args::OptDecimal(int n, const char* name) const {
  if (IsNull(n)) return std::nullopt;
  Datum d = PG_GETARG_DATUM(n);
  bool finite = Guard([&] {
    ::Numeric num = DatumGetNumeric(d);
    return !numeric_is_nan(num) && !numeric_is_inf(num);
  });
  std::string text = NumericDatumText(d);
  if (!finite) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      std::string(name) + " must be a finite number",
                      "The value given was " + text + ".");
  }
  return text;
}

std::vector<std::string> Args::DecimalArray(int n, const char* name) const {
  if (IsNull(n)) NullArgument(name);
  Datum* elems = nullptr;
  bool* nulls = nullptr;
  int count = 0;
  Guard([&] {
    ArrayType* array = PG_GETARG_ARRAYTYPE_P(n);
    if (ARR_NDIM(array) > 1) {
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                      errmsg("%s must be a one-dimensional array", name)));
    }
    deconstruct_array(array, NUMERICOID, -1, false, TYPALIGN_INT, &elems,
                      &nulls, &count);
  });
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    if (nulls[i]) {
      throw LedgerError(ErrorCode::kNullValue,
                        std::string(name) + " must not contain NULL");
    }
    bool finite = Guard([&] {
      ::Numeric num = DatumGetNumeric(elems[i]);
      return !numeric_is_nan(num) && !numeric_is_inf(num);
    });
    std::string text = NumericDatumText(elems[i]);
    if (!finite) {
      throw LedgerError(ErrorCode::kInvalidParameter,
                        std::string(name) + " must hold finite numbers",
                        "The value given was " + text + ".");
    }
    out.push_back(std::move(text));
  }
  return out;
}

std::optional<Micros> Args::OptTimestamp(int n, const char* name) const {
  if (IsNull(n)) return std::nullopt;
  TimestampTz t = PG_GETARG_TIMESTAMPTZ(n);
  if (TIMESTAMP_NOT_FINITE(t)) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      std::string(name) + " must be a finite timestamp");
  }
  return t;
}

Micros Args::Duration(int n, const char* name) const {
  if (IsNull(n)) NullArgument(name);
  const ::Interval* iv = PG_GETARG_INTERVAL_P(n);
  __int128 total = iv->time;
  total += static_cast<__int128>(iv->day) * USECS_PER_DAY;
  total += static_cast<__int128>(iv->month) * DAYS_PER_MONTH * USECS_PER_DAY;
  if (total > INT64_MAX) return INT64_MAX;
  if (total < INT64_MIN) return INT64_MIN;
  return static_cast<Micros>(total);
}

std::optional<Micros> Args::OptExpiry(int n, const char* name) const {
  if (!IsNull(n) && PG_GETARG_TIMESTAMPTZ(n) == DT_NOEND) return std::nullopt;
  return OptTimestamp(n, name);
}

Args::Json Args::OptJsonObject(int n, const char* name) const {
  if (IsNull(n)) return Json{};
  return JsonObject(PG_GETARG_DATUM(n), name);
}

Args::Json JsonObject(Datum jsonb, const char* name) {
  Args::Json out;
  // The detoasted value is what is stored and hashed.
  out.datum = Guard([&] { return PointerGetDatum(DatumGetJsonbP(jsonb)); });
  const bool is_object =
      Guard([&] { return JB_ROOT_IS_OBJECT(DatumGetJsonbP(out.datum)) != 0; });
  if (!is_object) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      std::string(name) + " must be a JSON object");
  }
  out.text = JsonbDatumText(out.datum);
  CheckMetadata(name, *out.text);
  return out;
}

}  // namespace credit_ledger::pg
