#!/usr/bin/env bash
#
# Placement benchmark: ordermgmt.create_order (3-line orders over 1,000 SKUs,
# auto-confirm) against a bare-writes baseline that writes the same rows into
# plain tables with no triggers, foreign keys or lookups.  See
# docs/benchmarks.md.
#
# Usage: PGHOST=... PGPORT=... PGUSER=... bash bench/placement.sh
#
# Needs a running PostgreSQL 15 cluster with the extension installed and a
# superuser (PGUSER): it drops and recreates database $BENCH_DB, and sets
# ordermgmt.notify per database for the "off" variant.
#
# Settings (environment):
#   BENCH_DB   database to (re)create            default ordermgmt_bench
#   ROUNDS     rounds; each runs every variant   default 3
#   DURATION   seconds per pgbench run           default 20
#   CLIENTS    pgbench clients                   default 8
#   JOBS       pgbench threads                   default 2
#   WARMUP     seconds of warm-up per variant    default 5 (0: none)
#   VARIANTS   space-separated subset of: place_notify base_notify place_off base_plain
#
set -euo pipefail

BENCH_DB=${BENCH_DB:-ordermgmt_bench}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-20}
CLIENTS=${CLIENTS:-8}
JOBS=${JOBS:-2}
WARMUP=${WARMUP:-5}
VARIANTS=${VARIANTS:-"place_notify base_notify place_off base_plain"}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "$BENCH_DB" "$@"; }
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }

command -v pgbench >/dev/null || { echo "pgbench not found" >&2; exit 1; }

# ---------------------------------------------------------------------------
# Set-up
# ---------------------------------------------------------------------------
echo "== setting up database $BENCH_DB"
psql_admin -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)"
psql_admin -c "CREATE DATABASE $BENCH_DB"

psql_db >/dev/null <<'SQL'
CREATE EXTENSION ordermgmt;

-- Master data: 1 warehouse, 1,000 products, 100 customers without credit limit.
-- Ids follow the generate_series order, which the baseline relies on.
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('WH1', 'Main warehouse');
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost)
SELECT 'SKU-' || n, 'Product ' || n, 5 + n % 97, 2 + n % 41
  FROM generate_series(1, 1000) AS n ORDER BY n;
INSERT INTO ordermgmt.customers (code, name, email)
SELECT 'C-' || n, 'Customer ' || n, 'c' || n || '@example.com'
  FROM generate_series(1, 100) AS n ORDER BY n;

-- Ample stock: nothing runs short however long the run.
SELECT count(ordermgmt.receive_stock('SKU-' || n, 'WH1', 100000000, 2 + n % 41))
  FROM generate_series(1, 1000) AS n;

DO $check$
BEGIN
    IF EXISTS (SELECT 1 FROM ordermgmt.products WHERE sku <> 'SKU-' || product_id
                                                   OR list_price <> 5 + product_id % 97)
       OR EXISTS (SELECT 1 FROM ordermgmt.customers WHERE code <> 'C-' || customer_id)
       OR (SELECT warehouse_id FROM ordermgmt.warehouses) <> 1
       OR (SELECT count(*) FROM ordermgmt.stock) <> 1000 THEN
        RAISE EXCEPTION 'master data ids are not what bench/baseline.sql assumes';
    END IF;
END
$check$;

-- Baseline: tables shaped like the extension's (same columns, defaults,
-- identity columns, primary keys and indexes), without triggers, foreign
-- keys or CHECK constraints.
CREATE SCHEMA bench_base;
CREATE TABLE bench_base.orders (LIKE ordermgmt.orders
    INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
CREATE TABLE bench_base.order_lines (LIKE ordermgmt.order_lines
    INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
CREATE TABLE bench_base.stock (LIKE ordermgmt.stock
    INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
CREATE TABLE bench_base.reservations (LIKE ordermgmt.reservations
    INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
CREATE TABLE bench_base.order_status_history (LIKE ordermgmt.order_status_history
    INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
CREATE TABLE bench_base.events (LIKE ordermgmt.events
    INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
CREATE TABLE bench_base.deadlines (LIKE ordermgmt.deadlines
    INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
INSERT INTO bench_base.stock OVERRIDING SYSTEM VALUE SELECT * FROM ordermgmt.stock;

VACUUM ANALYZE;
SQL

# One smoke call of each script's shape, so a broken set-up fails here.
psql_db -c "SELECT ordermgmt.create_order('C-1', '[{\"sku\": \"SKU-1\", \"qty\": 1}]')" >/dev/null
status=$(psql_db -At -c "SELECT status FROM ordermgmt.orders ORDER BY order_id DESC LIMIT 1")
[ "$status" = confirmed ] || { echo "smoke order is $status, not confirmed" >&2; exit 1; }
psql_db -c "SELECT pg_stat_reset()" >/dev/null

# ---------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------
script_of() {
    case $1 in
        place_notify|place_off) echo "$HERE/placement.sql" ;;
        base_notify) echo "$HERE/baseline_notify.sql" ;;
        base_plain) echo "$HERE/baseline.sql" ;;
        *) echo "unknown variant $1" >&2; exit 1 ;;
    esac
}

set_notify() {   # $1: off | reset
    if [ "$1" = off ]; then
        psql_admin -c "ALTER DATABASE $BENCH_DB SET ordermgmt.notify = off"
    else
        psql_admin -c "ALTER DATABASE $BENCH_DB RESET ordermgmt.notify"
    fi
}
trap 'set_notify reset >/dev/null 2>&1 || true' EXIT

OUT=$(mktemp -d)
RESULTS=$OUT/results    # lines: round variant tps

run_variant() {   # $1 variant, $2 seconds, $3 label ("warmup" or round number)
    local v=$1 secs=$2 label=$3 log=$OUT/$1.$3.log
    case $v in place_off) set_notify off ;; *) set_notify reset ;; esac
    psql_db -c "CHECKPOINT"
    if ! pgbench -n -M prepared -c "$CLIENTS" -j "$JOBS" -T "$secs" \
            -f "$(script_of "$v")" "$BENCH_DB" >"$log" 2>&1; then
        echo "pgbench failed for $v ($label):" >&2
        cat "$log" >&2
        exit 1
    fi
    if grep -q "number of failed transactions: [1-9]" "$log"; then
        echo "$v ($label) had failed transactions:" >&2
        cat "$log" >&2
        exit 1
    fi
    set_notify reset
    sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$log"
}

# The library's timestamp, to notice a reinstall in the middle of the run.
lib_stamp() {
    psql_db -At -c "SELECT (pg_stat_file(setting || '/ordermgmt.so')).modification
                      FROM pg_config WHERE name = 'PKGLIBDIR'" 2>/dev/null || echo unknown
}
LIB_BEFORE=$(lib_stamp)

echo "== $ROUNDS rounds x {$VARIANTS}, ${DURATION}s each, $CLIENTS clients, $JOBS threads"
if [ "$WARMUP" -gt 0 ]; then
    for v in $VARIANTS; do
        run_variant "$v" "$WARMUP" warmup >/dev/null
    done
fi
# Statistics that know the order tables are not empty: kept SPI plans are
# planned from them, and plans made for empty tables are not representative.
psql_db -c "VACUUM ANALYZE"

read -r -a vlist <<<"$VARIANTS"
nv=${#vlist[@]}
for ((r = 1; r <= ROUNDS; r++)); do
    # Rotate the order each round so that drift does not favour a variant.
    for ((i = 0; i < nv; i++)); do
        v=${vlist[$(((i + r - 1) % nv))]}
        tps=$(run_variant "$v" "$DURATION" "$r")
        printf '   round %d  %-13s %10.1f tps\n' "$r" "$v" "$tps"
        echo "$r $v $tps" >>"$RESULTS"
    done
done

# ---------------------------------------------------------------------------
# Sanity: every placed order confirmed, reserved stock = reservations
# ---------------------------------------------------------------------------
psql_db -At <<'SQL'
SELECT format('placed orders: %s (%s confirmed); baseline orders: %s (%s confirmed)',
              (SELECT count(*) FROM ordermgmt.orders),
              (SELECT count(*) FROM ordermgmt.orders WHERE status = 'confirmed'),
              (SELECT count(*) FROM bench_base.orders),
              (SELECT count(*) FROM bench_base.orders WHERE status = 'confirmed'));
SELECT format('placed reserved = reservations: %s; baseline: %s',
              (SELECT sum(reserved) FROM ordermgmt.stock) = (SELECT sum(qty) FROM ordermgmt.reservations),
              (SELECT sum(reserved) FROM bench_base.stock) = (SELECT sum(qty) FROM bench_base.reservations));
SQL
# Writes per order, from the table statistics (reset after set-up): the
# baseline must write what create_order writes.
echo
echo "rows written per order (inserted/updated/deleted):"
psql_db -P footer=off <<'SQL'
SELECT relname AS "table",
       coalesce(max(x) FILTER (WHERE schemaname = 'ordermgmt'), '-') AS placement,
       coalesce(max(x) FILTER (WHERE schemaname = 'bench_base'), '-') AS baseline
  FROM (SELECT t.schemaname, t.relname,
               concat_ws('/', round(t.n_tup_ins / o.n_tup_ins::numeric, 2),
                         round(t.n_tup_upd / o.n_tup_ins::numeric, 2),
                         round(t.n_tup_del / o.n_tup_ins::numeric, 2)) AS x
          FROM pg_stat_user_tables t
          JOIN pg_stat_user_tables o ON o.schemaname = t.schemaname AND o.relname = 'orders'
         WHERE t.schemaname IN ('ordermgmt', 'bench_base') AND o.n_tup_ins > 0
           AND t.n_tup_ins + t.n_tup_upd + t.n_tup_del > 0) AS s
 GROUP BY relname
 ORDER BY relname;
SQL

# ---------------------------------------------------------------------------
# Table: TPS per variant per round, medians, ratios
# ---------------------------------------------------------------------------
awk -v rounds="$ROUNDS" -v variants="$VARIANTS" '
function median(a, n,    i, j, t, b) {
    for (i = 1; i <= n; i++) b[i] = a[i]
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t }
    return (n % 2) ? b[(n + 1) / 2] : (b[n / 2] + b[n / 2 + 1]) / 2
}
{ tps[$2, $1] = $3 }
END {
    nv = split(variants, v, " ")
    printf "\n%-26s", "TPS"
    for (r = 1; r <= rounds; r++) printf " %9s", "round " r
    printf " %9s\n", "median"
    for (i = 1; i <= nv; i++) {
        printf "%-26s", v[i]
        for (r = 1; r <= rounds; r++) { x[r] = tps[v[i], r]; printf " %9.1f", x[r] }
        med[v[i]] = median(x, rounds)
        printf " %9.1f\n", med[v[i]]
    }
    split("place_notify/base_notify place_off/base_plain", pairs, " ")
    for (k = 1; k <= 2; k++) {
        split(pairs[k], pv, "/")
        if (!((pv[1], 1) in tps) || !((pv[2], 1) in tps)) continue
        printf "%-26s", pv[1] " / " pv[2]
        for (r = 1; r <= rounds; r++) {
            x[r] = tps[pv[1], r] / tps[pv[2], r]; printf " %9.3f", x[r]
        }
        printf " %9.3f\n", median(x, rounds)
    }
    print "\n(ratio columns: per-round ratio; last column: median of the per-round ratios)"
}' "$RESULTS"

LIB_AFTER=$(lib_stamp)
if [ "$LIB_BEFORE" != "$LIB_AFTER" ]; then
    echo "WARNING: ordermgmt.so was reinstalled during the run ($LIB_BEFORE -> $LIB_AFTER); discard these figures" >&2
fi
echo "extension $(psql_db -At -c "SELECT extversion FROM pg_extension WHERE extname = 'ordermgmt'"), library of $LIB_AFTER"
echo "pgbench logs: $OUT"
