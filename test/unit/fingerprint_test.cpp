// Known-answer vectors for the request fingerprints and key digests the
// ledger stores forever (operations.request_hash / key_hash). Each expected
// digest is the one test/expected/27_stored_formats.out shows for the same
// request, as 1.1 stored it: the SQL call is quoted above each vector.
#include "error.hpp"
#include "fingerprint.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace credit_ledger {
namespace {

// Instants in the ledger's representation (microseconds since 2000-01-01 UTC).
constexpr Micros k20260301_1100 = 825678000000000;
constexpr Micros k20260301_1159 = 825681540000000;
constexpr Micros k20260310 = 826416000000000;

TEST(StoredFormat, KeyHash) {
  // Operation 1's key 'g1'.
  EXPECT_EQ(ToHex(KeyHash("g1")),
            "711430f6164e93803d93428bc1fab80f41e213bb197689307de8606d437c3038");
}

TEST(StoredFormat, GrantFingerprint) {
  // credit_grant('acme', 'usd', 100, cost_basis => 0.5, expires_at =>
  //   '2026-03-10', idempotency_key => 'g1', reason => 'paid',
  //   source_id => 'inv-1', metadata => '{"plan": "pro"}')
  GrantFingerprintInput g1;
  g1.credit_type = "usd";
  g1.amount = "100";
  g1.cost_basis = "0.5";
  g1.expires_at = k20260310;
  g1.reason = "paid";
  g1.source_id = "inv-1";
  g1.metadata = "{\"plan\": \"pro\"}";
  EXPECT_EQ(ToHex(GrantFingerprint(g1)),
            "4eee6820aadf747ead749db7be453472eee03c9290269f1a60487e3891b2818e");
  // The amounts are normalized: 100.00 and 0.50 are the same request.
  g1.amount = "100.00";
  g1.cost_basis = "0.50";
  EXPECT_EQ(ToHex(GrantFingerprint(g1)),
            "4eee6820aadf747ead749db7be453472eee03c9290269f1a60487e3891b2818e");

  // credit_grant('acme', 'usd', 30, promotional => true, priority => 10,
  //   idempotency_key => 'g2')
  GrantFingerprintInput g2;
  g2.credit_type = "usd";
  g2.amount = "30";
  g2.promotional = true;
  g2.priority = 10;
  EXPECT_EQ(ToHex(GrantFingerprint(g2)),
            "5f6a60d37395361252a0acc5769168153bd546e6f91f7c51dada51eabb6c95ed");
}

// 1.2: value is left out of a grant's digest when NULL (the digests above
// stay); given, it counts, so a value grant never replays an amount grant.
TEST(Fingerprint, GrantValueCounts) {
  GrantFingerprintInput g;
  g.credit_type = "usd";
  g.amount = "50";
  g.cost_basis = "0.25";
  const Digest plain = GrantFingerprint(g);
  g.value = "12.5";
  const Digest valued = GrantFingerprint(g);
  EXPECT_NE(plain, valued);
  g.value = "12.50";
  EXPECT_EQ(GrantFingerprint(g), valued);
}

TEST(Fingerprint, AmendEveryFieldCounts) {
  AmendFingerprintInput a;
  a.grant_id = 3;
  a.priority = 10;
  const Digest base = AmendFingerprint(a);
  AmendFingerprintInput b = a;
  b.grant_id = 4;
  EXPECT_NE(AmendFingerprint(b), base);
  b = a;
  b.priority.reset();
  EXPECT_NE(AmendFingerprint(b), base);
  b.expires_at = k20260310;
  EXPECT_NE(AmendFingerprint(b), base);
  b = a;
  b.reason = "why";
  EXPECT_NE(AmendFingerprint(b), base);
  EXPECT_EQ(AmendFingerprint(a), base);
}

TEST(StoredFormat, ConsumeFingerprint) {
  // credit_consume('acme', 'usd', 40, 'c1', 'chat', 'req-1',
  //   '2026-03-01 11:59:00+00', '{"user_id": "u1"}')
  EXPECT_EQ(
      ToHex(ConsumeFingerprint({"usd", "40", "chat", "req-1", k20260301_1159,
                                "{\"user_id\": \"u1\"}"})),
      "28571ac18add497721199f15baae25c740057ed79291961200d0c6d29d3d0b3a");
  // credit_consume('acme', 'usd', 95.5, 'c2')
  EXPECT_EQ(ToHex(ConsumeFingerprint({"usd", "95.5", {}, {}, {}, {}})),
            "27652989354cc926a07c3edf30de26a382a4717bd0b547484725f7ecf74627a4");
  // The batch event {"amount": "2.5", "idempotency_key": "b1", "feature":
  // "embed", "source_id": "s", "occurred_at": "2026-03-01T11:00:00Z",
  // "metadata": {"k": 1}}: a batch event is fingerprinted as a consume.
  EXPECT_EQ(ToHex(ConsumeFingerprint(
                {"usd", "2.5", "embed", "s", k20260301_1100, "{\"k\": 1}"})),
            "c2c25db8a68f4f997f3030aa4d3e9477de84724789086369266d6c3db27167d3");
}

TEST(StoredFormat, ConsumeFingerprintAllowPartial) {
  // allow_partial => false (or absent) is the 1.1 request: same bytes.
  ConsumeFingerprintInput c2{"usd", "95.5", {}, {}, {}, {}};
  c2.allow_partial = false;
  EXPECT_EQ(ToHex(ConsumeFingerprint(c2)),
            "27652989354cc926a07c3edf30de26a382a4717bd0b547484725f7ecf74627a4");
  // credit_consume('acme', 'usd', 95.5, 'p1', allow_partial => true), as
  // test/expected/36_allow_partial.out shows it (1.2 format).
  c2.allow_partial = true;
  EXPECT_EQ(ToHex(ConsumeFingerprint(c2)),
            "5556874f1fa1157ce653526db1e535b1b3763e9a66e8efffbd29f820bdee1a9f");
}

TEST(StoredFormat, UsageFingerprint) {
  // credit_report_usage('acme', 'image', 3, 'u1',
  //   '2026-03-01 11:59:00+00', 'req-1', '{"user_id": "u1"}'), as
  // test/expected/37_prices.out shows it (1.2 format).
  UsageFingerprintInput u{"image", "3", "req-1", k20260301_1159,
                          "{\"user_id\": \"u1\"}"};
  EXPECT_EQ(ToHex(UsageFingerprint(u)),
            "df3fea7b9ce23530e7d9537c445a06fd04a00e5fbc4baf36a14a68586b062c89");
  // The quantity in canonical form: 3.000 is the same request as 3.
  u.quantity = "3.000";
  EXPECT_EQ(ToHex(UsageFingerprint(u)),
            "df3fea7b9ce23530e7d9537c445a06fd04a00e5fbc4baf36a14a68586b062c89");
  // credit_report_usage('acme', 'image', 2.5, 'u2', allow_partial => true)
  UsageFingerprintInput u2{"image", "2.5", {}, {}, {}};
  u2.allow_partial = true;
  EXPECT_EQ(ToHex(UsageFingerprint(u2)),
            "b36c55fa1acbe3568d8173120164ff2ea18b0342b565aff354aec56ea8fc3b92");
  // Every field counts, and a usage report is never a consume.
  u2.allow_partial = false;
  EXPECT_NE(UsageFingerprint(u2),
            UsageFingerprint({"image", "2.6", {}, {}, {}}));
  EXPECT_NE(UsageFingerprint(u2),
            UsageFingerprint({"video", "2.5", {}, {}, {}}));
  EXPECT_NE(UsageFingerprint(u2),
            UsageFingerprint({"image", "2.5", {}, k20260301_1100, {}}));
  EXPECT_NE(UsageFingerprint(u2),
            ConsumeFingerprint({"image", "2.5", {}, {}, {}, {}}));
}

TEST(StoredFormat, HoldFingerprint) {
  // credit_hold('acme', 'usd', 12.5, '10 minutes', 'h1', 'chat', 'req-1',
  //   '{"model": "x"}'), as test/expected/35_holds.out shows it
  const HoldFingerprintInput h1{"usd",  "12.5",  600000000,
                                "chat", "req-1", "{\"model\": \"x\"}"};
  EXPECT_EQ(ToHex(HoldFingerprint(h1)),
            "c836dbc90a86fc20d13a0921e3663a6e1a5d49155843d55864fcdc963ae5334b");
  // 12.50 is the same amount; another timeout is another request.
  HoldFingerprintInput h2 = h1;
  h2.amount = "12.50";
  EXPECT_EQ(HoldFingerprint(h2), HoldFingerprint(h1));
  h2.timeout = 600000001;
  EXPECT_NE(HoldFingerprint(h2), HoldFingerprint(h1));
}

TEST(StoredFormat, CaptureFingerprint) {
  // credit_capture('acme', 10, idempotency_key => 'cap1'), as
  // test/expected/35_holds.out shows it.
  const CaptureFingerprintInput all{10, {}, {}, {}, {}, {}};
  EXPECT_EQ(ToHex(CaptureFingerprint(all)),
            "11cb5872f7fcae45f6464ab2f740ef0df9275cae273576317b59244f73bcc312");
  // credit_capture('acme', 7, 12.5, 'cap1', 'chat', 'req-1',
  //   '2026-03-01 11:59:00+00', '{"tokens": 812}')
  const CaptureFingerprintInput some{
      7, "12.5", "chat", "req-1", k20260301_1159, "{\"tokens\": 812}"};
  EXPECT_EQ(ToHex(CaptureFingerprint(some)),
            "e7305d50a3046cb3453100239a437138dc980067d50b7614675a9e38c65f8991");
  // The held amount left out is not the same request as that amount given.
  CaptureFingerprintInput explicit_all = all;
  explicit_all.amount = "12.5";  // the held amount
  EXPECT_NE(CaptureFingerprint(explicit_all), CaptureFingerprint(all));
}

TEST(StoredFormat, AdjustFingerprint) {
  // credit_adjust('acme', 'usd', 7.25, 'goodwill', 'a1')
  EXPECT_EQ(ToHex(AdjustFingerprint({"usd", "7.25", "goodwill"})),
            "79b709a5403253199103456361d2226b94495ba3de120d8763d28ab74bb9fb03");
}

TEST(StoredFormat, ReverseFingerprint) {
  // credit_reverse(4, 10, 'refund', 'r1')
  EXPECT_EQ(ToHex(ReverseFingerprint({4, "10", "refund"})),
            "dfa5550fbe2b1c1b5d9080ca6c92490f189d252de1761adafc0f72e3f7c30249");
}

TEST(Fingerprint, EveryFieldCounts) {
  const GrantFingerprintInput base{"usd", "1", false, 50, {},
                                   {},    {},  {},    {}, {}};
  const Digest h = GrantFingerprint(base);
  GrantFingerprintInput g = base;
  g.cost_basis = "0";
  EXPECT_NE(GrantFingerprint(g), h);
  g = base;
  g.effective_at = 0;
  EXPECT_NE(GrantFingerprint(g), h);
  g = base;
  g.metadata = "{}";
  EXPECT_NE(GrantFingerprint(g), h);
  EXPECT_NE(ReverseFingerprint({4, {}, {}}), ReverseFingerprint({4, "0", {}}));
  EXPECT_NE(ConsumeFingerprint({"usd", "1", {}, {}, {}, {}}),
            ConsumeFingerprint({"usd", "1", "", {}, {}, {}}));
}

TEST(Fingerprint, ARetryMustRepeatItsRequest) {
  const Digest h = ConsumeFingerprint({"usd", "1", {}, {}, {}, {}});
  EXPECT_NO_THROW(CheckSameRequest("consume", h, 5, "consume", h, "acme"));
  EXPECT_THROW(
      CheckSameRequest("consume", std::nullopt, 5, "consume", h, "acme"),
      LedgerError);
  try {
    CheckSameRequest("grant", h, 5, "consume", h, "acme");
    ADD_FAILURE();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIdempotencyMismatch);
    EXPECT_EQ(
        e.detail(),
        "The key was first used by grant operation 5 of customer \"acme\".");
  }
}

TEST(Fingerprint, RejectsMalformedAmounts) {
  EXPECT_THROW(ConsumeFingerprint({"usd", "1e3", {}, {}, {}, {}}),
               std::exception);
}

}  // namespace
}  // namespace credit_ledger
