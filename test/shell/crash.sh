#!/usr/bin/env bash
# Crash test: the server dies in the middle of the concurrent order-to-cash
# workload and everything committed must come back consistent, with the
# background worker running again and listeners missing nothing.
#
# Its own cluster (fsync on, the worker preloaded: monitor_tick every
# second and the NOTIFY relay) runs the workload of bench/workloads/mixed
# with 8 clients, plus monitor ticks at a simulated time 20000 times faster
# than the real one, while two ordermgmt-listen clients print every event.
#   round 1  SIGKILL to the postmaster and every process it started, all at
#            once (a power cut, as far as the server can tell), then a
#            start: crash recovery.  One listener keeps running and
#            reconnects by itself; the other is stopped while the server is
#            down and started again from its state file.
#   round 2  SIGKILL to one backend: the postmaster's own crash restart.
# After each round: every check of test/invariants.sql holds, and the
# worker is back (a new pid), raises a due alert without anyone calling
# monitor_tick, and relays new events to the listener by NOTIFY.  At the
# end each listener has printed every stored event exactly once, in order:
# none lost, none committed behind a gap it could have missed.
#
# Port TAP_PORT (default 5520); CRASH_SECONDS (default 12): workload time
# before each kill.  Run as root after `make install`.  Prints PASS/FAIL
# lines; exits 1 if anything failed.
set -euo pipefail
# shellcheck source=test/shell/shell_lib.bash
. "$(dirname "${BASH_SOURCE[0]}")/shell_lib.bash"
# shellcheck source=bench/workloads/mixed/workload.bash
. "$(dirname "${BASH_SOURCE[0]}")/../../bench/workloads/mixed/workload.bash"

LISTEN=$(command -v ordermgmt-listen) ||
  { echo "FAIL: ordermgmt-listen is not installed (make install)"; exit 1; }

DB=ordermgmt_crash
RUN_SECONDS=${CRASH_SECONDS:-12}
shell_cluster_start "${TAP_PORT:-5520}" \
  "fsync = on" \
  "shared_preload_libraries = 'ordermgmt'" \
  "ordermgmt.database = '$DB'" \
  "ordermgmt.monitor_interval = 1"
LOG=$(shell_server_log)
W=$OM_TMP/crash-test      # scratch files (removed with the cluster)
mkdir -p "$W"
CONN="host=$OM_TMP port=$OM_PORT user=postgres dbname=$DB"

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
t() { test "$(q -d "$DB" -c "$1")" = t; }
newest() { q -d "$DB" -c "SELECT coalesce(max(event_id), 0) FROM ordermgmt.events"; }
WORKER_SQL="SELECT pid FROM pg_stat_activity WHERE backend_type = 'ordermgmt worker' AND datname = '$DB'"
worker_pid() { q -d "$DB" -c "$WORKER_SQL" 2>/dev/null | head -n1; }
server_up() { q -c "SELECT 1" >/dev/null 2>&1; }

# The position a listener saved in its state file, -1 if none yet.
state_of() { local s; s=$(cat "$1" 2>/dev/null) || s=-1; echo "${s:--1}"; }
# wait_state SECONDS FILE ID: until the state file holds ID or more.
wait_state() {
  local deadline=$(($(now_ms) + $1 * 1000))
  [ -n "$3" ] || return 1
  until [ "$(state_of "$2")" -ge "$3" ]; do
    [ "$(now_ms)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# start_listener NAME OUTFILE: a listener from event 0 with state file
# $W/NAME.state, standard error in $W/NAME.err; its pid in LISTENER_<NAME>.
start_listener() {
  "$LISTEN" -d "$CONN" --since 0 --state-file "$W/$1.state" --poll-interval 30 \
    >>"$2" 2>>"$W/$1.err" &
  printf -v "LISTENER_$1" '%s' $!
  SHELL_CLEANUP+=("kill $!")
}
# stop_listener NAME: SIGTERM; its exit status in RC ("timeout" if it had
# to be killed).
stop_listener() {
  local var="LISTENER_$1" _
  kill -TERM "${!var}" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "${!var}" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "${!var}" 2>/dev/null; then kill -KILL "${!var}"; RC=timeout; return; fi
  RC=0
  wait "${!var}" || RC=$?
}

# alive PID: the process exists and is not a zombie.
alive() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}
# children_of PID: the pids whose parent is PID (read from /proc, so this
# picks exactly this cluster's processes and needs no procps).
children_of() {
  local f stat fields
  for f in /proc/[0-9]*/stat; do
    { read -r stat <"$f"; } 2>/dev/null || continue
    read -r -a fields <<<"${stat##*) }"
    if [ "${fields[1]}" = "$1" ]; then f=${f#/proc/}; echo "${f%/stat}"; fi
  done
}

# kill_cluster: SIGKILL to the postmaster and all its children at once,
# then wait until every one of them is gone.  The postmaster is stopped
# first so that it cannot start a process while they are listed.
kill_cluster() {
  local pm pids p deadline
  pm=$(head -n1 "$OM_TMP/data/postmaster.pid")
  kill -STOP "$pm"
  mapfile -t pids < <(children_of "$pm")
  pids+=("$pm")
  kill -KILL "${pids[@]}"
  deadline=$(($(now_ms) + 10000))
  for p in "${pids[@]}"; do
    while alive "$p"; do
      [ "$(now_ms)" -lt "$deadline" ] || { fail "process $p survived SIGKILL"; return 1; }
      sleep 0.05
    done
  done
  # Dead processes stay zombies until init reaps them, and a zombie
  # postmaster's pid still counts as running for the next start.  Where
  # init never reaps, the lock file is stale: nothing of this cluster runs.
  deadline=$(($(now_ms) + 15000))
  while [ -e "/proc/$pm" ] && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
  if [ -e "/proc/$pm" ]; then
    echo "# the dead postmaster was not reaped: removing its lock file"
    rm -f "$OM_TMP/data/postmaster.pid"
  fi
  echo "# killed the postmaster ($pm) and its $((${#pids[@]} - 1)) processes"
}

# run_workload ROUND: the workload in the background for much longer than
# the test waits; it ends when the server dies under it.
run_workload() {
  wl_tick_args 20000 1
  wl_pgbench "$DB" "$W/pgbench-${1// /}.out" -c 8 -j 4 -T 600 "${WL_TICK_ARGS[@]}" &
  BENCH=$!
  SHELL_CLEANUP+=("kill $BENCH")
}
# end_workload ROUND: wait for pgbench (all its clients lost their
# connection) and report what it had done.
end_workload() {
  wait "$BENCH" || true
  echo "# $1: pgbench had completed $(wl_pgbench_value "$W/pgbench-${1// /}.out" \
                                     "number of transactions actually processed") transactions"
}

# after_crash ROUND OLD_WORKER_PID: the checks that follow each crash.
after_crash() {
  local round=$1 old_pid=$2 order before
  echo "# $round: $(q -d "$DB" -c "SELECT format('%s orders, %s events, %s alerts after recovery',
                         (SELECT count(*) FROM ordermgmt.orders), (SELECT count(*) FROM ordermgmt.events),
                         (SELECT count(*) FROM ordermgmt.alerts))")"
  echo "# $round: the invariants of test/invariants.sql"
  wl_invariants "$DB" || true
  check "$round: the worker is back with a new pid" \
    wait_for 20 "$DB" "SELECT EXISTS ($WORKER_SQL AND pid <> ${old_pid:-0})"
  check "$round: listener 'steady' reconnected and caught up (event $(newest))" \
    wait_state 40 "$W/steady.state" "$(newest)"
  # A late order: the worker's next tick raises L3_DELIVERY_LATE, and the
  # relay sends the events by NOTIFY (the listener only polls every 30 s).
  before=$(now_ms)
  order=$(q -d "$DB" -c "SELECT ordermgmt.create_order('C10', '[{\"sku\": \"SKU01\", \"qty\": 1}]',
                            jsonb_build_object('promised_at', now() - interval '1 hour'))")
  check "$round: the worker raised L3_DELIVERY_LATE for late order $order by itself" \
    wait_for 10 "$DB" "SELECT EXISTS (SELECT 1 FROM ordermgmt.alerts WHERE rule_code = 'L3_DELIVERY_LATE'
                                        AND order_id = $order AND status = 'open')"
  check "$round: the relay position reached the newest event" \
    wait_for 5 "$DB" "SELECT last_event_id >= (SELECT max(event_id) FROM ordermgmt.events)
                        FROM ordermgmt.relay_state"
  check "$round: listener 'steady' printed the alert within 5 s (relayed NOTIFY)" \
    wait_state 5 "$W/steady.state" "$(newest)"
  echo "# $round: late order to its alert printed by the listener: $(($(now_ms) - before)) ms"
}

# ---------------------------------------------------------------------------
# Start: the workload's database, the listeners, the worker
# ---------------------------------------------------------------------------
wl_setup "$DB" || { fail "workload setup"; exit 1; }
start_listener steady "$W/steady.out"
start_listener resumed "$W/resumed.out"
check "the worker is running in $DB" wait_for 15 "$DB" "SELECT EXISTS ($WORKER_SQL)"
check "delivery mode is relay" t "SELECT current_setting('ordermgmt.notify') = 'relay'"

# ---------------------------------------------------------------------------
# Round 1: SIGKILL to the postmaster and all its processes
# ---------------------------------------------------------------------------
run_workload "round 1"
sleep "$RUN_SECONDS"
WORKER1=$(worker_pid)
SEEN1=$(state_of "$W/steady.state")
check "round 1: the listener was printing events during the workload (up to $SEEN1)" test "$SEEN1" -gt 0
kill_cluster
end_workload "round 1"
stop_listener resumed
check "round 1: listener 'resumed' stopped by SIGTERM while the server is down (exit $RC)" test "$RC" = 0
# shellcheck disable=SC2154  # set by start_listener
check "round 1: listener 'steady' is still running" kill -0 "$LISTENER_steady"

log_from=$(($(wc -l <"$LOG") + 1))
before=$(now_ms)
rc=0
om__as_postgres "$OM_BINDIR/pg_ctl" -D "$OM_TMP/data" -l "$LOG" -w -t 120 start >/dev/null 2>&1 || rc=$?
check "round 1: the server started again after crash recovery in $(($(now_ms) - before)) ms" test "$rc" = 0
check "round 1: the server log shows the crash recovery" \
  grep -q 'not properly shut down; automatic recovery in progress' <(tail -n +"$log_from" "$LOG")
echo "# round 1: $(tail -n +"$log_from" "$LOG" | grep -o 'redo done at.*' | head -n1)"
start_listener resumed "$W/resumed.out"
after_crash "round 1" "$WORKER1"

# ---------------------------------------------------------------------------
# Round 2: SIGKILL to one backend: the postmaster resets every process
# ---------------------------------------------------------------------------
run_workload "round 2"
sleep "$RUN_SECONDS"
WORKER2=$(worker_pid)
VICTIM=$(q -d "$DB" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$DB'
                          AND application_name = 'pgbench' ORDER BY random() LIMIT 1")
log_from=$(($(wc -l <"$LOG") + 1))
before=$(now_ms)
kill -KILL "$VICTIM"
deadline=$(($(now_ms) + 30000))
until grep -q 'database system is ready to accept connections' <(tail -n +"$log_from" "$LOG") &&
      server_up; do
  [ "$(now_ms)" -lt "$deadline" ] || break
  sleep 0.1
done
check "round 2: the server accepts connections again after the reset, in $(($(now_ms) - before)) ms" \
  server_up
check "round 2: the server log shows the backend killed and every process reset" \
  grep -q 'all server processes terminated; reinitializing' <(tail -n +"$log_from" "$LOG")
end_workload "round 2"
after_crash "round 2" "$WORKER2"

# ---------------------------------------------------------------------------
# What the listeners printed: every stored event once, in order
# ---------------------------------------------------------------------------
FINAL=$(newest)
check "listener 'resumed' caught up (event $FINAL)" wait_state 30 "$W/resumed.state" "$FINAL"
for name in steady resumed; do
  stop_listener "$name"
  check "listener '$name': SIGTERM exits 0 (exit $RC)" test "$RC" = 0
  q -d "$DB" >/dev/null <<SQL
CREATE TABLE public.$name (n serial PRIMARY KEY, line jsonb NOT NULL);
\copy public.$name (line) FROM '$W/$name.out' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')
SQL
  check "listener '$name': the event lines are exactly the $(q -d "$DB" -c "SELECT count(*) FROM ordermgmt.events") stored events, in order, each once" \
    t "SELECT coalesce((SELECT array_agg((line->>'event_id')::bigint ORDER BY n) FROM public.$name
                         WHERE line->>'channel' = 'ordermgmt_events'), '{}')
            = (SELECT array_agg(event_id ORDER BY event_id) FROM ordermgmt.events)"
  check "listener '$name': one alert line per alert event" \
    t "SELECT (SELECT array_agg((line->>'event_id')::bigint ORDER BY n) FROM public.$name
                WHERE line->>'channel' = 'ordermgmt_alerts')
            = (SELECT array_agg(event_id ORDER BY event_id) FROM ordermgmt.events
                WHERE kind IN ('alert.raised', 'alert.resolved'))"
done
check "listener 'steady' said it lost the connection and caught up, once per round" \
  test "$(grep -c 'reconnected; catching up after event' "$W/steady.err")" -ge 2
echo "# $(q -d "$DB" -c "SELECT format('%s events checked (%s alert events), up to id %s', count(*),
                         count(*) FILTER (WHERE kind LIKE 'alert.%'), max(event_id)) FROM ordermgmt.events")"

shell_finish
