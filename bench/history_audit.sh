#!/usr/bin/env bash
#
# The statement audit of docs/benchmarks.md, "Cost with history (0.6.0)":
# every statement that placement, confirmation, shipping, delivery,
# invoicing, payment, a return and monitor_tick run (foreign-key checks and
# trigger queries included), with its rows read and shared buffers, on a
# short and a long history side by side, and on a customer with a long past
# against a new one.  bench/history_audit.sql runs the paths under
# auto_explain in a transaction it rolls back; bench/plan_stats.py sums the
# plans up and compares.
#
# Usage: PGHOST=... PGPORT=... PGUSER=... bash bench/history_audit.sh
#
# Needs the databases of bench/history.sh (run it first, e.g. with
# PARTS=skew ROUNDS=1 DURATION=1 to build them; its templates are used as
# they are and left unchanged) and a superuser.
#
# Settings (environment):
#   OM_BINDIR   bin directory of psql                  default /usr/lib/postgresql/15/bin
#   SMALL_DB    database with the short history       default ordermgmt_hist_10000
#   LARGE_DB    database with the long history        default ordermgmt_hist_1000000
#   SKEW_DB     the long one with a skewed customer   default ordermgmt_hist_skew_1000000
#               (empty: no comparison of customers)
#   SAMPLES     customers per path (C-1 ...)          default 5
#   GROW        a statement grows when it reads this many times the rows or
#               buffers (and 3 or more)               default 1.5
#   OUT         directory for the plans and tables    default a new temporary one
#
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${OM_BINDIR:=/usr/lib/postgresql/15/bin}"
export PATH=$OM_BINDIR:$PATH
SMALL_DB=${SMALL_DB:-ordermgmt_hist_10000}
LARGE_DB=${LARGE_DB:-ordermgmt_hist_1000000}
SKEW_DB=${SKEW_DB-ordermgmt_hist_skew_1000000}
SAMPLES=${SAMPLES:-5}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
command -v python3 >/dev/null || { echo "python3 is needed (bench/plan_stats.py)" >&2; exit 1; }

# audit NAME DB [psql -v ...]: the plans of one run, summed up in NAME.tsv.
audit() {
  local name=$1 db=$2 samples
  shift 2
  if ! psql -X -q -v ON_ERROR_STOP=1 "$@" -d "$db" -f "$HERE/history_audit.sql" >"$OUT/$name.out" 2>"$OUT/$name.log"; then
    grep -v '^ \|^{\|^}' "$OUT/$name.log" | grep -v NOTICE | tail -20 >&2
    exit 1
  fi
  samples=$(sed -n 's/^samples //p' "$OUT/$name.out")
  python3 "$HERE/plan_stats.py" summary "$OUT/$name.log" "${samples:-$SAMPLES}" >"$OUT/$name.tsv"
}

echo "== $SMALL_DB against $LARGE_DB, customers C-1 ... C-$SAMPLES"
audit small "$SMALL_DB" -v samples="$SAMPLES"
audit large "$LARGE_DB" -v samples="$SAMPLES"
python3 "$HERE/plan_stats.py" compare "$OUT/small.tsv" "$OUT/large.tsv" "$SMALL_DB" "$LARGE_DB" | tee "$OUT/history.md"

if [ -n "$SKEW_DB" ]; then
  echo
  echo "== $SKEW_DB: FRESH-20 (no past) against SKEW-1 (long past, many open invoices)"
  audit fresh "$SKEW_DB" -v customer_list=FRESH-20
  audit skewed "$SKEW_DB" -v customer_list=SKEW-1
  python3 "$HERE/plan_stats.py" compare "$OUT/fresh.tsv" "$OUT/skewed.tsv" FRESH-20 SKEW-1 | tee "$OUT/skew.md"
fi
echo "plans and tables: $OUT"
