# shellcheck shell=bash
# Helpers for the shell tests, test/shell/*.sh: bash scripts that print
# PASS/FAIL lines and end with a total (not TAP; the Perl TAP tests are in
# test/t).  Source this file, do not run it (it is named *.bash so that
# scripts/test.sh does not pick it up as a test).
#
# Each script starts its own throwaway cluster with scripts/common.sh, on
# its own port (TAP_PORT) so that it can run next to the suite's cluster.
# The script runs as root; the server runs as the postgres OS user.

# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"

: "${OM_BINDIR:=/usr/lib/postgresql/$OM_PGVER/bin}"
export PATH=$OM_BINDIR:$PATH

SHELL_PASSED=0
SHELL_FAILED=0
SHELL_CLEANUP=()      # commands run on exit, before the cluster is stopped

# shell_cluster_start PORT [postgresql.conf line...]
# common.sh fixes OM_PORT; its functions read the variable when they run, so
# setting it after sourcing is enough to move the cluster to another port.
shell_cluster_start() {
  OM_PORT=$1; shift
  om_cluster_start "$@" || { echo "FAIL: cluster did not start" >&2; exit 1; }
  trap shell__on_exit EXIT
}

shell__on_exit() {
  local rc=$? cmd
  set +e                     # a script may run with set -e: clean up all the same
  for cmd in "${SHELL_CLEANUP[@]}"; do eval "$cmd" >/dev/null 2>&1 || true; done
  (exit "$rc")
  om__on_exit
}

# The server log of the running cluster.
shell_server_log() { echo "$OM_TMP/server.log"; }

# q [psql args...] SQL: one query, unaligned tuples only, errors fatal to it.
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

pass() { echo "PASS: $*"; SHELL_PASSED=$((SHELL_PASSED + 1)); }
fail() { echo "FAIL: $*"; SHELL_FAILED=$((SHELL_FAILED + 1)); }

# check DESCRIPTION COMMAND...: PASS if the command succeeds.
check() {
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

# wait_for SECONDS DB SQL: poll until the query returns "t"; 0 on success.
wait_for() {
  local secs=$1 db=$2 sql=$3 deadline
  deadline=$(($(date +%s%N) + secs * 1000000000))
  while [ "$(date +%s%N)" -lt "$deadline" ]; do
    [ "$(q -d "$db" -c "$sql" 2>/dev/null)" = t ] && return 0
    sleep 0.2
  done
  return 1
}

# Milliseconds since the epoch.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# shell_finish: print the totals and exit 1 if anything failed.
shell_finish() {
  echo "$SHELL_PASSED passed, $SHELL_FAILED failed"
  [ "$SHELL_FAILED" -eq 0 ] && [ "$SHELL_PASSED" -gt 0 ]
}
