#include "alerts.hpp"
#include "error.hpp"

#include <gtest/gtest.h>

namespace credit_ledger {
namespace {

TEST(WalletConfig, ThresholdsHighestFirstWithoutDuplicates) {
  const WalletConfig c =
      ParseWalletConfig(std::string("20"), {"5", "50.5", "5.00"}, 2);
  EXPECT_EQ(c.overdraft_limit, 2000);
  EXPECT_EQ(c.thresholds, (std::vector<std::int64_t>{5050, 500}));
  EXPECT_FALSE(ParseWalletConfig(std::nullopt, {}, 2).overdraft_limit);
}

TEST(WalletConfig, RefusesNegativeLimitsAndNonPositiveThresholds) {
  EXPECT_THROW(ParseWalletConfig(std::string("-1"), {}, 2), LedgerError);
  EXPECT_THROW(ParseWalletConfig(std::nullopt, {"0"}, 2), LedgerError);
  EXPECT_THROW(ParseWalletConfig(std::nullopt, {"1.001"}, 2), LedgerError);
  EXPECT_NO_THROW(ParseWalletConfig(std::string("0"), {}, 2));
}

TEST(WalletConfig, ThresholdsAlreadyCrossedCountAsAlerted) {
  const AlertState s = ConfiguredAlerts({100, 50}, 70);
  EXPECT_EQ(s.fired, (std::vector<std::int64_t>{100}));
  EXPECT_FALSE(s.depleted);
  EXPECT_TRUE(ConfiguredAlerts({}, 0).depleted);
}

}  // namespace
}  // namespace credit_ledger
