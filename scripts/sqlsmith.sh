#!/usr/bin/env bash
# Random-query run with SQLsmith against a database holding ordermgmt and a
# business day's worth of data, to find queries that crash the server.
# Bounded by a number of queries and by wall-clock time.  Fails if a server
# process crashed (or PANICked); prints the figures: queries, errors by
# SQLSTATE and the most frequent messages, crashes.  Not part of CI.  See
# docs/sqlsmith.md.
#
# SQLsmith connects as a login role that is a member of ordermgmt_admin (and
# so of ordermgmt_app and ordermgmt_reader) and of ordermgmt_approver, not
# as a superuser: it reaches
# the API functions, the views and the triggers of orders and order_lines
# exactly as an application or an administrator would, while functions such
# as pg_terminate_backend cannot end the server's other sessions (the
# background worker among them) and no file of the server can be written.
#
#   SQLSMITH_QUERIES  most queries to run (default 50000)
#   SQLSMITH_SECONDS  most seconds to run (default 900)
#   SQLSMITH_SEED     random seed (default 1; the same seed and data give the
#                     same queries)
#   SQLSMITH_FOCUS    1 (default): SQLsmith sees only ordermgmt's functions
#                     and the built-ins over the types our tables use (see
#                     "Focus" below); 0: every function of pg_proc
#   SQLSMITH_REV      git revision of the extension to run (default HEAD),
#                     built into a private copy of the PostgreSQL installation
#   SQLSMITH_PORT     port of the throwaway cluster (default 5531)
#   SQLSMITH_LOGS     a directory to keep the server log and SQLsmith's
#                     output in (default: none)
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

QUERIES=${SQLSMITH_QUERIES:-50000}
TIME_LIMIT=${SQLSMITH_SECONDS:-900}
SEED=${SQLSMITH_SEED:-1}
REV=${SQLSMITH_REV:-HEAD}
OM_PORT=${SQLSMITH_PORT:-5531}      # common.sh's functions read OM_PORT when they run
DB=smith
ROLE=smith
FOCUS=${SQLSMITH_FOCUS:-1}

om_install_deps
om_install_packages sqlsmith

trap om__on_exit EXIT               # stops the cluster, removes the private build

echo "== building $REV into a private copy of PostgreSQL $OM_PGVER"
om_private_build "$REV"
echo "   commit ${OM_BUILD_COMMIT:0:7}"

# %e is the SQLSTATE and %a the application name: SQLsmith's own session
# calls itself "sqlsmith::dut", so its errors can be told from the others.
om_cluster_start "log_line_prefix = '%m [%p] %e %a: '"
LOG=$OM_TMP/server.log
cd "$OM_ROOT"

echo "== loading database $DB: the demo's business day, then more orders through the lifecycle"
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB" </dev/null
# The demo refuses one plain UPDATE on purpose; its output is not wanted here.
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f demo/demo.sql >/dev/null 2>&1 </dev/null ||
  { echo "loading demo/demo.sql failed" >&2; exit 1; }
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<'SQL'
SET client_min_messages = warning;
SELECT count(ordermgmt.receive_stock(sku, 'MAIN', 400, unit_cost)) FROM ordermgmt.products;
-- 120 orders of 1-3 products for the demo's customers; Hooli is blocked and
-- Initech has a small credit limit, so some go on hold; every 10th has a
-- discount that needs approval, every 15th is left a draft.
SELECT count(ordermgmt.create_order(
         (ARRAY['ACME', 'GLOBEX', 'INITECH', 'HOOLI', 'UMBRELLA'])[1 + i % 5],
         (SELECT jsonb_agg(jsonb_build_object('sku', sku, 'qty', 1 + (i + n) % 4)
                           || CASE WHEN i % 10 = 0 THEN jsonb_build_object('unit_price', list_price * 0.5)
                                   ELSE '{}' END)
            FROM (SELECT sku, list_price, row_number() OVER (ORDER BY sku) AS n
                    FROM ordermgmt.products) p
           WHERE (n + i) % 5 < 1 + i % 3),
         jsonb_build_object('promised_at', now() + make_interval(days => i % 7),
                            'external_ref', 'PO-' || i, 'submit', i % 15 <> 0)))
  FROM generate_series(1, 120) AS i;
SET SESSION AUTHORIZATION maria_manager;
SELECT count(ordermgmt.approve_order(order_id, 'within the discount policy'))
  FROM ordermgmt.v_order_status WHERE awaiting_approval IS NOT NULL AND order_id % 2 = 0;
RESET SESSION AUTHORIZATION;
SELECT count(ordermgmt.cancel_order(order_id, 'customer changed its mind'))
  FROM ordermgmt.orders WHERE status IN ('confirmed', 'on_hold') AND order_id % 11 = 0;
SELECT count(ordermgmt.start_processing(order_id))
  FROM ordermgmt.orders WHERE status = 'confirmed' AND order_id % 3 = 0;
SELECT count(ordermgmt.ship_order(order_id))
  FROM ordermgmt.orders WHERE status IN ('confirmed', 'processing') AND order_id % 4 <> 0;
SELECT count(ordermgmt.confirm_delivery(shipment_id, shipped_at + interval '1 day'))
  FROM ordermgmt.shipments WHERE delivered_at IS NULL AND shipment_id % 3 <> 0;
SELECT count(ordermgmt.invoice_order(order_id, 14))
  FROM ordermgmt.orders o WHERE status IN ('shipped', 'delivered') AND order_id % 5 <> 0
   AND NOT EXISTS (SELECT FROM ordermgmt.invoices i WHERE i.order_id = o.order_id);
SELECT count(ordermgmt.record_payment(invoice_id, CASE WHEN invoice_id % 3 = 0 THEN due ELSE round(due / 2, 2) END,
                                      'bank', 'TRF-' || invoice_id))
  FROM ordermgmt.invoices WHERE due > 0 AND invoice_id % 4 <> 0;
SELECT count(ordermgmt.record_feedback(order_id, 1 + order_id::int % 5, 'rating ' || order_id))
  FROM ordermgmt.orders o WHERE status IN ('delivered', 'completed') AND order_id % 2 = 1
   AND NOT EXISTS (SELECT FROM ordermgmt.feedback f WHERE f.order_id = o.order_id);
SELECT count(ordermgmt.open_ticket(order_id, 'Question about order ' || order_id,
                                   (ARRAY['low', 'normal', 'high'])[1 + order_id::int % 3]))
  FROM ordermgmt.orders WHERE status IN ('delivered', 'completed') AND order_id % 3 = 0;
INSERT INTO ordermgmt.accounts (code, name, type) VALUES ('6000', 'Rent', 'expense');
SELECT count(ordermgmt.post_entry('Office rent', '[{"account": "6000", "debit": 1200}, {"account": "1000", "credit": 1200}]'))
  FROM generate_series(1, 3);
-- A month later: time-based alerts (late deliveries, overdue invoices and tickets).
SELECT ordermgmt.monitor_tick(now() + interval '40 days') AS alerts_raised;
SQL
psql -X -At -d "$DB" </dev/null -c "
  SELECT '   orders by status: ' || string_agg(status || ' ' || n, ', ' ORDER BY status)
    FROM (SELECT status, count(*) AS n FROM ordermgmt.orders GROUP BY status) s" -c "
  SELECT format('   %s shipments, %s invoices, %s payments, %s journal entries, %s alerts open, %s events',
                (SELECT count(*) FROM ordermgmt.shipments), (SELECT count(*) FROM ordermgmt.invoices),
                (SELECT count(*) FROM ordermgmt.payments), (SELECT count(*) FROM ordermgmt.journal_entries),
                (SELECT count(*) FROM ordermgmt.alerts WHERE status = 'open'),
                (SELECT count(*) FROM ordermgmt.events))"

# The background worker serves the loaded database while SQLsmith runs:
# scheduled monitoring and the NOTIFY relay.
om_cluster_restart "shared_preload_libraries = 'ordermgmt'" \
                   "ordermgmt.database = '$DB'" \
                   "ordermgmt.monitor_interval = '5s'"

# The role SQLsmith runs as (see the header for why not a superuser).
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "CREATE ROLE $ROLE LOGIN IN ROLE ordermgmt_admin, ordermgmt_approver" </dev/null

# Focus.  SQLsmith picks each function it calls at random among all of
# pg_proc, about 3,000 built-in functions for a few dozen of ours, and most
# of its errors come from polymorphic built-ins it cannot type (anyrange,
# anymultirange, anyarray).  It reads the function list with an unqualified
# "FROM pg_proc", so a view of that name in a schema searched before
# pg_catalog, for this role only, narrows its choice to ordermgmt's functions
# and the built-ins over the types our tables use, and leaves the generated
# queries themselves (which qualify every name) unchanged.
if [ "$FOCUS" = 1 ]; then
  psql -X -q -v ON_ERROR_STOP=1 -d "$DB" <<SQL
CREATE SCHEMA sqlsmith_focus;
CREATE VIEW sqlsmith_focus.pg_proc AS
  WITH business_types AS (
    SELECT array_agg(oid) AS oids FROM pg_catalog.pg_type
     WHERE oid IN ('bool'::regtype, 'int2'::regtype, 'int4'::regtype, 'int8'::regtype,
                   'numeric'::regtype, 'text'::regtype, 'varchar'::regtype, 'bpchar'::regtype,
                   'json'::regtype, 'jsonb'::regtype, 'date'::regtype, 'timestamp'::regtype,
                   'timestamptz'::regtype, 'interval'::regtype)
        OR typnamespace = 'ordermgmt'::regnamespace)
  SELECT p.* FROM pg_catalog.pg_proc p, business_types t
   WHERE p.pronamespace = 'ordermgmt'::regnamespace
      OR (p.pronamespace = 'pg_catalog'::regnamespace
          AND p.proname !~ '^pg_'                  -- no server administration
          AND p.prorettype = ANY (t.oids)
          AND p.proargtypes::oid[] <@ t.oids);
GRANT USAGE ON SCHEMA sqlsmith_focus TO $ROLE;
GRANT SELECT ON sqlsmith_focus.pg_proc TO $ROLE;
ALTER ROLE $ROLE SET search_path = sqlsmith_focus, pg_catalog;
SQL
  echo "   focus: $(psql -X -At -d "$DB" -c "SELECT count(*) FILTER (WHERE pronamespace = 'ordermgmt'::regnamespace) || ' functions of ordermgmt and ' || count(*) FILTER (WHERE pronamespace <> 'ordermgmt'::regnamespace) || ' built-ins, of ' || (SELECT count(*) FROM pg_catalog.pg_proc) FROM sqlsmith_focus.pg_proc" </dev/null)"
fi

echo "== sqlsmith: at most $QUERIES queries and $TIME_LIMIT s, seed $SEED, as role $ROLE"
log_lines_before=$(wc -l <"$LOG")
out=$OM_BUILD_DIR/sqlsmith.out     # its report; $out.sql the queries it generated
started=$SECONDS
rc=0
# On SIGINT (the time limit) SQLsmith prints its last report; timeout then
# exits with status 124.
timeout --signal=INT --kill-after=60 "$TIME_LIMIT" \
  sqlsmith --target="host=$PGHOST port=$PGPORT dbname=$DB user=$ROLE" \
           --seed="$SEED" --max-queries="$QUERIES" --exclude-catalog \
           --verbose --dump-all-queries >"$out.sql" 2>"$out" </dev/null || rc=$?
elapsed=$((SECONDS - started))
sleep 2                              # let the server log what the end of the run did

# The figures.  SQLsmith's last report (at the end, or on SIGINT when time
# is up) starts with "queries: N" and counts its errors by first line,
# "<count><tab><message>", a lost connection included.
run_log=$(sed -n "$((log_lines_before + 1)),\$p" "$LOG")
last_report=$(awk '/^queries: [0-9]+$/ { r = "" } { r = r $0 "\n" } END { printf "%s", r }' "$out")
queries=$(printf '%s\n' "$last_report" | sed -n 's/^queries: \([0-9]*\)$/\1/p')
sqlsmith_errors=$(printf '%s\n' "$last_report" | awk -F'\t' '/^[0-9]+\t/ { n += $1 } END { print n + 0 }')
lost=$(printf '%s\n' "$last_report" |
  awk -F'\t' '/^[0-9]+\t/ && /server closed the connection|terminating connection|connection to server/ { n += $1 }
               END { print n + 0 }')
ours=$(awk 'BEGIN { RS = ";\n" } /ordermgmt\.[a-z_]+\(/ { n++ } END { print n + 0 }' "$out.sql")
# Server log lines of SQLsmith's session: "<date> <time> <zone> [pid] SQLSTATE sqlsmith::dut: ERROR:  msg"
dut_errors=$(printf '%s\n' "$run_log" | sed -n 's/^.* \[[0-9]*\] \([0-9A-Z]\{5\}\) sqlsmith::dut: ERROR:  \(.*\)$/\1\t\2/p')
crashes=$(printf '%s\n' "$run_log" | grep -E 'terminated by signal|was terminated by exception|PANIC:' || true)

echo
echo "== results"
case $rc in
  0)   echo "sqlsmith stopped:            after $QUERIES queries" ;;
  124) echo "sqlsmith stopped:            after $TIME_LIMIT s" ;;
  *)   echo "sqlsmith failed (exit status $rc):"; tail -n 20 "$out"; exit 1 ;;
esac
echo "time:                        ${elapsed} s"
echo "queries:                     ${queries:-?}"
echo "  ran without error:         $(( ${queries:-0} - sqlsmith_errors ))"
echo "  failed with an error:      $sqlsmith_errors"
echo "  connection lost:           $lost"
echo "  cancelled after 1 s:       $(printf '%s\n' "$dut_errors" | grep -c '^57014' || true) (statement_timeout, SQLSTATE 57014)"
echo "queries calling an ordermgmt function: $ours; calls by function:"
grep -o 'ordermgmt\.[a-z_]*(' "$out.sql" | sed 's/^ordermgmt\.//; s/($//' | sort | uniq -c | sort -rn |
  awk '{ printf "%s%s %d", (NR > 1 ? ", " : "   "), $2, $1 } END { if (NR) print "" }'
echo "errors by SQLSTATE (server log; top 15):"
printf '%s\n' "$dut_errors" | grep . | cut -f1 | sort | uniq -c | sort -rn | awk 'NR <= 15'
echo "most frequent error messages (digits and quoted names folded; top 15):"
printf '%s\n' "$dut_errors" | grep . | cut -f2 | sed -E 's/"[^"]*"/"…"/g; s/[0-9]+/N/g' |
  sort | uniq -c | sort -rn | awk 'NR <= 15'
echo "errors raised by ordermgmt's rules (SQLSTATE class OM):"
printf '%s\n' "$dut_errors" | grep -E '^OM' | cut -f1 | sort | uniq -c | sort -rn || echo "      0"

if [ -n "${SQLSMITH_LOGS:-}" ]; then
  mkdir -p "$SQLSMITH_LOGS"
  cp "$LOG" "$SQLSMITH_LOGS/server.log"
  cp "$out" "$SQLSMITH_LOGS/sqlsmith.out"
  cp "$out.sql" "$SQLSMITH_LOGS/queries.sql"
  echo "logs kept in $SQLSMITH_LOGS"
fi

if [ -n "$crashes" ]; then
  echo "crashes: $(printf '%s\n' "$crashes" | wc -l)"
  printf '%s\n' "$crashes"
  echo "-- the queries that were running (server log):"
  printf '%s\n' "$run_log" | grep -A1 -E 'terminated by signal|was terminated by exception' |
    grep 'Failed process was running' || true
  echo "sqlsmith: FAIL"
  exit 1
fi
echo "crashes: 0"
echo "sqlsmith: PASS"
