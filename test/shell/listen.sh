#!/usr/bin/env bash
# ordermgmt-listen, the command-line listener: every committed event is
# printed exactly once, in event order, across a server restart (which also
# switches delivery from "immediate" to the worker's "relay"); events held
# back behind a transaction that rolls back still come out; filters, --exec,
# the state file, resuming, and the exit codes.
#
# Starts its own cluster on port TAP_PORT (default 5461) and removes it on
# exit.  Run as root after `make install` (which installs the client into
# PostgreSQL's bindir).  Prints PASS/FAIL lines; exits 1 if anything failed.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/shell_lib.bash"

LISTEN=$(command -v ordermgmt-listen) ||
  { echo "FAIL: ordermgmt-listen is not installed (make install)"; exit 1; }

DB=ordermgmt_listen
shell_cluster_start "${TAP_PORT:-5461}"
W=$OM_TMP/listen-test     # scratch files (removed with the cluster)
mkdir -p "$W"
CONN="host=$OM_TMP port=$OM_PORT user=postgres dbname=$DB"

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
# The position a listener saved in its state file, -1 if none yet.
state_of() { local s; s=$(cat "$1" 2>/dev/null) || s=-1; echo "${s:--1}"; }

# wait_state SECONDS FILE ID: until the state file holds ID or more.
wait_state() {
  local deadline=$(($(now_ms) + $1 * 1000))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    [ "$(state_of "$2")" -ge "$3" ] && return 0
    sleep 0.1
  done
  return 1
}

# start_listener NAME ARGS...: run the client in the background, output in
# $W/NAME.out and $W/NAME.err; its pid in PID_<NAME>.
start_listener() {
  local name=$1; shift
  "$LISTEN" -d "$CONN" "$@" >"$W/$name.out" 2>"$W/$name.err" &
  printf -v "PID_$name" '%s' $!
  SHELL_CLEANUP+=("kill $!")
}

# stop_listener NAME [SIGNAL]: stop it, wait up to 10 s; its exit code in RC
# ("timeout" if it had to be killed).
stop_listener() {
  local pid_var="PID_$1" pid i
  pid=${!pid_var}
  kill "-${2:-TERM}" "$pid" 2>/dev/null
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; RC=timeout; return; fi
  wait "$pid"
  RC=$?
}

# load NAME: the listener's output as table public.NAME (n, line jsonb);
# fails unless every line is JSON.
load() {
  q -d "$DB" >/dev/null <<SQL
CREATE TABLE public.$1 (n serial PRIMARY KEY, line jsonb NOT NULL);
\copy public.$1 (line) FROM '$W/$1.out' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')
SQL
}

t() { test "$(q -d "$DB" -c "$1")" = t; }
newest() { q -d "$DB" -c "SELECT coalesce(max(event_id), 0) FROM ordermgmt.events"; }
order() {  # order CUSTOMER [SKU [QTY [OPTIONS]]]: create one order, print its id
  local options=${4:-"{}"}
  q -d "$DB" -c "SELECT ordermgmt.create_order('$1',
                   jsonb_build_array(jsonb_build_object('sku', '${2:-P1}', 'qty', ${3:-1})),
                   '$options')"
}

# ---------------------------------------------------------------------------
# 1. Command line and start-up errors
# ---------------------------------------------------------------------------
"$LISTEN" --help >"$W/help.out" 2>&1
check "--help exits 0" test $? = 0
check "--help prints the usage" grep -q '^Usage:' "$W/help.out"
"$LISTEN" --no-such-option >/dev/null 2>&1
check "an unknown option exits 64" test $? = 64
"$LISTEN" --level 7 >/dev/null 2>&1
check "a bad --level exits 64" test $? = 64
"$LISTEN" --events-only --alerts-only >/dev/null 2>&1
check "--events-only with --alerts-only exits 64" test $? = 64
"$LISTEN" -d "host=$OM_TMP port=$OM_PORT no_such_keyword=1" >/dev/null 2>"$W/badconn.err"
check "a bad connection string exits 2" test $? = 2
check "a bad connection string is named as such" grep -q 'invalid connection string' "$W/badconn.err"
"$LISTEN" -d "host=$OM_TMP port=1 user=postgres" >/dev/null 2>&1
check "no server at start exits 2" test $? = 2
"$LISTEN" -d "host=$OM_TMP port=$OM_PORT user=postgres dbname=postgres" >/dev/null 2>"$W/noext.err"
check "a database without the extension exits 3" test $? = 3
echo "not an id" >"$W/bad.state"
"$LISTEN" -d "host=$OM_TMP port=$OM_PORT user=postgres" --state-file "$W/bad.state" >/dev/null 2>&1
check "a state file without an event id exits 1" test $? = 1
"$LISTEN" -d "host=$OM_TMP port=1 user=postgres" --wait >/dev/null 2>"$W/wait.err" &
WAITER=$!
sleep 1.5
kill -TERM "$WAITER"
wait "$WAITER"
check "--wait retries instead of failing, and SIGTERM ends it with 0" test $? = 0
check "--wait says it retries" grep -q 'retrying in' "$W/wait.err"

# ---------------------------------------------------------------------------
# 2. Data, then three listeners:
#    main     everything, from event 0, with a state file and --exec
#    filtered --kind order.created --kind 'alert.*' --level 1
#    recent   --alerts-only, no position at start: from the newest event
# ---------------------------------------------------------------------------
q -c "CREATE DATABASE $DB" || exit 1
q -d "$DB" >/dev/null <<'SQL' || exit 1
CREATE EXTENSION ordermgmt;
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('WH1', 'Main');
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost)
VALUES ('P1', 'Widget', 10, 4), ('P2', 'Sprocket', 10, 4);
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, reorder_point) VALUES ('LOW', 'Gadget', 10, 4, 100);
INSERT INTO ordermgmt.customers (code, name, email)
SELECT 'C-' || n, 'Customer ' || n, 'c' || n || '@example.com' FROM generate_series(1, 5) AS n;
INSERT INTO ordermgmt.customers (code, name, email, blocked) VALUES ('BLOCKED', 'Blocked', 'b@example.com', true);
SELECT ordermgmt.receive_stock('P1', 'WH1', 100000);
SELECT ordermgmt.receive_stock('P2', 'WH1', 100000);
SELECT ordermgmt.receive_stock('LOW', 'WH1', 110);
SQL

start_listener main --since 0 --state-file "$W/main.state" \
  --exec "cat >>'$W/exec_stdin.out'; printf '%s\n' \"\$ORDERMGMT_ALERT\" >>'$W/exec_env.out'"
start_listener filtered --since 0 --state-file "$W/filtered.state" \
  --kind order.created --kind 'alert.*' --level 1
for i in 1 2 3; do order "C-$i" >/dev/null; done
order BLOCKED >/dev/null     # an alert before "recent" starts, not for it
RECENT_FROM=$(newest)
start_listener recent --alerts-only --state-file "$W/recent.state"
check "a listener without a position starts at the newest event ($RECENT_FROM), saved at once" \
  wait_state 10 "$W/recent.state" "$RECENT_FROM"
check "listeners catch up with the history" wait_state 10 "$W/main.state" "$(newest)"

# ---------------------------------------------------------------------------
# 3. Immediate mode: 50 orders, one psql each, alerts of three levels.
# ---------------------------------------------------------------------------
for i in $(seq 50); do
  if [ $((i % 10)) = 0 ]; then
    order BLOCKED >/dev/null                     # L1_CUSTOMER_BLOCKED
  else
    order "C-$((i % 5 + 1))" >/dev/null
  fi
done
order C-1 LOW 20 >/dev/null                      # L2_LOW_STOCK raised
q -d "$DB" -c "SELECT ordermgmt.receive_stock('LOW', 'WH1', 100)" >/dev/null   # ... and resolved
late=$(order C-2 P1 1 '{"promised_at": "2020-01-01T00:00:00Z"}')
q -d "$DB" -c "SELECT ordermgmt.monitor_tick()" >/dev/null                    # L3_DELIVERY_LATE
q -d "$DB" -c "SELECT ordermgmt.cancel_order($late, 'late')" >/dev/null       # ... resolved
check "immediate mode: the listener prints what commits" wait_state 10 "$W/main.state" "$(newest)"

# An event behind an older transaction is held back until that one ends;
# it rolls back, so no notification follows: the listener must ask again.
# (Another product: the two orders must not wait for each other's stock.)
q -d "$DB" >/dev/null <<'SQL' &
BEGIN;
SELECT ordermgmt.create_order('C-1', '[{"sku": "P1", "qty": 1}]');
SELECT pg_sleep(3);
ROLLBACK;
SQL
HOLDER=$!
sleep 1
held=$(order C-3 P2)
held_event=$(q -d "$DB" -c "SELECT max(event_id) FROM ordermgmt.events WHERE order_id = $held")
sleep 1
check "an event committed behind a running transaction is held back" \
  test "$(state_of "$W/main.state")" -lt "$held_event"
wait "$HOLDER"
check "... and printed within 3 s once that transaction rolled back" \
  wait_state 3 "$W/main.state" "$held_event"

# ---------------------------------------------------------------------------
# 4. Restart mid-stream: orders keep coming from a loop that tolerates the
#    outage while the server restarts with the worker, i.e. in relay mode.
# ---------------------------------------------------------------------------
(
  for i in $(seq 60); do
    order "C-$((i % 5 + 1))" >/dev/null 2>&1 || true
    sleep 0.05
  done
) &
LOADER=$!
sleep 1
if om_cluster_restart "shared_preload_libraries = 'ordermgmt'" "ordermgmt.database = '$DB'"; then
  pass "server restarted (fast) while orders were being created"
else
  fail "server restart"
fi
wait "$LOADER"
check "relay mode after the restart" \
  wait_for 10 "$DB" "SELECT current_setting('ordermgmt.notify') = 'relay'
                       AND EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = 'ordermgmt worker')"
for i in $(seq 10); do order "C-$((i % 5 + 1))" >/dev/null; done
order BLOCKED >/dev/null
FINAL=$(newest)
check "every listener reconnected and caught up (event $FINAL)" \
  wait_state 15 "$W/main.state" "$FINAL"
wait_state 10 "$W/filtered.state" "$FINAL"
wait_state 10 "$W/recent.state" "$FINAL"
sleep 0.5

stop_listener main
check "main: SIGTERM exits 0" test "$RC" = 0
stop_listener filtered
check "filtered: SIGTERM exits 0" test "$RC" = 0
stop_listener recent INT
check "recent: SIGINT exits 0" test "$RC" = 0
sleep 0.5   # let the last --exec commands finish

check "main: said the connection was lost" grep -q 'connection lost' "$W/main.err"
check "main: said it reconnected and caught up" grep -q 'reconnected; catching up after event' "$W/main.err"
for name in main filtered recent; do
  check "$name: every output line is a JSON object" load "$name"
done
MAIN_LAST=$(state_of "$W/main.state")
echo "# $(newest) events stored; main printed $(wc -l <"$W/main.out") lines up to event $MAIN_LAST"

# ---------------------------------------------------------------------------
# 5. What the listeners printed
# ---------------------------------------------------------------------------
check "main: the event lines are exactly the stored events, in order (none missing, none twice)" \
  t "SELECT coalesce((SELECT array_agg((line->>'event_id')::bigint ORDER BY n) FROM public.main
                       WHERE line->>'channel' = 'ordermgmt_events'), '{}')
          = (SELECT array_agg(event_id ORDER BY event_id) FROM ordermgmt.events WHERE event_id <= $MAIN_LAST)"
check "main: got up to the newest event" test "$MAIN_LAST" -ge "$FINAL"
check "main: strictly increasing event ids" \
  t "SELECT coalesce(bool_and(d > 0), false) FROM (
       SELECT (line->>'event_id')::bigint - lag((line->>'event_id')::bigint) OVER (ORDER BY n) AS d
         FROM public.main WHERE line->>'channel' = 'ordermgmt_events') x WHERE d IS NOT NULL"
check "main: an event line's payload is the event: id, kind, order_id and the stored payload" \
  t "SELECT bool_and(m.line->'payload' = jsonb_build_object('event_id', e.event_id, 'kind', e.kind,
                                                            'order_id', e.order_id) || e.payload)
       FROM public.main m JOIN ordermgmt.events e ON e.event_id = (m.line->>'event_id')::bigint
      WHERE m.line->>'channel' = 'ordermgmt_events'"
check "main: alerts of levels 1, 2 and 3, raised and resolved" \
  t "SELECT array_agg(DISTINCT (line->'payload'->>'level') || '/' || (line->'payload'->>'state'))
              = '{1/raised,2/raised,2/resolved,3/raised,3/resolved}'
       FROM public.main WHERE line->>'channel' = 'ordermgmt_alerts'"
check "main: one alert line per alert event, right after its event line" \
  t "SELECT (SELECT array_agg((line->>'event_id')::bigint ORDER BY n) FROM public.main
              WHERE line->>'channel' = 'ordermgmt_alerts')
          = (SELECT array_agg(event_id ORDER BY event_id) FROM ordermgmt.events
              WHERE kind IN ('alert.raised', 'alert.resolved') AND event_id <= $MAIN_LAST)
        AND (SELECT bool_and(p.line->>'channel' = 'ordermgmt_events' AND p.line->'event_id' = a.line->'event_id')
               FROM public.main a JOIN public.main p ON p.n = a.n - 1
              WHERE a.line->>'channel' = 'ordermgmt_alerts')"
check "main: an alert line's payload is the alerts channel's" \
  t "SELECT bool_and(m.line->'payload' = jsonb_build_object('alert_id', a.alert_id, 'rule_code', a.rule_code,
                       'level', a.level, 'severity', a.severity, 'order_id', e.order_id,
                       'state', e.payload->>'state'))
       FROM public.main m JOIN ordermgmt.events e ON e.event_id = (m.line->>'event_id')::bigint
       JOIN ordermgmt.alerts a ON a.alert_id = (e.payload->>'alert_id')::bigint
      WHERE m.line->>'channel' = 'ordermgmt_alerts'"
check "main: the state file holds the last event printed" \
  t "SELECT max((line->>'event_id')::bigint) = $MAIN_LAST FROM public.main"

# --exec: one run per alert line, the payload on stdin and in $ORDERMGMT_ALERT.
q -d "$DB" >/dev/null <<SQL
CREATE TABLE public.exec_stdin (line jsonb);
CREATE TABLE public.exec_env (line jsonb);
\copy public.exec_stdin FROM '$W/exec_stdin.out' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')
\copy public.exec_env FROM '$W/exec_env.out' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')
SQL
for src in stdin env; do
  check "--exec: each alert's payload once, on $src" \
    t "SELECT (SELECT array_agg(line->'payload' ORDER BY line->'payload'::text) FROM public.main
                WHERE line->>'channel' = 'ordermgmt_alerts')
            = (SELECT array_agg(line ORDER BY line::text) FROM public.exec_$src)"
done

FILTERED_LAST=$(state_of "$W/filtered.state")
check "filtered: the events of the selected kinds, in order" \
  t "SELECT (SELECT array_agg((line->>'event_id')::bigint ORDER BY n) FROM public.filtered
              WHERE line->>'channel' = 'ordermgmt_events')
          = (SELECT array_agg(event_id ORDER BY event_id) FROM ordermgmt.events
              WHERE (kind = 'order.created' OR kind LIKE 'alert.%') AND event_id <= $FILTERED_LAST)"
check "filtered: the alerts of level 1 only, all of them" \
  t "SELECT (SELECT array_agg((line->>'event_id')::bigint ORDER BY n) FROM public.filtered
              WHERE line->>'channel' = 'ordermgmt_alerts')
          = (SELECT array_agg(event_id ORDER BY event_id) FROM ordermgmt.events
              WHERE kind LIKE 'alert.%' AND payload->>'level' = '1' AND event_id <= $FILTERED_LAST)"

RECENT_LAST=$(state_of "$W/recent.state")
check "recent: alert lines only: every alert event after its start ($RECENT_FROM), in order" \
  t "SELECT (SELECT array_agg((line->>'event_id')::bigint ORDER BY n) FROM public.recent)
          = (SELECT array_agg(event_id ORDER BY event_id) FROM ordermgmt.events
              WHERE kind LIKE 'alert.%' AND event_id > $RECENT_FROM AND event_id <= $RECENT_LAST)
        AND (SELECT bool_and(line->>'channel' = 'ordermgmt_alerts') FROM public.recent)"

# ---------------------------------------------------------------------------
# 6. Resume: what committed while the listener was stopped comes first (here
#    more than one events_since batch), and the state file wins over --since.
# ---------------------------------------------------------------------------
for i in 1 2 3; do order "C-$i" >/dev/null; done
order BLOCKED >/dev/null
q -d "$DB" -c "SELECT count(ordermgmt.create_order('C-' || (1 + n % 5), '[{\"sku\": \"P2\", \"qty\": 1}]'))
                 FROM generate_series(1, 600) AS n" >/dev/null
start_listener resumed --since 0 --state-file "$W/main.state"
RESUME_TO=$(newest)
check "resumed: caught up with the events committed while it was stopped" \
  wait_state 10 "$W/main.state" "$RESUME_TO"
stop_listener resumed
check "resumed: SIGTERM exits 0" test "$RC" = 0
check "resumed: output is JSON" load resumed
check "resumed: more than 1,000 events to catch up with" \
  t "SELECT count(*) > 1000 FROM public.resumed"
check "resumed: exactly the events after the saved position ($MAIN_LAST), in order" \
  t "SELECT (SELECT array_agg((line->>'event_id')::bigint ORDER BY n) FROM public.resumed
              WHERE line->>'channel' = 'ordermgmt_events')
          = (SELECT array_agg(event_id ORDER BY event_id) FROM ordermgmt.events
              WHERE event_id > $MAIN_LAST AND event_id <= $(state_of "$W/main.state"))"

shell_finish
