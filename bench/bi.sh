#!/usr/bin/env bash
#
# Reports at any history size: every question of bench/bi_queries.sql (each
# reporting view whole, its top 20 by every numeric column, its last 90
# days or weeks) timed over ORDERS orders of two years loaded in bulk by
# bench/views_load.sql.  See docs/benchmarks.md ("Reports at any history
# size").  The CI-sized check of the same questions is
# test/shell/bi_buffers.sh (buffers, not time).
#
# Usage (as root, after `make install`): ORDERS=1000000 bash bench/bi.sh
#
# Starts a throwaway cluster of its own on BENCH_PORT and removes it on
# exit.  JIT off (as a BI login would have it, docs/views.md); each
# question runs once to warm up, then RUNS times; printed: buffers of the
# execution, best and median ms (planning plus execution), rows.
#
# Settings (environment):
#   BENCH_PORT  port of the throwaway cluster          default 5492
#   BENCH_BUILD, BENCH_CONF                            see bench/lib.bash
#   ORDERS      orders to load                         default 1000000
#   CUSTOMERS   customers                              default 5000
#   PRODUCTS    products                               default 2000
#   RUNS        timed runs per question                default 3
#
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
HERE=$BENCH_HERE

BENCH_DB=ordermgmt_bi_bench
ORDERS=${ORDERS:-1000000}
CUSTOMERS=${CUSTOMERS:-5000}
PRODUCTS=${PRODUCTS:-2000}
RUNS=${RUNS:-3}

bench_cluster_start 5492
trap 'rc=$?; set +e; (exit "$rc"); bench__on_exit' EXIT
echo "== loading $ORDERS orders, $CUSTOMERS customers, $PRODUCTS products"
bench_views_load "$BENCH_DB"
psql_db -c "VACUUM (ANALYZE)" -c "SELECT ordermgmt.rollup_ledger()" >/dev/null

echo "| view | question | buffers | best ms | median ms | rows |"
echo "|---|---|---:|---:|---:|---:|"
psql_db -At -F '|' -v runs="$RUNS" <<SQL
SET jit = off;
\i $HERE/bi_queries.sql
SELECT format('| %s | %s | %s | %s | %s | %s |', view_name, question, t.buffers, t.best, t.median, t.nrows)
  FROM pg_temp.bi_queries(),
       LATERAL (SELECT * FROM pg_temp.bi_run(query) OFFSET 0) AS warm,
       LATERAL (SELECT max(r.buffers) AS buffers, min(r.ms) AS best,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY r.ms) AS median, max(r.nrows) AS nrows
                  FROM generate_series(1, :runs) AS i,
                       LATERAL pg_temp.bi_run(query || ' -- run ' || i) AS r) AS t;   -- a new call per run
SQL
psql_db -At <<'SQL'
SELECT 'summaries checked by verify(): ' ||
       CASE WHEN bool_and(ok) THEN 'all equal to the facts' ELSE string_agg(check_name, ', ') FILTER (WHERE NOT ok) END
  FROM ordermgmt.verify() WHERE check_name LIKE 'summaries.%';
SQL
