// Reading SQL arguments into C++ values. A NULL where a value is required
// raises 22004 naming the argument; malformed values raise 22023.
#pragma once

#include "postgres.hpp"
#include "time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace credit_ledger::pg {

// Parses text as a finite timestamptz in the session's time zone with
// PostgreSQL's date/time parser, without raising for malformed input: false
// for anything but a finite date and time. Usable where no error may be
// thrown (a GUC check hook).
bool TryParseTimestamp(const char* input, Micros* out);

class Args {
 public:
  explicit Args(FunctionCallInfo fcinfo) : fcinfo(fcinfo) {}

  bool IsNull(int n) const;
  std::string Text(int n, const char* name) const;
  // The wallet a call names by its first two arguments, customer_id and
  // credit_type (22004 when NULL).
  struct WalletName {
    std::string customer_id;
    std::string credit_type;
  };
  WalletName Wallet() const;
  std::optional<std::string> OptText(int n) const;
  bool Bool(int n, const char* name) const;
  std::int32_t Int32(int n, const char* name) const;
  std::int64_t Int64(int n, const char* name) const;
  // A numeric's exact text; NaN and infinities raise 22023.
  std::string Decimal(int n, const char* name) const;
  std::optional<std::string> OptDecimal(int n, const char* name) const;
  // A numeric[] without NULL elements, each as exact text.
  std::vector<std::string> DecimalArray(int n, const char* name) const;
  // A finite timestamptz (infinities raise 22023).
  std::optional<Micros> OptTimestamp(int n, const char* name) const;
  // An interval as elapsed microseconds, a month counting 30 days (as
  // PostgreSQL compares intervals); beyond the int64 range it saturates.
  Micros Duration(int n, const char* name) const;
  // An expiry: finite, or +infinity meaning never (nullopt).
  std::optional<Micros> OptExpiry(int n, const char* name) const;
  // Metadata (see JsonObject below): the datum and its text.
  struct Json {
    Datum datum = 0;
    std::optional<std::string> text;
  };
  Json OptJsonObject(int n, const char* name) const;

 private:
  FunctionCallInfo fcinfo;
};

// The checks a write makes on the customer and the idempotency key it was
// given, once all its arguments are read (a NULL one is 22004 first): their
// lengths (22023), by the core's rules (validate.hpp).
void CheckCustomerAndKey(const std::string& customer_id,
                         const std::optional<std::string>& idempotency_key);

// A metadata value: a jsonb object (22023 naming it otherwise) of at most
// kMaxMetadataBytes as text (CheckMetadata), detoasted, with its text. Every
// argument or batch field that takes metadata is read with it.
Args::Json JsonObject(Datum jsonb, const char* name);

}  // namespace credit_ledger::pg
