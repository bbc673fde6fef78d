#!/usr/bin/env bash
# Memory-error check of the C code: runs the pg_regress suite against a
# throwaway server that runs under valgrind memcheck, then reads the
# valgrind logs.  Fails if the suite fails, if a server process crashes, or
# if any error report has a frame in ordermgmt.so; reports about PostgreSQL
# or libc alone are summarised but do not fail the run.  Not part of CI: it
# takes several minutes.  See docs/memcheck.md.
#
# The extension is built without optimisation (-O0 -g, for exact stack
# traces) from a git revision and installed into a private copy of the
# PostgreSQL 15 installation, whose `postgres` is replaced by a wrapper that
# starts the real binary under valgrind; the system install is not touched.
# Suppressions of PostgreSQL's known false positives: test/valgrind.supp.
#
#   MEMCHECK_REV    revision to check (default HEAD: committed work only)
#   MEMCHECK_PORT   port of the throwaway cluster (default 5530)
#   MEMCHECK_LOGS   a directory to keep the valgrind logs in (default: none)
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REV=${MEMCHECK_REV:-HEAD}
OM_PORT=${MEMCHECK_PORT:-5530}      # common.sh's functions read OM_PORT when they run
# valgrind slows the server down 20-50 times: give pg_ctl time to start it.
export PGCTLTIMEOUT=900

om_install_deps
om_install_packages valgrind

trap om__on_exit EXIT               # stops the cluster, removes the private build

started=$SECONDS
echo "== building $REV with -O0 -g into a private copy of PostgreSQL $OM_PGVER"
om_private_build "$REV" COPT='-O0 -g'
echo "   commit ${OM_BUILD_COMMIT:0:7}, build in $OM_BUILD_DIR"
SRC=$OM_BUILD_DIR/src

# The valgrind logs, one file per process (%p), and the suppressions, where
# the postgres user can reach them.
LOGS=$OM_BUILD_DIR/valgrind
mkdir -p "$LOGS"
chown postgres: "$LOGS"
install -m 644 "$OM_ROOT/test/valgrind.supp" "$OM_BUILD_DIR/valgrind.supp"

# The wrapper: the server proper (postmaster and every backend it forks) runs
# under valgrind; the quick calls of initdb and pg_ctl (bootstrap, single
# user, configuration check, version and settings probes) run the real
# binary directly.
mv "$OM_BINDIR/postgres" "$OM_BINDIR/postgres.bin"
cat >"$OM_BINDIR/postgres" <<WRAPPER
#!/bin/sh
# postgres under valgrind memcheck, written by scripts/memcheck.sh
case "\${1:-}" in
  --boot|--single|--check|-V|--version|-C|--describe-config)
    exec "$OM_BINDIR/postgres.bin" "\$@" ;;
esac
exec valgrind --tool=memcheck --trace-children=yes --track-origins=yes \\
  --leak-check=no --error-limit=no --num-callers=40 --vgdb=no \\
  --error-markers=VG-ERROR-BEGIN,VG-ERROR-END --gen-suppressions=all \\
  --fullpath-after="$SRC/" --suppressions="$OM_BUILD_DIR/valgrind.supp" \\
  --log-file="$LOGS/%p.log" "$OM_BINDIR/postgres.bin" "\$@"
WRAPPER
chmod 755 "$OM_BINDIR/postgres"

echo "== starting the server under valgrind on port $OM_PORT"
# No JIT (LLVM under valgrind is slow and noisy) and no autovacuum (no
# worker competes for the CPU; the suite does not depend on it).  Tests that
# bound a statement's time multiply the bound by ordermgmt_test.time_factor.
om_cluster_start "jit = off" "autovacuum = off" "log_line_prefix = '%m [%p] '" \
                 "ordermgmt_test.time_factor = 100"
echo "   started in $((SECONDS - started)) s"

echo "== pg_regress suite (make installcheck ISOLATION= TAP_TESTS=)"
suite_started=$SECONDS
suite_ok=1
if ! make -C "$SRC" -s installcheck ISOLATION= TAP_TESTS= \
       PG_CONFIG="/usr/lib/postgresql/$OM_PGVER/bin/pg_config" </dev/null; then
  suite_ok=0
  [ ! -s "$SRC/regression.diffs" ] || cat "$SRC/regression.diffs"
fi
suite_seconds=$((SECONDS - suite_started))

# Stop the server so that every process writes its last errors and summary;
# keep the server log for the crash check.
om__as_postgres "$OM_BINDIR/pg_ctl" -D "$OM_TMP/data" -m fast -w stop >/dev/null
cp "$OM_TMP/server.log" "$OM_BUILD_DIR/server.log"
om_cluster_stop

# One tab-separated line per error report in the logs:
#   ours (0|1) <tab> kind <tab> where <tab> origin <tab> our frame <tab> log <tab> n
# Reports sit between the --error-markers lines; frames read
# "==PID==    at 0x4A3B2C: fn (src/orders.c:12)" or "... fn (in /lib/x.so)".
# "where" is the first named frame outside libc and valgrind, "origin" the
# first named frame of the stack that created an uninitialised value (with
# --track-origins), past the allocator; n numbers the reports of a log.  A
# frame is ours if it is in ordermgmt.so or in a source file of the build
# (src/<file>.c, thanks to --fullpath-after); a report is ours if any of its
# frames is, origin included: uninitialised bytes of ours that PostgreSQL
# writes to disk are reported in PostgreSQL's write call.
reports() {
  awk '
    function named(f) {
      return f !~ /^\?\?\?/ && f !~ /\((posix|io|libio|string|malloc|stdlib)\/|vgpreload_|libc\.so/
    }
    /VG-ERROR-BEGIN/ { inside = 1; kind = ""; where = ""; origin = ""; ours = ""; in_origin = 0; n[FILENAME]++; next }
    /VG-ERROR-END/ {
      if (inside) printf "%d\t%s\t%s\t%s\t%s\t%s\t%d\n", ours != "", kind, where, origin, ours, FILENAME, n[FILENAME]
      inside = 0; next
    }
    !inside { next }
    kind == "" { kind = $0; sub(/^==[0-9]+== /, "", kind); next }
    /Uninitialised value was created/ { in_origin = 1; next }
    /^==[0-9]+== +(at|by) 0x/ {
      f = $0; sub(/^==[0-9]+== +(at|by) 0x[0-9A-F]+: /, "", f)
      if (ours == "" && (f ~ /ordermgmt\.so/ || f ~ /\(src\/[A-Za-z0-9_]+\.[ch]:[0-9]+\)/)) ours = f
      if (!named(f)) next
      if (!in_origin && where == "") where = f
      if (in_origin && origin == "" && f !~ /^(palloc|palloc0|repalloc|MemoryContextAlloc|AllocSet)/) origin = f
    }
  ' "$LOGS"/*.log | sed 's/ (in [^)]*\/postgres\.bin)//g'
}

# report_text LOG N: the Nth report of a log, as valgrind wrote it.
report_text() {
  awk -v want="$2" '/VG-ERROR-BEGIN/ { if (++n == want) on = 1; next }
                    /VG-ERROR-END/ { if (on) exit }
                    on' "$1"
}

echo
echo "== valgrind results"
processes=$(find "$LOGS" -name '*.log' | wc -l)
all=$(reports)
ours_count=$(printf '%s\n' "$all" | awk -F'\t' '$1 == 1' | grep -c . || true)
other_count=$(printf '%s\n' "$all" | awk -F'\t' '$1 == 0' | grep -c . || true)
# "ERROR SUMMARY: 3 errors from 2 contexts (suppressed: 10 from 4)", one per process.
read -r total_errors suppressed < <(cat "$LOGS"/*.log |
  sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors from [0-9]* contexts (suppressed: \([0-9]*\) from.*/\1 \2/p' |
  awk '{ e += $1; s += $2 } END { print e + 0, s + 0 }')
crashes=$( (grep -l 'Process terminating with default action of signal' "$LOGS"/*.log || true) | wc -l)
server_crashes=$(grep -cE 'terminated by signal|was terminated by exception|PANIC:' \
                 "$OM_BUILD_DIR/server.log" || true)

echo "processes traced:                   $processes"
echo "reports with an ordermgmt.so frame: $ours_count"
echo "reports elsewhere:                  $other_count"
echo "errors counted by valgrind:         $total_errors (repeats included; $suppressed more suppressed)"
echo "processes killed by a signal:       $crashes (valgrind), $server_crashes (server log)"
if [ "$other_count" -gt 0 ]; then
  echo "-- reports outside ordermgmt.so (count, kind, where, origin of the uninitialised bytes):"
  printf '%s\n' "$all" | awk -F'\t' '$1 == 0 { print $2 "\t" $3 "\t" ($4 == "" ? "-" : $4) }' |
    sort | uniq -c | sort -rn
fi
if [ "$ours_count" -gt 0 ]; then
  echo "-- reports with a frame in ordermgmt.so (count, kind, our first frame):"
  printf '%s\n' "$all" | awk -F'\t' '$1 == 1 { print $2 "\t" $5 }' | sort | uniq -c | sort -rn
  echo "-- the first one in full:"
  read -r first_log first_n < <(printf '%s\n' "$all" | awk -F'\t' '$1 == 1 { print $6, $7; exit }')
  report_text "$first_log" "$first_n"
fi
if [ -n "${MEMCHECK_LOGS:-}" ]; then
  mkdir -p "$MEMCHECK_LOGS"
  cp "$OM_BUILD_DIR/server.log" "$LOGS"/*.log "$MEMCHECK_LOGS/"
  echo "logs kept in $MEMCHECK_LOGS"
fi

echo
echo "suite: $([ "$suite_ok" = 1 ] && echo passed || echo FAILED) in ${suite_seconds} s; whole run $((SECONDS - started)) s"
if [ "$suite_ok" = 1 ] && [ "$ours_count" -eq 0 ] && [ "$crashes" -eq 0 ] && [ "$server_crashes" -eq 0 ]; then
  echo "memcheck: PASS"
else
  echo "memcheck: FAIL"
  exit 1
fi
