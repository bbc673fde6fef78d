#!/usr/bin/env bash
#
# NOTIFY relay benchmark: placement throughput (bench/placement.sql: 3-line
# auto-confirmed orders over 1,000 SKUs, 8 clients) with the background
# worker running, by delivery mode of ordermgmt.notify, next to the
# bare-writes baselines of bench/placement.sh:
#
#   place_relay      relay: writers only write the outbox, the worker notifies
#   base_plain       bench/baseline.sql: the same rows, plain tables, no NOTIFY
#   place_immediate  immediate: each writing transaction notifies at commit
#   base_notify      bench/baseline_notify.sql: baseline plus one pg_notify per event
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
HERE=$BENCH_HERE

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

psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "$BENCH_DB" "$@"; }

# ---------------------------------------------------------------------------
# Set-up: the data of bench/placement.sh (which bench/baseline*.sql assume)
# ---------------------------------------------------------------------------
echo "== setting up database $BENCH_DB"
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $BENCH_DB"
psql_db >/dev/null <<'SQL'
CREATE EXTENSION ordermgmt;
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('WH1', 'Main warehouse');
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost)
SELECT 'SKU-' || n, 'Product ' || n, 5 + n % 97, 2 + n % 41
  FROM generate_series(1, 1000) AS n ORDER BY n;
INSERT INTO ordermgmt.customers (code, name, email)
SELECT 'C-' || n, 'Customer ' || n, 'c' || n || '@example.com'
  FROM generate_series(1, 100) AS n ORDER BY n;
SELECT count(ordermgmt.receive_stock('SKU-' || n, 'WH1', 100000000, 2 + n % 41))
  FROM generate_series(1, 1000) AS n;
DO $check$
BEGIN
    IF EXISTS (SELECT 1 FROM ordermgmt.products WHERE sku <> 'SKU-' || product_id
                                                   OR list_price <> 5 + product_id % 97)
       OR EXISTS (SELECT 1 FROM ordermgmt.customers WHERE code <> 'C-' || customer_id)
       OR (SELECT warehouse_id FROM ordermgmt.warehouses) <> 1
       OR (SELECT count(*) FROM ordermgmt.stock) <> 1000 THEN
        RAISE EXCEPTION 'master data ids are not what bench/baseline.sql assumes';
    END IF;
END
$check$;
CREATE SCHEMA bench_base;
CREATE TABLE bench_base.orders (LIKE ordermgmt.orders
    INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
CREATE TABLE bench_base.order_lines (LIKE ordermgmt.order_lines
    INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
CREATE TABLE bench_base.stock (LIKE ordermgmt.stock
    INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
CREATE TABLE bench_base.reservations (LIKE ordermgmt.reservations
    INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
CREATE TABLE bench_base.order_status_history (LIKE ordermgmt.order_status_history
    INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
CREATE TABLE bench_base.events (LIKE ordermgmt.events
    INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
CREATE TABLE bench_base.deadlines (LIKE ordermgmt.deadlines
    INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
INSERT INTO bench_base.stock OVERRIDING SYSTEM VALUE SELECT * FROM ordermgmt.stock;
VACUUM ANALYZE;
SQL

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
script_of() {
  case $1 in
    place_*) echo "$HERE/placement.sql" ;;
    base_notify) echo "$HERE/baseline_notify.sql" ;;
    base_plain) echo "$HERE/baseline.sql" ;;
    *) echo "unknown variant $1" >&2; exit 1 ;;
  esac
}
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
  if ! pgbench -n -M prepared -c "$CLIENTS" -j "$JOBS" -T "$secs" \
        -f "$(script_of "$v")" "$BENCH_DB" >"$log" 2>&1; then
    echo "pgbench failed for $v ($label):" >&2
    cat "$log" >&2
    exit 1
  fi
  if grep -q "number of failed transactions: [1-9]" "$log"; then
    echo "$v ($label) had failed transactions:" >&2
    cat "$log" >&2
    exit 1
  fi
  if [ "$v" = place_relay ]; then
    echo "$v $(relay_drain)" >>"$LAGS"
  fi
  sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$log"
}

LIB_BEFORE=$(bench_lib_stamp)

echo "== PostgreSQL $(psql_db -At -c 'SHOW server_version'), $(nproc) CPUs, notify_delay ${NOTIFY_DELAY} ms"
echo "== $ROUNDS rounds x {$VARIANTS}, ${DURATION}s each, $CLIENTS clients, $JOBS threads"
if [ "$WARMUP" -gt 0 ]; then
  for v in $VARIANTS; do run_variant "$v" "$WARMUP" warmup >/dev/null; done
  : >"$LAGS"
fi
psql_db -c "VACUUM ANALYZE"

read -r -a vlist <<<"$VARIANTS"
nv=${#vlist[@]}
for ((r = 1; r <= ROUNDS; r++)); do
  # Rotate the order each round, and reverse it every other round, so that
  # neither drift nor the variant run just before favours a variant.
  for ((i = 0; i < nv; i++)); do
    if ((r % 2)); then v=${vlist[$(((i + r - 1) % nv))]}; else v=${vlist[$(((nv - 1 - i + r - 1) % nv))]}; fi
    tps=$(run_variant "$v" "$DURATION" "$r")
    printf '   round %d  %-16s %10.1f tps\n' "$r" "$v" "$tps"
    echo "$r $v $tps" >>"$RESULTS"
  done
done
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
awk -v rounds="$ROUNDS" -v variants="$VARIANTS" '
function median(a, n,    i, j, t, b) {
    for (i = 1; i <= n; i++) b[i] = a[i]
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t }
    return (n % 2) ? b[(n + 1) / 2] : (b[n / 2] + b[n / 2 + 1]) / 2
}
{ tps[$2, $1] = $3 }
END {
    nv = split(variants, v, " ")
    printf "\n%-34s", "TPS"
    for (r = 1; r <= rounds; r++) printf " %9s", "round " r
    printf " %9s\n", "median"
    for (i = 1; i <= nv; i++) {
        printf "%-34s", v[i]
        for (r = 1; r <= rounds; r++) { x[r] = tps[v[i], r]; printf " %9.1f", x[r] }
        printf " %9.1f\n", median(x, rounds)
    }
    np = split("place_relay/base_plain place_immediate/base_notify place_relay/place_immediate place_off/base_plain place_relay/place_off", pairs, " ")
    for (k = 1; k <= np; k++) {
        split(pairs[k], pv, "/")
        if (!((pv[1], 1) in tps) || !((pv[2], 1) in tps)) continue
        printf "%-34s", pv[1] " / " pv[2]
        for (r = 1; r <= rounds; r++) { x[r] = tps[pv[1], r] / tps[pv[2], r]; printf " %9.3f", x[r] }
        printf " %9.3f\n", median(x, rounds)
    }
    print "\n(ratio rows: per-round ratio; last column: median of the per-round ratios)"
}' "$RESULTS"

LIB_AFTER=$(bench_lib_stamp)
if [ "$LIB_BEFORE" != "$LIB_AFTER" ]; then
  echo "WARNING: ordermgmt.so was reinstalled during the run ($LIB_BEFORE -> $LIB_AFTER); discard these figures" >&2
fi
echo "pgbench logs: $OUT"
