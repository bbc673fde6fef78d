#!/usr/bin/env bash
#
# Notices benchmark: what a confirmation notice adds to placing an order,
# in throughput (pgbench) and in CPU time per order (notices_cpu.sql).
# The placement workload (3-line orders over 1,000 SKUs, auto-confirm) runs
# with every notification template disabled (as installed: each event
# costs a look-up in the backend's cache, no query) and with the
# order.confirmed template enabled (each order also reads the values of
# the placeholders and writes a notification).  See docs/benchmarks.md.
#
# Usage: PGHOST=... PGPORT=... PGUSER=... bash bench/notices.sh
#
# Needs a running PostgreSQL 15 cluster with the extension installed and a
# superuser (PGUSER): it drops and recreates database $BENCH_DB.
#
# Settings (environment):
#   BENCH_DB   database to (re)create            default ordermgmt_bench_notices
#   ROUNDS     rounds; each runs every variant   default 3
#   DURATION   seconds per pgbench run           default 10
#   CLIENTS    pgbench clients                   default 2
#   JOBS       pgbench threads                   default 2
#   WARMUP     seconds of warm-up per variant    default 3 (0: none)
#   VARIANTS   space-separated subset of: place_notice place_plain
#
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

BENCH_DB=${BENCH_DB:-ordermgmt_bench_notices}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-2}
JOBS=${JOBS:-2}
WARMUP=${WARMUP:-3}
VARIANTS=${VARIANTS:-"place_notice place_plain"}

bench_new_placement_db
# Half the customers have a primary contact, whose address is used.
psql_db -c "INSERT INTO ordermgmt.customer_contacts (customer_id, name, email, is_primary)
            SELECT customer_id, 'Buyer ' || customer_id, 'buyer' || customer_id || '@example.com', true
              FROM ordermgmt.customers WHERE customer_id % 2 = 0"

set_template() {   # $1: true | false
    psql_db -c "UPDATE ordermgmt.notification_templates SET enabled = $1 WHERE kind = 'order.confirmed'"
}
OUT=$(mktemp -d)
RESULTS=$OUT/results    # lines: round variant tps

run_variant() {   # $1 variant, $2 seconds, $3 label ("warmup" or round number)
    local v=$1 secs=$2 label=$3 log=$OUT/$1.$3.log
    case $v in place_notice) set_template true ;; *) set_template false ;; esac
    psql_db -c "CHECKPOINT"
    bench_placement_script place_off
    bench_pgbench "$log" "$v ($label)" -n -M prepared -c "$CLIENTS" -j "$JOBS" -T "$secs" \
                  "${BENCH_SCRIPT[@]}" "$BENCH_DB"
    bench_tps "$log"
}

echo "== $ROUNDS rounds x {$VARIANTS}, ${DURATION}s each, $CLIENTS clients, $JOBS threads"
bench_warmup
psql_db -c "VACUUM ANALYZE"
bench_rounds "$RESULTS" 13

# Sanity: a notice for each order placed while the template was enabled.
psql_db -At <<'SQL'
SELECT format('orders: %s; notifications: %s (%s queued, to a primary contact: %s)',
              (SELECT count(*) FROM ordermgmt.orders),
              (SELECT count(*) FROM ordermgmt.notifications),
              (SELECT count(*) FROM ordermgmt.notifications WHERE status = 'queued'),
              (SELECT count(*) FROM ordermgmt.notifications WHERE recipient LIKE 'buyer%'));
SQL
bench_tps_table "$RESULTS" TPS 13 "place_notice/place_plain" " / " \
  "(ratio: per-round ratio of orders per second with and without the confirmation notice; last column: median)"
echo "pgbench logs: $OUT"

# The CPU time of one order in one backend, with and without the notice.
echo
echo "== CPU time per order, one backend, notice off and on alternately"
psql_db -f "$(dirname "${BASH_SOURCE[0]}")/notices_cpu.sql"
