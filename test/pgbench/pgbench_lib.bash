# shellcheck shell=bash
# Helpers for the test/pgbench/*.sh scripts, which run against the cluster
# the libpq variables name.  Source this file, do not run it (it is named
# *.bash so that scripts/test.sh does not pick it up as a test).

# pgbench_test_start DB KEEP: a scratch directory, in workdir, for the
# test's pgbench scripts and output.  On exit it is removed, and so is the
# test's database DB unless KEEP is 1 (kept for a post-mortem).
pgbench_test_start() {
  PGBENCH_TEST_DB=$1
  PGBENCH_TEST_KEEP=$2
  workdir=$(mktemp -d)
  trap pgbench__on_exit EXIT
}

pgbench__on_exit() {
  rm -rf "$workdir"
  if [ "$PGBENCH_TEST_KEEP" != 1 ]; then
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $PGBENCH_TEST_DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
}
