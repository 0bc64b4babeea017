// How a read sees the data, for direct table access (table.hpp) and SPI
// statements (spi.hpp) alike.
#pragma once

namespace credit_ledger::pg {

// kWriting: an operation that writes first makes its own earlier writes
// visible (CommandCounterIncrement) and reads with a fresh snapshot, as its
// next SQL statement would (writers read after taking their locks).
// kReadOnly: reads with the snapshot of the query that called the function,
// so every read of a read-only function sees one consistent state however
// many it makes (in READ COMMITTED a fresh snapshot per read would mix
// states: credit_verify once reported problems that were not there).
enum class ReadMode { kWriting, kReadOnly };

}  // namespace credit_ledger::pg
