#!/usr/bin/env bash
# The NOTIFY relay (ordermgmt.notify = relay, the default with the worker):
# a listener gets every committed event exactly once, in event order, from
# the background worker, within the configured delay; rolled-back work
# sends nothing; alert notifications carry the contract's keys.
#
# Starts its own cluster (shared_preload_libraries = ordermgmt) on port
# TAP_PORT (default 5452) and removes it on exit.  Run as root after
# `make install`.  Prints PASS/FAIL lines; exits 1 if anything failed.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/shell_lib.bash"

DB=ordermgmt_relay
shell_cluster_start "${TAP_PORT:-5452}" \
  "shared_preload_libraries = 'ordermgmt'" \
  "ordermgmt.database = '$DB'" \
  "ordermgmt.notify_delay = 100" \
  "ordermgmt.monitor_interval = 1"
W=$OM_TMP/relay-test     # scratch files (removed with the cluster)
mkdir -p "$W"

q -c "CREATE DATABASE $DB" || exit 1

# ---------------------------------------------------------------------------
# The listener: psql reading commands from a pipe.  psql prints a
# notification after the result of the command during which it arrived, so
# each "tick|<server time>" line dates the notifications printed after it
# (to within one tick, 50 ms).  It listens before the extension exists, so
# it hears everything the relay ever sends.
# ---------------------------------------------------------------------------
LISTEN_OUT=$W/listener.out
STOP=$W/stop
{
  echo "LISTEN ordermgmt_events;"
  echo "LISTEN ordermgmt_alerts;"
  echo "SELECT 'ready';"
  while [ ! -e "$STOP" ]; do
    echo "SELECT 'tick', clock_timestamp();"
    sleep 0.05
  done
} | psql -X -A -t -d "$DB" >"$LISTEN_OUT" 2>&1 &
LISTENER=$!
SHELL_CLEANUP+=("touch '$STOP'; kill $LISTENER")
for _ in $(seq 100); do grep -q '^ready$' "$LISTEN_OUT" 2>/dev/null && break; sleep 0.1; done
check "listener is listening" grep -q '^ready$' "$LISTEN_OUT"

q -d "$DB" >/dev/null <<'SQL' || exit 1
CREATE EXTENSION ordermgmt;
SQL
# The relay starts from the events committed when it first sees the extension.
check "relay position initialised by the worker" \
  wait_for 15 "$DB" "SELECT EXISTS (SELECT 1 FROM ordermgmt.relay_state)"
START=$(q -d "$DB" -c "SELECT last_event_id FROM ordermgmt.relay_state")
START=${START:-0}
check "relay starts at 0 (no events before the first order)" test "$START" = 0

q -d "$DB" >/dev/null <<'SQL' || exit 1
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('WH1', 'Main');
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost)
SELECT 'SKU-' || n, 'Product ' || n, 10, 4 FROM generate_series(1, 50) AS n;
INSERT INTO ordermgmt.customers (code, name, email)
SELECT 'C-' || n, 'Customer ' || n, 'c' || n || '@example.com' FROM generate_series(1, 20) AS n;
INSERT INTO ordermgmt.customers (code, name, email, blocked) VALUES ('BLOCKED', 'Blocked', 'b@example.com', true);
SELECT ordermgmt.receive_stock('SKU-' || n, 'WH1', 1000000) FROM generate_series(1, 50) AS n;
CREATE TABLE public.probe (order_id bigint, returned_at timestamptz);
SQL

# ---------------------------------------------------------------------------
# 1. Delay: single orders on a quiet system; the time each create_order
#    returned (just before its commit) is recorded next to it.
# ---------------------------------------------------------------------------
for _ in 1 2 3 4 5; do
  q -d "$DB" -c "INSERT INTO public.probe
                 SELECT o, clock_timestamp()
                   FROM (SELECT ordermgmt.create_order('C-1', '[{\"sku\": \"SKU-1\", \"qty\": 1}]') AS o
                         OFFSET 0) AS s" >/dev/null
  sleep 0.3
done

# ---------------------------------------------------------------------------
# 2. Concurrent load: 200 orders from 4 pgbench clients, while a fifth
#    client runs slow transactions that hold early event ids while later
#    ones commit: half of them roll back, half commit late.
# ---------------------------------------------------------------------------
cat >"$W/order.sql" <<'SQL'
\set c random(1, 20)
\set p random(1, 48)
SELECT ordermgmt.create_order('C-' || :c,
       jsonb_build_array(jsonb_build_object('sku', 'SKU-' || :p, 'qty', 1),
                         jsonb_build_object('sku', 'SKU-' || (:p + 1), 'qty', 1),
                         jsonb_build_object('sku', 'SKU-' || (:p + 2), 'qty', 2)));
SQL
# slow.sql: -v end=ROLLBACK|COMMIT; prints the event ids it wrote.
cat >"$W/slow.sql" <<'SQL'
BEGIN;
SELECT ordermgmt.create_order('C-2', '[{"sku": "SKU-50", "qty": 1}]') AS oid \gset
SELECT event_id FROM ordermgmt.events WHERE order_id = :oid;
SELECT pg_sleep(0.3);
:end;
SQL
(
  for i in $(seq 10); do
    if [ $((i % 2)) = 1 ]; then end=ROLLBACK; out=$W/rolled_back.ids; else end=COMMIT; out=$W/late_commit.ids; fi
    q -d "$DB" -v end=$end -f "$W/slow.sql" | grep -E '^[0-9]+$' >>"$out"
  done
) &
SLOW=$!
pgbench -n -c 4 -j 2 -t 50 -f "$W/order.sql" "$DB" >"$W/pgbench.log" 2>&1
check "pgbench: 200 orders from 4 clients" grep -q "number of transactions actually processed: 200/200" "$W/pgbench.log"
wait "$SLOW"

# A committed transaction with a rolled-back savepoint in it.
q -d "$DB" -o "$W/savepoint.out" >/dev/null <<'SQL'
BEGIN;
SELECT ordermgmt.create_order('C-3', '[{"sku": "SKU-3", "qty": 1}]');
SAVEPOINT s;
SELECT ordermgmt.create_order('C-3', '[{"sku": "SKU-4", "qty": 1}]') AS oid \gset
SELECT event_id FROM ordermgmt.events WHERE order_id = :oid;
ROLLBACK TO SAVEPOINT s;
SELECT ordermgmt.create_order('C-3', '[{"sku": "SKU-5", "qty": 1}]');
COMMIT;
SQL
tail -n +2 "$W/savepoint.out" | head -n -1 >>"$W/rolled_back.ids"

# The worker is terminated (the postmaster restarts it 5 s later); what
# commits meanwhile is sent by the next worker, from the stored position.
WORKER_A=$(q -d "$DB" -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'ordermgmt worker'")
q -d "$DB" -c "SELECT pg_terminate_backend(${WORKER_A:-0})" >/dev/null

# One transaction with more events than the relay sends per batch (1,000).
q -d "$DB" -c "SELECT count(ordermgmt.create_order('C-' || (1 + n % 20),
                 jsonb_build_array(jsonb_build_object('sku', 'SKU-' || (1 + n % 50), 'qty', 1))))
                 FROM generate_series(1, 600) AS n" >/dev/null

# ---------------------------------------------------------------------------
# 3. Alerts: a level-1 alert raised by the writing transaction, a level-3
#    alert raised by the worker's monitor_tick and resolved by a cancel.
# ---------------------------------------------------------------------------
blocked=$(q -d "$DB" -c "SELECT ordermgmt.create_order('BLOCKED', '[{\"sku\": \"SKU-1\", \"qty\": 1}]')")
late=$(q -d "$DB" -c "SELECT ordermgmt.create_order('C-4', '[{\"sku\": \"SKU-1\", \"qty\": 1}]',
                        jsonb_build_object('promised_at', now() - interval '1 minute'))")
check "worker raised L3_DELIVERY_LATE for order $late" \
  wait_for 10 "$DB" "SELECT EXISTS (SELECT 1 FROM ordermgmt.alerts WHERE order_id = $late
                                      AND rule_code = 'L3_DELIVERY_LATE' AND status = 'open')"
q -d "$DB" -c "SELECT ordermgmt.cancel_order($late, 'test')" >/dev/null

# ---------------------------------------------------------------------------
# Wait for the relay to catch up, then stop the listener and load what it got.
# ---------------------------------------------------------------------------
check "worker restarted after pg_terminate_backend" \
  wait_for 15 "$DB" "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = 'ordermgmt worker'
                                      AND pid <> ${WORKER_A:-0})"
check "relay caught up with every committed event" \
  wait_for 10 "$DB" "SELECT last_event_id = (SELECT max(event_id) FROM ordermgmt.events) FROM ordermgmt.relay_state"
sleep 0.5
WORKER_B=$(q -d "$DB" -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'ordermgmt worker'")
touch "$STOP"
wait "$LISTENER"

# channel <TAB> payload <TAB> sender pid <TAB> time of the tick that printed it
awk '
  /^tick\|/ { ts = substr($0, 6); next }
  /^Asynchronous notification "/ {
    if (match($0, /^Asynchronous notification "[^"]*" with payload "/)) {
      head = substr($0, 1, RLENGTH); rest = substr($0, RLENGTH + 1)
      split(head, h, "\""); channel = h[2]
      if (match(rest, /" received from server process with PID [0-9]+\.$/)) {
        payload = substr(rest, 1, RSTART - 1)
        pid = substr(rest, RSTART + 40); sub(/\.$/, "", pid)
        printf "%s\t%s\t%s\t%s\n", channel, payload, pid, ts
      }
    }
  }' "$LISTEN_OUT" >"$W/received.tsv"
check "listener printed notifications" test -s "$W/received.tsv"

sed 's/^/,/' "$W/rolled_back.ids" | tr -d '\n' | sed 's/^,//' >"$W/rolled_back.csv"
ROLLED=$(cat "$W/rolled_back.csv")
LATE_COMMIT=$(tr '\n' ',' <"$W/late_commit.ids" | sed 's/,$//')
q -d "$DB" >/dev/null <<SQL || { fail "could not load the received notifications"; shell_finish; exit 1; }
CREATE TABLE public.rx (n serial, channel text, payload jsonb, sender int, tick timestamptz);
\copy public.rx (channel, payload, sender, tick) FROM '$W/received.tsv' WITH (FORMAT csv, DELIMITER E'\t', QUOTE E'\x01')
SQL

# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------
t() { test "$(q -d "$DB" -c "$1")" = t; }
echo "# $(q -d "$DB" -c "SELECT format('%s events stored, %s event and %s alert notifications received',
  (SELECT count(*) FROM ordermgmt.events),
  count(*) FILTER (WHERE channel = 'ordermgmt_events'),
  count(*) FILTER (WHERE channel = 'ordermgmt_alerts')) FROM public.rx")"

check "events channel: the received ids are exactly the stored ids, in order" \
  t "SELECT coalesce((SELECT array_agg((payload->>'event_id')::bigint ORDER BY n) FROM public.rx
                       WHERE channel = 'ordermgmt_events'), '{}')
          = (SELECT array_agg(event_id ORDER BY event_id) FROM ordermgmt.events WHERE event_id > $START)"
check "events channel: strictly increasing ids" \
  t "SELECT bool_and(d > 0) FROM (SELECT (payload->>'event_id')::bigint
                                       - lag((payload->>'event_id')::bigint) OVER (ORDER BY n) AS d
                                    FROM public.rx WHERE channel = 'ordermgmt_events') x WHERE d IS NOT NULL"
check "events channel: no duplicates" \
  t "SELECT count(*) = count(DISTINCT payload->>'event_id') FROM public.rx WHERE channel = 'ordermgmt_events'"
check "events channel: more than 1,000 events received (several relay batches)" \
  t "SELECT count(*) > 1000 FROM public.rx WHERE channel = 'ordermgmt_events'"
check "events channel: kind and order_id match the stored event" \
  t "SELECT bool_and(r.payload->>'kind' = e.kind AND (r.payload->'order_id' = 'null' AND e.order_id IS NULL
                                                    OR (r.payload->>'order_id')::bigint = e.order_id))
       FROM public.rx r JOIN ordermgmt.events e ON e.event_id = (r.payload->>'event_id')::bigint
      WHERE r.channel = 'ordermgmt_events'"
check "rolled-back work: 6 transactions' event ids recorded" \
  test "$(wc -l <"$W/rolled_back.ids")" -ge 6
check "rolled-back work: its events are neither stored nor sent" \
  t "SELECT NOT EXISTS (SELECT 1 FROM ordermgmt.events WHERE event_id IN ($ROLLED))
        AND NOT EXISTS (SELECT 1 FROM public.rx WHERE channel = 'ordermgmt_events'
                           AND (payload->>'event_id')::bigint IN ($ROLLED))"
check "late-committing transactions: their events were sent" \
  t "SELECT count(*) = $(wc -l <"$W/late_commit.ids") AND count(*) > 0 FROM public.rx
      WHERE channel = 'ordermgmt_events' AND (payload->>'event_id')::bigint IN ($LATE_COMMIT)"
check "relay mode: every notification came from a worker (pids $WORKER_A, $WORKER_B), none from writers" \
  t "SELECT bool_and(sender IN (${WORKER_A:-0}, ${WORKER_B:-0})) AND count(DISTINCT sender) = 2 FROM public.rx"

check "alerts channel: every payload has alert_id, rule_code, level, severity, order_id, state" \
  t "SELECT count(*) > 0 AND bool_and(payload ?& array['alert_id', 'rule_code', 'level', 'severity', 'order_id', 'state']
                                      AND payload->>'state' IN ('raised', 'resolved'))
       FROM public.rx WHERE channel = 'ordermgmt_alerts'"
check "alerts channel: one payload per alert event, in event order, with the alert's values" \
  t "SELECT coalesce(array_agg(format('%s/%s/%s/%s/%s/%s', payload->>'alert_id', payload->>'rule_code',
                                      payload->>'level', payload->>'severity', payload->>'order_id',
                                      payload->>'state') ORDER BY n), '{}')
          = (SELECT array_agg(format('%s/%s/%s/%s/%s/%s', a.alert_id, a.rule_code, a.level, a.severity,
                                     a.order_id, e.payload->>'state') ORDER BY e.event_id)
               FROM ordermgmt.events e JOIN ordermgmt.alerts a ON a.alert_id = (e.payload->>'alert_id')::bigint
              WHERE e.kind IN ('alert.raised', 'alert.resolved'))
       FROM public.rx WHERE channel = 'ordermgmt_alerts'"
check "alerts channel: L1_CUSTOMER_BLOCKED raised for order $blocked" \
  t "SELECT EXISTS (SELECT 1 FROM public.rx WHERE channel = 'ordermgmt_alerts'
                     AND payload @> '{\"rule_code\": \"L1_CUSTOMER_BLOCKED\", \"order_id\": $blocked, \"state\": \"raised\", \"level\": 1}')"
check "alerts channel: L3_DELIVERY_LATE raised, then resolved, for order $late" \
  t "SELECT array_agg(payload->>'state' ORDER BY n) = '{raised,resolved}' FROM public.rx
      WHERE channel = 'ordermgmt_alerts' AND payload @> '{\"rule_code\": \"L3_DELIVERY_LATE\", \"order_id\": $late}'"
check "alerts channel: each alert notification follows its event's notification" \
  t "SELECT bool_and(ev.n < al.n)
       FROM public.rx al
       JOIN ordermgmt.events e ON e.kind IN ('alert.raised', 'alert.resolved')
                              AND (e.payload->>'alert_id')::bigint = (al.payload->>'alert_id')::bigint
                              AND e.payload->>'state' = al.payload->>'state'
       JOIN public.rx ev ON ev.channel = 'ordermgmt_events' AND (ev.payload->>'event_id')::bigint = e.event_id
      WHERE al.channel = 'ordermgmt_alerts'"

# Delay: from create_order returning to the listener's tick that printed the
# notification of the order's first event (an upper bound, within 50 ms).
DELAYS=$(q -d "$DB" -F ' ' -c "
  SELECT round(extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY d)) * 1000),
         round(extract(epoch FROM max(d)) * 1000), count(*)
    FROM (SELECT r.tick - p.returned_at AS d
            FROM public.probe p
            JOIN public.rx r ON r.channel = 'ordermgmt_events'
                            AND (r.payload->>'event_id')::bigint =
                                (SELECT min(event_id) FROM ordermgmt.events e WHERE e.order_id = p.order_id)) x")
read -r delay_median delay_max delay_n <<<"$DELAYS"
echo "# commit-to-listener delay over $delay_n single orders: median ${delay_median} ms, max ${delay_max} ms (notify_delay 100 ms)"
check "delay: every single order's notification within 1 s (max ${delay_max} ms)" \
  test "${delay_n:-0}" = 5 -a "${delay_max:-99999}" -lt 1000

shell_finish
