# ordermgmt: PGXS build
MODULE_big = ordermgmt
# src/api: the SQL-callable entry points (functions, triggers, the worker);
# src/domain: the rules; src/store: SPI, caches, outbox and alert rows.
# Each layer calls only the ones below it (docs/architecture.md).
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c src/api/*.c src/domain/*.c src/store/*.c)))

EXTENSION = ordermgmt
EXTVERSION = $(shell sed -n "s/^default_version = '\\(.*\\)'/\\1/p" ordermgmt.control)
# sql/ordermgmt.sql is the current version's schema, written out whole; it
# installs as ordermgmt--$(EXTVERSION).sql.  sql/ also keeps the first
# release's script and one upgrade script per release, so that an older
# version can be installed and updated (test/shell/upgrade.sh proves both
# paths give the same catalog).
DATA = $(sort $(wildcard sql/ordermgmt--*.sql))
DATA_built = ordermgmt--$(EXTVERSION).sql

# Regression tests live in test/sql with their expected output in expected/
# (test/expected links there); isolation specs in test/isolation.
REGRESS = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --load-extension=ordermgmt
ISOLATION = $(patsubst test/isolation/specs/%.spec,%,$(sort $(wildcard test/isolation/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test/isolation --load-extension=ordermgmt
# Perl TAP tests (PostgreSQL::Test::Cluster) in test/t; `make installcheck`
# runs them with prove after the two suites above.  They start clusters of
# their own, which PostgreSQL refuses to do as root.
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

PG_CONFIG ?= pg_config
PG_CFLAGS += -Wall -Wextra
# The server headers are system headers to us: -Wextra speaks of our code only.
PG_CPPFLAGS += -I$(srcdir)/src -isystem $(shell $(PG_CONFIG) --includedir-server)
EXTRA_CLEAN = results regression.diffs regression.out output_iso

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The command-line listener in client/ is a PGXS program with its own
# Makefile; it is built, installed and cleaned with the extension.
all: client-all
install: client-install
uninstall: client-uninstall
clean: client-clean
client-all client-install client-uninstall client-clean:
	$(MAKE) -C client $(patsubst client-%,%,$@) PG_CONFIG='$(PG_CONFIG)'
.PHONY: client-all client-install client-uninstall client-clean

ordermgmt--$(EXTVERSION).sql: sql/ordermgmt.sql
	cp $< $@
