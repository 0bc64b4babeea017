# Builds credit_ledger.so from src/core (pure C++) and src/pg (the glue) with
# PGXS, and runs the pg_regress topics, the isolation specs and the TAP tests
# with `make installcheck`.
# The core's unit tests are built by CMake (see CMakeLists.txt); the whole
# suite, from a fresh machine, is scripts/test.sh.

EXTENSION = credit_ledger
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" credit_ledger.control)
MODULE_big = credit_ledger
OBJS = $(patsubst %.cpp,%.o,$(sort $(wildcard src/core/*.cpp src/pg/*.cpp)))
# SQL scripts. sql/credit_ledger.sql defines the current version: it is
# installed as credit_ledger--$(EXTVERSION).sql. The upgrade script to it
# (sql/credit_ledger--X--$(EXTVERSION).sql, in development) is built with its
# "#current <name>" lines replaced by those objects' definitions in
# sql/credit_ledger.sql (scripts/sqlscripts.py). Every other
# sql/credit_ledger--*.sql belongs to a release and is installed as it is:
# `make freeze NEXT=<version>` turns the current version into such files.
SQL_UPGRADE_DEV = $(wildcard sql/credit_ledger--*--$(EXTVERSION).sql)
DATA = $(filter-out $(SQL_UPGRADE_DEV),$(sort $(wildcard sql/credit_ledger--*.sql)))
DATA_built = build/sql/credit_ledger--$(EXTVERSION).sql $(SQL_UPGRADE_DEV:sql/%=build/sql/%)

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
$(SQL_UPGRADE_DEV:sql/%=build/sql/%): build/sql/%: sql/% sql/credit_ledger.sql scripts/sqlscripts.py
	@mkdir -p build/sql
	python3 scripts/sqlscripts.py expand $< > $@.tmp
	mv $@.tmp $@

# A released script is installed as it is, so it must hold no line that
# only the build understands ("#current", "# " notes).
SQL_HASH := \#
SQL_UNEXPANDED = $(shell grep -l '^$(SQL_HASH)' $(DATA))
ifneq ($(SQL_UNEXPANDED),)
$(error $(SQL_UNEXPANDED): a released script with unexpanded "#" lines; see scripts/sqlscripts.py)
endif

# The release of $(EXTVERSION): its scripts become frozen files in sql/ and
# NEXT is the version in development (see README, "SQL scripts").
freeze:
	@test -n "$(NEXT)" || { echo 'usage: make freeze NEXT=<next version>'; exit 1; }
	python3 scripts/sqlscripts.py freeze $(NEXT)
.PHONY: freeze

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
