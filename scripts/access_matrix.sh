#!/usr/bin/env bash
# Print the README's access matrix (who may call each function and read
# each view) from a database where the extension is installed, to paste
# between the README's "access matrix" markers after a change of the
# grants; test/pgtap/access_matrix.sql checks the README against the
# catalog.  Uses the libpq environment (PGHOST, PGPORT, PGUSER).
#
#   bash scripts/access_matrix.sh DBNAME
set -euo pipefail
db=${1:?usage: access_matrix.sh DBNAME}
echo "| function or view | reader | sales | warehouse | finance | service | approver | app | admin | customer |"
echo "|---|:-:|:-:|:-:|:-:|:-:|:-:|:-:|:-:|:-:|"
# One row per function and view some group role may use (the trigger
# functions, nobody's, are left out), functions first.
psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" -c "
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
  FROM rights GROUP BY kind, name HAVING bool_or(granted) ORDER BY kind, name"
