#!/usr/bin/env bash
# Concurrent mixed workload: 8 pgbench clients run the whole order-to-cash
# cycle at once for a fixed time (bench/workloads/mixed: orders,
# shipments, deliveries, invoices, payments and retried payments, returns,
# cancellations, amendments and short closes, approvals, receipts,
# feedback, tickets, acknowledged alerts), racing for the same documents.
# A lost race is a business refusal (OM001, OM002, OM005, OM006) that the
# workload records and swallows; any other error, a deadlock or a failed
# transaction fails the test.
#
# Afterwards every invariant of test/invariants.sql must hold exactly: the
# ledger balances (per entry and in the trial balance; cash and receivables
# agree with payments and invoices), stock agrees with its moves and
# reservations, every invoice's due amount with its payments and credits,
# every order line's counters with its documents, statuses with
# quantities, every change has its event, every alert and deadline its
# subject in the state it watches.
#
# Connects with the usual libpq variables (PGHOST, PGPORT, PGUSER, ...).
# Works in its own database, ordermgmt_mixed, dropped first if it exists
# and again at the end (set MIXED_KEEP_DB=1 to keep it for a post-mortem).
# MIXED_SECONDS sets the run time (default 25).
# Prints one PASS or FAIL line per check; exits 1 if any check fails.
set -euo pipefail
# shellcheck source=test/pgbench/pgbench_lib.bash
. "$(dirname "${BASH_SOURCE[0]}")/pgbench_lib.bash"
# shellcheck source=bench/workloads/mixed/workload.bash
. "$(dirname "${BASH_SOURCE[0]}")/../../bench/workloads/mixed/workload.bash"

DB=ordermgmt_mixed
CLIENTS=8
THREADS=4
SECONDS_TO_RUN=${MIXED_SECONDS:-25}

pgbench_test_start "$DB" "${MIXED_KEEP_DB:-0}"

echo "== setting up database $DB"
wl_setup "$DB"

echo "== pgbench: $CLIENTS clients for $SECONDS_TO_RUN s"
rc=0
wl_pgbench "$DB" "$workdir/pgbench.out" -c "$CLIENTS" -j "$THREADS" -T "$SECONDS_TO_RUN" || rc=$?
wl_pgbench_summary "$workdir/pgbench.out"
wl_check_pgbench "$workdir/pgbench.out" "$rc"

echo "== what the workload did"
wl_report "$DB"
wl_check_actions "$DB"

echo "== invariants"
wl_invariants "$DB" || true

if [ "$WL_FAILURES" -eq 0 ]; then
  echo "PASS: mixed workload"
else
  echo "FAIL: mixed workload ($WL_FAILURES failed checks)"
  exit 1
fi
