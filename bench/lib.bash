# shellcheck shell=bash
# Helpers for the benchmark scripts that start a throwaway cluster of their
# own (bench/monitor.sh, bench/relay.sh).  Source this file, do not run it.
#
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

: "${OM_BINDIR:=/usr/lib/postgresql/$OM_PGVER/bin}"
export PATH=$OM_BINDIR:$PATH
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
bench_cluster_start() {
  local port=$1 extra=() line
  shift
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

# The library's modification time, to notice a reinstall during the run.
bench_lib_stamp() {
  psql -X -At -d postgres -c "SELECT (pg_stat_file(setting || '/ordermgmt.so')).modification
                                FROM pg_config WHERE name = 'PKGLIBDIR'" 2>/dev/null || echo unknown
}
