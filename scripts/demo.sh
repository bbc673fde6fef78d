#!/usr/bin/env bash
# Build and install ordermgmt, then run demo/demo.sql on a throwaway cluster.
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

om_install_deps
om_build_install
om_cluster_start
cd "$OM_ROOT"

psql -v ON_ERROR_STOP=1 -X -q -f demo/demo.sql </dev/null
om_cluster_stop
