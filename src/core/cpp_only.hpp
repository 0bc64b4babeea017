// Included last by every source file in src/core: the core is plain C++17 and
// must never see a PostgreSQL header, so it can be unit-tested and fuzzed
// without a server (pg_duckdb's cpp_only_file.hpp does the same). The CMake
// build of the core has no PostgreSQL include path at all.
#pragma once

#ifdef POSTGRES_H
#error "src/core must not include PostgreSQL headers"
#endif
