-- Access: the group roles and their memberships, who owns what, and every
-- role's privileges on the schema and on every table, view, sequence and
-- function of it, written as an access matrix.
--
-- Two views of the same rights are tested, on purpose:
--
-- * Effective access (sections 4 to 7).  pgTAP's table_privs_are,
--   sequence_privs_are, function_privs_are, schema_privs_are and
--   column_privs_are ask PostgreSQL's has_*_privilege(), which counts what
--   a role gets through the roles it is a member of (all group roles here
--   are INHERIT).  This is what a login in that role can do, and what the
--   contract promises: ordermgmt_app reads the views because it is a
--   member of ordermgmt_reader, acknowledges alerts because it is a member
--   of ordermgmt_service, and so on.
-- * Direct grants (section 8): the ACL entries the install scripts write,
--   role by role, so that a privilege moving from a grant to a membership
--   (or back) is a deliberate change of this file.
--
-- Section 9 states the contract's rules over every object of the schema,
-- so that a new object cannot slip past the matrix; section 10 checks that
-- PostgreSQL enforces them for a role acting as itself.
BEGIN;
SELECT plan(2300);

-- Privileges in the matrices are written with PostgreSQL's ACL letters:
--   a INSERT   r SELECT   w UPDATE   d DELETE   D TRUNCATE   x REFERENCES
--   t TRIGGER  X EXECUTE  U USAGE    C CREATE
CREATE FUNCTION pg_temp.privs(letters text) RETURNS name[] LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(l.privilege ORDER BY l.privilege), '{}')
      FROM (VALUES ('a', 'INSERT'), ('r', 'SELECT'), ('w', 'UPDATE'), ('d', 'DELETE'),
                   ('D', 'TRUNCATE'), ('x', 'REFERENCES'), ('t', 'TRIGGER'),
                   ('X', 'EXECUTE'), ('U', 'USAGE'), ('C', 'CREATE')) AS l(letter, privilege)
     WHERE pg_catalog.strpos(letters, l.letter) > 0
$$;
CREATE FUNCTION pg_temp.said(privs name[]) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(nullif(array_to_string(privs, ', '), ''), 'nothing')
$$;

--------------------------------------------------------------------------
-- 1. Roles: ten NOLOGIN group roles without attributes; the owner role
--    has no members and is a member of nothing; the memberships
--------------------------------------------------------------------------
CREATE TEMP TABLE om_roles (ord int, role name);
INSERT INTO om_roles VALUES
    (1, 'ordermgmt_reader'), (2, 'ordermgmt_sales'), (3, 'ordermgmt_warehouse'), (4, 'ordermgmt_finance'),
    (5, 'ordermgmt_service'), (6, 'ordermgmt_approver'), (7, 'ordermgmt_app'), (8, 'ordermgmt_admin'),
    (9, 'ordermgmt_owner'), (10, 'ordermgmt_customer');

SELECT has_role(role, format('role %I exists', role)) FROM om_roles ORDER BY ord;

SELECT is_empty($$
    SELECT rolname FROM pg_catalog.pg_roles
     WHERE rolname IN (SELECT role FROM om_roles)
       AND (rolcanlogin OR rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls)
$$, 'the ordermgmt roles cannot log in and have no attributes');
SELECT isnt_superuser('ordermgmt_owner', 'ordermgmt_owner is not a superuser');
SELECT is((SELECT rolcanlogin FROM pg_catalog.pg_roles WHERE rolname = 'ordermgmt_owner'), false,
          'ordermgmt_owner is NOLOGIN');
SELECT is_empty($$
    SELECT member::regrole FROM pg_catalog.pg_auth_members WHERE roleid = 'ordermgmt_owner'::regrole
$$, 'nobody is a member of ordermgmt_owner');
SELECT is_empty($$
    SELECT roleid::regrole FROM pg_catalog.pg_auth_members WHERE member = 'ordermgmt_owner'::regrole
$$, 'ordermgmt_owner is a member of no role');

-- Memberships among the ordermgmt roles, exactly (group, member): every
-- department and the approvers read the views; the app is the four
-- departments that do not approve; the admin is an app
SELECT set_eq($$
    SELECT g.rolname::text AS role, m.rolname::text AS member
      FROM pg_catalog.pg_auth_members a
      JOIN pg_catalog.pg_roles g ON g.oid = a.roleid
      JOIN pg_catalog.pg_roles m ON m.oid = a.member
     WHERE g.rolname LIKE 'ordermgmt\_%' AND m.rolname LIKE 'ordermgmt\_%'
$$, $$ VALUES ('ordermgmt_reader', 'ordermgmt_sales'),
              ('ordermgmt_reader', 'ordermgmt_warehouse'),
              ('ordermgmt_reader', 'ordermgmt_finance'),
              ('ordermgmt_reader', 'ordermgmt_service'),
              ('ordermgmt_reader', 'ordermgmt_approver'),
              ('ordermgmt_reader', 'ordermgmt_app'),
              ('ordermgmt_sales', 'ordermgmt_app'),
              ('ordermgmt_warehouse', 'ordermgmt_app'),
              ('ordermgmt_finance', 'ordermgmt_app'),
              ('ordermgmt_service', 'ordermgmt_app'),
              ('ordermgmt_app', 'ordermgmt_admin') $$,
   'memberships among the ordermgmt roles');
SELECT is_member_of('ordermgmt_reader', ARRAY['ordermgmt_sales', 'ordermgmt_warehouse', 'ordermgmt_finance',
                                              'ordermgmt_service', 'ordermgmt_approver', 'ordermgmt_app']::name[],
                    'the departments, the approvers and the app are members of reader');
SELECT is_member_of(g, ARRAY['ordermgmt_app']::name[], format('app is a member of %s', g))
  FROM unnest(ARRAY['ordermgmt_sales', 'ordermgmt_warehouse', 'ordermgmt_finance', 'ordermgmt_service']::name[]) AS g;
SELECT ok(NOT pg_catalog.pg_has_role('ordermgmt_app', 'ordermgmt_approver', 'MEMBER')
          AND NOT pg_catalog.pg_has_role('ordermgmt_admin', 'ordermgmt_approver', 'MEMBER'),
          'neither the app nor the admin is an approver');
SELECT is_member_of('ordermgmt_app', ARRAY['ordermgmt_admin']::name[], 'admin is a member of app');

--------------------------------------------------------------------------
-- 2. Ownership: ordermgmt_owner owns every table, view, sequence and
--    function; the schema stays with the superuser who created it
--------------------------------------------------------------------------
SELECT is_empty($$
    SELECT c.relname FROM pg_catalog.pg_class c
     WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
       AND c.relowner <> 'ordermgmt_owner'::regrole
$$, 'ordermgmt_owner owns every table, view and sequence');
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'ordermgmt'::regnamespace AND p.proowner <> 'ordermgmt_owner'::regrole
$$, 'ordermgmt_owner owns every function');
SELECT ok((SELECT r.rolsuper FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid = n.nspowner
            WHERE n.nspname = 'ordermgmt'),
          'schema ordermgmt is owned by a superuser');

--------------------------------------------------------------------------
-- 3. The schema: USAGE for every group role, CREATE for none, nothing for PUBLIC
--------------------------------------------------------------------------
CREATE TEMP TABLE schema_access (role name, letters text);
INSERT INTO schema_access SELECT role, 'U' FROM om_roles;
INSERT INTO schema_access VALUES ('public', '');
SELECT schema_privs_are('ordermgmt', role, pg_temp.privs(letters),
                        format('%s on schema ordermgmt: %s', role, pg_temp.said(pg_temp.privs(letters))))
  FROM schema_access ORDER BY role;

--------------------------------------------------------------------------
-- 4. Effective access to tables and views
--------------------------------------------------------------------------
CREATE TEMP TABLE relation_access (relation name, reader text, sales text, warehouse text, finance text,
                                   service text, approver text, app text, admin text, owner text, public text,
                                   customer text);
INSERT INTO relation_access VALUES
    --                          reader   sales    wareh.   finance  service  approver app      admin    owner      PUBLIC   customer
    -- master data and configuration: the admin's
    ('customers',                 '',      'r',     'r',     'r',     'r',     '',      'r',     'arwd',  'arwdDxt', '', ''),
    ('products',                  '',      'r',     'r',     'r',     'r',     '',      'r',     'arwd',  'arwdDxt', '', ''),
    ('warehouses',                '',      'r',     'r',     'r',     'r',     '',      'r',     'arwd',  'arwdDxt', '', ''),
    ('settings',                  '',      'r',     'r',     'r',     'r',     '',      'r',     'arwd',  'arwdDxt', '', ''),
    ('order_transitions',         '',      'r',     'r',     'r',     'r',     '',      'r',     'arwd',  'arwdDxt', '', ''),
    ('accounts',                  '',      'r',     'r',     'r',     'r',     '',      'r',     'arw',   'arwdDxt', '', ''),
    ('posting_accounts',          '',      'r',     'r',     'r',     'r',     '',      'r',     'arw',   'arwdDxt', '', ''),
    ('monitor_rules',             '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),  -- admin: columns, section 5
    -- approval rules: the admin's; approvals: written by approve_order only
    ('approval_rules',            '',      'r',     'r',     'r',     'r',     'r',     'r',     'arwd',  'arwdDxt', '', ''),
    -- the sales pipeline: sales writes opportunities (the app through sales);
    -- the admin sets the stages' probabilities (columns, section 5) and
    -- deletes opportunities
    ('opportunity_stages',        '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '',      ''),
    ('opportunities',             '',      'arw',   'r',     'r',     'r',     '',      'arw',   'arwd',  'arwdDxt', '',      ''),
    -- notices to customers: the templates are the admin's (every department
    -- reads them); service (the notifier) reads the notifications and
    -- changes them through functions
    ('notification_templates',    '',      'r',     'r',     'r',     'r',     '',      'r',     'arwd',  'arwdDxt', '',      ''),
    -- price lists: master data, the admin's; every department reads them
    ('price_lists',               '',      'r',     'r',     'r',     'r',     '',      'r',     'arwd',  'arwdDxt', '',      ''),
    ('price_list_items',          '',      'r',     'r',     'r',     'r',     '',      'r',     'arwd',  'arwdDxt', '',      ''),
    -- exchange rates: configuration, the admin's; every department reads them
    ('exchange_rates',            '',      'r',     'r',     'r',     'r',     '',      'r',     'arwd',  'arwdDxt', '',      ''),
    ('notifications',             '',      '',      '',      '',      'r',     '',      'r',     'r',     'arwdDxt', '',      ''),
    -- purchasing: suppliers and the transitions are the admin's; purchase
    -- orders and their receipts are written by the API (the warehouse's),
    -- which may also place a draft or move expected_at (columns, section 5)
    ('suppliers',                 '',      'r',     'r',     'r',     'r',     '',      'r',     'arwd',  'arwdDxt', '',      ''),
    ('purchase_transitions',      '',      'r',     'r',     'r',     'r',     '',      'r',     'arwd',  'arwdDxt', '',      ''),
    ('purchase_orders',           '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '',      ''),
    ('purchase_lines',            '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '',      ''),
    ('purchase_receipts',         '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '',      ''),
    ('purchase_receipt_lines',    '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '',      ''),
    -- customer logins: the admin's; each customer login reads its own
    ('customer_logins',           '',      'r',     'r',     'r',     'r',     '',      'r',     'arwd',  'arwdDxt', '',      'r'),
    ('order_approvals',           '',      'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    -- the light CRM: sales' (the app's through sales)
    ('customer_contacts',         '',      'arw',   'r',     'r',     'r',     '',      'arw',   'arwd',  'arwdDxt', '', ''),
    ('customer_interactions',     '',      'arw',   'r',     'r',     'r',     '',      'arw',   'arwd',  'arwdDxt', '', ''),
    -- orders: plain SQL by sales (the app through sales), guarded by the C triggers
    ('orders',                    '',      'arwd',  'r',     'r',     'r',     '',      'arwd',  'arwd',  'arwdDxt', '', 'r'),
    ('order_lines',               '',      'arwd',  'r',     'r',     'r',     '',      'arwd',  'arwd',  'arwdDxt', '', 'r'),
    -- written by the extension only; every department reads them
    ('order_status_history',      '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('order_amendments',          '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('stock',                     '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('stock_moves',               '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('reservations',              '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('shipments',                 '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', 'r'),
    ('shipment_lines',            '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('invoices',                  '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', 'r'),
    ('invoice_lines',             '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', 'r'),
    ('payments',                  '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', 'r'),
    ('returns',                   '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('return_lines',              '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('credit_applications',       '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('customer_exposure',         '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    -- customer payments: written by finance's functions only; every department reads them
    ('customer_payments',         '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('payment_allocations',       '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('customer_credit',           '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('journal_entries',           '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('postings',                  '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('ledger_totals',             '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('ledger_rollup',             '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('ledger_month_totals',       '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('ledger_closes',             '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('alerts',                    '',      'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('deadlines',                 '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('feedback',                  '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', 'r'),
    ('tickets',                   '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', 'r'),
    ('delivery_weeks',            '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('order_day_totals',          '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('invoice_day_totals',        '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('customer_totals',           '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('customer_months',           '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('report_rollup',             '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('fulfillment_histogram',     '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('fulfillment_weeks',         '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('delivery_changes',          '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('delivery_week_totals',      '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('order_figures',             '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('events',                    '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('relay_state',               '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    ('purge_horizon',             '',      'r',     'r',     'r',     'r',     '',      'r',     'r',     'arwdDxt', '', ''),
    -- views: every group role reads them
    ('v_order_status',            'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('v_pipeline',                'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('v_daily_sales',             'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('v_fulfillment_times',       'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('v_on_time_delivery',        'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('v_stock_availability',      'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('v_ar_aging',                'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('v_customer_history',        'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('v_monitor_dashboard',       'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('v_trial_balance',           'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('v_profit_and_loss',         'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('v_balance_sheet',           'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('v_tax_report',              'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('v_feedback_summary',        'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('v_tickets',                 'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('v_settings',                'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('v_order_milestones',        'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('v_customer_interactions',   'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('report_day_changes',        'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('report_customer_changes',   'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('report_fulfillment_changes','r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('report_fulfillment_weeks',  'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('report_order_figures',      'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '', ''),
    ('v_sales_pipeline',          'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '',      ''),
    ('v_recommendations',         'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '',      ''),
    ('v_reorder_due',             'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '',      ''),
    ('v_customer_balance',        'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '',      ''),
    ('v_purchase_orders',         'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '',      ''),
    ('v_available_to_promise',    'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '',      ''),
    ('v_replenishment',           'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '',      ''),
    ('v_backorders',              'r',     'r',     'r',     'r',     'r',     'r',     'r',     'r',     'arwdDxt', '',      ''),
    -- the customers' own view (security_invoker): theirs alone
    ('v_my_orders',               '',      '',      '',      '',      '',      '',      '',      '',      'arwdDxt', '',      'r');

SELECT is_empty($$
    SELECT c.relname FROM pg_catalog.pg_class c
     WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       AND c.relname NOT IN (SELECT relation FROM relation_access)
$$, 'every table and view of the schema is in the access matrix');

SELECT table_privs_are('ordermgmt', m.relation, r.role, pg_temp.privs(r.letters),
                       format('%s on %s: %s', r.role, m.relation, pg_temp.said(pg_temp.privs(r.letters))))
  FROM relation_access m
 CROSS JOIN LATERAL (VALUES (1, 'ordermgmt_reader', m.reader), (2, 'ordermgmt_sales', m.sales),
                            (3, 'ordermgmt_warehouse', m.warehouse), (4, 'ordermgmt_finance', m.finance),
                            (5, 'ordermgmt_service', m.service), (6, 'ordermgmt_approver', m.approver),
                            (7, 'ordermgmt_app', m.app), (8, 'ordermgmt_admin', m.admin),
                            (9, 'ordermgmt_owner', m.owner), (10, 'public', m.public),
                            (11, 'ordermgmt_customer', m.customer)) AS r(ord, role, letters)
 ORDER BY m.relation, r.ord;

--------------------------------------------------------------------------
-- 5. Columns: the admin changes a rule's severity, enabled, thresholds and
--    description, never its code, level or built-in flag; the app reads
--------------------------------------------------------------------------
CREATE TEMP TABLE column_access (col name, app text, admin text);
INSERT INTO column_access VALUES
    --                app  admin
    ('rule_code',     'r', 'r'),
    ('level',         'r', 'r'),
    ('severity',      'r', 'rw'),
    ('enabled',       'r', 'rw'),
    ('thresholds',    'r', 'rw'),
    ('description',   'r', 'rw'),
    ('builtin',       'r', 'r');
SELECT column_privs_are('ordermgmt', 'monitor_rules', m.col, r.role, pg_temp.privs(r.letters),
                        format('%s on monitor_rules.%s: %s', r.role, m.col, pg_temp.said(pg_temp.privs(r.letters))))
  FROM column_access m
 CROSS JOIN LATERAL (VALUES (1, 'ordermgmt_app', m.app), (2, 'ordermgmt_admin', m.admin)) AS r(ord, role, letters)
 ORDER BY m.col, r.ord;

-- The warehouse places a draft, moves expected_at or cancels by UPDATE of
-- a purchase order's status, expected_at and cancel_reason (the trigger
-- guards each change); nothing else of it, and no other department
SELECT column_privs_are('ordermgmt', 'purchase_orders', m.col, r.role, pg_temp.privs(r.letters),
                        format('%s on purchase_orders.%s: %s', r.role, m.col,
                               pg_temp.said(pg_temp.privs(r.letters))))
  FROM (VALUES ('po_id', 'r', 'r'), ('supplier_id', 'r', 'r'), ('status', 'rw', 'r'),
               ('expected_at', 'rw', 'r'), ('cancel_reason', 'rw', 'r')) AS m(col, warehouse, sales)
 CROSS JOIN LATERAL (VALUES (1, 'ordermgmt_warehouse', m.warehouse), (2, 'ordermgmt_sales', m.sales)) AS r(ord, role, letters)
 ORDER BY m.col, r.ord;

-- ... and a stage's default probability, nothing else of it
SELECT column_privs_are('ordermgmt', 'opportunity_stages', m.col, r.role, pg_temp.privs(r.letters),
                        format('%s on opportunity_stages.%s: %s', r.role, m.col,
                               pg_temp.said(pg_temp.privs(r.letters))))
  FROM (VALUES ('stage', 'r', 'r'), ('position', 'r', 'r'), ('is_open', 'r', 'r'),
               ('probability', 'r', 'rw')) AS m(col, app, admin)
 CROSS JOIN LATERAL (VALUES (1, 'ordermgmt_app', m.app), (2, 'ordermgmt_admin', m.admin)) AS r(ord, role, letters)
 ORDER BY m.col, r.ord;

--------------------------------------------------------------------------
-- 6. Effective access to sequences: nobody but the owner (the identity
--    columns draw their ids without any privilege on them)
--------------------------------------------------------------------------
CREATE TEMP TABLE sequence_access (seq name, reader text, sales text, warehouse text, finance text,
                                   service text, approver text, app text, admin text, owner text, public text,
                                   customer text);
-- the owner: rwU; every other role and PUBLIC: nothing
INSERT INTO sequence_access
SELECT seq, '', '', '', '', '', '', '', '', 'rwU', '', '' FROM unnest(ARRAY[
    'accounts_account_id_seq',
    'alerts_alert_id_seq',
    'approval_rules_rule_id_seq',
    'customer_contacts_contact_id_seq',
    'customer_interactions_interaction_id_seq',
    'customers_customer_id_seq',
    'customer_payments_customer_payment_id_seq',
    'delivery_changes_change_id_seq',
    'events_event_id_seq',
    'feedback_feedback_id_seq',
    'invoices_invoice_id_seq',
    'journal_entries_entry_id_seq',
    'ledger_closes_close_id_seq',
    'order_status_history_history_id_seq',
    'opportunities_opportunity_id_seq',
    'notifications_notification_id_seq',
    'orders_order_id_seq',
    'payments_payment_id_seq',
    'postings_posting_id_seq',
    'price_lists_price_list_id_seq',
    'products_product_id_seq',
    'purchase_orders_po_id_seq',
    'purchase_receipts_receipt_id_seq',
    'returns_return_id_seq',
    'shipments_shipment_id_seq',
    'stock_moves_move_id_seq',
    'stock_stock_id_seq',
    'suppliers_supplier_id_seq',
    'tickets_ticket_id_seq',
    'warehouses_warehouse_id_seq']::name[]) AS seq;

SELECT is_empty($$
    SELECT c.relname FROM pg_catalog.pg_class c
     WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind = 'S'
       AND c.relname NOT IN (SELECT seq FROM sequence_access)
$$, 'every sequence of the schema is in the access matrix');

SELECT sequence_privs_are('ordermgmt', m.seq, r.role, pg_temp.privs(r.letters),
                          format('%s on %s: %s', r.role, m.seq, pg_temp.said(pg_temp.privs(r.letters))))
  FROM sequence_access m
 CROSS JOIN LATERAL (VALUES (1, 'ordermgmt_reader', m.reader), (2, 'ordermgmt_sales', m.sales),
                            (3, 'ordermgmt_warehouse', m.warehouse), (4, 'ordermgmt_finance', m.finance),
                            (5, 'ordermgmt_service', m.service), (6, 'ordermgmt_approver', m.approver),
                            (7, 'ordermgmt_app', m.app), (8, 'ordermgmt_admin', m.admin),
                            (9, 'ordermgmt_owner', m.owner), (10, 'public', m.public),
                            (11, 'ordermgmt_customer', m.customer)) AS r(ord, role, letters)
 ORDER BY m.seq, r.ord;

--------------------------------------------------------------------------
-- 7. Effective access to functions (EXECUTE)
--------------------------------------------------------------------------
CREATE TEMP TABLE function_access (fn name, reader text, sales text, warehouse text, finance text,
                                   service text, approver text, app text, admin text, owner text, public text,
                                   customer text);
INSERT INTO function_access VALUES
    --                        reader   sales    wareh.   finance  service  approver app      admin    owner    PUBLIC   customer
    -- sales: orders entered, confirmed, held, cancelled (a customer login
    -- places and submits its own; it also rates and opens tickets on them)
    ('create_order',            '',      'X',     '',      '',      '',      '',      'X',     'X',     'X',     '', 'X'),
    ('create_orders',           '',      'X',     '',      '',      '',      '',      'X',     'X',     'X',     '', ''),
    ('submit_order',            '',      'X',     '',      '',      '',      '',      'X',     'X',     'X',     '', 'X'),
    ('confirm_order',           '',      'X',     '',      '',      '',      '',      'X',     'X',     'X',     '', ''),
    ('hold_order',              '',      'X',     '',      '',      '',      '',      'X',     'X',     'X',     '', ''),
    ('cancel_order',            '',      'X',     '',      '',      '',      '',      'X',     'X',     'X',     '', ''),
    ('amend_order',             '',      'X',     '',      '',      '',      '',      'X',     'X',     'X',     '', ''),
    ('short_close',             '',      'X',     '',      '',      '',      '',      'X',     'X',     'X',     '', ''),
    ('quote_opportunity',       '',      'X',     '',      '',      '',      '',      'X',     'X',     'X',     '',      ''),
    ('price_for',               '',      'X',     '',      '',      '',      '',      'X',     'X',     'X',     '',      ''),
    -- warehouse: stock received, processing, shipping, delivery
    ('receive_stock',           '',      '',      'X',     '',      '',      '',      'X',     'X',     'X',     '', ''),
    ('transfer_stock',          '',      '',      'X',     '',      '',      '',      'X',     'X',     'X',     '', ''),
    ('count_stock',             '',      '',      'X',     '',      '',      '',      'X',     'X',     'X',     '', ''),
    ('start_processing',        '',      '',      'X',     '',      '',      '',      'X',     'X',     'X',     '', ''),
    ('ship_order',              '',      '',      'X',     '',      '',      '',      'X',     'X',     'X',     '', ''),
    ('ship_orders',             '',      '',      'X',     '',      '',      '',      'X',     'X',     'X',     '', ''),
    ('confirm_delivery',        '',      '',      'X',     '',      '',      '',      'X',     'X',     'X',     '', ''),
    -- warehouse: purchasing
    ('create_purchase_order',   '',      '',      'X',     '',      '',      '',      'X',     'X',     'X',     '', ''),
    ('receive_purchase',        '',      '',      'X',     '',      '',      '',      'X',     'X',     'X',     '', ''),
    ('cancel_purchase_order',   '',      '',      'X',     '',      '',      '',      'X',     'X',     'X',     '', ''),
    -- finance: invoices and payments
    ('invoice_order',           '',      '',      '',      'X',     '',      '',      'X',     'X',     'X',     '', ''),
    ('invoice_orders',          '',      '',      '',      'X',     '',      '',      'X',     'X',     'X',     '', ''),
    ('record_payment',          '',      '',      '',      'X',     '',      '',      'X',     'X',     'X',     '', ''),
    ('record_payments',         '',      '',      '',      'X',     '',      '',      'X',     'X',     'X',     '', ''),
    ('record_customer_payment', '',      '',      '',      'X',     '',      '',      'X',     'X',     'X',     '', ''),
    ('apply_credit',            '',      '',      '',      'X',     '',      '',      'X',     'X',     'X',     '', ''),
    ('refund_credit',           '',      '',      '',      'X',     '',      '',      'X',     'X',     'X',     '', ''),
    -- finance closes the books
    ('close_period',            '',      '',      '',      'X',     '',      '',      'X',     'X',     'X',     '', ''),
    -- service: after-sales
    ('return_items',            '',      '',      '',      '',      'X',     '',      'X',     'X',     'X',     '', ''),
    ('record_feedback',         '',      '',      '',      '',      'X',     '',      'X',     'X',     'X',     '', 'X'),
    ('open_ticket',             '',      '',      '',      '',      'X',     '',      'X',     'X',     'X',     '', 'X'),
    ('resolve_ticket',          '',      '',      '',      '',      'X',     '',      'X',     'X',     'X',     '', ''),
    -- the notifier (service): claims and marks the notices to customers
    ('claim_notifications',     '',      '',      '',      '',      'X',     '',      'X',     'X',     'X',     '',      ''),
    ('finish_notification',     '',      '',      '',      '',      'X',     '',      'X',     'X',     'X',     '',      ''),
    -- alerts: service and approver (the app through service)
    ('acknowledge_alert',       '',      '',      '',      '',      'X',     'X',     'X',     'X',     'X',     '', ''),
    ('resolve_alert',           '',      '',      '',      '',      'X',     'X',     'X',     'X',     'X',     '', ''),
    -- approvals: the approvers only (neither the app nor the admin)
    ('approve_order',           '',      '',      '',      '',      '',      'X',     '',      '',      'X',     '', ''),
    -- every department: the sweep and the catch-up
    ('monitor_tick',            '',      'X',     'X',     'X',     'X',     '',      'X',     'X',     'X',     '', ''),
    ('events_since',            '',      'X',     'X',     'X',     'X',     '',      'X',     'X',     'X',     '', ''),
    -- the admin's only
    ('post_entry',              '',      '',      '',      '',      '',      '',      '',      'X',     'X',     '', ''),
    ('reverse_entry',           '',      '',      '',      '',      '',      '',      '',      'X',     'X',     '', ''),
    ('purge_history',           '',      '',      '',      '',      '',      '',      '',      'X',     'X',     '', ''),
    ('rollup_ledger',           '',      '',      '',      '',      '',      '',      '',      'X',     'X',     '', ''),
    ('rollup_reports',          '',      '',      '',      '',      '',      '',      '',      'X',     'X',     '', ''),
    ('rebuild_report_totals',   '',      '',      '',      '',      '',      '',      '',      'X',     'X',     '', ''),
    ('verify',                  '',      '',      '',      '',      '',      '',      '',      'X',     'X',     '', ''),
    -- pure helpers that constraints and views call: every group role
    ('rule_delay',              'X',     'X',     'X',     'X',     'X',     'X',     'X',     'X',     'X',     '', ''),
    ('rule_thresholds_valid',   'X',     'X',     'X',     'X',     'X',     'X',     'X',     'X',     'X',     '', ''),
    ('report_history_horizon',  'X',     'X',     'X',     'X',     'X',     'X',     'X',     'X',     'X',     '', ''),
    -- trigger functions: nobody calls them
    ('orders_lifecycle',        '',      '',      '',      '',      '',      '',      '',      '',      'X',     '', ''),
    ('purchase_orders_lifecycle', '',    '',      '',      '',      '',      '',      '',      '',      'X',     '', ''),
    ('order_lines_guard',       '',      '',      '',      '',      '',      '',      '',      '',      'X',     '', ''),
    ('postings_balanced',       '',      '',      '',      '',      '',      '',      '',      '',      'X',     '', ''),
    ('ledger_immutable',        '',      '',      '',      '',      '',      '',      '',      '',      'X',     '', ''),
    ('ledger_period_open',      '',      '',      '',      '',      '',      '',      '',      '',      'X',     '', ''),
    ('postings_company_amounts', '',     '',      '',      '',      '',      '',      '',      '',      'X',     '', ''),
    ('exchange_rates_check',    '',      '',      '',      '',      '',      '',      '',      '',      'X',     '', ''),
    ('monitor_rules_changed',   '',      '',      '',      '',      '',      '',      '',      '',      'X',     '', ''),
    ('config_keep_builtin',     '',      '',      '',      '',      '',      '',      '',      '',      'X',     '', ''),
    ('config_merge',            '',      '',      '',      '',      '',      '',      '',      '',      'X',     '', ''),
    ('config_changed',          '',      '',      '',      '',      '',      '',      '',      '',      'X',     '', ''),
    ('opportunities_stage',     '',      '',      '',      '',      '',      '',      '',      '',      'X',     '',      ''),
    ('orders_opportunity_fate', '',      '',      '',      '',      '',      '',      '',      '',      'X',     '',      ''),
    ('notification_template_check', '',      '',      '',      '',      '',      '',      '',      '',      'X',     '',      ''),
    ('customer_logins_check',     '',      '',      '',      '',      '',      '',      '',      '',      'X',     '',      '');

SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'ordermgmt'::regnamespace
       AND p.proname NOT IN (SELECT fn FROM function_access)
$$, 'every function of the schema is in the access matrix');

-- (no function of the schema is overloaded: the name gives the arguments;
-- a function missing from the schema fails as "does not exist")
SELECT function_privs_are('ordermgmt', m.fn,
                          coalesce((SELECT array_agg(pg_catalog.format_type(t.oid, NULL) ORDER BY a.n)
                                      FROM pg_catalog.pg_proc p,
                                           unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(oid, n)
                                      JOIN pg_catalog.pg_type t ON t.oid = a.oid
                                     WHERE p.pronamespace = 'ordermgmt'::regnamespace AND p.proname = m.fn),
                                   '{}')::name[],
                          r.role, pg_temp.privs(r.letters),
                          format('%s on %s: %s', r.role, m.fn, pg_temp.said(pg_temp.privs(r.letters))))
  FROM function_access m
 CROSS JOIN LATERAL (VALUES (1, 'ordermgmt_reader', m.reader), (2, 'ordermgmt_sales', m.sales),
                            (3, 'ordermgmt_warehouse', m.warehouse), (4, 'ordermgmt_finance', m.finance),
                            (5, 'ordermgmt_service', m.service), (6, 'ordermgmt_approver', m.approver),
                            (7, 'ordermgmt_app', m.app), (8, 'ordermgmt_admin', m.admin),
                            (9, 'ordermgmt_owner', m.owner), (10, 'public', m.public),
                            (11, 'ordermgmt_customer', m.customer)) AS r(ord, role, letters)
 ORDER BY m.fn, r.ord;

--------------------------------------------------------------------------
-- 8. Direct grants: the ACL entries of the schema's objects other than the
--    owner's own, exactly as the install scripts write them
--------------------------------------------------------------------------
CREATE TEMP VIEW acl_entries AS
    SELECT 'relation' AS kind, c.relname::text AS object,
           CASE a.grantee WHEN 0 THEN 'public' ELSE a.grantee::regrole::text END AS grantee,
           a.privilege_type AS privilege
      FROM pg_catalog.pg_class c, aclexplode(c.relacl) a
     WHERE c.relnamespace = 'ordermgmt'::regnamespace AND a.grantee <> c.relowner
    UNION ALL
    SELECT 'column', c.relname || '.' || att.attname,
           CASE a.grantee WHEN 0 THEN 'public' ELSE a.grantee::regrole::text END, a.privilege_type
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_attribute att ON att.attrelid = c.oid, aclexplode(att.attacl) a
     WHERE c.relnamespace = 'ordermgmt'::regnamespace
    UNION ALL
    SELECT 'function', format('%s(%s)', p.proname, pg_catalog.oidvectortypes(p.proargtypes)),
           CASE a.grantee WHEN 0 THEN 'public' ELSE a.grantee::regrole::text END, a.privilege_type
      FROM pg_catalog.pg_proc p, aclexplode(p.proacl) a
     WHERE p.pronamespace = 'ordermgmt'::regnamespace AND a.grantee <> p.proowner
    UNION ALL
    SELECT 'schema', n.nspname::text,
           CASE a.grantee WHEN 0 THEN 'public' ELSE a.grantee::regrole::text END, a.privilege_type
      FROM pg_catalog.pg_namespace n, aclexplode(n.nspacl) a
     WHERE n.nspname = 'ordermgmt' AND a.grantee <> n.nspowner;

-- One row per grantee, privilege and kind, with the objects granted
CREATE TEMP TABLE direct_grants (grantee text, privilege text, kind text, objects text[]);
-- Every department's SELECT: every table of the order's life
CREATE TEMP TABLE department_reads (relation text);
INSERT INTO department_reads
SELECT unnest('{customers, products, warehouses, settings, order_transitions, accounts, posting_accounts,
                monitor_rules, orders, order_lines, order_status_history, stock, stock_moves, reservations,
                shipments, shipment_lines, invoices, invoice_lines, payments, returns, return_lines,
                credit_applications, customer_exposure, order_day_totals, invoice_day_totals, customer_totals,
                customer_months, report_rollup, fulfillment_histogram, fulfillment_weeks, delivery_changes,
                delivery_week_totals, order_figures, journal_entries, postings, ledger_totals, ledger_rollup,
                ledger_month_totals, ledger_closes,
                alerts, deadlines, feedback, tickets, delivery_weeks, events, relay_state, purge_horizon,
                customer_contacts, customer_interactions, approval_rules, order_approvals, customer_logins,
                opportunity_stages, opportunities, notification_templates, price_lists,
                price_list_items, exchange_rates, customer_payments, payment_allocations,
                customer_credit, order_amendments, suppliers, purchase_transitions, purchase_orders,
                purchase_lines, purchase_receipts, purchase_receipt_lines}'::text[]);
INSERT INTO direct_grants VALUES
    ('ordermgmt_reader',   'USAGE',   'schema',   '{ordermgmt}'),
    ('ordermgmt_reader',   'SELECT',  'relation', '{v_order_status, v_pipeline, v_daily_sales, v_fulfillment_times,
                                                    v_on_time_delivery, v_stock_availability, v_ar_aging,
                                                    v_customer_history, v_monitor_dashboard, v_trial_balance,
                                                    v_feedback_summary, v_tickets, v_settings, v_order_milestones,
                                                    v_customer_interactions, report_day_changes, report_customer_changes,
                                                    report_fulfillment_changes, report_fulfillment_weeks,
                                                    report_order_figures, v_sales_pipeline, v_recommendations,
                                                    v_reorder_due, v_profit_and_loss, v_balance_sheet,
                                                    v_tax_report, v_customer_balance, v_purchase_orders,
                                                    v_available_to_promise, v_replenishment, v_backorders}'),
    ('ordermgmt_reader',   'EXECUTE', 'function', '{"rule_delay(text, jsonb, text)", "rule_thresholds_valid(text, jsonb)",
                                                    "report_history_horizon()"}'),

    ('ordermgmt_sales',    'USAGE',   'schema',   '{ordermgmt}'),
    ('ordermgmt_sales',    'SELECT',  'relation', (SELECT array_agg(relation) FROM department_reads)),
    ('ordermgmt_sales',    'INSERT',  'relation', '{orders, order_lines, customer_contacts, customer_interactions,
                                                    opportunities}'),
    ('ordermgmt_sales',    'UPDATE',  'relation', '{orders, order_lines, customer_contacts, customer_interactions,
                                                    opportunities}'),
    ('ordermgmt_sales',    'DELETE',  'relation', '{orders, order_lines}'),
    ('ordermgmt_sales',    'EXECUTE', 'function', '{"create_order(text, jsonb, jsonb)", "create_orders(jsonb)",
                                                    "submit_order(bigint)", "confirm_order(bigint)",
                                                    "hold_order(bigint, text)", "cancel_order(bigint, text)",
                                                    "amend_order(bigint, jsonb)", "short_close(bigint, text)",
                                                    "quote_opportunity(bigint, jsonb, jsonb)",
                                                    "price_for(text, text, numeric, timestamp with time zone)",
                                                    "monitor_tick(timestamp with time zone)",
                                                    "events_since(bigint, integer)"}'),

    ('ordermgmt_warehouse', 'USAGE',  'schema',   '{ordermgmt}'),
    ('ordermgmt_warehouse', 'SELECT', 'relation', (SELECT array_agg(relation) FROM department_reads)),
    ('ordermgmt_warehouse', 'EXECUTE', 'function', '{"receive_stock(text, text, numeric, numeric)",
                                                    "transfer_stock(text, text, text, numeric, text)",
                                                    "count_stock(text, text, numeric, text)",
                                                    "start_processing(bigint)", "ship_order(bigint, jsonb, text, text)",
                                                    "ship_orders(jsonb)", "confirm_delivery(bigint, timestamp with time zone)",
                                                    "create_purchase_order(text, text, jsonb, jsonb)",
                                                    "receive_purchase(bigint, jsonb)",
                                                    "cancel_purchase_order(bigint, text)",
                                                    "monitor_tick(timestamp with time zone)",
                                                    "events_since(bigint, integer)"}'),
    ('ordermgmt_warehouse', 'UPDATE', 'column',   '{purchase_orders.status, purchase_orders.expected_at,
                                                    purchase_orders.cancel_reason}'),

    ('ordermgmt_finance',  'USAGE',   'schema',   '{ordermgmt}'),
    ('ordermgmt_finance',  'SELECT',  'relation', (SELECT array_agg(relation) FROM department_reads)),
    ('ordermgmt_finance',  'EXECUTE', 'function', '{"invoice_order(bigint, integer)", "invoice_orders(bigint[], integer)",
                                                    "record_payment(bigint, numeric, text, text)", "record_payments(jsonb)",
                                                    "record_customer_payment(text, numeric, text, text, text, jsonb)",
                                                    "apply_credit(text, bigint, numeric)",
                                                    "refund_credit(text, numeric, text, text)",
                                                    "close_period(date)",
                                                    "monitor_tick(timestamp with time zone)",
                                                    "events_since(bigint, integer)"}'),

    ('ordermgmt_service',  'USAGE',   'schema',   '{ordermgmt}'),
    ('ordermgmt_service',  'SELECT',  'relation', (SELECT array_agg(relation) || '{notifications}'::text[]
                                                     FROM department_reads)),
    ('ordermgmt_service',  'EXECUTE', 'function', '{"return_items(bigint, jsonb, text)", "record_feedback(bigint, integer, text)",
                                                    "open_ticket(bigint, text, text)", "resolve_ticket(bigint, text)",
                                                    "acknowledge_alert(bigint, text)", "resolve_alert(bigint, text)",
                                                    "claim_notifications(integer, interval)",
                                                    "finish_notification(bigint, integer, text, integer, interval)",
                                                    "monitor_tick(timestamp with time zone)",
                                                    "events_since(bigint, integer)"}'),

    ('ordermgmt_approver', 'USAGE',   'schema',   '{ordermgmt}'),
    ('ordermgmt_approver', 'SELECT',  'relation', '{alerts, approval_rules, order_approvals}'),
    ('ordermgmt_approver', 'EXECUTE', 'function', '{"approve_order(bigint, text)", "acknowledge_alert(bigint, text)",
                                                    "resolve_alert(bigint, text)"}'),

    -- the app's own grants are the helpers': the rest comes through the
    -- four departments
    ('ordermgmt_app',      'USAGE',   'schema',   '{ordermgmt}'),
    ('ordermgmt_app',      'EXECUTE', 'function', '{"rule_delay(text, jsonb, text)", "rule_thresholds_valid(text, jsonb)",
                                                    "report_history_horizon()"}'),

    ('ordermgmt_admin',    'USAGE',   'schema',   '{ordermgmt}'),
    ('ordermgmt_admin',    'INSERT',  'relation', '{customers, products, warehouses, settings, order_transitions,
                                                    accounts, posting_accounts, approval_rules, customer_logins,
                                                    notification_templates, price_lists, price_list_items,
                                                    exchange_rates, suppliers, purchase_transitions}'),
    ('ordermgmt_admin',    'UPDATE',  'relation', '{customers, products, warehouses, settings, order_transitions,
                                                    accounts, posting_accounts, approval_rules, customer_logins,
                                                    notification_templates, price_lists, price_list_items,
                                                    exchange_rates, suppliers, purchase_transitions}'),
    ('ordermgmt_admin',    'DELETE',  'relation', '{customers, products, warehouses, settings, order_transitions,
                                                    customer_contacts, customer_interactions, approval_rules,
                                                    customer_logins, opportunities, notification_templates,
                                                    price_lists, price_list_items, exchange_rates, suppliers,
                                                    purchase_transitions}'),
    ('ordermgmt_admin',    'UPDATE',  'column',   '{monitor_rules.severity, monitor_rules.enabled,
                                                    monitor_rules.thresholds, monitor_rules.description,
                                                    opportunity_stages.probability}'),
    ('ordermgmt_admin',    'EXECUTE', 'function', '{"post_entry(text, jsonb)", "reverse_entry(bigint, text)",
                                                    "purge_history(interval)", "rollup_ledger()", "verify()",
                                                    "rollup_reports()", "rebuild_report_totals()",
                                                    "rule_delay(text, jsonb, text)", "rule_thresholds_valid(text, jsonb)",
                                                    "report_history_horizon()"}'),

    -- customer logins: their own rows (the policies choose them), the
    -- catalogue columns of products, shipment lines without their cost
    ('ordermgmt_customer', 'USAGE',   'schema',   '{ordermgmt}'),
    ('ordermgmt_customer', 'SELECT',  'relation', '{orders, order_lines, shipments, invoices, invoice_lines, payments,
                                                    feedback, tickets, customer_logins, v_my_orders}'),
    ('ordermgmt_customer', 'SELECT',  'column',   '{products.product_id, products.sku, products.name,
                                                    products.list_price, products.tax_rate,
                                                    shipment_lines.shipment_id, shipment_lines.order_id,
                                                    shipment_lines.line_no, shipment_lines.qty}'),
    ('ordermgmt_customer', 'EXECUTE', 'function', '{"create_order(text, jsonb, jsonb)", "submit_order(bigint)",
                                                    "record_feedback(bigint, integer, text)",
                                                    "open_ticket(bigint, text, text)"}'),

    -- the owner's rights come with ownership; only the schema is granted
    ('ordermgmt_owner',    'USAGE',   'schema',   '{ordermgmt}');

SELECT set_eq(format($$ SELECT object, grantee, privilege FROM acl_entries WHERE kind = %L $$, k.kind),
              format($$ SELECT o, grantee, privilege FROM direct_grants, unnest(objects) AS o WHERE kind = %L $$, k.kind),
              format('direct grants on %s objects', k.kind))
  FROM (VALUES (1, 'schema'), (2, 'relation'), (3, 'column'), (4, 'function')) AS k(ord, kind)
 ORDER BY k.ord;

--------------------------------------------------------------------------
-- 9. The contract's rules, over every object of the schema
--------------------------------------------------------------------------
-- ordermgmt_reader: the views only (but the customers' own)
SELECT is_empty($$
    SELECT c.relname FROM pg_catalog.pg_class c
     WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind = 'v' AND c.relname <> 'v_my_orders'
       AND NOT pg_catalog.has_table_privilege('ordermgmt_reader', c.oid, 'SELECT')
$$, 'ordermgmt_reader reads every view but v_my_orders');
SELECT is_empty($$
    SELECT c.relname, p.privilege
      FROM pg_catalog.pg_class c,
           unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) AS p(privilege)
     WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind IN ('r', 'p', 'm', 'f')
       AND pg_catalog.has_table_privilege('ordermgmt_reader', c.oid, p.privilege)
    UNION ALL
    SELECT c.relname, p.privilege
      FROM pg_catalog.pg_class c, unnest(ARRAY['SELECT', 'UPDATE', 'USAGE']) AS p(privilege)
     WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind = 'S'
       AND pg_catalog.has_sequence_privilege('ordermgmt_reader', c.oid, p.privilege)
    UNION ALL
    SELECT c.relname || '.' || a.attname, 'SELECT'
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
     WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind IN ('r', 'p')
       AND pg_catalog.has_column_privilege('ordermgmt_reader', c.oid, a.attnum, 'SELECT')
$$, 'ordermgmt_reader has no privilege on any table, column or sequence');
SELECT set_eq($$
    SELECT p.proname::text FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'ordermgmt'::regnamespace
       AND pg_catalog.has_function_privilege('ordermgmt_reader', p.oid, 'EXECUTE')
$$, ARRAY['rule_delay', 'rule_thresholds_valid', 'report_history_horizon'],
   'ordermgmt_reader executes only the helpers the views and constraints call');

-- ordermgmt_customer: only security_invoker views, and row-level security
-- on every table it reads, not forced (the owner runs the API past it)
SELECT is_empty($$
    SELECT c.relname FROM pg_catalog.pg_class c
     WHERE c.relnamespace = 'ordermgmt'::regnamespace
       AND pg_catalog.has_any_column_privilege('ordermgmt_customer', c.oid, 'SELECT')
       AND CASE c.relkind WHEN 'v' THEN NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)
                          ELSE c.relname <> 'products' AND NOT c.relrowsecurity END
$$, 'ordermgmt_customer reads only security_invoker views and tables with row-level security (products: catalogue columns)');
SELECT is_empty($$
    SELECT c.relname FROM pg_catalog.pg_class c
     WHERE c.relnamespace = 'ordermgmt'::regnamespace AND (c.relforcerowsecurity
           OR (c.relrowsecurity AND NOT pg_catalog.has_any_column_privilege('ordermgmt_customer', c.oid, 'SELECT')))
$$, 'row-level security on exactly the tables a customer reads, never forced');
SELECT policies_are('ordermgmt', t, ARRAY['all_rows', 'customer_own_rows'],
                    format('%s: a permissive policy for every role and a restrictive one for customers', t))
  FROM unnest(ARRAY['customer_logins', 'orders', 'order_lines', 'shipments', 'shipment_lines', 'invoices',
                    'invoice_lines', 'payments', 'feedback', 'tickets']) AS t ORDER BY t;
SELECT policy_roles_are('ordermgmt', t, 'customer_own_rows', ARRAY['ordermgmt_customer'],
                        format('%s: customer_own_rows applies to ordermgmt_customer', t))
  FROM unnest(ARRAY['customer_logins', 'orders', 'order_lines', 'shipments', 'shipment_lines', 'invoices',
                    'invoice_lines', 'payments', 'feedback', 'tickets']) AS t ORDER BY t;
SELECT is_empty($$
    SELECT p.polrelid::regclass, p.polname FROM pg_catalog.pg_policy p
     WHERE p.polrelid IN (SELECT oid FROM pg_catalog.pg_class WHERE relnamespace = 'ordermgmt'::regnamespace)
       AND NOT (p.polname = 'all_rows' AND p.polpermissive AND p.polroles = '{0}' AND p.polcmd = '*'
                AND pg_catalog.pg_get_expr(p.polqual, p.polrelid) = 'true')
       AND NOT (p.polname = 'customer_own_rows' AND NOT p.polpermissive AND p.polcmd = '*')
$$, 'all_rows lets every role through (USING true), customer_own_rows restricts; nothing else');

-- ordermgmt_app writes orders and order_lines (and the light CRM) only
SELECT set_eq($$
    SELECT c.relname::text, p.privilege
      FROM pg_catalog.pg_class c, unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p(privilege)
     WHERE c.relnamespace = 'ordermgmt'::regnamespace
       AND pg_catalog.has_table_privilege('ordermgmt_app', c.oid, p.privilege)
$$, $$ VALUES ('orders', 'INSERT'), ('orders', 'UPDATE'), ('orders', 'DELETE'),
              ('order_lines', 'INSERT'), ('order_lines', 'UPDATE'), ('order_lines', 'DELETE'),
              ('customer_contacts', 'INSERT'), ('customer_contacts', 'UPDATE'),
              ('customer_interactions', 'INSERT'), ('customer_interactions', 'UPDATE'),
              ('opportunities', 'INSERT'), ('opportunities', 'UPDATE') $$,
   'ordermgmt_app writes orders, order_lines and the CRM tables (through sales), nothing else');

-- Nobody but the owner writes stock, ledger, events, alerts or any other
-- table only the C code fills: no role of the cluster (superusers, the
-- owner and PostgreSQL's predefined pg_* roles such as pg_write_all_data
-- aside), nor PUBLIC
SELECT is_empty($$
    SELECT r.rolname, c.relname, p.privilege
      FROM (SELECT rolname FROM pg_catalog.pg_roles
             WHERE NOT rolsuper AND rolname <> 'ordermgmt_owner' AND rolname NOT LIKE 'pg\_%'
            UNION ALL SELECT 'public') AS r,
           pg_catalog.pg_class c,
           unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p(privilege)
     WHERE c.relnamespace = 'ordermgmt'::regnamespace
       AND c.relname IN ('stock', 'stock_moves', 'reservations',
                         'journal_entries', 'postings', 'ledger_totals', 'ledger_rollup',
                         'ledger_month_totals', 'ledger_closes',
                         'events', 'relay_state', 'purge_horizon', 'alerts', 'deadlines', 'order_status_history',
                         'order_amendments',
                         'notifications',
                         'shipments', 'shipment_lines', 'invoices', 'invoice_lines', 'payments',
                         'returns', 'return_lines', 'credit_applications', 'feedback', 'tickets',
                         'delivery_weeks', 'customer_exposure', 'order_day_totals', 'invoice_day_totals',
                         'customer_totals', 'customer_months', 'report_rollup', 'fulfillment_histogram',
                         'fulfillment_weeks', 'delivery_changes', 'delivery_week_totals', 'order_figures',
                         'customer_payments', 'payment_allocations', 'customer_credit',
                         'purchase_lines', 'purchase_receipts', 'purchase_receipt_lines')
       AND pg_catalog.has_table_privilege(r.rolname, c.oid, p.privilege)
$$, 'nobody but the owner writes stock, ledger, events, alerts and the documents');

-- Only the admin runs manual entries, reversals, purges, roll-ups and the
-- self-audit
SELECT set_eq($$
    SELECT p.proname::text, r.role::text
      FROM pg_catalog.pg_proc p, om_roles r
     WHERE p.pronamespace = 'ordermgmt'::regnamespace
       AND p.proname IN ('post_entry', 'reverse_entry', 'purge_history', 'rollup_ledger', 'verify',
                         'rollup_reports', 'rebuild_report_totals')
       AND pg_catalog.has_function_privilege(r.role, p.oid, 'EXECUTE')
$$, $$ SELECT f, r FROM unnest(ARRAY['post_entry', 'reverse_entry', 'purge_history', 'rollup_ledger', 'verify',
                                      'rollup_reports', 'rebuild_report_totals']) AS f,
                       unnest(ARRAY['ordermgmt_admin', 'ordermgmt_owner']) AS r $$,
   'only ordermgmt_admin (and the owner) execute post_entry, reverse_entry, purge_history, the roll-ups, verify and the rebuild');

-- Alerts: service and approver; the app through its membership in service
SELECT set_eq($$
    SELECT p.proname::text, r.role::text
      FROM pg_catalog.pg_proc p, om_roles r
     WHERE p.pronamespace = 'ordermgmt'::regnamespace
       AND p.proname IN ('acknowledge_alert', 'resolve_alert')
       AND pg_catalog.has_function_privilege(r.role, p.oid, 'EXECUTE')
$$, $$ SELECT f, r FROM unnest(ARRAY['acknowledge_alert', 'resolve_alert']) AS f,
                       unnest(ARRAY['ordermgmt_service', 'ordermgmt_approver', 'ordermgmt_app',
                                    'ordermgmt_admin', 'ordermgmt_owner']) AS r $$,
   'acknowledge_alert and resolve_alert: service, approver, app and admin (and the owner)');
SELECT ok(NOT EXISTS (SELECT 1 FROM acl_entries
                       WHERE grantee = 'ordermgmt_app' AND object LIKE ANY (ARRAY['acknowledge\_alert(%', 'resolve\_alert(%']))
          AND pg_catalog.pg_has_role('ordermgmt_app', 'ordermgmt_service', 'USAGE'),
          'ordermgmt_app acknowledges and resolves alerts through ordermgmt_service, not by a grant of its own');

-- Separation of duties: only approvers approve; the warehouse records no
-- payment; finance ships nothing; sales neither ships nor bills
SELECT set_eq($$
    SELECT r.role::text FROM om_roles r
     WHERE pg_catalog.has_function_privilege(r.role, 'ordermgmt.approve_order(bigint, text)', 'EXECUTE')
$$, ARRAY['ordermgmt_approver', 'ordermgmt_owner'],
   'only ordermgmt_approver (and the owner) execute approve_order');
SELECT is_empty($$
    SELECT d.role, f.fn
      FROM (VALUES ('ordermgmt_warehouse', '{record_payment, record_payments, invoice_order, invoice_orders,
                                              record_customer_payment, apply_credit, refund_credit}'::text[]),
                   ('ordermgmt_finance', '{ship_order, ship_orders, receive_stock, confirm_delivery,
                                            transfer_stock, count_stock, create_purchase_order,
                                            receive_purchase, cancel_purchase_order}'::text[]),
                   ('ordermgmt_sales', '{ship_order, ship_orders, invoice_order, record_payment, approve_order,
                                          create_purchase_order, receive_purchase}'::text[]),
                   ('ordermgmt_service', '{create_order, ship_order, record_payment, approve_order}'::text[]))
           AS d(role, fns), unnest(d.fns) AS f(fn)
     WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                    WHERE p.pronamespace = 'ordermgmt'::regnamespace AND p.proname = f.fn
                      AND pg_catalog.has_function_privilege(d.role, p.oid, 'EXECUTE'))
$$, 'no department runs another department''s functions');

-- PUBLIC: nothing in the schema, and no ACL entry names it
SELECT is_empty($$
    SELECT 'schema', 'ordermgmt' WHERE pg_catalog.has_schema_privilege('public', 'ordermgmt', 'USAGE')
                                    OR pg_catalog.has_schema_privilege('public', 'ordermgmt', 'CREATE')
    UNION ALL
    SELECT 'relation', c.relname
      FROM pg_catalog.pg_class c,
           unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) AS p(privilege)
     WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       AND pg_catalog.has_table_privilege('public', c.oid, p.privilege)
    UNION ALL
    SELECT 'sequence', c.relname
      FROM pg_catalog.pg_class c, unnest(ARRAY['SELECT', 'UPDATE', 'USAGE']) AS p(privilege)
     WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind = 'S'
       AND pg_catalog.has_sequence_privilege('public', c.oid, p.privilege)
    UNION ALL
    SELECT 'function', p.proname
      FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'ordermgmt'::regnamespace
       AND pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE')
$$, 'PUBLIC has no privilege on the schema or on any object in it');
SELECT is_empty($$ SELECT kind, object, privilege FROM acl_entries WHERE grantee = 'public' $$,
                'no ACL entry of the schema or its objects names PUBLIC');

-- TRUNCATE, REFERENCES and TRIGGER: the owner's alone
SELECT is_empty($$
    SELECT r.role, c.relname, p.privilege
      FROM om_roles r, pg_catalog.pg_class c, unnest(ARRAY['TRUNCATE', 'REFERENCES', 'TRIGGER']) AS p(privilege)
     WHERE r.role <> 'ordermgmt_owner'
       AND c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       AND pg_catalog.has_table_privilege(r.role, c.oid, p.privilege)
$$, 'no group role but the owner may TRUNCATE, REFERENCE or add triggers to any table');

--------------------------------------------------------------------------
-- 10. PostgreSQL enforces it: each role acting as itself
--------------------------------------------------------------------------
SET LOCAL ROLE ordermgmt_reader;
SELECT throws_ok('SELECT count(*) FROM ordermgmt.orders', '42501', NULL,
                 'ordermgmt_reader cannot read a table');
SELECT throws_ok('SELECT ordermgmt.acknowledge_alert(-1)', '42501', NULL,
                 'ordermgmt_reader cannot acknowledge an alert');
SELECT throws_ok('SELECT * FROM ordermgmt.verify()', '42501', NULL,
                 'ordermgmt_reader cannot run verify');
RESET ROLE;
SET LOCAL ROLE ordermgmt_app;
SELECT throws_ok('UPDATE ordermgmt.stock SET on_hand = on_hand', '42501', NULL,
                 'ordermgmt_app cannot write stock');
SELECT throws_ok('INSERT INTO ordermgmt.events (kind) VALUES (''forged'')', '42501', NULL,
                 'ordermgmt_app cannot write events');
SELECT throws_ok($$SELECT ordermgmt.post_entry('x', '[]')$$, '42501', NULL,
                 'ordermgmt_app cannot post a manual journal entry');
SELECT throws_ok('SELECT * FROM ordermgmt.verify()', '42501', NULL,
                 'ordermgmt_app cannot run verify');
-- past the privilege check, to the function's own answer
SELECT throws_ok('SELECT ordermgmt.acknowledge_alert(-1)', 'OM005', NULL,
                 'ordermgmt_app runs acknowledge_alert (through ordermgmt_service)');
RESET ROLE;
SET LOCAL ROLE ordermgmt_approver;
SELECT throws_ok('SELECT ordermgmt.resolve_alert(-1)', 'OM005', NULL,
                 'ordermgmt_approver runs resolve_alert');
RESET ROLE;
SET LOCAL ROLE ordermgmt_admin;
SELECT lives_ok('SELECT * FROM ordermgmt.verify()', 'ordermgmt_admin runs verify');
SELECT throws_ok('SELECT ordermgmt.approve_order(-1)', '42501', NULL,
                 'ordermgmt_admin cannot approve');
RESET ROLE;
SET LOCAL ROLE ordermgmt_app;
SELECT throws_ok('SELECT ordermgmt.approve_order(-1)', '42501', NULL,
                 'ordermgmt_app cannot approve');
SELECT throws_ok('UPDATE ordermgmt.opportunity_stages SET probability = 0.5', '42501', NULL,
                 'ordermgmt_app cannot change a stage''s probability');
SELECT throws_ok($$SELECT ordermgmt.quote_opportunity(-1, '[]')$$, 'OM005', NULL,
                 'ordermgmt_app runs quote_opportunity');
SELECT throws_ok($$INSERT INTO ordermgmt.price_lists (code, currency) VALUES ('X', 'EUR')$$, '42501', NULL,
                 'ordermgmt_app cannot write a price list');
SELECT throws_ok($$INSERT INTO ordermgmt.exchange_rates VALUES ('USD', '2000-01-01', 1)$$, '42501', NULL,
                 'ordermgmt_app cannot write an exchange rate');
RESET ROLE;
SET LOCAL ROLE ordermgmt_sales;
SELECT throws_ok($$SELECT ordermgmt.price_for('no such customer', 'X', 1)$$, 'OM005', NULL,
                 'ordermgmt_sales runs price_for');
RESET ROLE;
SET LOCAL ROLE ordermgmt_warehouse;
SELECT throws_ok($$SELECT ordermgmt.price_for('no such customer', 'X', 1)$$, '42501', NULL,
                 'ordermgmt_warehouse cannot run price_for');
SELECT throws_ok('SELECT ordermgmt.record_payment(-1, 1)', '42501', NULL,
                 'ordermgmt_warehouse cannot record a payment');
SELECT throws_ok('SELECT ordermgmt.ship_order(-1)', 'OM005', NULL,
                 'ordermgmt_warehouse ships (past the privilege check)');
SELECT throws_ok($$SELECT ordermgmt.create_purchase_order('NOBODY', 'X', '[{"sku": "X", "qty": 1}]')$$, 'OM005', NULL,
                 'ordermgmt_warehouse buys (past the privilege check)');
RESET ROLE;
SET LOCAL ROLE ordermgmt_finance;
SELECT throws_ok('SELECT ordermgmt.ship_order(-1)', '42501', NULL,
                 'ordermgmt_finance cannot ship');
SELECT throws_ok('SELECT ordermgmt.receive_purchase(-1)', '42501', NULL,
                 'ordermgmt_finance cannot receive a purchase order');
SELECT throws_ok('SELECT ordermgmt.record_payment(-1, 1)', 'OM005', NULL,
                 'ordermgmt_finance records payments (past the privilege check)');
RESET ROLE;
SET LOCAL ROLE ordermgmt_sales;
SELECT throws_ok('SELECT ordermgmt.invoice_order(-1)', '42501', NULL,
                 'ordermgmt_sales cannot invoice');
SELECT throws_ok($$SELECT ordermgmt.create_order('NOBODY', '[{"sku": "X", "qty": 1}]')$$, 'OM005', NULL,
                 'ordermgmt_sales enters orders (past the privilege check)');
RESET ROLE;
SET LOCAL ROLE ordermgmt_approver;
SELECT throws_ok('SELECT ordermgmt.approve_order(-1)', 'OM005', NULL,
                 'ordermgmt_approver approves (past the privilege check)');
RESET ROLE;

-- the group role itself is a customer login mapped to no customer
SET LOCAL ROLE ordermgmt_customer;
SELECT is((SELECT count(*) FROM ordermgmt.orders), 0::bigint, 'ordermgmt_customer reads its own orders: none');
SELECT throws_ok('SELECT count(*) FROM ordermgmt.v_order_status', '42501', NULL,
                 'ordermgmt_customer cannot read a BI view');
SELECT throws_ok($$SELECT ordermgmt.create_order('ANY', '[{"sku": "A", "qty": 1}]')$$, '42501', NULL,
                 'ordermgmt_customer places no order for a customer it is not mapped to');
SELECT throws_ok('SELECT ordermgmt.open_ticket(-1, ''x'')', 'OM005', NULL,
                 'ordermgmt_customer runs open_ticket, on its own orders only');
SELECT throws_ok('SELECT ordermgmt.confirm_order(-1)', '42501', NULL,
                 'ordermgmt_customer cannot confirm an order');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
