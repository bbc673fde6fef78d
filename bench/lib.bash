# shellcheck shell=bash
# Helpers for the benchmark scripts.  Source this file, do not run it.
# Sourcing it changes nothing in the environment: bench/placement.sh, which
# runs against a cluster of the caller's (libpq variables), uses only the
# set-up, run and report helpers from bench_lib_stamp on.
#
# The scripts that start a throwaway cluster of their own (bench/cycle.sh,
# monitor.sh, relay.sh, soak.sh, views.sh) call bench_cluster_start, which
# reads:
#   BENCH_PORT   port of the throwaway cluster (each script has its default)
#   BENCH_BUILD  unset or "installed": the extension as `make install` left it
#                in the system's PostgreSQL 15;
#                a git revision (e.g. HEAD): that revision of this repository,
#                built and installed into a private copy of the PostgreSQL 15
#                installation, so that a `make install` by someone else
#                during the run cannot change what is measured.
#   BENCH_CONF   extra postgresql.conf lines, separated by ";"

BENCH_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/common.sh
. "$BENCH_HERE/../scripts/common.sh"

BENCH_VERSION="installed extension"

# The same settings as the placement benchmark (docs/benchmarks.md): no
# checkpoint during a run, commits that do not wait for the WAL flush.
BENCH_DEFAULT_CONF=(
  "shared_buffers = 1GB"
  "synchronous_commit = off"
  "max_wal_size = 4GB"
  "checkpoint_timeout = 30min"
)

bench__private_build() {
  om_private_build "$1" || return 1
  BENCH_VERSION="commit ${OM_BUILD_COMMIT:0:7} (private build)"
}

# bench_cluster_start DEFAULT_PORT [postgresql.conf line...]
# Puts PostgreSQL 15's bin directory first in PATH, for the script's psql
# and pgbench too.
bench_cluster_start() {
  local port=$1 extra=() line
  shift
  : "${OM_BINDIR:=/usr/lib/postgresql/$OM_PGVER/bin}"
  export PATH=$OM_BINDIR:$PATH
  case ${BENCH_BUILD:-installed} in
    installed) BENCH_VERSION="installed extension, repository at $(git -C "$OM_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
               if [ -n "$(git -C "$OM_ROOT" status --porcelain -- src sql 2>/dev/null)" ]; then
                 BENCH_VERSION="$BENCH_VERSION + uncommitted changes"
               fi ;;
    *) bench__private_build "$BENCH_BUILD" || { echo "private build of $BENCH_BUILD failed" >&2; exit 1; } ;;
  esac
  if [ -n "${BENCH_CONF:-}" ]; then
    IFS=';' read -r -a extra <<<"$BENCH_CONF"
  fi
  OM_PORT=${BENCH_PORT:-$port}   # common.sh's functions read OM_PORT when they run
  om_cluster_start "${BENCH_DEFAULT_CONF[@]}" "$@" "${extra[@]}" || exit 1
  trap bench__on_exit EXIT
  for line in "${BENCH_DEFAULT_CONF[@]}" "$@" "${extra[@]}"; do echo "   conf: $line"; done
  echo "   extension: $BENCH_VERSION, library $(psql -X -At -d postgres -c "SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR'")/ordermgmt.so"
}

bench__on_exit() {
  local rc=$?
  set +e                     # clean up whatever failed
  (exit "$rc")
  om__on_exit
}

# bench_views_load DB: a new database DB with the extension and
# bench/views_load.sql's history of ORDERS orders, CUSTOMERS customers and
# PRODUCTS products loaded into it (the output goes to OM_TMP/load.log).
# Shared by bench/views.sh, verify.sh and bi.sh.
bench_views_load() {
  psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $1" &&
  psql -X -q -v ON_ERROR_STOP=1 -d "$1" -c "CREATE EXTENSION ordermgmt" &&
  psql -X -q -v ON_ERROR_STOP=1 -d "$1" -v orders="$ORDERS" -v customers="$CUSTOMERS" \
    -v products="$PRODUCTS" -f "$BENCH_HERE/views_load.sql" >"${OM_TMP}/load.log"
}

# The library's modification time, to notice a reinstall during the run.
bench_lib_stamp() {
  psql -X -At -d postgres -c "SELECT (pg_stat_file(setting || '/ordermgmt.so')).modification
                                FROM pg_config WHERE name = 'PKGLIBDIR'" 2>/dev/null || echo unknown
}

# ---------------------------------------------------------------------------
# Runs and report of the throughput benchmarks (placement.sh, cycle.sh,
# relay.sh): each variant runs once per round for DURATION seconds, and the
# result is a table of TPS per round with medians and ratios.
# ---------------------------------------------------------------------------

# bench_pgbench LOG WHAT PGBENCH_ARG...: one pgbench run, its output in LOG.
# Ends the script if pgbench fails or any transaction failed; WHAT names the
# run in the message, e.g. "place_off (round 2)".
bench_pgbench() {
  local log=$1 what=$2
  shift 2
  if ! pgbench "$@" >"$log" 2>&1; then
    echo "pgbench failed for $what:" >&2
    cat "$log" >&2
    exit 1
  fi
  if grep -q "number of failed transactions: [1-9]" "$log"; then
    echo "$what had failed transactions:" >&2
    cat "$log" >&2
    exit 1
  fi
}

# bench_tps LOG: the TPS of a pgbench run.
bench_tps() { sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$1"; }

# psql_db, psql_admin: psql on the benchmark's database ($BENCH_DB) and on
# the postgres database, stopping at the first error.
psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "$BENCH_DB" "$@"; }
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }

# bench_new_placement_db: drop and recreate $BENCH_DB with the placement
# benchmarks' data (bench_placement_setup).
bench_new_placement_db() {
  command -v pgbench >/dev/null || { echo "pgbench not found" >&2; exit 1; }
  echo "== setting up database $BENCH_DB"
  psql_admin -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)"
  psql_admin -c "CREATE DATABASE $BENCH_DB"
  bench_placement_setup "$BENCH_DB"
}

# bench_warmup: each of $VARIANTS run for $WARMUP seconds (0: none) by the
# caller's run_variant VARIANT SECONDS LABEL, its figures dropped.
bench_warmup() {
  local v
  [ "$WARMUP" -gt 0 ] || return 0
  for v in $VARIANTS; do run_variant "$v" "$WARMUP" warmup >/dev/null; done
}

# bench_placement_setup DB: the database of the placement benchmarks
# (placement.sh, relay.sh) in the new database DB: master data and the
# plain tables of the baseline (workloads/setup.sql).
bench_placement_setup() {
  psql -X -q -v ON_ERROR_STOP=1 -d "$1" -v tax_rate=0 \
       -v base_tables="orders order_lines stock reservations order_status_history events deadlines" \
       -f "$BENCH_HERE/workloads/setup.sql" >/dev/null
}

# bench_placement_script VARIANT: the pgbench options that run the script of
# a variant of the placement benchmarks (placement.sh, relay.sh), in the
# array BENCH_SCRIPT: place_* places orders through the API; base_plain and
# base_notify write the same rows into plain tables, base_notify with one
# pg_notify per event.
bench_placement_script() {
  # shellcheck disable=SC2034  # for the caller
  case $1 in
    place_*) BENCH_SCRIPT=(-f "$BENCH_HERE/workloads/placement.sql") ;;
    base_plain) BENCH_SCRIPT=(-f "$BENCH_HERE/workloads/baseline.sql" -D notify=false) ;;
    base_notify) BENCH_SCRIPT=(-f "$BENCH_HERE/workloads/baseline.sql" -D notify=true) ;;
    *) echo "unknown variant $1" >&2; exit 1 ;;
  esac
}

# bench_rounds RESULTS WIDTH [alternate]: ROUNDS rounds of every variant of
# VARIANTS, each run by the script's own `run_variant VARIANT SECONDS ROUND`
# (which prints the TPS) for DURATION seconds.  The order rotates each
# round so that drift favours no variant; with "alternate" it is also
# reversed every other round, so that neither does the variant run just
# before.  Prints a line per run (the variant's name WIDTH wide, the figure
# followed by BENCH_UNIT, default "tps") and appends "ROUND VARIANT TPS" to
# the file RESULTS.
bench_rounds() {
  local results=$1 width=$2 alternate=${3:-} vlist nv r i v tps
  read -r -a vlist <<<"$VARIANTS"
  nv=${#vlist[@]}
  for ((r = 1; r <= ROUNDS; r++)); do
    for ((i = 0; i < nv; i++)); do
      if [ -n "$alternate" ] && ! ((r % 2)); then
        v=${vlist[$(((nv - 1 - i + r - 1) % nv))]}
      else
        v=${vlist[$(((i + r - 1) % nv))]}
      fi
      tps=$(run_variant "$v" "$DURATION" "$r")
      printf '   round %d  %-*s %10.1f %s\n' "$r" "$width" "$v" "$tps" "${BENCH_UNIT:-tps}"
      echo "$r $v $tps" >>"$results"
    done
  done
}

# bench_rows_written DB LABEL [check]: the rows inserted, updated and
# deleted per order in each table of DB, from the table statistics: the
# extension's (column LABEL) next to the baseline's, which must write the
# same.  With "check", a last column marks each table where they differ.
bench_rows_written() {
  local check=""
  if [ "${3:-}" = check ]; then
    check=",
       CASE WHEN max(x) FILTER (WHERE schemaname = 'ordermgmt')
                 IS NOT DISTINCT FROM max(x) FILTER (WHERE schemaname = 'bench_base')
            THEN '' ELSE 'DIFFERENT' END AS \"check\""
  fi
  psql -X -q -v ON_ERROR_STOP=1 -d "$1" -P footer=off <<SQL
SELECT relname AS "table",
       coalesce(max(x) FILTER (WHERE schemaname = 'ordermgmt'), '-') AS $2,
       coalesce(max(x) FILTER (WHERE schemaname = 'bench_base'), '-') AS baseline$check
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
}

# bench_tps_table RESULTS TITLE WIDTH PAIRS SEP NOTE: the table of TPS per
# variant of VARIANTS and round of ROUNDS, read from RESULTS, with the
# median of each row; then, for each pair "a/b" of PAIRS (space-separated)
# whose two variants ran, the row "a SEP b" of per-round ratios a / b and
# their median.  TITLE heads the first column, which is WIDTH wide; NOTE is
# printed under the table.
bench_tps_table() {
  awk -v rounds="$ROUNDS" -v variants="$VARIANTS" -v title="$2" -v width="$3" \
      -v pairs="$4" -v sep="$5" -v note="$6" '
function median(a, n,    i, j, t, b) {
    for (i = 1; i <= n; i++) b[i] = a[i]
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t }
    return (n % 2) ? b[(n + 1) / 2] : (b[n / 2] + b[n / 2 + 1]) / 2
}
{ tps[$2, $1] = $3 }
END {
    col = "%-" width "s"
    nv = split(variants, v, " ")
    printf "\n" col, title
    for (r = 1; r <= rounds; r++) printf " %9s", "round " r
    printf " %9s\n", "median"
    for (i = 1; i <= nv; i++) {
        printf col, v[i]
        for (r = 1; r <= rounds; r++) { x[r] = tps[v[i], r]; printf " %9.1f", x[r] }
        printf " %9.1f\n", median(x, rounds)
    }
    np = split(pairs, pair, " ")
    for (k = 1; k <= np; k++) {
        split(pair[k], pv, "/")
        if (!((pv[1], 1) in tps) || !((pv[2], 1) in tps)) continue
        printf col, pv[1] sep pv[2]
        for (r = 1; r <= rounds; r++) { x[r] = tps[pv[1], r] / tps[pv[2], r]; printf " %9.3f", x[r] }
        printf " %9.3f\n", median(x, rounds)
    }
    print "\n" note
}' "$1"
}
