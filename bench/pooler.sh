#!/usr/bin/env bash
#
# Placement behind PgBouncer in transaction mode: 200 pgbench clients on
# 16 server connections through the pooler, against 16 clients connected
# directly, side by side, round after round (docs/pgbouncer.md).  The
# workload is bench/workloads/placement.sql (one 3-line auto-confirmed
# order per transaction), extended protocol (PgBouncer 1.18 keeps no
# prepared statements across server connections).
#
# Usage (as root): bash bench/pooler.sh
#
# Settings (environment):
#   ROUNDS     rounds                    default 3
#   DURATION   seconds per pgbench run   default 20
#   POOL       server connections        default 16
#   POOLED     clients through the pool  default 200
#   BENCH_BUILD  installed (default) or a git revision (private build)
#
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-20}
POOL=${POOL:-16}
POOLED=${POOLED:-200}
BENCH_DB=ordermgmt_pooler_bench
PGBOUNCER=${PGBOUNCER:-$(command -v pgbouncer || echo /usr/sbin/pgbouncer)}
[ -x "$PGBOUNCER" ] || { echo "pgbouncer not found (apt-get install pgbouncer)" >&2; exit 1; }

bench_cluster_start 5491 "max_connections = $((POOL + 20))"
bouncer_dir=$(mktemp -d /tmp/ordermgmt-pooler.XXXXXX)
chown postgres: "$bouncer_dir"
stop_bouncer() {
  [ -f "$bouncer_dir/pgbouncer.pid" ] && kill "$(cat "$bouncer_dir/pgbouncer.pid")" 2>/dev/null
  rm -rf "$bouncer_dir"
}
trap 'rc=$?; set +e; stop_bouncer; (exit "$rc"); bench__on_exit' EXIT

psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $BENCH_DB"
bench_placement_setup "$BENCH_DB"

bouncer_port=$((PGPORT + 1000))
echo '"postgres" ""' >"$bouncer_dir/users.txt"
cat >"$bouncer_dir/pgbouncer.ini" <<EOF
[databases]
$BENCH_DB = host=$PGHOST port=$PGPORT dbname=$BENCH_DB
[pgbouncer]
listen_addr =
unix_socket_dir = $bouncer_dir
listen_port = $bouncer_port
auth_type = trust
auth_file = $bouncer_dir/users.txt
pool_mode = transaction
default_pool_size = $POOL
max_client_conn = $((POOLED + 50))
logfile = $bouncer_dir/pgbouncer.log
pidfile = $bouncer_dir/pgbouncer.pid
EOF
chown -R postgres: "$bouncer_dir"
runuser -u postgres -- "$PGBOUNCER" -d "$bouncer_dir/pgbouncer.ini"
echo "   pgbouncer: $("$PGBOUNCER" --version | head -n1), transaction mode, $POOL server connections"

run() {   # $1 label, then pgbench connection options
  local label=$1 out
  shift
  out=$(pgbench -n -M extended -j 2 -T "$DURATION" -f "$BENCH_HERE/workloads/placement.sql" "$@" 2>&1) ||
    { echo "$out" >&2; exit 1; }
  grep -q 'number of failed transactions: 0 ' <<<"$out" || { echo "$out" >&2; exit 1; }
  sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out"
}

# A first run on a new database is slower (caches, the first plans): not counted.
DURATION=5 run warmup -c "$POOL" "$BENCH_DB" >/dev/null
echo "== $ROUNDS rounds of $DURATION s: $POOL clients direct, then $POOLED clients through the pooler"
ratios=()
for r in $(seq 1 "$ROUNDS"); do
  psql -X -q -d "$BENCH_DB" -c CHECKPOINT
  direct=$(run direct -c "$POOL" "$BENCH_DB")
  pooled=$(run pooled -c "$POOLED" -h "$bouncer_dir" -p "$bouncer_port" "$BENCH_DB")
  ratio=$(awk -v a="$direct" -v b="$pooled" 'BEGIN { printf "%.3f", b / a }')
  ratios+=("$ratio")
  echo "   round $r: direct $direct tps, pooled $pooled tps, pooled/direct $ratio"
done
printf '%s\n' "${ratios[@]}" | sort -g |
  awk '{ r[NR] = $1 } END { m = (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2;
                           printf "   median pooled/direct %.3f (target 0.8)\n", m }'
