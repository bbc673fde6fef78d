#!/usr/bin/env bash
#
# Placement benchmark: ordermgmt.create_order (3-line orders over 1,000 SKUs,
# auto-confirm) against a bare-writes baseline that writes the same rows into
# plain tables with no triggers, foreign keys or lookups.  See
# docs/benchmarks.md.
#
# Usage: PGHOST=... PGPORT=... PGUSER=... bash bench/placement.sh
#
# Needs a running PostgreSQL 15 cluster with the extension installed and a
# superuser (PGUSER): it drops and recreates database $BENCH_DB, and sets
# ordermgmt.notify per database for the "off" variant.
#
# Settings (environment):
#   BENCH_DB   database to (re)create            default ordermgmt_bench
#   ROUNDS     rounds; each runs every variant   default 3
#   DURATION   seconds per pgbench run           default 20
#   CLIENTS    pgbench clients                   default 8
#   JOBS       pgbench threads                   default 2
#   WARMUP     seconds of warm-up per variant    default 5 (0: none)
#   VARIANTS   space-separated subset of: place_notify base_notify place_off base_plain
#
set -euo pipefail
# For its set-up, run and report helpers only: sourcing it changes nothing
# in the environment (PATH included), and the cluster is the caller's.
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

BENCH_DB=${BENCH_DB:-ordermgmt_bench}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-20}
CLIENTS=${CLIENTS:-8}
JOBS=${JOBS:-2}
WARMUP=${WARMUP:-5}
VARIANTS=${VARIANTS:-"place_notify base_notify place_off base_plain"}

# ---------------------------------------------------------------------------
# Set-up
# ---------------------------------------------------------------------------
bench_new_placement_db

# One smoke call of each script's shape, so a broken set-up fails here.
psql_db -c "SELECT ordermgmt.create_order('C-1', '[{\"sku\": \"SKU-1\", \"qty\": 1}]')" >/dev/null
status=$(psql_db -At -c "SELECT status FROM ordermgmt.orders ORDER BY order_id DESC LIMIT 1")
[ "$status" = confirmed ] || { echo "smoke order is $status, not confirmed" >&2; exit 1; }
psql_db -c "SELECT pg_stat_reset()" >/dev/null

# ---------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------
set_notify() {   # $1: off | reset
    if [ "$1" = off ]; then
        psql_admin -c "ALTER DATABASE $BENCH_DB SET ordermgmt.notify = off"
    else
        psql_admin -c "ALTER DATABASE $BENCH_DB RESET ordermgmt.notify"
    fi
}
trap 'set_notify reset >/dev/null 2>&1 || true' EXIT

OUT=$(mktemp -d)
RESULTS=$OUT/results    # lines: round variant tps

run_variant() {   # $1 variant, $2 seconds, $3 label ("warmup" or round number)
    local v=$1 secs=$2 label=$3 log=$OUT/$1.$3.log
    case $v in place_off) set_notify off ;; *) set_notify reset ;; esac
    psql_db -c "CHECKPOINT"
    bench_placement_script "$v"
    bench_pgbench "$log" "$v ($label)" -n -M prepared -c "$CLIENTS" -j "$JOBS" -T "$secs" \
                  "${BENCH_SCRIPT[@]}" "$BENCH_DB"
    set_notify reset
    bench_tps "$log"
}

LIB_BEFORE=$(bench_lib_stamp)

echo "== $ROUNDS rounds x {$VARIANTS}, ${DURATION}s each, $CLIENTS clients, $JOBS threads"
bench_warmup
# Statistics that know the order tables are not empty: kept SPI plans are
# planned from them, and plans made for empty tables are not representative.
psql_db -c "VACUUM ANALYZE"

bench_rounds "$RESULTS" 13

# ---------------------------------------------------------------------------
# Sanity: every placed order confirmed, reserved stock = reservations
# ---------------------------------------------------------------------------
psql_db -At <<'SQL'
SELECT format('placed orders: %s (%s confirmed); baseline orders: %s (%s confirmed)',
              (SELECT count(*) FROM ordermgmt.orders),
              (SELECT count(*) FROM ordermgmt.orders WHERE status = 'confirmed'),
              (SELECT count(*) FROM bench_base.orders),
              (SELECT count(*) FROM bench_base.orders WHERE status = 'confirmed'));
SELECT format('placed reserved = reservations: %s; baseline: %s',
              (SELECT sum(reserved) FROM ordermgmt.stock) = (SELECT sum(qty) FROM ordermgmt.reservations),
              (SELECT sum(reserved) FROM bench_base.stock) = (SELECT sum(qty) FROM bench_base.reservations));
SQL
# Writes per order, from the table statistics (reset after set-up): the
# baseline must write what create_order writes.
echo
echo "rows written per order (inserted/updated/deleted):"
bench_rows_written "$BENCH_DB" placement

# ---------------------------------------------------------------------------
# Table: TPS per variant per round, medians, ratios
# ---------------------------------------------------------------------------
bench_tps_table "$RESULTS" TPS 26 "place_notify/base_notify place_off/base_plain" " / " \
  "(ratio columns: per-round ratio; last column: median of the per-round ratios)"

LIB_AFTER=$(bench_lib_stamp)
if [ "$LIB_BEFORE" != "$LIB_AFTER" ]; then
    echo "WARNING: ordermgmt.so was reinstalled during the run ($LIB_BEFORE -> $LIB_AFTER); discard these figures" >&2
fi
echo "extension $(psql_db -At -c "SELECT extversion FROM pg_extension WHERE extname = 'ordermgmt'"), library of $LIB_AFTER"
echo "pgbench logs: $OUT"
