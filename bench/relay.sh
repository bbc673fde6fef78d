#!/usr/bin/env bash
#
# NOTIFY relay benchmark: placement throughput (bench/workloads/placement.sql:
# 3-line auto-confirmed orders over 1,000 SKUs, 8 clients) with the
# background worker running, by delivery mode of ordermgmt.notify, next to
# the bare-writes baselines of bench/placement.sh:
#
#   place_relay      relay: writers only write the outbox, the worker notifies
#   base_plain       bench/workloads/baseline.sql: the same rows, plain tables,
#                    no NOTIFY
#   place_immediate  immediate: each writing transaction notifies at commit
#   base_notify      the same with notify=true: baseline plus one pg_notify
#                    per event
#   place_off        off: no NOTIFY at all (reference)
#
# relay is compared with base_plain (neither writer notifies) and immediate
# with base_notify (both writers notify).  See docs/benchmarks.md
# ("NOTIFY relay").
#
# Usage (as root, after `make install`): bash bench/relay.sh
#
# Starts a throwaway cluster of its own on BENCH_PORT with
# shared_preload_libraries = ordermgmt and ordermgmt.database set to the
# benchmark database, and removes it on exit.  The mode is switched for the
# whole cluster (ALTER SYSTEM + reload) so that the worker follows it.
# Nobody LISTENs during the runs.
#
# Settings (environment):
#   BENCH_PORT     port of the throwaway cluster       default 5456
#   BENCH_BUILD, BENCH_CONF                            see bench/lib.bash
#   ROUNDS         rounds; each runs every variant      default 3
#   DURATION       seconds per pgbench run              default 20
#   CLIENTS        pgbench clients                      default 8
#   JOBS           pgbench threads                      default 2
#   WARMUP         seconds of warm-up per variant       default 5 (0: none)
#   NOTIFY_DELAY   ordermgmt.notify_delay (ms)          default 100
#   VARIANTS       subset of the variants above         default all five
#
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

BENCH_DB=ordermgmt_relay_bench
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-20}
CLIENTS=${CLIENTS:-8}
JOBS=${JOBS:-2}
WARMUP=${WARMUP:-5}
NOTIFY_DELAY=${NOTIFY_DELAY:-100}
VARIANTS=${VARIANTS:-"place_relay base_plain place_immediate base_notify place_off"}

bench_cluster_start 5456 \
  "shared_preload_libraries = 'ordermgmt'" \
  "ordermgmt.database = '$BENCH_DB'" \
  "ordermgmt.notify_delay = $NOTIFY_DELAY"

# ---------------------------------------------------------------------------
# Set-up: the database of bench/placement.sh
# ---------------------------------------------------------------------------
echo "== setting up database $BENCH_DB"
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $BENCH_DB"
bench_placement_setup "$BENCH_DB"

# The worker must be relaying in the benchmark database before we start.
for _ in $(seq 150); do
  [ "$(psql_db -At -c "SELECT count(*) FROM ordermgmt.relay_state")" = 1 ] && break
  sleep 0.1
done
[ "$(psql_db -At -c "SELECT count(*) FROM ordermgmt.relay_state")" = 1 ] \
  || { echo "the worker did not start relaying in $BENCH_DB" >&2; exit 1; }

# ---------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------
mode_of() {
  case $1 in
    place_immediate|base_notify) echo immediate ;;
    place_off) echo off ;;
    *) echo relay ;;
  esac
}

# set_mode MODE: for the whole cluster, the worker included.  Before relay
# is switched back on, the relay position skips what was written meanwhile
# (already notified, or meant not to be): otherwise the worker would send
# that backlog again.
CURRENT_MODE=relay
set_mode() {
  [ "$1" = "$CURRENT_MODE" ] && return 0
  if [ "$1" = relay ]; then
    psql_db -c "UPDATE ordermgmt.relay_state SET last_event_id = (SELECT coalesce(max(event_id), 0) FROM ordermgmt.events)"
  fi
  psql_db -c "ALTER SYSTEM SET ordermgmt.notify = '$1'" -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.5
  [ "$(psql_db -At -c "SHOW ordermgmt.notify")" = "$1" ] || { echo "could not set ordermgmt.notify = $1" >&2; exit 1; }
  CURRENT_MODE=$1
}

OUT=$(mktemp -d)
RESULTS=$OUT/results    # lines: round variant tps
LAGS=$OUT/lags          # lines: variant drain-ms backlog-events

# relay_drain: ms until the relay has sent every committed event, and how many
# events it had left when the run ended.
relay_drain() {
  local t0 backlog
  t0=$(date +%s%N)
  backlog=$(psql_db -At -c "SELECT (SELECT coalesce(max(event_id), 0) FROM ordermgmt.events) - last_event_id
                              FROM ordermgmt.relay_state")
  for _ in $(seq 600); do
    [ "$(psql_db -At -c "SELECT last_event_id >= (SELECT coalesce(max(event_id), 0) FROM ordermgmt.events)
                           FROM ordermgmt.relay_state")" = t ] && break
    sleep 0.05
  done
  echo "$(( ($(date +%s%N) - t0) / 1000000 )) $backlog"
}

run_variant() {   # $1 variant, $2 seconds, $3 label ("warmup" or round number)
  local v=$1 secs=$2 label=$3 log=$OUT/$1.$3.log
  set_mode "$(mode_of "$v")"
  # Each run starts from vacuumed tables: otherwise autovacuum, woken by the
  # previous variant's writes, runs during this one on our 2 cores.
  psql_db -c "VACUUM ANALYZE" -c "CHECKPOINT"
  bench_placement_script "$v"
  bench_pgbench "$log" "$v ($label)" -n -M prepared -c "$CLIENTS" -j "$JOBS" -T "$secs" \
                "${BENCH_SCRIPT[@]}" "$BENCH_DB"
  if [ "$v" = place_relay ]; then
    echo "$v $(relay_drain)" >>"$LAGS"
  fi
  bench_tps "$log"
}

LIB_BEFORE=$(bench_lib_stamp)

echo "== PostgreSQL $(psql_db -At -c 'SHOW server_version'), $(nproc) CPUs, notify_delay ${NOTIFY_DELAY} ms"
echo "== $ROUNDS rounds x {$VARIANTS}, ${DURATION}s each, $CLIENTS clients, $JOBS threads"
if [ "$WARMUP" -gt 0 ]; then
  for v in $VARIANTS; do run_variant "$v" "$WARMUP" warmup >/dev/null; done
  : >"$LAGS"
fi
psql_db -c "VACUUM ANALYZE"

# Rotated, and reversed every other round: neither drift nor the variant
# run just before favours a variant.
bench_rounds "$RESULTS" 16 alternate
set_mode relay

# ---------------------------------------------------------------------------
# Sanity and relay lag
# ---------------------------------------------------------------------------
psql_db -At <<'SQL'
SELECT format('placed orders: %s (%s confirmed); events: %s; relay position: %s (max event id %s)',
              (SELECT count(*) FROM ordermgmt.orders),
              (SELECT count(*) FROM ordermgmt.orders WHERE status = 'confirmed'),
              (SELECT count(*) FROM ordermgmt.events),
              (SELECT last_event_id FROM ordermgmt.relay_state),
              (SELECT max(event_id) FROM ordermgmt.events));
SQL
if [ -s "$LAGS" ]; then
  awk '{ n++; d += $2; b += $3; if ($2 > md) md = $2; if ($3 > mb) mb = $3 }
       END { printf "relay after each place_relay run: backlog at the end of the run avg %.0f events (max %d), drained in avg %.0f ms (max %d)\n", b / n, mb, d / n, md }' "$LAGS"
fi

# ---------------------------------------------------------------------------
# Table: TPS per variant per round, medians, ratios
# ---------------------------------------------------------------------------
bench_tps_table "$RESULTS" TPS 34 \
  "place_relay/base_plain place_immediate/base_notify place_relay/place_immediate place_off/base_plain place_relay/place_off" \
  " / " "(ratio rows: per-round ratio; last column: median of the per-round ratios)"

LIB_AFTER=$(bench_lib_stamp)
if [ "$LIB_BEFORE" != "$LIB_AFTER" ]; then
  echo "WARNING: ordermgmt.so was reinstalled during the run ($LIB_BEFORE -> $LIB_AFTER); discard these figures" >&2
fi
echo "pgbench logs: $OUT"
