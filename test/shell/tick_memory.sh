#!/usr/bin/env bash
# monitor_tick's memory does not grow with the number of due items: it
# handles them in batches and frees each batch's allocations, including the
# result sets SPI would otherwise keep until the end of the call.
#
# Starts its own cluster on port TAP_PORT (default 5526) and removes it on
# exit.  A session with NOTIFY off (immediate mode queues every
# notification until commit, which is memory by design) runs ticks that
# raise 10,000 and then 40,000 alerts, while this script samples the
# backend's private memory (RssAnon of /proc/PID/status) every 20 ms.
# Before the fix a tick took about 24 kB per alert raised (480 MB for
# 20,000); now the peak must stay under TICK_MEMORY_MAX_KB (default
# 65536) and be about the same for both sizes.
# Run as root after `make install`.  Prints PASS/FAIL lines; exits 1 if
# anything failed.
set -euo pipefail
# shellcheck source=test/shell/shell_lib.bash
. "$(dirname "${BASH_SOURCE[0]}")/shell_lib.bash"

DB=ordermgmt_tick_memory
MAX_KB=${TICK_MEMORY_MAX_KB:-65536}
shell_cluster_start "${TAP_PORT:-5526}"
q -c "CREATE DATABASE $DB" >/dev/null
q -d "$DB" -c "CREATE EXTENSION ordermgmt" >/dev/null

# due_tickets N: N overdue ticket deadlines (rows written directly: the
# tickets themselves play no part in raising the alerts).
due_tickets() {
  q -d "$DB" -c "TRUNCATE ordermgmt.deadlines, ordermgmt.alerts;
                 INSERT INTO ordermgmt.deadlines (rule_code, subject_type, subject_id, anchor_at, due_at)
                 SELECT 'L3_TICKET_OVERDUE', 'ticket', i, now() - interval '2 days', now() - interval '1 day'
                   FROM generate_series(1, $1) AS i" >/dev/null
}

# peak_tick: one tick in a fresh session; prints "RAISED PEAK_KB".
peak_tick() {
  local pid raised="" peak=0 kb
  coproc SESSION { psql -X -q -A -t -d "$DB"; }
  echo "SELECT pg_backend_pid();" >&"${SESSION[1]}"
  read -r pid <&"${SESSION[0]}"
  echo "SET ordermgmt.notify = off; SELECT ordermgmt.monitor_tick();" >&"${SESSION[1]}"
  until read -r -t 0.02 raised <&"${SESSION[0]}"; do
    kb=$(sed -n 's/^RssAnon:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${kb:-0}" -le "$peak" ] || peak=$kb
  done
  echo '\q' >&"${SESSION[1]}"
  wait "$SESSION_PID" || true
  echo "$raised $peak"
}

for n in 10000 40000; do
  due_tickets "$n"
  read -r raised peak < <(peak_tick)
  check "a tick raised the $n due alerts ($raised)" test "$raised" = "$n"
  check "its backend's private memory peaked at $peak kB (< $MAX_KB)" test "$peak" -lt "$MAX_KB"
  eval "PEAK_$n=$peak"
done
check "40,000 due items take no more than 10,000 do, give or take 8 MB ($PEAK_10000 kB, $PEAK_40000 kB)" \
  test $((PEAK_40000 - PEAK_10000)) -lt 8192

shell_finish
