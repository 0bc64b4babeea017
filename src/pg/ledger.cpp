// What the ledger's tables share for one operation: SPI and closing up. The
// tables themselves: ledger_wallets.cpp, ledger_grants.cpp,
// ledger_operations.cpp and ledger_entries.cpp.
#include "ledger.hpp"

namespace credit_ledger::pg {

void Ledger::UseSpi() {
  if (!spi_) {
    SpiConnect();
    spi_ = true;
  }
}

void Ledger::Finish() {
  tables_.Close();
  if (spi_) {
    spi_ = false;
    SpiFinish();
  }
}

}  // namespace credit_ledger::pg
