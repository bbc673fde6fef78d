#!/usr/bin/env bash
# ordermgmt-notify, the sender of the notices to customers: two instances
# at once work 1,000 queued notices through a recording command that fails
# for one customer's address; each other notice is sent exactly once, each
# failing one is tried --max-attempts times and then marked failed with the
# command's error.  Then: --once, a command past its timeout, a notifier
# killed while sending (its notice is sent again after the lease, with the
# same Message-ID: at least once), a non-ASCII subject, and the exit codes.
#
# Starts its own cluster on port TAP_PORT (default 5541) and removes it on
# exit.  Run as root after `make install` (which installs the client into
# PostgreSQL's bindir).  Prints PASS/FAIL lines; exits 1 if anything failed.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/shell_lib.bash"

NOTIFY=$(command -v ordermgmt-notify) ||
  { echo "FAIL: ordermgmt-notify is not installed (make install)"; exit 1; }

DB=ordermgmt_notify
shell_cluster_start "${TAP_PORT:-5541}"
W=$OM_TMP/notify-test     # scratch files (removed with the cluster)
mkdir -p "$W"
CONN="host=$OM_TMP port=$OM_PORT user=postgres dbname=$DB"

t() { test "$(q -d "$DB" -c "$1")" = t; }
count() { q -d "$DB" -c "SELECT count(*) FROM ordermgmt.notifications WHERE $1"; }

# The recording command: checks the message's headers, then appends
# "NOTIFIER ID" to sent.log, or, for bounce@ addresses, to bounced.log and
# fails like a mail system that refuses the address.  Lines appended with
# >> are single writes: concurrent commands never mix them.
cat >"$W/record.sh" <<EOF
#!/bin/sh
msg=\$(cat)
printf '%s\n' "\$msg" | grep -q "^To: \$OM_RECIPIENT\$" || { echo "To: missing"; exit 2; }
printf '%s\n' "\$msg" | grep -q "^Message-ID: <notification-\$OM_NOTIFICATION_ID\\." || { echo "Message-ID missing"; exit 2; }
case "\$OM_RECIPIENT" in
  bounce@*) echo "\${NOTIFIER:-?} \$OM_NOTIFICATION_ID" >>"$W/bounced.log"
            echo "550 5.1.1 mailbox unavailable: \$OM_RECIPIENT"; exit 75 ;;
esac
echo "\${NOTIFIER:-?} \$OM_NOTIFICATION_ID" >>"$W/sent.log"
EOF
chmod +x "$W/record.sh"

# ---------------------------------------------------------------------------
# 1. Command line and start-up errors
# ---------------------------------------------------------------------------
"$NOTIFY" --help >"$W/help.out" 2>&1
check "--help exits 0" test $? = 0
check "--help prints the usage" grep -q '^Usage:' "$W/help.out"
"$NOTIFY" -d "$CONN" >/dev/null 2>"$W/nocmd.err"
check "no --command exits 64" test $? = 64
check "no --command is named" grep -q -- '--command is required' "$W/nocmd.err"
"$NOTIFY" -c true --timeout 10 --lease 5 >/dev/null 2>&1
check "a lease not longer than the timeout exits 64" test $? = 64
"$NOTIFY" -c true --retry-delay -1 >/dev/null 2>&1
check "a negative --retry-delay exits 64" test $? = 64
"$NOTIFY" -c true -d "host=$OM_TMP port=$OM_PORT no_such_keyword=1" >/dev/null 2>&1
check "a bad connection string exits 2" test $? = 2
"$NOTIFY" -c true -d "host=$OM_TMP port=1 user=postgres" >/dev/null 2>&1
check "no server at start exits 2" test $? = 2
"$NOTIFY" -c true --once -d "host=$OM_TMP port=$OM_PORT user=postgres dbname=postgres" >/dev/null 2>"$W/noext.err"
check "a database without the extension exits 3" test $? = 3

# ---------------------------------------------------------------------------
# 2. 1,000 notices: confirmations of orders of ten customers; BOUNCE's
#    address fails (100 notices); NOMAIL has none (failed when written).
# ---------------------------------------------------------------------------
q -c "CREATE DATABASE $DB" || exit 1
q -d "$DB" >/dev/null <<'SQL' || exit 1
CREATE EXTENSION ordermgmt;
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('WH1', 'Main');
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost) VALUES ('P1', 'Widget', 10, 4);
SELECT ordermgmt.receive_stock('P1', 'WH1', 100000);
INSERT INTO ordermgmt.customers (code, name, email)
SELECT 'C-' || n, 'Customer ' || n, 'c' || n || '@example.com' FROM generate_series(1, 9) AS n;
INSERT INTO ordermgmt.customers (code, name, email) VALUES ('BOUNCE', 'Bounce', 'bounce@example.com'),
                                                           ('NOMAIL', 'No Mail', NULL);
UPDATE ordermgmt.notification_templates SET enabled = true WHERE kind = 'order.confirmed';
SELECT count(*) FROM ordermgmt.create_orders(
  (SELECT jsonb_agg(jsonb_build_object('customer', CASE WHEN n % 10 = 0 THEN 'BOUNCE' ELSE 'C-' || n % 10 END,
                                       'lines', '[{"sku": "P1", "qty": 1}]'::jsonb))
     FROM generate_series(1, 1000) AS n)) WHERE order_id IS NOT NULL;
SELECT ordermgmt.create_order('NOMAIL', '[{"sku": "P1", "qty": 1}]');
SQL
check "1,000 notices queued, written with their orders" t \
  "SELECT count(*) = 1000 FROM ordermgmt.notifications WHERE status = 'queued'"
check "the customer without an address: its notice failed, its order taken" t \
  "SELECT n.status = 'failed' AND n.attempts = 0 AND n.last_error LIKE 'customer NOMAIL has no e-mail address%'
          AND o.status = 'confirmed'
     FROM ordermgmt.notifications n JOIN ordermgmt.customers c USING (customer_id)
     JOIN ordermgmt.orders o USING (customer_id) WHERE c.code = 'NOMAIL'"

# ---------------------------------------------------------------------------
# 3. Two notifiers at once.
# ---------------------------------------------------------------------------
run_notifier() {  # NAME ARGS...: in the background, its pid in PID_NAME
  local name=$1; shift
  NOTIFIER=$name "$NOTIFY" -d "$CONN" "$@" >"$W/$name.out" 2>"$W/$name.err" &
  printf -v "PID_$name" '%s' $!
  SHELL_CLEANUP+=("kill -KILL $!")
}
stop_notifier() {  # NAME: SIGTERM, wait up to 10 s; its exit code in RC
  local pid_var="PID_$1" pid i
  pid=${!pid_var}
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; RC=timeout; return; fi
  wait "$pid"
  RC=$?
}
COMMON=(-c "$W/record.sh" --batch 20 --max-attempts 3 --retry-delay 0.05 --poll-interval 0.5
        --timeout 10 --lease 60)
START=$(now_ms)
run_notifier A "${COMMON[@]}"
run_notifier B "${COMMON[@]}"
check "the queue is worked off (nothing queued or sending)" wait_for 180 "$DB" \
  "SELECT count(*) = 0 FROM ordermgmt.notifications WHERE status IN ('queued', 'sending')"
echo "# 1,000 notices through two notifiers in $(($(now_ms) - START)) ms"
stop_notifier A; RC_A=$RC
stop_notifier B; RC_B=$RC
check "SIGTERM ends both with 0 (A: $RC_A, B: $RC_B)" test "$RC_A:$RC_B" = 0:0

touch "$W/sent.log" "$W/bounced.log"
q -d "$DB" >/dev/null <<SQL || exit 1
CREATE TABLE public.sent (notifier text, notification_id bigint);
CREATE TABLE public.bounced (notifier text, notification_id bigint);
\copy public.sent FROM '$W/sent.log' WITH (DELIMITER ' ')
\copy public.bounced FROM '$W/bounced.log' WITH (DELIMITER ' ')
SQL
check "900 notices sent" t "SELECT count(*) = 900 FROM public.sent"
check "none sent twice" t "SELECT count(DISTINCT notification_id) = count(*) FROM public.sent"
check "what the command got is what is marked sent, each after one attempt" t \
  "SELECT count(*) = 0 FROM ordermgmt.notifications n FULL JOIN public.sent s USING (notification_id)
    WHERE n.status IS DISTINCT FROM 'failed'
      AND (s.notification_id IS NULL OR n.status IS DISTINCT FROM 'sent' OR n.attempts <> 1 OR n.sent_at IS NULL
           OR n.last_error IS NOT NULL)"
check "both notifiers sent (A: $(q -d "$DB" -c "SELECT count(*) FROM public.sent WHERE notifier = 'A'"))" t \
  "SELECT count(DISTINCT notifier) = 2 FROM public.sent"
check "each bounced notice was tried 3 times, then failed with the command's error" t \
  "SELECT count(*) = 100 AND bool_and(n.attempts = 3 AND b.tries = 3 AND n.sent_at IS NULL
                                      AND n.last_error = 'command exited with status 75: 550 5.1.1 mailbox unavailable: bounce@example.com')
     FROM ordermgmt.notifications n
     JOIN (SELECT notification_id, count(*) AS tries FROM public.bounced GROUP BY 1) b USING (notification_id)
    WHERE n.status = 'failed'"
check "every failed notice is either bounced or had no address" t \
  "SELECT count(*) = 101 FROM ordermgmt.notifications WHERE status = 'failed'"
check "the notifiers said why each attempt failed" \
  test "$(cat "$W/A.err" "$W/B.err" | grep -c 'command exited with status 75')" = 300

# ---------------------------------------------------------------------------
# 4. --once; a non-ASCII subject; a command past its timeout.
# ---------------------------------------------------------------------------
q -d "$DB" >/dev/null <<'SQL' || exit 1
INSERT INTO ordermgmt.customers (code, name, email) VALUES ('UML', 'Müller & Söhne', 'mueller@example.com');
UPDATE ordermgmt.notification_templates SET subject = 'Auftrag {{order_id}} für {{customer_name}}'
 WHERE kind = 'order.confirmed';
SELECT ordermgmt.create_order('UML', '[{"sku": "P1", "qty": 1}]');
SQL
"$NOTIFY" -d "$CONN" --once -c "cat >'$W/once.msg'" >"$W/once.out" 2>&1
check "--once sends what is due and exits 0" test $? = 0
check "--once: the notice is sent" t \
  "SELECT status = 'sent' FROM ordermgmt.notifications WHERE recipient = 'mueller@example.com'"
SUBJECT=$(sed -n 's/^Subject: =?UTF-8?B?\(.*\)?=$/\1/p' "$W/once.msg")
check "a non-ASCII subject is an encoded word that decodes to the subject" \
  test "$(printf '%s' "$SUBJECT" | base64 -d)" = "Auftrag $(q -d "$DB" -c "SELECT max(order_id) FROM ordermgmt.orders") für Müller & Söhne"
check "the body follows the headers, in UTF-8" grep -q '^Dear Müller & Söhne,$' "$W/once.msg"

q -d "$DB" -c "SELECT ordermgmt.create_order('C-1', '[{\"sku\": \"P1\", \"qty\": 1}]')" >/dev/null
"$NOTIFY" -d "$CONN" --once --max-attempts 1 --timeout 0.3 -c "sleep 5" >"$W/timeout.out" 2>&1
check "a command past its timeout is killed, the notice failed" t \
  "SELECT status = 'failed' AND last_error = 'command timed out after 300 ms'
     FROM ordermgmt.notifications WHERE notification_id = (SELECT max(notification_id) FROM ordermgmt.notifications)"

# ---------------------------------------------------------------------------
# 5. A notifier killed between sending and marking: the notice stays
#    claimed until its lease ends, then goes out again, same Message-ID.
# ---------------------------------------------------------------------------
q -d "$DB" -c "SELECT ordermgmt.create_order('C-2', '[{\"sku\": \"P1\", \"qty\": 1}]')" >/dev/null
CRASH_ID=$(q -d "$DB" -c "SELECT max(notification_id) FROM ordermgmt.notifications")
run_notifier K -c "cat >'$W/crash1.msg'; touch '$W/crash.sent'; sleep 3" --timeout 40 --lease 41
for i in $(seq 100); do [ -f "$W/crash.sent" ] && break; sleep 0.1; done
kill -KILL "$PID_K"; wait "$PID_K" 2>/dev/null
check "killed after the command took the message: still claimed" t \
  "SELECT status = 'sending' AND attempts = 1 FROM ordermgmt.notifications WHERE notification_id = $CRASH_ID"
q -d "$DB" -c "UPDATE ordermgmt.notifications SET next_attempt_at = now() WHERE notification_id = $CRASH_ID"
"$NOTIFY" -d "$CONN" --once -c "cat >'$W/crash2.msg'" >/dev/null 2>&1
check "after the lease another notifier sends it again and marks it" t \
  "SELECT status = 'sent' AND attempts = 2 FROM ordermgmt.notifications WHERE notification_id = $CRASH_ID"
check "both copies carry the same Message-ID" \
  test "$(grep '^Message-ID:' "$W/crash1.msg")" = "$(grep '^Message-ID:' "$W/crash2.msg")"

shell_finish
