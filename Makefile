# Builds credit_ledger.so from src/core (pure C++) and src/pg (the glue) with
# PGXS, and runs the pg_regress topics, the isolation specs and the TAP tests
# with `make installcheck`.
# The core's unit tests are built by CMake (see CMakeLists.txt); the whole
# suite, from a fresh machine, is scripts/test.sh.

EXTENSION = credit_ledger
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" credit_ledger.control)
MODULE_big = credit_ledger
OBJS = $(patsubst %.cpp,%.o,$(sort $(wildcard src/core/*.cpp src/pg/*.cpp)))
# Released scripts and upgrade scripts are kept as they are; the current
# version's full script is built from sql/credit_ledger.sql.
DATA = $(sort $(wildcard sql/credit_ledger--*.sql))
DATA_built = build/sql/credit_ledger--$(EXTVERSION).sql

# One regression file per topic in test/sql (expected output in
# test/expected; the SQL the topics share, in test/sql/include, is included
# by path from the directory make runs in), one isolation spec per race in
# test/isolation/specs, and the TAP tests in test/t.
REGRESS = $(sort $(patsubst test/sql/%.sql,%,$(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --outputdir=build/regress
ISOLATION = $(sort $(patsubst test/isolation/specs/%.spec,%,$(wildcard test/isolation/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=build/isolation
TAP_TESTS = 1
PROVE_TESTS = $(sort $(wildcard test/t/*.pl))

PG_CONFIG ?= pg_config

# PostgreSQL's headers are treated as system headers so that -Wextra reports
# only our own code; C++17 needs -Wno-register for them.
PG_CPPFLAGS = -Isrc/core -isystem $(shell $(PG_CONFIG) --includedir-server)
PG_CXXFLAGS = -std=c++17 -Wextra -Wno-register $(EXTRA_CXXFLAGS)
SHLIB_LINK += -lstdc++ $(EXTRA_LDFLAGS)

# Debian's PostgreSQL is built with LLVM: PGXS would then compile every object
# to bitcode with clang and without PG_CXXFLAGS, which fails for C++17.
override with_llvm := no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(OBJS): $(wildcard src/core/*.hpp src/pg/*.hpp)

build/sql/credit_ledger--$(EXTVERSION).sql: sql/credit_ledger.sql
	@mkdir -p build/sql
	cp $< $@

installcheck: | build-dirs
.PHONY: build-dirs
build-dirs:
	@mkdir -p build/regress build/isolation

# The three parts of installcheck, runnable on their own (scripts/test.sh runs
# each even when another fails). check-regress and check-isolation need a
# running server (the PG* variables); check-tap starts clusters of its own in
# tmp_check/, with initdb, which refuses to run as root.
check-regress: | build-dirs
	$(pg_regress_installcheck) $(REGRESS_OPTS) $(REGRESS)
check-isolation: | build-dirs
	$(pg_isolation_regress_installcheck) $(ISOLATION_OPTS) $(ISOLATION)
check-tap:
	$(prove_installcheck)
.PHONY: check-regress check-isolation check-tap

# The regression and isolation suites against an ASan+UBSan build of the
# extension, installed into a private copy of the PostgreSQL that PG_CONFIG
# names (which stays untouched); run as root. See scripts/sanitize.sh.
sanitize:
	PG_CONFIG="$(PG_CONFIG)" bash scripts/sanitize.sh
.PHONY: sanitize
