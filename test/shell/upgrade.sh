#!/usr/bin/env bash
# Upgrade path: the oldest version updated step by step must equal a fresh
# install of the current version (sql/ordermgmt.sql), catalog for catalog:
# tables, columns and their order, constraints, indexes, triggers, functions
# (definition, settings, owner, privileges), views, comments on every object
# and column, owners and privileges, sequences and their state, the pg_dump
# marks, the seeded configuration rows and the roles the scripts create.
# Then the oldest version, full of data, is updated: its data must survive
# and its schema must again equal the fresh one.
#
# Starts its own cluster on TAP_PORT (default 5530) and removes it on exit:
# each install path must create the roles itself, in a cluster without them.
set -euo pipefail
# shellcheck source=test/shell/shell_lib.bash
. "$(dirname "$0")/shell_lib.bash"

OLD=ordermgmt_upgrade_old
NEW=ordermgmt_upgrade_new
WALK=ordermgmt_upgrade_walk
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
SHELL_CLEANUP+=("rm -rf '$work'")
shell_cluster_start "${TAP_PORT:-5530}"

# This script's own check and q (shell_lib's take other arguments).
failures=0
check() {  # NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then echo "PASS: $1"; else echo "FAIL: $1: expected '$2', got '$3'"; failures=$((failures + 1)); fi
}
q() { psql -X -q -v ON_ERROR_STOP=1 -At -d "$1" -c "$2"; }
# same FILE1 FILE2 NAME: PASS if the two descriptions are equal, else the diff.
same() {
  if diff -u "$1" "$2" >"$work/diff.txt"; then
    echo "PASS: $3 ($(wc -l <"$1") catalog lines)"
  else
    echo "FAIL: $3:"; cat "$work/diff.txt"; failures=$((failures + 1))
  fi
}

current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$here/ordermgmt.control")
first=$(ls "$here"/sql/ordermgmt--*.sql | sed -n 's/.*ordermgmt--\([0-9.]*\)\.sql$/\1/p' | sort -V | head -1)

# Everything the extension defines in its database, described from the
# catalogs, one fact a line; no oid appears, only names.  Definitions are
# kept whole (newlines written as \n) so that a difference shows itself.
# A column option pg_attver, where the server sets one, stamps when the
# column was made: it cannot be equal and is left out.
structure="
WITH n AS (SELECT 'ordermgmt'::regnamespace AS nsp),
ext AS (SELECT oid FROM pg_extension WHERE extname = 'ordermgmt'),
rels AS (SELECT c.oid FROM pg_class c, n WHERE c.relnamespace = n.nsp),
objs AS (  -- every object that belongs to the extension, or to one of its relations
  SELECT 'pg_class'::regclass AS classid, oid AS objid FROM rels
  UNION SELECT 'pg_proc'::regclass, p.oid FROM pg_proc p, n WHERE p.pronamespace = n.nsp
  UNION SELECT 'pg_type'::regclass, t.oid FROM pg_type t, n WHERE t.typnamespace = n.nsp
  UNION SELECT 'pg_constraint'::regclass, k.oid FROM pg_constraint k, n WHERE k.connamespace = n.nsp
  UNION SELECT 'pg_trigger'::regclass, t.oid FROM pg_trigger t WHERE t.tgrelid IN (SELECT oid FROM rels)
  UNION SELECT 'pg_rewrite'::regclass, r.oid FROM pg_rewrite r WHERE r.ev_class IN (SELECT oid FROM rels)
  UNION SELECT 'pg_policy'::regclass, p.oid FROM pg_policy p WHERE p.polrelid IN (SELECT oid FROM rels)
  UNION SELECT 'pg_namespace'::regclass, n.nsp FROM n
  UNION SELECT 'pg_extension'::regclass, ext.oid FROM ext
  UNION SELECT d.classid, d.objid FROM pg_depend d, ext
         WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e')
-- ACL entries are listed in a fixed order: the order grants were made in
-- means nothing, and an update re-grants in another order than an install.
SELECT line FROM (
  SELECT 'extension ' || e.extname || ' ' || e.extversion || ' owner ' || e.extowner::regrole
         || ' schema ' || e.extnamespace::regnamespace || ' relocatable ' || e.extrelocatable AS line
    FROM pg_extension e, ext WHERE e.oid = ext.oid
  UNION ALL
  SELECT 'member ' || pg_describe_object(d.classid, d.objid, d.objsubid)
    FROM pg_depend d, ext WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
  UNION ALL
  SELECT 'schema ' || s.nspname || ' owner ' || s.nspowner::regrole || ' acl ' || coalesce((SELECT string_agg(e::text, ',' ORDER BY e::text) FROM unnest(s.nspacl) AS e), '')
    FROM pg_namespace s, n WHERE s.oid = n.nsp
  UNION ALL
  SELECT 'type ' || t.typname || ' ' || t.typtype::text || ' owner ' || t.typowner::regrole
         || ' acl ' || coalesce((SELECT string_agg(e::text, ',' ORDER BY e::text) FROM unnest(t.typacl) AS e), '')
    FROM pg_type t, n WHERE t.typnamespace = n.nsp
  UNION ALL
  SELECT 'enum ' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid, n WHERE t.typnamespace = n.nsp GROUP BY t.typname
  UNION ALL
  SELECT 'rel ' || c.relname || ' kind ' || c.relkind::text || ' owner ' || c.relowner::regrole
         || ' persistence ' || c.relpersistence::text || ' rls ' || c.relrowsecurity || '/' || c.relforcerowsecurity
         || ' replident ' || c.relreplident::text || ' options ' || coalesce(array_to_string(c.reloptions, ','), '')
         || ' acl ' || coalesce((SELECT string_agg(e::text, ',' ORDER BY e::text) FROM unnest(c.relacl) AS e), '')
    FROM pg_class c, n WHERE c.relnamespace = n.nsp
  UNION ALL
  SELECT 'col ' || c.relname || '.' || a.attnum || ' ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
         || ' notnull ' || a.attnotnull || ' identity ' || a.attidentity::text || ' generated ' || a.attgenerated::text
         || ' dropped ' || a.attisdropped || ' default ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
         || ' collation ' || coalesce(co.collname, '') || ' storage ' || a.attstorage::text
         || ' compression ' || a.attcompression::text || ' stats ' || a.attstattarget
         || ' options ' || array_to_string(ARRAY(SELECT o FROM unnest(a.attoptions) o WHERE o NOT LIKE 'pg\\_attver=%'), ',')
         || ' acl ' || coalesce((SELECT string_agg(e::text, ',' ORDER BY e::text) FROM unnest(a.attacl) AS e), '')
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN n ON c.relnamespace = n.nsp
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    LEFT JOIN pg_collation co ON co.oid = a.attcollation
   WHERE a.attnum > 0
  UNION ALL
  SELECT 'con ' || coalesce(k.conrelid::regclass::text, k.contypid::regtype::text) || ' ' || k.conname
         || ' ' || k.contype::text || ' ' || pg_get_constraintdef(k.oid)
    FROM pg_constraint k, n WHERE k.connamespace = n.nsp
  UNION ALL
  SELECT 'idx ' || pg_get_indexdef(i.indexrelid) || ' clustered ' || i.indisclustered || ' valid ' || i.indisvalid
         || ' replident ' || i.indisreplident
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN n ON c.relnamespace = n.nsp
  UNION ALL
  SELECT 'seq ' || c.relname || ' ' || format_type(s.seqtypid, NULL) || ' start ' || s.seqstart
         || ' increment ' || s.seqincrement || ' min ' || s.seqmin || ' max ' || s.seqmax
         || ' cache ' || s.seqcache || ' cycle ' || s.seqcycle || ' owned by '
         || coalesce((SELECT d.refobjid::regclass || '.' || a.attname || ' (' || d.deptype::text || ')'
                        FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                       WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                         AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')), '')
    FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN n ON c.relnamespace = n.nsp
  UNION ALL
  SELECT 'fn ' || p.oid::regprocedure || ' owner ' || p.proowner::regrole || ' kind ' || p.prokind::text
         || ' security definer ' || p.prosecdef || ' volatility ' || p.provolatile::text
         || ' parallel ' || p.proparallel::text || ' strict ' || p.proisstrict || ' leakproof ' || p.proleakproof
         || ' cost ' || p.procost || ' rows ' || p.prorows
         || ' config ' || coalesce(array_to_string(p.proconfig, ','), '')
         || ' acl ' || coalesce((SELECT string_agg(e::text, ',' ORDER BY e::text) FROM unnest(p.proacl) AS e), '')
    FROM pg_proc p, n WHERE p.pronamespace = n.nsp
  UNION ALL
  SELECT 'fndef ' || p.oid::regprocedure || ' ' || replace(pg_get_functiondef(p.oid), E'\\n', '\\n')
    FROM pg_proc p, n WHERE p.pronamespace = n.nsp AND p.prokind IN ('f', 'p')
  UNION ALL
  SELECT 'view ' || c.relname || ' ' || replace(pg_get_viewdef(c.oid), E'\\n', '\\n')
    FROM pg_class c, n WHERE c.relnamespace = n.nsp AND c.relkind IN ('v', 'm')
  UNION ALL
  SELECT 'rule ' || replace(pg_get_ruledef(r.oid), E'\\n', '\\n')
    FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN n ON c.relnamespace = n.nsp
   WHERE r.rulename <> '_RETURN'
  UNION ALL
  SELECT 'policy ' || p.polrelid::regclass || ' ' || p.polname || ' ' || p.polcmd::text || ' ' || p.polpermissive
         || ' ' || p.polroles::regrole[]::text || ' ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '')
         || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')
    FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN n ON c.relnamespace = n.nsp
  UNION ALL
  SELECT 'trg ' || pg_get_triggerdef(t.oid) || ' enabled ' || t.tgenabled::text
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN n ON c.relnamespace = n.nsp WHERE NOT t.tgisinternal
  UNION ALL
  SELECT 'comment ' || pg_describe_object(d.classoid, d.objoid, d.objsubid) || ': ' || replace(d.description, E'\\n', '\\n')
    FROM pg_description d JOIN objs o ON o.classid = d.classoid AND o.objid = d.objoid
  UNION ALL
  -- The entries in a fixed order, and the owner at the time of the grant
  -- (the installing superuser on a fresh install, ordermgmt_owner for an
  -- object an update re-grants) written as OWNER: the same rights either way.
  SELECT 'initial privileges ' || pg_describe_object(i.classoid, i.objoid, i.objsubid) || ' ' || i.privtype::text
         || ' ' || coalesce((SELECT string_agg(regexp_replace(e::text, '(^|=[a-zA-Z*]*/)(' || current_user || '|ordermgmt_owner)\y', '\1OWNER', 'g'), ','
                                               ORDER BY regexp_replace(e::text, '(^|=[a-zA-Z*]*/)(' || current_user || '|ordermgmt_owner)\y', '\1OWNER', 'g'))
                               FROM unnest(i.initprivs) AS e), '')
    FROM pg_init_privs i JOIN objs o ON o.classid = i.classoid AND o.objid = i.objoid
  UNION ALL
  SELECT 'default privileges ' || a.defaclrole::regrole || ' ' || a.defaclobjtype::text || ' '
         || coalesce(array_to_string(a.defaclacl, ','), '')
    FROM pg_default_acl a, n WHERE a.defaclnamespace = n.nsp
  UNION ALL
  SELECT 'dump ' || u.ord || ' ' || u.x::regclass || ' ' || coalesce(u.c, '')
    FROM pg_extension, unnest(extconfig, extcondition) WITH ORDINALITY AS u(x, c, ord) WHERE extname = 'ordermgmt'
) all_lines ORDER BY line"

# The roles the scripts create, their attributes, memberships and comments.
roles="
SELECT line FROM (
  SELECT 'role ' || r.rolname || ' super ' || r.rolsuper || ' inherit ' || r.rolinherit
         || ' createrole ' || r.rolcreaterole || ' createdb ' || r.rolcreatedb || ' login ' || r.rolcanlogin
         || ' replication ' || r.rolreplication || ' bypassrls ' || r.rolbypassrls
         || ' connlimit ' || r.rolconnlimit || ' valid until ' || coalesce(r.rolvaliduntil::text, '')
         || ' config ' || coalesce(array_to_string(r.rolconfig, ','), '') AS line
    FROM pg_roles r WHERE r.rolname LIKE 'ordermgmt%'
  UNION ALL
  SELECT 'membership ' || m.member::regrole || ' in ' || m.roleid::regrole || ' admin ' || m.admin_option
         || ' granted by ' || m.grantor::regrole
    FROM pg_auth_members m
   WHERE m.roleid::regrole::text LIKE 'ordermgmt%' OR m.member::regrole::text LIKE 'ordermgmt%'
  UNION ALL
  SELECT 'role comment ' || r.rolname || ': ' || d.description
    FROM pg_shdescription d JOIN pg_roles r ON d.classoid = 'pg_authid'::regclass AND d.objoid = r.oid
   WHERE r.rolname LIKE 'ordermgmt%'
) all_lines ORDER BY line"

# Where the sequences stand.
sequences="
SELECT 'sequence ' || schemaname || '.' || sequencename || ' last value ' || coalesce(last_value::text, 'none (not called)')
  FROM pg_sequences WHERE schemaname = 'ordermgmt' ORDER BY 1"

# rows DB [TABLE...]: every row of these tables of the schema (default:
# of every table), one a line.
rows() {
  local db=$1 sql; shift
  sql=$(q "$db" "
    SELECT string_agg(format('SELECT %L || '' '' || t::text FROM %s t', 'row ' || c.oid::regclass::text, c.oid::regclass),
                      ' UNION ALL ')
      FROM pg_class c
     WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind IN ('r', 'p')
       AND ('$*' = '' OR c.relname = ANY (string_to_array('$*', ' ')))")
  q "$db" "SELECT line FROM ($sql) all_rows(line) ORDER BY line"
}

# describe DB [TABLE...]: the schema, the roles, the sequences' state and
# the rows of the tables (default: every table).
describe() {
  local db=$1; shift
  q "$db" "$structure"
  q "$db" "$roles"
  q "$db" "$sequences"
  rows "$db" "$@"
}

# The oldest version updated step by step, then a fresh install of the
# current version, each in a cluster without the extension's roles.
q postgres "CREATE DATABASE $WALK" >/dev/null
q "$WALK" "CREATE EXTENSION ordermgmt VERSION '$first'" >/dev/null
q "$WALK" "ALTER EXTENSION ordermgmt UPDATE" >/dev/null
check "the oldest version updated to the current one" "$current" "$(q "$WALK" "SELECT extversion FROM pg_extension WHERE extname = 'ordermgmt'")"
describe "$WALK" >"$work/walked.txt"
q postgres "DROP DATABASE $WALK" >/dev/null
q postgres "$(q postgres "SELECT 'DROP ROLE ' || string_agg(quote_ident(rolname), ', ') FROM pg_roles WHERE rolname LIKE 'ordermgmt%'")" >/dev/null
check "no role of the extension is left" 0 "$(q postgres "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'ordermgmt%'")"
q postgres "CREATE DATABASE $NEW" >/dev/null
q "$NEW" "CREATE EXTENSION ordermgmt" >/dev/null
describe "$NEW" >"$work/fresh.txt"
same "$work/fresh.txt" "$work/walked.txt" "a fresh install equals the oldest version updated step by step"

# The previous release, full of data written through an API that runs on
# it.  A library expects its own release's schema (the library and the
# script ship together), so the oldest version is first walked up to the
# previous release with that release's installation, and the data is
# written by its library; then the server restarts with this version's
# installation, as after a package upgrade, and the extension is updated.
previous_release=$(git -C "$here" log -1 --format=%H -G'^default_version' -- ordermgmt.control)^
current_bindir=$OM_BINDIR
om_private_build "$previous_release" || { echo "FAIL: the previous release does not build"; exit 1; }
previous_bindir=$OM_BINDIR
OM_BINDIR=$current_bindir
# restart_with BINDIR: the same data directory, served by that installation.
restart_with() {
  om__as_postgres "$OM_BINDIR/pg_ctl" -D "$OM_TMP/data" -m fast -w stop >/dev/null
  OM_BINDIR=$1
  om__as_postgres "$OM_BINDIR/pg_ctl" -D "$OM_TMP/data" -l "$OM_TMP/server.log" -w start >/dev/null
}
restart_with "$previous_bindir"
q postgres "CREATE DATABASE $OLD" >/dev/null
q "$OLD" "CREATE EXTENSION ordermgmt VERSION '$first'" >/dev/null
q "$OLD" "ALTER EXTENSION ordermgmt UPDATE" >/dev/null
previous_version=$(q "$OLD" "SELECT extversion FROM pg_extension WHERE extname = 'ordermgmt'")
check "the oldest version updated to the previous release" t "$([ "$previous_version" != "$current" ] && echo t || echo "f ($previous_version)")"
psql -X -q -v ON_ERROR_STOP=1 -d "$OLD" >/dev/null <<'SQL'
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name, credit_limit)
SELECT 'C' || i, 'Customer ' || i, CASE WHEN i % 3 = 0 THEN 500 END FROM generate_series(1, 20) i;
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate, reorder_point)
SELECT 'P' || i, 'Product ' || i, 10 * i, 4 * i, 0.2, 5 FROM generate_series(1, 10) i;
SELECT count(ordermgmt.receive_stock('P' || i, 'MAIN', 50)) FROM generate_series(1, 10) i;
CREATE TEMP TABLE o AS
SELECT i, ordermgmt.create_order('C' || (1 + i % 20),
         jsonb_build_array(jsonb_build_object('sku', 'P' || (1 + i % 10), 'qty', 1 + i % 3)),
         jsonb_build_object('promised_at', now() + interval '1 day')) AS order_id
  FROM generate_series(1, 60) i;
SELECT count(ordermgmt.ship_order(order_id)) FROM o JOIN ordermgmt.orders USING (order_id)
 WHERE status = 'confirmed' AND i % 2 = 0;
-- half of the shipments delivered, a third of those after the promise
SELECT ordermgmt.confirm_delivery(shipment_id, now() + CASE WHEN shipment_id % 3 = 0 THEN interval '2 days'
                                                            ELSE interval '1 hour' END)
  FROM ordermgmt.shipments WHERE shipment_id % 2 = 0;
SELECT count(ordermgmt.invoice_order(order_id)) FROM o JOIN ordermgmt.orders USING (order_id)
 WHERE status IN ('shipped', 'delivered');
SELECT count(ordermgmt.record_payment(invoice_id, due)) FROM ordermgmt.invoices WHERE invoice_id % 2 = 0;
SELECT count(ordermgmt.return_items(o.order_id, jsonb_build_array(jsonb_build_object('sku', p.sku, 'qty', 1)), 'test'))
  FROM o JOIN ordermgmt.order_lines l USING (order_id) JOIN ordermgmt.products p USING (product_id)
 WHERE l.shipped_qty > 0 AND o.i % 8 = 0;
SELECT count(ordermgmt.record_feedback(order_id, 1 + i % 5)) FROM o JOIN ordermgmt.orders USING (order_id)
 WHERE status IN ('shipped', 'delivered', 'completed');
SELECT count(ordermgmt.open_ticket(order_id, 'Question', 'high')) FROM o WHERE i % 10 = 0;
SELECT ordermgmt.monitor_tick(now() + interval '10 days');
-- two orders held for their price, one approved under the old signature
SELECT ordermgmt.approve_order(ordermgmt.create_order('C4', '[{"sku": "P1", "qty": 1, "unit_price": 1}]'), 'cfo');
SELECT ordermgmt.create_order('C5', '[{"sku": "P1", "qty": 1, "unit_price": 1}]');
-- a draft, and an order cancelled before it was confirmed
SELECT ordermgmt.create_order('C1', '[{"sku": "P2", "qty": 2}]', '{"submit": false}');
SELECT ordermgmt.cancel_order(ordermgmt.create_order('C2', '[{"sku": "P3", "qty": 1}]', '{"submit": false}'), 'test');
SQL
before=$(q "$OLD" "SELECT (SELECT count(*) FROM ordermgmt.orders) || '/' || (SELECT count(*) FROM ordermgmt.events) || '/' || (SELECT count(*) FROM ordermgmt.postings) || '/' || (SELECT count(*) FROM ordermgmt.alerts)")

trial_before=$(q "$OLD" "SELECT string_agg(account_code || ' ' || currency || ' ' || debit || ' ' || credit, ', ' ORDER BY account_code, currency) FROM ordermgmt.v_trial_balance")
sales_before=$(q "$OLD" "SELECT string_agg(day || ' ' || currency || ' ' || orders_booked || ' ' || booked_net, ', ' ORDER BY day, currency) FROM ordermgmt.v_daily_sales")
deliveries_before=$(q "$OLD" "SELECT count(*) FROM ordermgmt.orders WHERE status IN ('delivered', 'completed')")

# The package upgrade: this version's library from now on.
restart_with "$current_bindir"
# Walk every update step to the current version.
q "$OLD" "ALTER EXTENSION ordermgmt UPDATE" >/dev/null
check "updated to the current version" "$current" "$(q "$OLD" "SELECT extversion FROM pg_extension WHERE extname = 'ordermgmt'")"

# The updated database full of data: the same schema and configuration
# as the fresh install (its sequences and other rows hold the data).
config_tables=(settings order_transitions monitor_rules accounts posting_accounts approval_rules
               notification_templates)
{ q "$OLD" "$structure"; rows "$OLD" "${config_tables[@]}"; } >"$work/updated.txt"
{ q "$NEW" "$structure"; rows "$NEW" "${config_tables[@]}"; } >"$work/fresh-config.txt"
same "$work/fresh-config.txt" "$work/updated.txt" "updated schema equals a fresh install"

# The data survived and the updated database works.
check "data intact after the update" "$before" "$(q "$OLD" "SELECT (SELECT count(*) FROM ordermgmt.orders) || '/' || (SELECT count(*) FROM ordermgmt.events) || '/' || (SELECT count(*) FROM ordermgmt.postings) || '/' || (SELECT count(*) FROM ordermgmt.alerts)")"
check "trial balance still zero" "0.00" "$(q "$OLD" "SELECT sum(balance) FROM ordermgmt.v_trial_balance")"
check "booked sales unchanged by the update" "$sales_before" "$(q "$OLD" "SELECT string_agg(day || ' ' || currency || ' ' || orders_booked || ' ' || booked_net, ', ' ORDER BY day, currency) FROM ordermgmt.v_daily_sales")"
# What 0.6.0 derives from the history was backfilled exactly: each line's
# tax rate out of draft, and each customer's exposure per currency as
# verify() recomputes it (summaries.customer_exposure).
exposure_diff="
  SELECT count(*) FROM ordermgmt.customer_exposure e
  FULL JOIN (SELECT customer_id, currency, sum(open_orders) AS open_orders, sum(receivables) AS receivables
               FROM (SELECT o.customer_id, o.currency,
                            ((l.qty - l.returned_qty) - (l.invoiced_qty - l.credited_qty))
                              * l.unit_price * (1 + l.tax_rate) AS open_orders, 0 AS receivables
                       FROM ordermgmt.orders o JOIN ordermgmt.order_lines l USING (order_id)
                      WHERE o.status IN ('confirmed', 'processing', 'partially_shipped', 'shipped', 'delivered')
                     UNION ALL
                     SELECT customer_id, currency, 0, due FROM ordermgmt.invoices) f
              GROUP BY customer_id, currency) r USING (customer_id, currency)
   WHERE coalesce(e.open_orders, 0) IS DISTINCT FROM coalesce(r.open_orders, 0)
      OR coalesce(e.receivables, 0) IS DISTINCT FROM coalesce(r.receivables, 0)"
check "every line out of draft carries its product's tax rate, drafts none" 0 "$(q "$OLD" "
  SELECT count(*) FROM ordermgmt.order_lines l JOIN ordermgmt.orders o USING (order_id)
   JOIN ordermgmt.products p USING (product_id)
   WHERE l.tax_rate IS DISTINCT FROM CASE WHEN o.status <> 'draft' THEN p.tax_rate END")"
check "customer exposure backfilled equal to its recomputation" 0 "$(q "$OLD" "$exposure_diff")"
check "the backfill has open orders and receivables to count" t \
  "$(q "$OLD" "SELECT sum(open_orders) > 0 AND sum(receivables) > 0 FROM ordermgmt.customer_exposure")"
check "orders still flow after the update" "confirmed" \
  "$(q "$OLD" "SELECT ordermgmt.submit_order(ordermgmt.create_order('C1', '[{\"sku\": \"P1\", \"qty\": 1}]', '{\"submit\": false}'))")"
# What the releases since 0.3.0 derive from the history is exact.
check "some orders were delivered before the update" t "$([ "$deliveries_before" -gt 5 ] && echo t || echo "f ($deliveries_before)")"
check "delivered orders carry their last delivery time" 0 "$(q "$OLD" "
  SELECT count(*) FROM ordermgmt.orders o
   WHERE o.delivered_at IS DISTINCT FROM
         CASE WHEN o.status IN ('delivered', 'completed')
              THEN (SELECT max(s.delivered_at) FROM ordermgmt.shipments s WHERE s.order_id = o.order_id) END")"
check "deliveries per week and customer equal the history" 0 "$(q "$OLD" "
  SELECT count(*) FROM (
    SELECT date_trunc('week', timezone('UTC', delivered_at))::date AS week, customer_id,
           count(*) AS delivered, count(*) FILTER (WHERE delivered_at <= promised_at) AS on_time
      FROM ordermgmt.orders WHERE delivered_at IS NOT NULL AND promised_at IS NOT NULL GROUP BY 1, 2) h
  FULL JOIN ordermgmt.delivery_weeks w USING (week, customer_id)
   WHERE (h.delivered, h.on_time) IS DISTINCT FROM (w.delivered, w.on_time)")"
check "some deliveries were late, some on time" t "$(q "$OLD" "SELECT sum(on_time) > 0 AND sum(on_time) < sum(delivered) FROM ordermgmt.delivery_weeks")"
check "every feedback row names its order's customer" 0 "$(q "$OLD" "
  SELECT count(*) FROM ordermgmt.feedback f JOIN ordermgmt.orders o USING (order_id)
   WHERE f.customer_id IS DISTINCT FROM o.customer_id")"
check "every order out of draft carries its lines' net, drafts none" 0 "$(q "$OLD" "
  SELECT count(*) FROM ordermgmt.orders o
   WHERE o.ordered_net IS DISTINCT FROM
         CASE WHEN o.status <> 'draft'
              THEN (SELECT round(coalesce(sum(l.qty * l.unit_price), 0), 2)
                      FROM ordermgmt.order_lines l WHERE l.order_id = o.order_id) END")"
check "trial balance unchanged by the update" "$trial_before" "$(q "$OLD" "SELECT string_agg(account_code || ' ' || currency || ' ' || debit || ' ' || credit, ', ' ORDER BY account_code, currency) FROM ordermgmt.v_trial_balance")"
q "$OLD" "SELECT ordermgmt.rollup_ledger()" >/dev/null
check "the first roll-up adds every posting" t "$(q "$OLD" "SELECT ordermgmt.rollup_ledger() = (SELECT count(*) FROM ordermgmt.postings)")"
check "trial balance unchanged by the roll-up" "$trial_before" "$(q "$OLD" "SELECT string_agg(account_code || ' ' || currency || ' ' || debit || ' ' || credit, ', ' ORDER BY account_code, currency) FROM ordermgmt.v_trial_balance")"
check "customer exposure still equal to its recomputation after new orders" 0 "$(q "$OLD" "$exposure_diff")"
check "an order approved before carries its approvals" "price_deviation cfo, credit_exceeded cfo" "$(q "$OLD" "
  SELECT string_agg(r.kind || ' ' || a.approved_by, ', ' ORDER BY r.rule_id)
    FROM ordermgmt.order_approvals a JOIN ordermgmt.approval_rules r USING (rule_id)
   WHERE a.approved_by IS NOT NULL")"
check "an order held for its price waits for an approver, who confirms it" "price_deviation|confirmed" "$(q "$OLD" "
  CREATE ROLE om_upgrade_approver LOGIN IN ROLE ordermgmt_approver;
  SELECT FROM set_config('om.held', (SELECT max(o.order_id) FROM ordermgmt.orders o JOIN ordermgmt.customers c
                                        USING (customer_id) WHERE c.code = 'C5' AND o.status = 'on_hold')::text, false);
  SELECT string_agg(r.kind, ',') FROM ordermgmt.order_approvals a JOIN ordermgmt.approval_rules r USING (rule_id)
   WHERE a.order_id = current_setting('om.held')::bigint AND a.approved_by IS NULL;
  SET SESSION AUTHORIZATION om_upgrade_approver;
  SELECT ordermgmt.approve_order(current_setting('om.held')::bigint);
  RESET SESSION AUTHORIZATION;
  DROP ROLE om_upgrade_approver;" | paste -sd'|')"
check "the new version's function works on old data" "0|0" "$(q "$OLD" "SELECT events || '|' || alerts FROM ordermgmt.purge_history()")"

[ "$failures" -eq 0 ] && echo "upgrade: all checks passed" || { echo "upgrade: $failures check(s) failed"; exit 1; }
