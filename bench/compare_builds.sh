#!/usr/bin/env bash
#
# Two builds of the extension side by side: the same pgbench workload on two
# throwaway clusters, one per build, run in turn round after round, with the
# ratio B/A per round and its median.  For "did this change make placement
# or the order-to-cash cycle slower?" on a noisy machine.
#
# Usage (as root): bash bench/compare_builds.sh REV_A REV_B
#   e.g. bash bench/compare_builds.sh HEAD~5 HEAD
#
# Each revision is built and installed into a private copy of the
# PostgreSQL 15 installation (scripts/common.sh, om_private_build).  The
# database of each cluster is set up as bench/placement.sh and
# bench/cycle.sh set theirs up (bench/workloads/setup.sql), with
# ordermgmt.notify off unless NOTIFY says otherwise; the workloads are
# bench/workloads/placement.sql and cycle.sql.
#
# Settings (environment):
#   WORKLOADS  any of: placement cycle     default "placement cycle"
#   ROUNDS     rounds                      default 4
#   DURATION   seconds per pgbench run     default 15
#   WARMUP     seconds of an uncounted first run on each cluster   default 5
#   NOTIFY     ordermgmt.notify in the databases: off or immediate   default off
#   CLIENTS    pgbench clients             default 8
#   WORKER     1: the background worker runs in the workload's database
#              (one workload per run), so that the roll-ups it does every
#              second are paid during the runs          default 0
#   PORT_A, PORT_B                         default 5493, 5494
#
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

[ $# -eq 2 ] || { echo "usage: $0 REV_A REV_B" >&2; exit 2; }
WORKLOADS=${WORKLOADS:-"placement cycle"}
ROUNDS=${ROUNDS:-4}
DURATION=${DURATION:-15}
CLIENTS=${CLIENTS:-8}
WARMUP=${WARMUP:-5}
NOTIFY=${NOTIFY:-off}
WORKER=${WORKER:-0}
if [ "$WORKER" = 1 ] && [ "$(wc -w <<<"$WORKLOADS")" -ne 1 ]; then
  echo "WORKER=1 takes one workload (the worker serves one database)" >&2
  exit 2
fi
db_of() { case $1 in placement) echo ordermgmt_bench ;; cycle) echo ordermgmt_cycle_bench ;; esac; }
script_of() { echo "$BENCH_HERE/workloads/$1.sql"; }
PORTS=("${PORT_A:-5493}" "${PORT_B:-5494}")
REVS=("$1" "$2")
BUILDS=()
BUILD_DIRS=()
DIRS=()
OUT=$(mktemp -d)

cleanup() {
  local i
  set +e
  for i in 0 1; do
    [ -n "${DIRS[$i]:-}" ] || continue
    runuser -u postgres -- "${BUILDS[$i]}/pg_ctl" -D "${DIRS[$i]}/data" -m fast -w stop >/dev/null 2>&1
    rm -rf "${DIRS[$i]}"
  done
  for i in 0 1; do
    [ -z "${BUILD_DIRS[$i]:-}" ] || rm -rf "${BUILD_DIRS[$i]}"
  done
}
trap cleanup EXIT

# Build both first: a build failure should not leave a cluster behind.
for i in 0 1; do
  om_private_build "${REVS[$i]}" || exit 1
  BUILDS[$i]=$OM_BINDIR
  BUILD_DIRS[$i]=$OM_BUILD_DIR
  echo "== build $((i == 0 ? 1 : 2)): ${REVS[$i]} = ${OM_BUILD_COMMIT:0:7}"
  OM_BUILD_DIR=""           # removed by cleanup: the cluster runs from it until then
done

for i in 0 1; do
  DIRS[$i]=$(mktemp -d /tmp/ordermgmt-ab.XXXXXX)
  chown postgres: "${DIRS[$i]}"
  chmod 755 "${DIRS[$i]}"
  runuser -u postgres -- "${BUILDS[$i]}/initdb" -D "${DIRS[$i]}/data" -U postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  {
    echo "listen_addresses = ''"
    echo "unix_socket_directories = '${DIRS[$i]}'"
    echo "port = ${PORTS[$i]}"
    printf '%s\n' "${BENCH_DEFAULT_CONF[@]}"
    if [ "$WORKER" = 1 ]; then
      echo "shared_preload_libraries = 'ordermgmt'"
      echo "ordermgmt.database = '$(db_of "$WORKLOADS")'"
    fi
  } >>"${DIRS[$i]}/data/postgresql.conf"
  (cd "${DIRS[$i]}" && runuser -u postgres -- "${BUILDS[$i]}/pg_ctl" -D "${DIRS[$i]}/data" \
     -l "${DIRS[$i]}/server.log" -w start >/dev/null)
done

# on_cluster I COMMAND...: run with the libpq variables of cluster I.
on_cluster() {
  local i=$1
  shift
  PGHOST=${DIRS[$i]} PGPORT=${PORTS[$i]} PGUSER=postgres PGDATABASE=postgres "$@"
}


# The benchmarks' own set-up (bench/workloads/setup.sql), with the tax rate
# each uses; the baseline tables are not needed here.
setup() {   # $1 cluster, $2 workload
  local db tax
  db=$(db_of "$2")
  case $2 in placement) tax=0 ;; cycle) tax=0.2 ;; esac
  on_cluster "$1" psql -X -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" \
    -c "ALTER DATABASE $db SET ordermgmt.notify = $NOTIFY" >"$OUT/setup.$2.$1.log" 2>&1 &&
  on_cluster "$1" psql -X -q -v ON_ERROR_STOP=1 -d "$db" -v tax_rate="$tax" -v base_tables="orders stock" \
    -f "$BENCH_HERE/workloads/setup.sql" >>"$OUT/setup.$2.$1.log" 2>&1
}

for w in $WORKLOADS; do
  for i in 0 1; do setup "$i" "$w" || { cat "$OUT/setup.$w.$i.log" >&2; exit 1; }; done
  echo "== $w: $CLIENTS clients, $DURATION s per run, $ROUNDS rounds, notify $NOTIFY, A then B"
  if [ "$WARMUP" -gt 0 ]; then
    for i in 0 1; do
      on_cluster "$i" pgbench -n -M prepared -c "$CLIENTS" -j 2 -T "$WARMUP" \
        -f "$(script_of "$w")" "$(db_of "$w")" >"$OUT/$w.warmup.$i.log" 2>&1 \
        || { cat "$OUT/$w.warmup.$i.log" >&2; exit 1; }
    done
  fi
  for r in $(seq 1 "$ROUNDS"); do
    for i in 0 1; do
      on_cluster "$i" psql -X -q -d "$(db_of "$w")" -c CHECKPOINT
      on_cluster "$i" pgbench -n -M prepared -c "$CLIENTS" -j 2 -T "$DURATION" \
        -f "$(script_of "$w")" "$(db_of "$w")" >"$OUT/$w.$r.$i.log" 2>&1 \
        || { cat "$OUT/$w.$r.$i.log" >&2; exit 1; }
      grep -o 'tps = [0-9.]*' "$OUT/$w.$r.$i.log" | head -n1 | cut -d' ' -f3 >"$OUT/$w.$r.$i.tps"
    done
    echo "$r $(cat "$OUT/$w.$r.0.tps") $(cat "$OUT/$w.$r.1.tps")" >>"$OUT/$w.results"
  done
  awk '{ printf "   round %d: A %.1f  B %.1f  B/A %.3f\n", $1, $2, $3, $3 / $2 }' "$OUT/$w.results"
  awk '{ print $3 / $2 }' "$OUT/$w.results" | sort -g |
    awk -v w="$w" '{ r[NR] = $1 } END { m = (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2;
                                         printf "   %s: median B/A %.3f\n", w, m }'
done
echo "pgbench logs: $OUT"
