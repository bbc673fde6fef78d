#!/usr/bin/env bash
#
# Batch benchmark: orders placed per second from ONE client, by single
# create_order calls (each its own transaction, as an application placing
# orders one by one would: bench/workloads/batch_single.sql) against
# create_orders calls of 1, 10, 100 and 1,000 orders
# (bench/workloads/batch_create.sql).  Every order has 3 lines and is
# auto-confirmed, as in bench/placement.sh.  The figure of each variant is
# orders per second: pgbench's TPS times the orders per transaction.  The
# target (issue 16) is batch_100 at 3x or more of single, same run.  See
# docs/benchmarks.md ("Batch entry points").
#
# Usage: PGHOST=... PGPORT=... PGUSER=... bash bench/batch.sh
#
# Needs a running PostgreSQL 15 cluster with the extension installed and a
# superuser (PGUSER): it drops and recreates database $BENCH_DB.
# ordermgmt.notify stays at the database's setting (default: immediate);
# NOTIFY=off sets it off for the benchmark database.
#
# Settings (environment):
#   BENCH_DB   database to (re)create            default ordermgmt_batch_bench
#   ROUNDS     rounds; each runs every variant   default 3
#   DURATION   seconds per pgbench run           default 20
#   WARMUP     seconds of warm-up per variant    default 5 (0: none)
#   NOTIFY     off: ordermgmt.notify = off       default: the database's
#   VARIANTS   space-separated subset of: single batch_1 batch_10 batch_100 batch_1000
#
set -euo pipefail
# For its set-up, run and report helpers only: sourcing it changes nothing
# in the environment (PATH included), and the cluster is the caller's.
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

BENCH_DB=${BENCH_DB:-ordermgmt_batch_bench}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-5}
NOTIFY=${NOTIFY:-}
VARIANTS=${VARIANTS:-"single batch_1 batch_10 batch_100 batch_1000"}

# ---------------------------------------------------------------------------
# Set-up: the placement benchmark's database (1 warehouse, 1,000 products
# with ample stock, 100 customers without credit limit)
# ---------------------------------------------------------------------------
bench_new_placement_db
if [ "$NOTIFY" = off ]; then
    psql_admin -c "ALTER DATABASE $BENCH_DB SET ordermgmt.notify = off"
fi

# One smoke call of each script's shape, so a broken set-up fails here.
psql_db -c "SELECT ordermgmt.create_order('C-1', '[{\"sku\": \"SKU-1\", \"qty\": 1}]')" >/dev/null
psql_db -At -c "SELECT count(*) FROM ordermgmt.create_orders('[{\"customer\": \"C-1\", \"lines\": [{\"sku\": \"SKU-2\", \"qty\": 1}]}]')
                 WHERE order_id IS NOT NULL" | grep -qx 1 || { echo "smoke batch placed nothing" >&2; exit 1; }
status=$(psql_db -At -c "SELECT string_agg(DISTINCT status::text, ',') FROM ordermgmt.orders")
[ "$status" = confirmed ] || { echo "smoke orders are $status, not confirmed" >&2; exit 1; }

# ---------------------------------------------------------------------------
# Runs: one client, one thread
# ---------------------------------------------------------------------------
OUT=$(mktemp -d)
RESULTS=$OUT/results    # lines: round variant orders/s

# orders per transaction of a variant
size_of() { case $1 in single) echo 1 ;; batch_*) echo "${1#batch_}" ;; *) echo "unknown variant $1" >&2; exit 1 ;; esac; }

run_variant() {   # $1 variant, $2 seconds, $3 label ("warmup" or round number); prints orders/s
    local v=$1 secs=$2 label=$3 log=$OUT/$1.$3.log size script
    size=$(size_of "$v")
    case $v in
        single) script=(-f "$BENCH_HERE/workloads/batch_single.sql") ;;
        *) script=(-f "$BENCH_HERE/workloads/batch_create.sql" -D "size=$size") ;;
    esac
    psql_db -c "CHECKPOINT"
    bench_pgbench "$log" "$v ($label)" -n -M prepared -c 1 -j 1 -T "$secs" "${script[@]}" "$BENCH_DB"
    awk -v t="$(bench_tps "$log")" -v n="$size" 'BEGIN { printf "%.1f", t * n }'
}

LIB_BEFORE=$(bench_lib_stamp)

echo "== $ROUNDS rounds x {$VARIANTS}, ${DURATION}s each, 1 client"
bench_warmup
# Statistics that know the order tables are not empty: kept SPI plans are
# planned from them, and plans made for empty tables are not representative.
psql_db -c "VACUUM ANALYZE"

BENCH_UNIT="orders/s" bench_rounds "$RESULTS" 11 alternate

# ---------------------------------------------------------------------------
# Sanity: every placed order confirmed, reserved stock = reservations
# ---------------------------------------------------------------------------
psql_db -At <<'SQL'
SELECT format('placed orders: %s (%s confirmed); events: %s',
              (SELECT count(*) FROM ordermgmt.orders),
              (SELECT count(*) FROM ordermgmt.orders WHERE status = 'confirmed'),
              (SELECT count(*) FROM ordermgmt.events));
SELECT format('reserved = reservations: %s',
              (SELECT sum(reserved) FROM ordermgmt.stock) = (SELECT sum(qty) FROM ordermgmt.reservations));
SQL

# ---------------------------------------------------------------------------
# Table: orders/s per variant per round, medians, ratios to single calls
# ---------------------------------------------------------------------------
bench_tps_table "$RESULTS" "orders/s" 22 "batch_1/single batch_10/single batch_100/single batch_1000/single" " / " \
  "(orders placed per second from one client; ratio rows: per-round ratio, last column their median)"

LIB_AFTER=$(bench_lib_stamp)
if [ "$LIB_BEFORE" != "$LIB_AFTER" ]; then
    echo "WARNING: ordermgmt.so was reinstalled during the run ($LIB_BEFORE -> $LIB_AFTER); discard these figures" >&2
fi
echo "extension $(psql_db -At -c "SELECT extversion FROM pg_extension WHERE extname = 'ordermgmt'"), library of $LIB_AFTER"
echo "pgbench logs: $OUT"
