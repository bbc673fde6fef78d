# ordermgmt: PGXS build
MODULE_big = ordermgmt
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

EXTENSION = ordermgmt
DATA = $(sort $(wildcard sql/ordermgmt--*.sql))

# Regression tests live in test/sql with their expected output in expected/
# (test/expected links there); isolation specs in test/isolation.
REGRESS = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --load-extension=ordermgmt
ISOLATION = $(patsubst test/isolation/specs/%.spec,%,$(sort $(wildcard test/isolation/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test/isolation --load-extension=ordermgmt

PG_CONFIG ?= pg_config
PG_CFLAGS += -Wall -Wextra
# The server headers are system headers to us: -Wextra speaks of our code only.
PG_CPPFLAGS += -isystem $(shell $(PG_CONFIG) --includedir-server)
EXTRA_CLEAN = results regression.diffs regression.out output_iso

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
