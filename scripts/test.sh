#!/usr/bin/env bash
# Build, install and run every ordermgmt test suite on a throwaway cluster.
# Each suite is reported as passed or failed; all of them run even when an
# earlier one fails.  Ends with "N passed, M failed" and exits 1 if M > 0.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

om_install_deps
om_build_install
om_cluster_start
cd "$OM_ROOT"

passed=0
failed=0

# suite NAME COMMAND...: run one suite, count and report the result.
suite() {
  local name=$1; shift
  echo "== $name"
  if "$@" </dev/null; then
    echo "-- PASS: $name"
    passed=$((passed + 1))
  else
    echo "-- FAIL: $name"
    failed=$((failed + 1))
    OM_SHOW_LOG_ON_FAIL=1
  fi
}

# show_diffs FILE: print a pg_regress diff file, if any; always "fails".
show_diffs() {
  if [ -s "$1" ]; then echo "---- $1 ----"; cat "$1"; fi
  return 1
}

# PGXS's installcheck stops after pg_regress fails, so the regression and
# isolation halves run as separate suites to get results for both.  Neither
# runs the Perl TAP tests (TAP_TESTS=): PGXS would start them as root,
# which PostgreSQL refuses; perl_tap below runs them as postgres.
regress()   { make -s installcheck ISOLATION= TAP_TESTS= || show_diffs regression.diffs; }
isolation() { make -s installcheck REGRESS= TAP_TESTS= || show_diffs output_iso/regression.diffs; }

pgtap() {
  psql -X -q -v ON_ERROR_STOP=1 -c 'DROP DATABASE IF EXISTS ordermgmt_tap' \
       -c 'CREATE DATABASE ordermgmt_tap' &&
  psql -X -q -v ON_ERROR_STOP=1 -d ordermgmt_tap \
       -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION ordermgmt' &&
  # access_matrix.sql compares the README's access matrix with the catalog
  pg_prove -d ordermgmt_tap --set readme="$(cat README.md)" "$@"
}

# Perl TAP tests (PostgreSQL::Test::Cluster, shipped with the server's
# PGXS files) start clusters of their own, which PostgreSQL refuses to run
# as root: they run as the postgres user in a copy of test/t.
perl_tap() {
  local dir rc=0 pgxs
  pgxs=$(dirname "$(pg_config --pgxs)")/..
  dir=$(mktemp -d /tmp/ordermgmt-perl-tap.XXXXXX)
  cp -r test/t "$dir/t"
  chown -R postgres: "$dir"
  (cd "$dir" && runuser -u postgres -- env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE \
      PATH="$(pg_config --bindir):$PATH" TESTDIR="$dir" PG_REGRESS="$pgxs/test/regress/pg_regress" \
      prove -I "$pgxs/test/perl" t/*.pl) || rc=$?
  if [ "$rc" -ne 0 ]; then
    for f in "$dir"/tmp_check/log/regress_log_*; do echo "---- $f ----"; tail -n 40 "$f"; done
  fi
  rm -rf "$dir"
  return "$rc"
}

shopt -s nullglob
regress_files=(test/sql/*.sql)
isolation_files=(test/isolation/specs/*.spec)
pgtap_files=(test/pgtap/*.sql)

if [ ${#regress_files[@]} -gt 0 ]; then suite "regression tests" regress; fi
if [ ${#isolation_files[@]} -gt 0 ]; then suite "isolation tests" isolation; fi
for t in test/pgbench/*.sh; do
  if [ -x "$t" ]; then suite "pgbench: $t" "./$t"; fi
done
if [ ${#pgtap_files[@]} -gt 0 ]; then suite "pgTAP" pgtap "${pgtap_files[@]}"; fi
perl_tap_files=(test/t/*.pl)
if [ ${#perl_tap_files[@]} -gt 0 ]; then suite "Perl TAP" perl_tap; fi
# The shell tests (PASS/FAIL lines, not TAP); most start clusters of their
# own through test/shell/shell_lib.bash.
for t in test/shell/*.sh; do
  if [ -x "$t" ]; then suite "shell: $t" "./$t"; fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
