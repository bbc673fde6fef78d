#!/usr/bin/env bash
#
# Customers' own access at scale: what a customer login's queries cost
# under row-level security, over the history bench/views_load.sql loads
# (1,000,000 orders).  See docs/benchmarks.md ("A customer's own orders").
#
# Usage, against a cluster of the caller's (libpq variables) whose database
# BENCH_DB holds the extension and the bulk load:
#   psql -d DB -c 'CREATE EXTENSION ordermgmt'
#   psql -d DB -v orders=1000000 -f bench/views_load.sql
#   BENCH_DB=DB bash bench/customer_access.sh
#
# Needs a superuser (PGUSER): it creates two login roles, members of
# ordermgmt_customer, maps them in customer_logins to the biggest customer
# and to the one with the median number of orders, and drops both at the
# end.  Each query runs as the login (SET ROLE) once to warm up, then RUNS
# times under EXPLAIN (ANALYZE, TIMING OFF); the time reported is planning
# plus execution, best and median.  The plans of the direct table reads
# are printed, to show that every policy reaches its rows through an index.
#
# Settings (environment):
#   BENCH_DB   the loaded database                  default ordermgmt_views_bench
#   RUNS       timed runs per query                 default 5
#   TARGET_MS  the target per query                 default 50
#
set -euo pipefail

BENCH_DB=${BENCH_DB:-ordermgmt_views_bench}
RUNS=${RUNS:-5}
TARGET_MS=${TARGET_MS:-50}
ROLES=(bench_customer_big bench_customer_median)

cleanup() {
  local r
  for r in "${ROLES[@]}"; do
    psql_db -c "DELETE FROM ordermgmt.customer_logins WHERE role_name::oid = (SELECT oid FROM pg_roles WHERE rolname = '$r')" \
            -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT

read -r BIG BIG_ID BIG_N <<<"$(psql_db -At -F ' ' -c "SELECT c.code, c.customer_id, count(*) FROM ordermgmt.orders o
    JOIN ordermgmt.customers c USING (customer_id) GROUP BY 1, 2 ORDER BY count(*) DESC, c.code LIMIT 1")"
read -r MID MID_ID MID_N <<<"$(psql_db -At -F ' ' -c "SELECT code, customer_id, n FROM (SELECT c.code, c.customer_id, count(*) AS n,
    row_number() OVER (ORDER BY count(*), c.code) AS k, count(*) OVER () AS m FROM ordermgmt.orders o
    JOIN ordermgmt.customers c USING (customer_id) GROUP BY 1, 2) x WHERE k = (m + 1) / 2")"
TOTAL=$(psql_db -At -c "SELECT count(*) FROM ordermgmt.orders")
echo "== $TOTAL orders; biggest customer $BIG ($BIG_N orders), median customer $MID ($MID_N orders)"

cleanup
psql_db -c "CREATE ROLE ${ROLES[0]} LOGIN IN ROLE ordermgmt_customer" \
        -c "CREATE ROLE ${ROLES[1]} LOGIN IN ROLE ordermgmt_customer" \
        -c "INSERT INTO ordermgmt.customer_logins VALUES ('${ROLES[0]}', $BIG_ID), ('${ROLES[1]}', $MID_ID)" \
        -c "ANALYZE ordermgmt.customer_logins"

# time_query ROLE QUERY: "rows best median" in ms, as ROLE.
time_query() {
  psql_db -At -F ' ' -v role="$1" -v q="$2" -v runs="$RUNS" <<'SQL'
CREATE FUNCTION pg_temp.time_query(q text, runs int, OUT nrows bigint, OUT best numeric, OUT median numeric)
    LANGUAGE plpgsql AS $f$
DECLARE
    j json;
    t numeric[] := '{}';
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ' || q INTO j;   -- warm-up
    FOR i IN 1..runs LOOP
        EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ' || q INTO j;
        t := t || ((j -> 0 ->> 'Planning Time')::numeric + (j -> 0 ->> 'Execution Time')::numeric);
    END LOOP;
    nrows := (j -> 0 -> 'Plan' ->> 'Actual Rows')::bigint;
    SELECT round(min(x), 1), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric, 1)
      INTO best, median FROM unnest(t) AS x;
END
$f$;
GRANT EXECUTE ON FUNCTION pg_temp.time_query(text, int) TO PUBLIC;
SET ROLE :"role";
SELECT * FROM pg_temp.time_query(:'q', :runs);
SQL
}

QUERIES=(
  "v_my_orders, every order|SELECT * FROM ordermgmt.v_my_orders"
  "v_my_orders, newest 20|SELECT * FROM ordermgmt.v_my_orders ORDER BY created_at DESC LIMIT 20"
  "v_my_orders, one order|SELECT * FROM ordermgmt.v_my_orders WHERE order_id = (SELECT max(order_id) FROM ordermgmt.orders)"
  "v_my_orders, still open|SELECT * FROM ordermgmt.v_my_orders WHERE status NOT IN ('completed', 'cancelled')"
  "orders|SELECT * FROM ordermgmt.orders"
  "order_lines|SELECT * FROM ordermgmt.order_lines"
  "shipments (tracking)|SELECT order_id, carrier, tracking FROM ordermgmt.shipments"
  "shipment_lines|SELECT shipment_id, order_id, line_no, qty FROM ordermgmt.shipment_lines"
  "invoices|SELECT * FROM ordermgmt.invoices"
  "invoice_lines|SELECT * FROM ordermgmt.invoice_lines"
  "payments|SELECT * FROM ordermgmt.payments"
  "feedback|SELECT * FROM ordermgmt.feedback"
  "tickets|SELECT * FROM ordermgmt.tickets"
)

printf '\n%-28s %-22s %8s %9s %9s\n' query customer rows "best ms" "median ms"
slow=0
for entry in "${QUERIES[@]}"; do
  name=${entry%%|*}; q=${entry#*|}
  for i in 0 1; do
    who=$([ "$i" = 0 ] && echo "$BIG ($BIG_N orders)" || echo "$MID ($MID_N orders)")
    read -r rows best median <<<"$(time_query "${ROLES[$i]}" "$q")"
    printf '%-28s %-22s %8s %9s %9s\n' "$name" "$who" "$rows" "$best" "$median"
    if awk -v m="$median" -v t="$TARGET_MS" 'BEGIN { exit !(m > t) }'; then slow=$((slow + 1)); fi
  done
done

echo
echo "== plans of the biggest customer's direct reads (every policy by an index)"
psql_db -v role="${ROLES[0]}" <<'SQL'
SET ROLE :"role";
EXPLAIN (COSTS OFF) SELECT * FROM ordermgmt.orders;
EXPLAIN (COSTS OFF) SELECT * FROM ordermgmt.order_lines;
EXPLAIN (COSTS OFF) SELECT shipment_id, order_id, line_no, qty FROM ordermgmt.shipment_lines;
SQL

if [ "$slow" -gt 0 ]; then
  echo "SLOW: $slow queries over ${TARGET_MS} ms (median)"
  exit 1
fi
echo "every query under ${TARGET_MS} ms (median)"
