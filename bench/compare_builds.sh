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
# database of each cluster is set up by bench/placement.sh's and
# bench/cycle.sh's own set-up (one short run), with ordermgmt.notify off.
#
# Settings (environment):
#   WORKLOADS  any of: placement cycle     default "placement cycle"
#   ROUNDS     rounds                      default 4
#   DURATION   seconds per pgbench run     default 15
#   CLIENTS    pgbench clients             default 8
#   PORT_A, PORT_B                         default 5493, 5494
#
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

[ $# -eq 2 ] || { echo "usage: $0 REV_A REV_B" >&2; exit 2; }
WORKLOADS=${WORKLOADS:-"placement cycle"}
ROUNDS=${ROUNDS:-4}
DURATION=${DURATION:-15}
CLIENTS=${CLIENTS:-8}
PORTS=("${PORT_A:-5493}" "${PORT_B:-5494}")
REVS=("$1" "$2")
BUILDS=()
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
}
trap cleanup EXIT

# Build both first: a build failure should not leave a cluster behind.
for i in 0 1; do
  om_private_build "${REVS[$i]}" || exit 1
  BUILDS[$i]=$OM_BINDIR
  echo "== build $((i == 0 ? 1 : 2)): ${REVS[$i]} = ${OM_BUILD_COMMIT:0:7}"
  OM_BUILD_DIR=""           # kept until the end: the cluster runs from it
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

db_of() { case $1 in placement) echo ordermgmt_bench ;; cycle) echo ordermgmt_cycle_bench ;; esac; }
script_of() { case $1 in placement) echo "$BENCH_HERE/placement.sql" ;; cycle) echo "$BENCH_HERE/cycle.sql" ;; esac; }

# The benchmarks' own set-up: placement.sh on the cluster given by the libpq
# variables; cycle.sh starts a cluster of its own, so its set-up SQL is run
# here from its script.
setup() {   # $1 cluster, $2 workload
  case $2 in
    placement)
      on_cluster "$1" env ROUNDS=1 DURATION=1 WARMUP=0 VARIANTS=place_off \
        bash "$BENCH_HERE/placement.sh" >"$OUT/setup.$2.$1.log" 2>&1 ;;
    cycle)
      on_cluster "$1" bash -c "psql -X -q -c 'DROP DATABASE IF EXISTS $(db_of cycle)' -c 'CREATE DATABASE $(db_of cycle)' &&
        sed -n '/^psql_db >\/dev\/null <<.SQL.\$/,/^SQL\$/p' '$BENCH_HERE/cycle.sh' | sed '1d;\$d' |
        psql -X -q -v ON_ERROR_STOP=1 -d $(db_of cycle)" >"$OUT/setup.$2.$1.log" 2>&1 ;;
  esac
  on_cluster "$1" psql -X -q -d postgres -c "ALTER DATABASE $(db_of "$2") SET ordermgmt.notify = off"
}

for w in $WORKLOADS; do
  for i in 0 1; do setup "$i" "$w" || { cat "$OUT/setup.$w.$i.log" >&2; exit 1; }; done
  echo "== $w: $CLIENTS clients, $DURATION s per run, $ROUNDS rounds, A then B"
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
