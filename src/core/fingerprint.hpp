// Request fingerprints: what an idempotency key remembers of the request it
// was first used with, one function per operation type. The ledger stores
// them forever (credit_ledger.operations.request_hash, key_hash): a retry
// with the same key must produce the same bytes, release after release, or it
// fails with LG002. Known-answer vectors in test/unit/fingerprint_test.cpp and
// test/sql/27_stored_formats.sql pin them; a new format needs a new domain tag.
//
// The requests are views of what the caller passed, so fingerprinting copies
// nothing; amounts are the exact decimal text given, normalized here.
#pragma once

#include "calendar.hpp"
#include "sha256.hpp"
#include "time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace credit_ledger {

using OptText = std::optional<std::string_view>;

// An optional string as an OptText (no copy).
inline OptText ViewOf(const std::optional<std::string>& text) {
  return text ? OptText(*text) : std::nullopt;
}

struct ConsumeFingerprintInput {
  std::string_view credit_type;
  std::string_view amount;  // decimal text as given
  OptText feature;
  OptText source_id;
  std::optional<Micros> occurred_at;
  OptText metadata;  // jsonb text
  // 1.2: appended to the fingerprint only when true, so a request without
  // it keeps the bytes 1.1 stored.
  bool allow_partial = false;
};

// credit_report_usage (1.2): the feature and quantity, not the price (a
// retry after a new price took effect is the same request) nor the credit
// type (the price decides it).
struct UsageFingerprintInput {
  std::string_view feature;
  std::string_view quantity;  // decimal text as given
  OptText source_id;
  std::optional<Micros> occurred_at;
  OptText metadata;  // jsonb text
  bool allow_partial = false;
};

struct GrantFingerprintInput {
  std::string_view credit_type;
  std::string_view amount;
  bool promotional = false;
  std::int32_t priority = 50;
  OptText cost_basis;
  std::optional<Micros> effective_at;
  std::optional<Micros> expires_at;
  OptText reason;
  OptText source_id;
  OptText metadata;
  bool pending = false;          // 1.2; left out of the digest when false, so
                                 // keys stored before 1.2 replay unchanged
  OptText value = std::nullopt;  // 1.2 (issue 14): likewise when NULL
};

struct AdjustFingerprintInput {
  std::string_view credit_type;
  std::string_view amount;  // signed
  std::string_view reason;
};

struct ReverseFingerprintInput {
  std::int64_t operation_id = 0;
  OptText amount;  // nullopt: all that is left
  OptText reason;
};

// credit_hold (1.2): everything but the customer (the key's scope).
struct HoldFingerprintInput {
  std::string_view credit_type;
  std::string_view amount;  // decimal text as given
  Micros timeout = 0;       // the interval as elapsed microseconds
  OptText feature;
  OptText source_id;
  OptText metadata;
};

// credit_capture (1.2): an amount left out (capture the held amount) is not
// the same request as the same amount given explicitly.
struct CaptureFingerprintInput {
  std::int64_t hold_id = 0;
  OptText amount;  // nullopt: the held amount
  OptText feature;
  OptText source_id;
  std::optional<Micros> occurred_at;
  OptText metadata;
};

// credit_recurring_create (issue 14): every argument but the customer and
// the key, as given (a starts_at left out is not the same request as now).
struct RecurringFingerprintInput {
  std::string_view credit_type;
  std::string_view amount;
  Interval every;
  std::optional<Micros> starts_at;
  std::optional<Micros> ends_at;
  std::optional<Interval> expire_after;
  std::string_view rollover_max;
  bool promotional = false;
  std::int32_t priority = 50;
  OptText cost_basis;
  std::string_view time_zone;
  OptText reason;
  OptText source_id;
};

Digest ConsumeFingerprint(const ConsumeFingerprintInput& request);
Digest UsageFingerprint(const UsageFingerprintInput& request);
Digest RecurringFingerprint(const RecurringFingerprintInput& request);
Digest HoldFingerprint(const HoldFingerprintInput& request);
Digest CaptureFingerprint(const CaptureFingerprintInput& request);
Digest GrantFingerprint(const GrantFingerprintInput& request);
Digest AdjustFingerprint(const AdjustFingerprintInput& request);
Digest ReverseFingerprint(const ReverseFingerprintInput& request);

// credit_grant_confirm's request: the grant it confirms (the customer scopes
// the key already).
Digest ConfirmFingerprint(std::int64_t grant_id);

// credit_grant_update (1.2): the block and what it asks to change.
struct AmendFingerprintInput {
  std::int64_t grant_id = 0;
  std::optional<Micros> expires_at;
  std::optional<std::int32_t> priority;
  OptText reason;
};
Digest AmendFingerprint(const AmendFingerprintInput& r);

// The SHA-256 of an idempotency key, of which the ledger stores the first
// kStoredKeyBytes (operation_rows.key_hash, entries.key_hash; a 1.0 or 1.1
// installation all 32 until it is updated). 128 bits per customer: with a
// billion keys of one customer, two of them share a digest with odds of
// about 1.5e-21.
inline Digest KeyHash(std::string_view idempotency_key) {
  return Sha256Of(idempotency_key);
}

// The first `length` bytes of a digest, the rest zero: what reading back a
// stored prefix gives, so that a stored request_hash compares with the
// fingerprint of a retry. The ledger keeps kStoredRequestBytes of it: a
// retry with other parameters passes for the same request (and replays
// instead of raising LG002) with odds of 2^-64, about 5e-20, each time.
inline Digest StoredPrefix(const Digest& digest, std::size_t length) {
  Digest out{};
  for (std::size_t i = 0; i < length && i < out.size(); ++i) out[i] = digest[i];
  return out;
}

// A retry must repeat its request: LG002 unless the operation stored under
// the key (`stored_type`, `stored_hash`, `stored_id`) was made by the same
// operation type with the same fingerprint.
void CheckSameRequest(const std::string& stored_type,
                      const std::optional<Digest>& stored_hash,
                      std::int64_t stored_id, const std::string& type,
                      const Digest& request_hash,
                      const std::string& customer_id);

}  // namespace credit_ledger
