#!/usr/bin/env bash
#
# Cost with history: the same workloads on a database with a short history
# and on one with a long one, and a customer with a long past against a new
# one.  See docs/benchmarks.md, "Cost with history (0.6.0)".
#
#  1. history: placement (bench/workloads/history_placement.sql: 3-line
#     orders, auto-confirm, random customers and SKUs of the load) and the
#     order-to-cash cycle (history_cycle.sql: place, ship, invoice, pay in
#     one transaction) on two databases loaded by bench/views_load.sql and
#     bench/history_load.sql, SMALL_ORDERS (10,000) and LARGE_ORDERS
#     (1,000,000) orders of history over the same 5,000 customers and 2,000
#     products, topped up by bench/history_topup.sql so that every order
#     confirms.  ROUNDS rounds, the four runs of a round in rotating order;
#     per workload and round the ratio large / small, and its median.
#  2. skew: in a copy of the large database with bench/skew_load.sql, one
#     customer with SKEW_ORDERS (100,000) past orders and SKEW_OPEN (5,000)
#     open invoices, and one with none (a new one each round: FRESH-<round>;
#     the warm-up uses FRESH-<ROUNDS + 1>); per round the two place orders
#     at the same time (bench/workloads/customer_placement.sql, two pgbench
#     processes of CLIENTS / 2 clients each), and the ratio skewed / new.
#
# Usage: PGHOST=... PGPORT=... PGUSER=... bash bench/history.sh
#
# Needs a running PostgreSQL 15 cluster with the extension installed and a
# superuser (PGUSER), and room for the databases (about 5 GB for the large
# one, the same again for its skewed copy, and a working copy of each).
# Building the databases takes minutes; they are kept as templates, and
# with REUSE=1 a later run uses them as they are.  Every run works on fresh
# copies of the templates (CREATE DATABASE ... TEMPLATE), so that no run
# measures the orders an earlier one placed; the copies are dropped at the
# end unless KEEP=1.
#
# Settings (environment):
#   OM_BINDIR      bin directory of psql and pgbench  default /usr/lib/postgresql/15/bin
#   REUSE          1: use the templates that exist    default 0 (rebuild them)
#   KEEP           1: keep the working copies         default 0
#   PARTS          any of: history skew               default "history skew"
#   WORKLOADS      any of: placement cycle batch      default "placement cycle"
#                  (batch: create_orders of 100 orders a call,
#                  workloads/history_batch.sql; TPS counts calls)
#   ROUNDS         rounds                             default 3
#   DURATION       seconds per pgbench run            default 20
#   CLIENTS        pgbench clients                    default 8
#   JOBS           pgbench threads                    default 2
#   WARMUP         seconds of warm-up per run         default 5 (0: none)
#   SMALL_ORDERS, LARGE_ORDERS   orders of history    default 10000, 1000000
#   CUSTOMERS, PRODUCTS          of the load          default 5000, 2000
#   DRAW_CUSTOMERS, DRAW_PRODUCTS  the workloads draw customers C-1 ... and
#                  SKUs SKU-1 ... up to these         default CUSTOMERS, PRODUCTS
#   SKEW_ORDERS, SKEW_OPEN       the skewed customer  default 100000, 5000
#   DB_PREFIX      names: PREFIX_<orders>, PREFIX_skew_<orders>, copies _run
#                                                     default ordermgmt_hist
#   NOTIFY         ordermgmt.notify in the copies     default off
#   CREDIT         raise: credit limits raised, still checked (default);
#                  drop: no credit limits at all, so that the credit check
#                  is skipped (to see what the rest costs)
#
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
HERE=$BENCH_HERE
: "${OM_BINDIR:=/usr/lib/postgresql/$OM_PGVER/bin}"
export PATH=$OM_BINDIR:$PATH

REUSE=${REUSE:-0}
KEEP=${KEEP:-0}
PARTS=${PARTS:-"history skew"}
WORKLOADS=${WORKLOADS:-"placement cycle"}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-20}
CLIENTS=${CLIENTS:-8}
JOBS=${JOBS:-2}
WARMUP=${WARMUP:-5}
SMALL_ORDERS=${SMALL_ORDERS:-10000}
LARGE_ORDERS=${LARGE_ORDERS:-1000000}
CUSTOMERS=${CUSTOMERS:-5000}
PRODUCTS=${PRODUCTS:-2000}
DRAW_CUSTOMERS=${DRAW_CUSTOMERS:-$CUSTOMERS}
DRAW_PRODUCTS=${DRAW_PRODUCTS:-$PRODUCTS}
SKEW_ORDERS=${SKEW_ORDERS:-100000}
SKEW_OPEN=${SKEW_OPEN:-5000}
SKEW_FRESH=$((ROUNDS + 1 > 20 ? ROUNDS + 1 : 20))
DB_PREFIX=${DB_PREFIX:-ordermgmt_hist}
NOTIFY=${NOTIFY:-off}
CREDIT=${CREDIT:-raise}

command -v pgbench >/dev/null || { echo "pgbench not found (OM_BINDIR=$OM_BINDIR)" >&2; exit 1; }
[ "$(psql -X -At -d postgres -c "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")" = t ] ||
  { echo "no superuser connection to the cluster (PGHOST=${PGHOST:-}, PGPORT=${PGPORT:-}, PGUSER=${PGUSER:-})" >&2; exit 1; }
case $CREDIT in raise | drop) ;; *) echo "CREDIT must be raise or drop" >&2; exit 2 ;; esac

psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }
psql_on() { local db=$1; shift; psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
db_exists() { [ "$(psql_admin -At -c "SELECT count(*) FROM pg_database WHERE datname = '$1'")" = 1 ]; }
# What a template was built from, in its comment: a template is reused
# only when that matches, the installed extension script included (a
# template of another schema is built again).
SCHEMA_SUM=$(psql -X -At -d postgres -c "SELECT left(md5(pg_read_file(c.setting || '/extension/ordermgmt--' || e.default_version || '.sql')), 12)
                                          FROM pg_config c, pg_available_extensions e
                                         WHERE c.name = 'SHAREDIR' AND e.name = 'ordermgmt'")
template_tag() { echo "bench/history.sh template: $* schema=$SCHEMA_SUM"; }
db_comment() { psql_admin -At -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$1'"; }
secs() { date +%s; }

OUT=$(mktemp -d)
RESULTS=$OUT/results    # lines: round variant tps
COPIES=()
cleanup() {
  local rc=$? db
  set +e
  if [ "$KEEP" != 1 ]; then
    for db in "${COPIES[@]}"; do
      psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
    done
  fi
  exit "$rc"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------
# build_history_db DB ORDERS: the load of ORDERS orders of history, topped up.
build_history_db() {
  local db=$1 orders=$2 tag t0
  tag=$(template_tag "orders=$orders customers=$CUSTOMERS products=$PRODUCTS")
  if [ "$REUSE" = 1 ] && db_exists "$db" && [ "$(db_comment "$db")" = "$tag" ]; then
    echo "== reusing $db ($tag)"
    return
  fi
  echo "== building $db: $orders orders, $CUSTOMERS customers, $PRODUCTS products"
  t0=$(secs)
  psql_admin -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  psql_on "$db" -c "CREATE EXTENSION ordermgmt"
  psql_on "$db" -v orders="$orders" -v customers="$CUSTOMERS" -v products="$PRODUCTS" \
    -f "$HERE/views_load.sql" >"$OUT/load.$db.log"
  echo "   views_load.sql: $(($(secs) - t0)) s"
  psql_on "$db" -f "$HERE/history_load.sql" >>"$OUT/load.$db.log"
  echo "   history_load.sql: $(($(secs) - t0)) s in all"
  psql_on "$db" -c "VACUUM ANALYZE"
  psql_on "$db" -f "$HERE/history_topup.sql" >>"$OUT/load.$db.log"
  psql_on "$db" -c "VACUUM ANALYZE" -c "CHECKPOINT"
  psql_admin -c "COMMENT ON DATABASE $db IS '$tag'"
  echo "   built in $(($(secs) - t0)) s, $(psql_admin -At -c "SELECT pg_size_pretty(pg_database_size('$db'))")"
}

# build_skew_db DB FROM: a copy of FROM with the skewed and the new customer.
build_skew_db() {
  local db=$1 from=$2 tag t0 first
  tag=$(template_tag "copy of $from ($(db_comment "$from")) with skew_orders=$SKEW_ORDERS skew_open=$SKEW_OPEN fresh=$SKEW_FRESH")
  if [ "$REUSE" = 1 ] && db_exists "$db" && [ "$(db_comment "$db")" = "$tag" ]; then
    echo "== reusing $db"
    return
  fi
  echo "== building $db: a copy of $from, customer SKEW-1 with $SKEW_ORDERS orders and $SKEW_OPEN open invoices," \
       "FRESH-1 ... FRESH-$SKEW_FRESH with none"
  t0=$(secs)
  psql_admin -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
    -c "CREATE DATABASE $db TEMPLATE $from STRATEGY FILE_COPY"
  first=$(psql_on "$db" -v skew_orders="$SKEW_ORDERS" -v skew_open="$SKEW_OPEN" -v fresh="$SKEW_FRESH" \
            -f "$HERE/skew_load.sql" \
            2>&1 | tee "$OUT/load.$db.log" | sed -n 's/^first_order_id //p')
  [ -n "$first" ] || { cat "$OUT/load.$db.log" >&2; exit 1; }
  psql_on "$db" -v from=$((first - 1)) -f "$HERE/history_load.sql" >>"$OUT/load.$db.log"
  psql_on "$db" -c "VACUUM ANALYZE" -c "CHECKPOINT"
  psql_admin -c "COMMENT ON DATABASE $db IS '$tag'"
  echo "   built in $(($(secs) - t0)) s, $(psql_admin -At -c "SELECT pg_size_pretty(pg_database_size('$db'))")"
}

# working_copy TEMPLATE: a fresh copy TEMPLATE_run, set up for the runs.
working_copy() {
  local tmpl=$1 db=${1}_run
  psql_admin -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
    -c "CREATE DATABASE $db TEMPLATE $tmpl STRATEGY FILE_COPY"
  COPIES+=("$db")
  psql_admin -c "ALTER DATABASE $db SET ordermgmt.notify = $NOTIFY"
  if [ "$CREDIT" = drop ]; then
    psql_on "$db" -c "UPDATE ordermgmt.customers SET credit_limit = NULL WHERE credit_limit IS NOT NULL"
  fi
  psql_on "$db" -c "VACUUM ANALYZE" -c "CHECKPOINT"
  psql_on "$db" -At -c "SELECT coalesce(max(order_id), 0) FROM ordermgmt.orders" >"$OUT/first.$db"
}

SMALL=${DB_PREFIX}_$SMALL_ORDERS
LARGE=${DB_PREFIX}_$LARGE_ORDERS
SKEW=${DB_PREFIX}_skew_$LARGE_ORDERS
LIB_BEFORE=$(bench_lib_stamp)
echo "== PostgreSQL $(psql_admin -At -c 'SHOW server_version'), $(nproc) CPUs, extension $(psql_admin -At -c \
  "SELECT default_version FROM pg_available_extensions WHERE name = 'ordermgmt'"), library of $LIB_BEFORE"

build_history_db "$LARGE" "$LARGE_ORDERS"
case " $PARTS " in *" history "*) build_history_db "$SMALL" "$SMALL_ORDERS" ;; esac
case " $PARTS " in *" skew "*) build_skew_db "$SKEW" "$LARGE" ;; esac

# ---------------------------------------------------------------------------
# 1. The same workloads with a short and a long history
# ---------------------------------------------------------------------------
script_of() {
  case $1 in
    placement) echo "$HERE/workloads/history_placement.sql" ;;
    cycle) echo "$HERE/workloads/history_cycle.sql" ;;
    batch) echo "$HERE/workloads/history_batch.sql" ;;
    *) echo "unknown workload $1" >&2; exit 1 ;;
  esac
}
db_of() { case $1 in *_small) echo "${SMALL}_run" ;; *_large) echo "${LARGE}_run" ;; esac; }

run_variant() {   # $1 variant (<workload>_small or _large), $2 seconds, $3 label
  local v=$1 secs=$2 label=$3 db log=$OUT/$1.$3.log
  db=$(db_of "$v")
  psql_on "$db" -c "VACUUM ANALYZE" -c "CHECKPOINT"
  bench_pgbench "$log" "$v ($label)" -n -r -M prepared -c "$CLIENTS" -j "$JOBS" -T "$secs" \
    -D customers="$DRAW_CUSTOMERS" -D products="$DRAW_PRODUCTS" -f "$(script_of "${v%_*}")" "$db"
  bench_tps "$log"
}

if [[ " $PARTS " == *" history "* ]]; then
  working_copy "$SMALL"
  working_copy "$LARGE"
  VARIANTS=""
  PAIRS=""
  for w in $WORKLOADS; do
    VARIANTS="$VARIANTS ${w}_small ${w}_large"
    PAIRS="$PAIRS ${w}_large/${w}_small"
  done
  VARIANTS=${VARIANTS# }
  echo "== history: $ROUNDS rounds x {$VARIANTS}, ${DURATION}s each, $CLIENTS clients, $JOBS threads;" \
       "customers C-1..C-$DRAW_CUSTOMERS, SKU-1..SKU-$DRAW_PRODUCTS, credit limits: $CREDIT"
  bench_warmup
  bench_rounds "$RESULTS" 16 alternate
  # What the runs placed (every order must have confirmed), and how far the
  # short history grew during them.
  for db in "${SMALL}_run" "${LARGE}_run"; do
    echo "   $db: $(psql_on "$db" -At -c "SELECT count(*) FROM ordermgmt.orders") orders at the end; placed by the runs: $(
         psql_on "$db" -At -c "SELECT string_agg(status || ' ' || n, ', ') FROM (SELECT status::text, count(*) AS n
                                  FROM ordermgmt.orders WHERE order_id > $(cat "$OUT/first.$db") GROUP BY 1 ORDER BY 1) s")"
    held=$(psql_on "$db" -At -c "SELECT count(*) FROM ordermgmt.orders
                                  WHERE order_id > $(cat "$OUT/first.$db") AND status NOT IN ('confirmed', 'shipped')")
    [ "$held" = 0 ] || echo "WARNING: $held orders placed in $db did not confirm; the figures do not measure placement" >&2
  done
  bench_tps_table "$RESULTS" "TPS" 28 "$PAIRS" " / " \
    "(ratio rows: large history / small history per round; last column: median of the per-round ratios)"
fi

# ---------------------------------------------------------------------------
# 2. A customer with a long past against a new one, at the same time
# ---------------------------------------------------------------------------
if [[ " $PARTS " == *" skew "* ]]; then
  working_copy "$SKEW"
  SKEW_RUN=${SKEW}_run
  half=$((CLIENTS / 2 > 0 ? CLIENTS / 2 : 1))
  jobs_half=$((JOBS / 2 > 0 ? JOBS / 2 : 1))
  echo "== skew: $ROUNDS rounds, ${DURATION}s each, SKEW-1 ($SKEW_ORDERS orders, $SKEW_OPEN open invoices)" \
       "and a new customer (none) placing orders at the same time, $half clients each"
  skew_round() {   # $1 seconds, $2 label, $3 new customer; prints "skewed_tps new_tps"
    local secs=$1 label=$2 c pids=() tps=()
    psql_on "$SKEW_RUN" -c "VACUUM ANALYZE" -c "CHECKPOINT"
    for c in SKEW-1 "$3"; do
      pgbench -n -r -M prepared -c "$half" -j "$jobs_half" -T "$secs" -D customer="$c" -D products="$DRAW_PRODUCTS" \
        -f "$HERE/workloads/customer_placement.sql" "$SKEW_RUN" >"$OUT/skew.$c.$label.log" 2>&1 &
      pids+=($!)
    done
    for c in 0 1; do
      if ! wait "${pids[$c]}"; then
        cat "$OUT"/skew.*."$label".log >&2
        exit 1
      fi
    done
    for c in SKEW-1 "$3"; do
      if grep -q "number of failed transactions: [1-9]" "$OUT/skew.$c.$label.log"; then
        cat "$OUT/skew.$c.$label.log" >&2
        exit 1
      fi
      tps+=("$(bench_tps "$OUT/skew.$c.$label.log")")
    done
    echo "${tps[0]} ${tps[1]}"
  }
  if [ "$WARMUP" -gt 0 ]; then skew_round "$WARMUP" warmup "FRESH-$((ROUNDS + 1))" >/dev/null; fi
  for ((r = 1; r <= ROUNDS; r++)); do
    read -r a b < <(skew_round "$DURATION" "$r" "FRESH-$r")
    printf '   round %d  SKEW-1 %10.1f tps  FRESH-%d %10.1f tps  ratio %.3f\n' "$r" "$a" "$r" "$b" \
      "$(echo "$a $b" | awk '{ print $1 / $2 }')"
    echo "$r skewed $a" >>"$OUT/skew.results"
    echo "$r new $b" >>"$OUT/skew.results"
  done
  VARIANTS="skewed new" bench_tps_table "$OUT/skew.results" "TPS, same run" 28 "skewed/new" " / " \
    "(ratio row: the customer with $SKEW_ORDERS orders and $SKEW_OPEN open invoices over the new one, per round; last column: median)"
  echo "   placed by the runs: $(psql_on "$SKEW_RUN" -At -c "SELECT string_agg(c.code || ' ' || s.n || ' ' || s.status, ', ' ORDER BY c.code)
           FROM ordermgmt.customers c
           JOIN (SELECT customer_id, status, count(*) AS n FROM ordermgmt.orders
                  WHERE order_id > $(cat "$OUT/first.$SKEW_RUN") GROUP BY 1, 2) s USING (customer_id)")"
fi

LIB_AFTER=$(bench_lib_stamp)
if [ "$LIB_BEFORE" != "$LIB_AFTER" ]; then
  echo "WARNING: ordermgmt.so was reinstalled during the run ($LIB_BEFORE -> $LIB_AFTER); discard these figures" >&2
fi
echo "pgbench logs: $OUT"
