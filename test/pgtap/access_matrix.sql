-- The README's access matrix, checked against the catalog: every function
-- and view some group role may use is a row of the table, and each mark
-- (x) is exactly a privilege the role has, through its memberships, as a
-- login of that role gets it.  scripts/test.sh passes the README in the
-- psql variable readme (pg_prove --set readme="$(cat README.md)");
-- without it the file skips.  scripts/access_matrix.sh prints the table
-- from an installed extension, to paste into the README after a change of
-- the grants.
BEGIN;
\if :{?readme}
SELECT plan(3);

CREATE TEMP TABLE matrix_roles (ord int, role name);
INSERT INTO matrix_roles VALUES
    (1, 'ordermgmt_reader'), (2, 'ordermgmt_sales'), (3, 'ordermgmt_warehouse'), (4, 'ordermgmt_finance'),
    (5, 'ordermgmt_service'), (6, 'ordermgmt_approver'), (7, 'ordermgmt_app'), (8, 'ordermgmt_admin'),
    (9, 'ordermgmt_customer');

-- The README's rows: "| `name()` | x |   | ..." for a function, "| `name` | ..." for a view
CREATE TEMP TABLE readme_rows AS
SELECT m[1] AS name, (m[2] IS NOT NULL) AS is_function,
       pg_catalog.string_to_array(pg_catalog.regexp_replace(m[3], '\s', '', 'g'), '|') AS marks
  FROM pg_catalog.regexp_split_to_table(
           pg_catalog.substring(:'readme', '<!-- access matrix begin -->(.*)<!-- access matrix end -->'),
           E'\n') AS line,
       pg_catalog.regexp_match(line, '^\| `([a-z_]+)(\(\))?` \|(.*)\|\s*$') AS m
 WHERE m IS NOT NULL;

-- The catalog's rights of the same shape
CREATE TEMP TABLE catalog_rights AS
SELECT o.name, o.is_function, r.role,
       CASE WHEN o.is_function THEN pg_catalog.has_function_privilege(r.role, o.oid, 'EXECUTE')
            ELSE pg_catalog.has_table_privilege(r.role, o.oid, 'SELECT') END AS granted
  FROM (SELECT p.proname::text AS name, true AS is_function, p.oid FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = 'ordermgmt'::regnamespace
        UNION ALL
        SELECT c.relname::text, false, c.oid FROM pg_catalog.pg_class c
         WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind = 'v') o
 CROSS JOIN matrix_roles r;

SELECT cmp_ok((SELECT count(*) FROM readme_rows), '>', 0::bigint, 'the README has an access matrix');
SELECT set_eq($$ SELECT name, is_function FROM readme_rows $$,
              $$ SELECT name, is_function FROM catalog_rights GROUP BY 1, 2 HAVING bool_or(granted) $$,
              'the README lists every function and view some group role may use, and nothing else');
SELECT set_eq($$ SELECT x.name, x.is_function, r.role::text
                   FROM readme_rows x
                   JOIN matrix_roles r ON x.marks[r.ord] = 'x' $$,
              $$ SELECT name, is_function, role::text FROM catalog_rights WHERE granted $$,
              'each mark of the README''s matrix is a privilege of that role, and each privilege is marked');
\else
SELECT plan(1);
SELECT skip('the README is not passed in (pg_prove --set readme="$(cat README.md)")', 1);
\endif

SELECT * FROM finish();
ROLLBACK;
