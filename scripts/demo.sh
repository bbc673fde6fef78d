#!/usr/bin/env bash
# The main job: build and install ordermgmt, start a throwaway cluster with
# the background worker, and play one business day (demo/demo.sql) while
# ordermgmt-listen prints the alerts live as the worker relays them; then
# ordermgmt-notify delivers the confirmation notices to a local mailbox.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

om_install_deps
om_build_install
om_cluster_start
cd "$OM_ROOT"

# The shop's database first, then the worker that serves it.
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE DATABASE shop' </dev/null
psql -X -q -v ON_ERROR_STOP=1 -d shop -c 'CREATE EXTENSION ordermgmt' </dev/null
om_cluster_restart "shared_preload_libraries = 'ordermgmt'" \
                   "ordermgmt.database = 'shop'" \
                   "ordermgmt.monitor_interval = '1s'" \
                   "ordermgmt.notify_delay = '50ms'"

# The listener: one JSON line per alert, printed as the worker relays it.
listener_pid=""
if command -v ordermgmt-listen >/dev/null 2>&1; then
  ordermgmt-listen -d "dbname=shop" --alerts-only --wait --since 0 </dev/null 2>/dev/null \
    | sed -u 's/^/      ALERT >> /' &
  listener_pid=$!
  sleep 0.5
fi

psql -X -q -v ON_ERROR_STOP=1 -d shop -f demo/demo.sql </dev/null

# The notices: ordermgmt-notify hands each to a command, here one that
# appends it to a local mailbox file in mbox format.
if command -v ordermgmt-notify >/dev/null 2>&1; then
  mailbox=$OM_TMP/mailbox
  ordermgmt-notify -d "dbname=shop" --once \
    --command "{ echo \"From ordermgmt \$(date -u)\"; cat; echo; } >>'$mailbox'" </dev/null
  echo
  echo "=== ordermgmt-notify delivered $(grep -c '^From ordermgmt ' "$mailbox") notices; the first:"
  awk '/^From ordermgmt /{n++} n==1' "$mailbox" | sed 's/^/      MAIL >> /'
  psql -X -q -d shop -c "SELECT status, count(*) FROM ordermgmt.notifications GROUP BY status" </dev/null
fi

if [ -n "$listener_pid" ]; then
  sleep 0.5                      # the last relay batch
  pkill -TERM -f "ordermgmt-listen -d dbname=shop" || true
  wait "$listener_pid" 2>/dev/null || true
fi
om_cluster_stop
