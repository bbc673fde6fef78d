#!/usr/bin/env bash
#
# Soak run: the concurrent order-to-cash workload of bench/workloads/mixed
# for a long time (default 10 minutes, 8 clients), with monitor ticks both
# from the background worker (every second, real time) and from the clients
# (at a simulated time that runs fast enough to cover 40 days in the run, so
# that every deadline of hours and days falls due and the overdue alerts
# are raised and resolved all along).  Checks that nothing goes wrong over
# time: no error, every invariant of test/invariants.sql at the end, and no
# growth of the backends' private memory once warmed up.
#
# Every SAMPLE seconds it prints a row: throughput since the previous row,
# orders, events and open alerts stored, and the private memory (RssAnon of
# /proc/PID/status: the process's own heap, without the shared buffers it
# maps) of the 8 pgbench connections (min, mean, max) and of the worker.
# At the end of the warm-up and at the end of the run it also asks every
# one of them for its memory contexts (pg_log_backend_memory_contexts) and
# prints their grand totals.  See docs/crash-and-soak.md.
#
# Usage (as root, after `make install`): bash bench/soak.sh
# Not part of scripts/test.sh: it runs for 10 minutes.
#
# Settings (environment):
#   SOAK_SECONDS   run time                               default 600
#   SOAK_CLIENTS   pgbench clients                        default 8
#   SAMPLE         seconds between two rows               default 15
#   WARMUP         seconds before the memory baseline     default 20% of the run
#   MAX_GROWTH_KB  allowed growth per process from the end of the warm-up
#                  to the end of the memory contexts' bytes in use
#                                                         default 4096
#   MAX_RSS_GROWTH_KB  the same for RssAnon, which also keeps the peak of
#                  the largest statement run since (the C library holds
#                  freed heap for reuse)                  default 8192
#   MIN_TPS_RATIO  least throughput of the last minute, as a fraction of
#                  the first minute after the warm-up     default 0.85
#   BENCH_PORT     port of the throwaway cluster          default 5524
#   BENCH_BUILD, BENCH_CONF                               see bench/lib.bash
#
# Prints PASS/FAIL lines at the end; exits 1 if anything failed.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
# shellcheck source=bench/workloads/mixed/workload.bash
. "$BENCH_HERE/workloads/mixed/workload.bash"

DB=ordermgmt_soak
SOAK_SECONDS=${SOAK_SECONDS:-600}
SOAK_CLIENTS=${SOAK_CLIENTS:-8}
SAMPLE=${SAMPLE:-15}
WARMUP=${WARMUP:-$((SOAK_SECONDS / 5))}
MAX_GROWTH_KB=${MAX_GROWTH_KB:-4096}
MAX_RSS_GROWTH_KB=${MAX_RSS_GROWTH_KB:-8192}
MIN_TPS_RATIO=${MIN_TPS_RATIO:-0.85}
SPEEDUP=$((40 * 86400 / SOAK_SECONDS))

# Room for the whole run in memory and in WAL.  A checkpoint in the middle
# would write the shared buffers out and full-page images after it; a
# database grown past the shared buffers with no checkpoint (about 1 GB,
# after 8 minutes) makes every backend evict dirty pages itself, each one
# flushing the WAL first.  Either way the last minute would measure the
# disk, not the history.
bench_cluster_start 5524 \
  "shared_buffers = 4GB" \
  "max_wal_size = 32GB" \
  "shared_preload_libraries = 'ordermgmt'" \
  "ordermgmt.database = '$DB'" \
  "ordermgmt.monitor_interval = 1"
LOG=$OM_TMP/server.log
W=$OM_TMP/soak
mkdir -p "$W"
echo "   run: $SOAK_SECONDS s, $SOAK_CLIENTS clients, a row every $SAMPLE s, warm-up $WARMUP s," \
     "simulated time x$SPEEDUP, growth bound $MAX_GROWTH_KB kB (RssAnon $MAX_RSS_GROWTH_KB kB)"

q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }
# rss_kb PID: the process's RssAnon in kB ("-" once it is gone).
rss_kb() { sed -n 's/^RssAnon:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null || echo -; }

# memory_contexts LABEL: the bytes each process uses in its memory contexts
# (the "used" of the grand total that pg_log_backend_memory_contexts logs),
# as "LABEL PID BYTES" lines in $W/contexts.
memory_contexts() {
  local from pid total
  from=$(($(wc -l <"$LOG") + 1))
  for pid in "${PIDS[@]}"; do q "SELECT pg_log_backend_memory_contexts($pid)" >/dev/null; done
  sleep 2
  for pid in "${PIDS[@]}"; do
    total=$(tail -n +"$from" "$LOG" | sed -n "s/.*\[$pid\] LOG:  Grand total: .* \([0-9][0-9]*\) used\$/\1/p" | tail -n1)
    echo "$1 $pid ${total:--}" >>"$W/contexts"
  done
}

echo "== setting up database $DB"
wl_setup "$DB"
WORKER=""
deadline=$((SECONDS + 15))
until [ -n "$WORKER" ] || [ "$SECONDS" -ge "$deadline" ]; do
  WORKER=$(q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'ordermgmt worker' AND datname = '$DB'")
  sleep 0.2
done
[ -n "$WORKER" ] || { echo "FAIL: the worker did not start"; exit 1; }
LOG_FROM=$(($(wc -l <"$LOG") + 1))

echo "== pgbench: $SOAK_CLIENTS clients for $SOAK_SECONDS s"
wl_tick_args "$SPEEDUP" 2
START_EPOCH=$(date +%s)
wl_pgbench "$DB" "$W/pgbench.out" -c "$SOAK_CLIENTS" -j 4 -T "$SOAK_SECONDS" "${WL_TICK_ARGS[@]}" \
           -l --log-prefix="$W/tx" &
BENCH=$!
START=$SECONDS
BACKENDS=()
until [ "${#BACKENDS[@]}" -eq "$SOAK_CLIENTS" ] || [ $((SECONDS - START)) -ge 30 ]; do
  sleep 0.5
  mapfile -t BACKENDS < <(q "SELECT pid FROM pg_stat_activity WHERE datname = '$DB'
                               AND application_name = 'pgbench' ORDER BY pid")
done
PIDS=("${BACKENDS[@]}" "$WORKER")
echo "   pgbench connections: ${BACKENDS[*]}; worker: $WORKER"

# One row per sample; the RssAnon of each process in $W/rss (one line per
# sample: elapsed, then a value per process of PIDS).
printf '%8s %7s %8s %9s %8s %7s | %30s | %9s\n' elapsed "tx/s" orders events "open al." "db MB" \
       "pgbench RssAnon kB min/avg/max" "worker kB"
commits_before=$(q "SELECT xact_commit FROM pg_stat_database WHERE datname = '$DB'")
last=0
# The last row comes 5 s before the end, while every connection is alive.
END_AT=$((SOAK_SECONDS - 5))
at=0
while [ "$at" -lt "$END_AT" ]; do
  at=$((at + SAMPLE < END_AT ? at + SAMPLE : END_AT))
  [ $((START + at - SECONDS)) -le 0 ] || sleep $((START + at - SECONDS))
  kill -0 "$BENCH" 2>/dev/null || break
  commits=$(q "SELECT xact_commit FROM pg_stat_database WHERE datname = '$DB'")
  read -r orders events open_alerts db_mb < <(q "SELECT (SELECT count(*) FROM ordermgmt.orders),
        (SELECT max(event_id) FROM ordermgmt.events),
        (SELECT count(*) FROM ordermgmt.alerts WHERE status <> 'resolved'),
        pg_database_size(current_database()) / 1048576" | tr '|' ' ')
  values=()
  for pid in "${PIDS[@]}"; do values+=("$(rss_kb "$pid")"); done
  echo "$at ${values[*]}" >>"$W/rss"
  stats=$(printf '%s\n' "${values[@]:0:${#BACKENDS[@]}}" |
          awk '$1 != "-" { n++; s += $1; if (min == "" || $1 < min) min = $1; if ($1 > max) max = $1 }
               END { printf "%d / %d / %d", min, n ? s / n : 0, max }')
  tps=$(((commits - commits_before) / (at - last)))
  echo "$at $tps" >>"$W/tps"
  printf '%8s %7d %8s %9s %8s %7s | %30s | %9s\n' "$at s" "$tps" \
         "$orders" "$events" "$open_alerts" "$db_mb" "$stats" "${values[-1]}"
  commits_before=$commits
  last=$at
  if [ ! -f "$W/rss_baseline" ] && [ "$at" -ge "$WARMUP" ]; then
    echo "$at ${values[*]}" >"$W/rss_baseline"
    memory_contexts warm-up
  fi
done
memory_contexts end
rc=0
wait "$BENCH" || rc=$?

echo "== pgbench"
wl_pgbench_summary "$W/pgbench.out"

echo "== memory of each process: after the warm-up and at the end"
read -r -a base <"$W/rss_baseline"
read -r -a end < <(tail -n 1 "$W/rss")
printf '%-10s %8s %12s %12s %10s %17s %17s\n' process pid "RssAnon@${base[0]}s" "RssAnon@${end[0]}s" \
       growth "contexts@${base[0]}s" "contexts@${end[0]}s"
max_growth=0
max_context_growth=0
for i in "${!PIDS[@]}"; do
  pid=${PIDS[$i]}
  name=pgbench; [ "$pid" = "$WORKER" ] && name=worker
  growth=$((end[i + 1] - base[i + 1]))
  [ "$growth" -le "$max_growth" ] || max_growth=$growth
  ctx_base=$(awk -v p="$pid" '$1 == "warm-up" && $2 == p { print $3 }' "$W/contexts")
  ctx_end=$(awk -v p="$pid" '$1 == "end" && $2 == p { print $3 }' "$W/contexts")
  ctx_growth=$(((${ctx_end/-/0} - ${ctx_base/-/0}) / 1024))
  [ "$ctx_growth" -le "$max_context_growth" ] || max_context_growth=$ctx_growth
  printf '%-10s %8s %10s kB %10s kB %7s kB %15s B %15s B\n' "$name" "$pid" "${base[i + 1]}" "${end[i + 1]}" \
         "$growth" "$ctx_base" "$ctx_end"
done

# Throughput as history grows: the mean tx/s of the samples in the first
# minute after the warm-up against those of the last minute of the run.
read -r tps_first tps_last tps_ratio < <(awk -v w="$WARMUP" -v e="$END_AT" '
  $1 > w && $1 <= w + 60 { f += $2; nf++ }
  $1 > e - 60            { l += $2; nl++ }
  END { f = nf ? f / nf : 0; l = nl ? l / nl : 0
        printf "%d %d %.2f\n", f, l, f ? l / f : 0 }' "$W/tps")

# What grew: each script's mean latency in the same two minutes, from
# pgbench's per-transaction logs (script numbers follow WL_MIX, then tick).
echo "== mean latency per script (ms): first minute after the warm-up, last minute"
{ for m in "${WL_MIX[@]}"; do echo "${m%@*}"; done; echo tick; } >"$W/script_names"
cat "$W"/tx.* | awk -v s="$START_EPOCH" -v w="$WARMUP" -v e="$END_AT" '
  NR == FNR { name[FNR - 1] = $1; next }
  { t = $5 - s
    if (t > w && t <= w + 60) { f[$4] += $3; nf[$4]++ }
    if (t > e - 60 && t <= e) { l[$4] += $3; nl[$4]++ } }
  END { printf "%-18s %8s %8s %8s %8s %6s\n", "script", "n first", "ms first", "n last", "ms last", "ratio"
        for (i = 0; i in name; i++) {
          a = nf[i] ? f[i] / nf[i] / 1000 : 0; b = nl[i] ? l[i] / nl[i] / 1000 : 0
          printf "%-18s %8d %8.2f %8d %8.2f %6.2f\n", name[i], nf[i], a, nl[i], b, a ? b / a : 0 } }
' "$W/script_names" - | tee "$W/latency"

echo "== checks"
wl_check "throughput of the last minute at least $MIN_TPS_RATIO of the first after the warm-up ($tps_last / $tps_first tx/s = $tps_ratio)" yes \
  "$(awk -v r="$tps_ratio" -v m="$MIN_TPS_RATIO" 'BEGIN { print (r >= m) ? "yes" : "no" }')"
wl_check_pgbench "$W/pgbench.out" "$rc"
wl_check "server log lines with ERROR, FATAL or PANIC during the run" 0 \
  "$(tail -n +"$LOG_FROM" "$LOG" | grep -cE '(ERROR|FATAL|PANIC):' || true)"
wl_check "the worker ran the whole time (same pid)" "$WORKER" \
  "$(q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'ordermgmt worker' AND datname = '$DB'")"
wl_check "largest RssAnon growth after the warm-up within $MAX_RSS_GROWTH_KB kB ($max_growth kB)" yes \
  "$([ "$max_growth" -le "$MAX_RSS_GROWTH_KB" ] && echo yes || echo no)"
wl_check "largest growth of memory contexts in use within $MAX_GROWTH_KB kB ($max_context_growth kB)" yes \
  "$([ "$max_context_growth" -le "$MAX_GROWTH_KB" ] && echo yes || echo no)"
wl_check "every process answered both memory context requests" 0 \
  "$(awk '$3 == "-"' "$W/contexts" | wc -l)"
wl_check_actions "$DB"
echo "== what the workload did"
wl_report "$DB"
echo "== invariants"
wl_invariants "$DB" || true

if [ "$WL_FAILURES" -eq 0 ]; then
  echo "PASS: soak"
else
  echo "FAIL: soak ($WL_FAILURES failed checks)"
  exit 1
fi
