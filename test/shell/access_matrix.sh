#!/usr/bin/env bash
# The README's access matrix (who may call each function and read each
# view) is exactly what an installed extension grants: the table is
# generated from the catalog of a fresh install, role by role with
# has_function_privilege / has_table_privilege (memberships included, as a
# login of that role gets them), and compared with the README line by line.
# test/pgtap/privileges.sql holds the same rights in its matrices and checks
# the catalog against them, so the README, the catalog and the contract
# suite say one thing.
#
# `bash test/shell/access_matrix.sh --print` prints the table to paste into
# the README after a change of the grants.
#
# Starts its own cluster on port TAP_PORT (default 5537) and removes it on
# exit.  Run as root after `make install`.
set -euo pipefail
# shellcheck source=test/shell/shell_lib.bash
. "$(dirname "${BASH_SOURCE[0]}")/shell_lib.bash"

DB=ordermgmt_access_matrix
README="$(dirname "${BASH_SOURCE[0]}")/../../README.md"
shell_cluster_start "${TAP_PORT:-5537}"
q -c "CREATE DATABASE $DB" >/dev/null
q -d "$DB" -c "CREATE EXTENSION ordermgmt" >/dev/null

# One markdown row per function and view some group role may use (the
# trigger functions, nobody's, are left out), functions first.
generated=$(q -d "$DB" -c "
WITH roles (ord, role) AS (
    VALUES (1, 'ordermgmt_reader'), (2, 'ordermgmt_sales'), (3, 'ordermgmt_warehouse'),
           (4, 'ordermgmt_finance'), (5, 'ordermgmt_service'), (6, 'ordermgmt_approver'),
           (7, 'ordermgmt_app'), (8, 'ordermgmt_admin'), (9, 'ordermgmt_customer')),
objects (kind, name, oid) AS (
    SELECT 1, p.proname || '()', p.oid FROM pg_proc p WHERE p.pronamespace = 'ordermgmt'::regnamespace
    UNION ALL
    SELECT 2, c.relname::text, c.oid FROM pg_class c
     WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind = 'v'),
rights AS (
    SELECT o.kind, o.name, r.ord,
           CASE o.kind WHEN 1 THEN has_function_privilege(r.role, o.oid, 'EXECUTE')
                       ELSE has_table_privilege(r.role, o.oid, 'SELECT') END AS granted
      FROM objects o CROSS JOIN roles r)
SELECT '| \`' || name || '\` | ' || string_agg(CASE WHEN granted THEN 'x' ELSE ' ' END, ' | ' ORDER BY ord) || ' |'
  FROM rights GROUP BY kind, name HAVING bool_or(granted) ORDER BY kind, name")

if [ "${1:-}" = "--print" ]; then
  echo "| function or view | reader | sales | warehouse | finance | service | approver | app | admin | customer |"
  echo "|---|:-:|:-:|:-:|:-:|:-:|:-:|:-:|:-:|:-:|"
  echo "$generated"
  exit 0
fi

# The README's rows: the table between its two markers, header lines aside.
documented=$(sed -n '/<!-- access matrix begin -->/,/<!-- access matrix end -->/p' "$README" |
             grep '^| `' || true)
check "the README has an access matrix" test -n "$documented"
if diff <(echo "$documented") <(echo "$generated") >"$OM_TMP/matrix.diff"; then
  pass "the README's access matrix is what the extension grants ($(echo "$generated" | wc -l) functions and views)"
else
  fail "the README's access matrix differs from the catalog (< README, > catalog):"
  cat "$OM_TMP/matrix.diff"
fi
check "every group role can do something" test "$(echo "$generated" | awk -F'|' '
  { for (i = 3; i <= 11; i++) if ($i ~ /x/) seen[i] = 1 }
  END { n = 0; for (i in seen) n++; print n }')" = 9

shell_finish
