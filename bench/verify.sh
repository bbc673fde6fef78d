#!/usr/bin/env bash
#
# verify() at scale: the self-audit over two years of history (1,000,000
# orders by default), loaded in bulk by bench/views_load.sql and completed
# by bench/history_load.sql (status history, every event, shipment and
# invoice lines, stock moves).  See docs/benchmarks.md ("verify() at 1M
# orders").
#
# Usage (as root, after `make install`): bash bench/verify.sh
#
# Starts a throwaway cluster of its own on BENCH_PORT and removes it on
# exit.  verify() runs once to warm up, then RUNS times, each in a fresh
# session, with the default work_mem (4MB) and with 64MB; the time is that
# of the whole call.  Its statement also runs once on its own with JIT on
# and off (the function turns JIT off).
# Every check must hold on this data: the failing ones are printed.  Then
# the function's statement runs under EXPLAIN (ANALYZE, BUFFERS), and the
# time of each shared reading is printed (KEEP=1 keeps the whole plan).
#
# Settings (environment):
#   BENCH_PORT  port of the throwaway cluster          default 5492
#   BENCH_BUILD, BENCH_CONF                            see bench/lib.bash
#   ORDERS      orders to load                         default 1000000
#   CUSTOMERS   customers                              default 5000
#   PRODUCTS    products                               default 2000
#   RUNS        timed runs per setting                 default 3
#   KEEP        1: leave the cluster running at the end, for a closer look
#
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
HERE=$BENCH_HERE

BENCH_DB=ordermgmt_verify_bench
ORDERS=${ORDERS:-1000000}
CUSTOMERS=${CUSTOMERS:-5000}
PRODUCTS=${PRODUCTS:-2000}
RUNS=${RUNS:-3}

bench_cluster_start 5492
trap 'rc=$?; set +e; (exit "$rc"); bench__on_exit' EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }

echo "== loading $ORDERS orders, $CUSTOMERS customers, $PRODUCTS products into $BENCH_DB"
t0=$(now_ms)
bench_views_load "$BENCH_DB"
t1=$(now_ms)
psql_db -f "$HERE/history_load.sql" >>"${OM_TMP}/load.log"
t2=$(now_ms)
psql_db -c "VACUUM (ANALYZE)"
t3=$(now_ms)
echo "   views_load $(( (t1 - t0) / 1000 )) s, history_load $(( (t2 - t1) / 1000 )) s," \
     "VACUUM ANALYZE $(( (t3 - t2) / 1000 )) s, database" \
     "$(psql_db -At -c "SELECT pg_size_pretty(pg_database_size(current_database()))")"
psql_db -P footer=off <<'SQL'
SELECT c.relname AS "table", to_char(c.reltuples, 'FM999,999,999,999') AS "rows (estimate)",
       pg_size_pretty(pg_relation_size(c.oid)) AS "size"
  FROM pg_class c
 WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind = 'r' AND c.reltuples > 10000
 ORDER BY pg_relation_size(c.oid) DESC;
SQL

echo "== the checks that fail (none expected)"
psql_db -At -c "SELECT check_name || ': ' || detail FROM ordermgmt.verify() WHERE NOT ok"
echo "   $(psql_db -At -c "SELECT count(*) FILTER (WHERE ok) || ' of ' || count(*) || ' checks hold' FROM ordermgmt.verify()")"

# time_verify SETTINGS: "best median" in ms over RUNS fresh sessions.
time_verify() {
  local i t0 t ts=()
  for i in $(seq 1 "$RUNS"); do
    t0=$(now_ms)
    psql_db -c "$1" -c "SELECT count(*) FROM ordermgmt.verify()" >/dev/null
    t=$(( $(now_ms) - t0 ))
    ts+=("$t")
  done
  printf '%s\n' "${ts[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%d %d\n", a[1], a[int((NR + 1) / 2)] }'
}

echo "== timing: $RUNS runs per setting, each in a fresh session"
psql_db -c "SELECT count(*) FROM ordermgmt.verify()" >/dev/null   # warm-up
for setting in "SET work_mem = '4MB'" "SET work_mem = '64MB'"; do
  read -r best median <<<"$(time_verify "$setting")"
  printf '   verify(), %-22s best %7d ms  median %7d ms\n' "$setting" "$best" "$median"
done
# The function turns JIT off; its statement run on its own shows what JIT
# would cost (compiling the one large plan).
psql_db -At -c "SELECT prosrc FROM pg_proc WHERE oid = 'ordermgmt.verify()'::regprocedure" \
  >"$OM_TMP/verify_body.sql"
for jit in off on; do
  t0=$(now_ms)
  { echo "SET jit = $jit;"; echo "SET search_path = pg_catalog, pg_temp;"; cat "$OM_TMP/verify_body.sql"; echo ";"; } \
    | psql_db >/dev/null
  printf '   the statement alone, jit = %-3s      %7d ms\n' "$jit" "$(( $(now_ms) - t0 ))"
done

echo "== where the time goes (jit off): each shared reading, then the whole statement"
{
  echo "SET jit = off;"
  echo "SET search_path = pg_catalog, pg_temp;"
  echo "EXPLAIN (ANALYZE, BUFFERS)"
  cat "$OM_TMP/verify_body.sql"
} | psql_db >"$OM_TMP/verify_plan.txt"
awk '/^ *CTE / { name = $2; getline; sub(/^ *-> */, ""); print "   " name ": " $0 }' "$OM_TMP/verify_plan.txt" \
  | sed -E 's/\(cost=[^)]*\) //'
grep -E 'Planning Time|Execution Time' "$OM_TMP/verify_plan.txt" | sed 's/^ */   /'

echo
echo "extension $(psql_db -At -c "SELECT extversion FROM pg_extension WHERE extname = 'ordermgmt'") ($BENCH_VERSION)"
if [ "${KEEP:-0}" = 1 ]; then
  trap - EXIT
  echo "cluster left running: PGHOST=$PGHOST PGPORT=$PGPORT; the plan is in $OM_TMP/verify_plan.txt; stop it with"
  echo "  runuser -u postgres -- $OM_BINDIR/pg_ctl -D $OM_TMP/data stop"
fi
