# shellcheck shell=bash
# Shared helpers for the ordermgmt scripts.  Source this file, do not run it:
#   . "$(dirname "$0")/common.sh"
# Everything here must work as root on a bare Debian 12 machine with no tty.

OM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OM_PGVER=15
OM_PORT=5499          # fixed: the server listens only on its own socket dir
OM_TMP=""             # temp dir of the running cluster, "" when none
OM_BUILD_DIR=""       # temp dir of om_private_build, "" when none

OM_PACKAGES=(
  build-essential
  "postgresql-$OM_PGVER" "postgresql-client-$OM_PGVER" "postgresql-server-dev-$OM_PGVER"
  postgresql-contrib             # pgbench itself ships in postgresql-15
  "postgresql-$OM_PGVER-pgtap"
  "postgresql-$OM_PGVER-cron"     # the pg_cron path of the README (test/t/003_pg_cron.pl)
  pgbouncer                      # transaction pooling (test/t/005_pgbouncer.pl)
  libtap-parser-sourcehandler-pgtap-perl   # pg_prove
  libipc-run-perl libpq-dev
)

# Run apt-get quietly; show its output only when it fails.
om__apt() {
  local log rc=0
  log=$(mktemp)
  DEBIAN_FRONTEND=noninteractive apt-get -q -y "$@" >"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "apt-get $* failed:" >&2
    cat "$log" >&2
  fi
  rm -f "$log"
  return "$rc"
}

# om__missing_packages PACKAGE...: print those not installed, one a line.
om__missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qx installed \
      || echo "$pkg"
  done
}

# om_install_packages PACKAGE...: install those that are missing (tools of
# the hand-run scripts, such as valgrind or sqlsmith).
om_install_packages() {
  local missing=()
  mapfile -t missing < <(om__missing_packages "$@")
  [ "${#missing[@]}" -gt 0 ] || return 0
  echo "Installing packages: ${missing[*]}"
  om__apt update && om__apt install --no-install-recommends "${missing[@]}"
}

om_install_deps() {
  local missing=()
  mapfile -t missing < <(om__missing_packages "${OM_PACKAGES[@]}")
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "Installing packages: ${missing[*]}"
    om__apt update || return 1
    # On a first install, keep the packages from creating and starting a
    # "main" cluster on port 5432: we only ever use throwaway clusters.
    if ! dpkg-query -W -f='${db:Status-Status}' postgresql-common 2>/dev/null | grep -qx installed; then
      om__apt install --no-install-recommends postgresql-common || return 1
      sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' \
        /etc/postgresql-common/createcluster.conf
    fi
    om__apt install --no-install-recommends "${missing[@]}" || return 1
  fi
  # postgresql-common creates this user; recreate it if someone removed it.
  if ! id -u postgres >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
  # Pin everything to PostgreSQL 15 even if other versions are installed
  # (/usr/bin/pg_config would pick the newest server-dev package).
  OM_BINDIR=/usr/lib/postgresql/$OM_PGVER/bin
  export PG_CONFIG=$OM_BINDIR/pg_config
  export PATH=$OM_BINDIR:$PATH
}

om_build_install() {
  (
    cd "$OM_ROOT" || exit 1
    make -s clean >/dev/null || true
    make -s PG_CFLAGS="-Wall -Wextra -Werror" && make -s install
  )
}

# om_private_build REVISION [make variable...]
# Build that git revision of this repository and install it into a private
# copy of the PostgreSQL 15 installation, so that what runs cannot be changed
# by a `make install` into the system during the run, and the system install
# is left alone.  Make variables (e.g. COPT='-O0 -g') go to both make calls.
# Sets OM_BUILD_DIR (a temp dir: src/ the sources, inst/ the installation;
# om__on_exit removes it), OM_BUILD_COMMIT and OM_BINDIR (the copy's bin dir,
# which om_cluster_start then uses).
om_private_build() {
  local rev=$1 sys_lib=/usr/lib/postgresql/$OM_PGVER sys_share=/usr/share/postgresql/$OM_PGVER
  shift
  OM_BUILD_COMMIT=$(git -C "$OM_ROOT" rev-parse --verify "$rev^{commit}") || return 1
  OM_BUILD_DIR=$(mktemp -d /tmp/ordermgmt-build.XXXXXX) || return 1
  chmod 755 "$OM_BUILD_DIR"
  mkdir -p "$OM_BUILD_DIR/src" "$OM_BUILD_DIR/inst/usr/lib/postgresql" \
           "$OM_BUILD_DIR/inst/usr/share/postgresql"
  # The server finds its share and lib directories relative to its binary.
  cp -a "$sys_lib" "$OM_BUILD_DIR/inst/usr/lib/postgresql/"
  cp -a "$sys_share" "$OM_BUILD_DIR/inst/usr/share/postgresql/"
  rm -f "$OM_BUILD_DIR/inst$sys_share/extension/ordermgmt"* "$OM_BUILD_DIR/inst$sys_lib/lib/ordermgmt.so"
  git -C "$OM_ROOT" archive "$OM_BUILD_COMMIT" | tar -x -C "$OM_BUILD_DIR/src" || return 1
  if ! make -C "$OM_BUILD_DIR/src" -s PG_CONFIG="$sys_lib/bin/pg_config" "$@" \
         >"$OM_BUILD_DIR/build.log" 2>&1 ||
     ! make -C "$OM_BUILD_DIR/src" -s PG_CONFIG="$sys_lib/bin/pg_config" "$@" install \
         DESTDIR="$OM_BUILD_DIR/inst" >>"$OM_BUILD_DIR/build.log" 2>&1; then
    cat "$OM_BUILD_DIR/build.log" >&2
    return 1
  fi
  OM_BINDIR=$OM_BUILD_DIR/inst$sys_lib/bin
}

# Run a command as the postgres OS user, from a directory it can enter.
om__as_postgres() {
  (cd "$OM_TMP" && runuser -u postgres -- "$@")
}

# om_cluster_start [postgresql.conf line...]
om_cluster_start() {
  [ -z "$OM_TMP" ] || om_cluster_stop
  : "${OM_BINDIR:=/usr/lib/postgresql/$OM_PGVER/bin}"
  # Always under /tmp: the postgres user must be able to reach it, which a
  # custom TMPDIR (e.g. under /root) would not allow.
  OM_TMP=$(mktemp -d /tmp/ordermgmt.XXXXXX) || return 1
  # The socket lives in OM_TMP, which must stay reachable by other users;
  # the data directory below it is the private (700) part.
  chown postgres: "$OM_TMP"
  chmod 755 "$OM_TMP"
  trap om__on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  OM_SHOW_LOG_ON_FAIL=0

  if ! om__as_postgres "$OM_BINDIR/initdb" -D "$OM_TMP/data" -U postgres \
        --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$OM_TMP/initdb.log" 2>&1; then
    cat "$OM_TMP/initdb.log" >&2
    return 1
  fi
  {
    echo "listen_addresses = ''"
    echo "unix_socket_directories = '$OM_TMP'"
    echo "port = $OM_PORT"
    echo "fsync = off"
    echo "max_connections = 50"
    echo "shared_buffers = 256MB"
    local line
    for line in "$@"; do echo "$line"; done
  } >>"$OM_TMP/data/postgresql.conf"

  if ! om__as_postgres "$OM_BINDIR/pg_ctl" -D "$OM_TMP/data" -l "$OM_TMP/server.log" \
        -w start >/dev/null; then
    OM_SHOW_LOG_ON_FAIL=1
    return 1
  fi
  export PGHOST=$OM_TMP PGPORT=$OM_PORT PGUSER=postgres PGDATABASE=postgres
}

# om_cluster_restart [postgresql.conf line...]: append lines, then restart.
# Later lines win, so e.g. shared_preload_libraries can be set here.
om_cluster_restart() {
  [ -n "$OM_TMP" ] || { echo "om_cluster_restart: no cluster running" >&2; return 1; }
  local line
  for line in "$@"; do echo "$line"; done >>"$OM_TMP/data/postgresql.conf"
  if ! om__as_postgres "$OM_BINDIR/pg_ctl" -D "$OM_TMP/data" -l "$OM_TMP/server.log" \
        -m fast -w restart >/dev/null; then
    OM_SHOW_LOG_ON_FAIL=1
    return 1
  fi
}

om_cluster_stop() {
  [ -n "$OM_TMP" ] || return 0
  if [ -f "$OM_TMP/data/postmaster.pid" ]; then
    om__as_postgres "$OM_BINDIR/pg_ctl" -D "$OM_TMP/data" -m fast -w stop \
      >/dev/null 2>&1 || true
  fi
  if [ "${OM_SHOW_LOG_ON_FAIL:-0}" = 1 ] && [ -f "$OM_TMP/server.log" ]; then
    echo "---- last 30 lines of the server log ----" >&2
    tail -n 30 "$OM_TMP/server.log" >&2
    echo "-----------------------------------------" >&2
  fi
  rm -rf "$OM_TMP"
  OM_TMP=""
}

# EXIT trap: a non-zero exit status counts as a failure worth a log excerpt.
# Stops the cluster and removes the private build, if any.
om__on_exit() {
  local rc=$?
  [ "$rc" -eq 0 ] || OM_SHOW_LOG_ON_FAIL=1
  om_cluster_stop
  [ -z "${OM_BUILD_DIR:-}" ] || rm -rf "$OM_BUILD_DIR"
}
