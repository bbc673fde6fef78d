-- Functions of the public contract: the exact list in schema ordermgmt, each
-- one's signature (argument names and defaults), return type, language,
-- volatility and SECURITY DEFINER; every function's pinned search_path; the
-- C triggers that enforce the rules.
BEGIN;
SELECT plan(419);

--------------------------------------------------------------------------
-- Exactly these functions: a new or dropped one fails here
--------------------------------------------------------------------------
SELECT functions_are('ordermgmt', ARRAY[
    -- order API
    'receive_stock', 'transfer_stock', 'count_stock', 'create_order', 'submit_order', 'confirm_order', 'approve_order',
    'hold_order', 'cancel_order', 'start_processing', 'ship_order', 'confirm_delivery',
    'amend_order', 'short_close',
    'invoice_order', 'record_payment', 'return_items', 'record_feedback',
    'open_ticket', 'resolve_ticket',
    -- customer payments and their unapplied credit
    'record_customer_payment', 'apply_credit', 'refund_credit',
    -- purchasing
    'create_purchase_order', 'receive_purchase', 'cancel_purchase_order',
    -- the sales pipeline, prices
    'quote_opportunity', 'price_for',
    -- batch entry points
    'create_orders', 'ship_orders', 'invoice_orders', 'record_payments',
    -- ledger, monitoring, events, housekeeping
    'post_entry', 'reverse_entry', 'rollup_ledger', 'close_period', 'monitor_tick',
    'rollup_reports', 'rebuild_report_totals',
    'acknowledge_alert', 'resolve_alert', 'events_since', 'purge_history',
    -- notices to customers: what ordermgmt-notify calls
    'claim_notifications', 'finish_notification',
    -- the self-audit
    'verify',
    -- helpers of constraints and views
    'rule_delay', 'rule_thresholds_valid', 'report_history_horizon',
    -- trigger functions
    'orders_lifecycle', 'order_lines_guard', 'postings_balanced', 'ledger_immutable', 'ledger_period_open',
    'monitor_rules_changed', 'config_keep_builtin', 'config_merge', 'config_changed',
    'customer_logins_check',
    'opportunities_stage', 'orders_opportunity_fate',
    'notification_template_check', 'postings_company_amounts', 'exchange_rates_check',
    'purchase_orders_lifecycle'
]::name[], 'schema ordermgmt has exactly the functions of the contract and the project');

--------------------------------------------------------------------------
-- Each function: arguments (identity types, then names and defaults as
-- pg_get_function_arguments shows them), result, language, volatility,
-- SECURITY DEFINER
--------------------------------------------------------------------------
CREATE TEMP TABLE fn (
    name      name,
    args      name[],
    arguments text,
    returns   text,
    lang      name,
    vol       text,
    definer   boolean
);
INSERT INTO fn VALUES
    -- order API: C, SECURITY DEFINER
    ('receive_stock',     '{text,text,numeric,numeric}',
     'sku text, warehouse text, qty numeric, unit_cost numeric DEFAULT NULL::numeric',
     'bigint', 'c', 'volatile', true),
    ('transfer_stock',    '{text,text,text,numeric,text}',
     'sku text, from_warehouse text, to_warehouse text, qty numeric, reference text DEFAULT NULL::text',
     'bigint', 'c', 'volatile', true),
    ('count_stock',       '{text,text,numeric,text}',
     'sku text, warehouse text, counted numeric, reason text',
     'bigint', 'c', 'volatile', true),
    ('create_order',      '{text,jsonb,jsonb}',
     'customer text, lines jsonb, options jsonb DEFAULT ''{}''::jsonb',
     'bigint', 'c', 'volatile', true),
    ('submit_order',      '{bigint}', 'order_id bigint', 'text', 'c', 'volatile', true),
    ('confirm_order',     '{bigint}', 'order_id bigint', 'text', 'c', 'volatile', true),
    ('approve_order',     '{bigint,text}',
     'order_id bigint, note text DEFAULT NULL::text',     -- as the contract writes it; see below
     'text', 'c', 'volatile', true),
    ('hold_order',        '{bigint,text}', 'order_id bigint, reason text', 'void', 'c', 'volatile', true),
    ('cancel_order',      '{bigint,text}', 'order_id bigint, reason text', 'void', 'c', 'volatile', true),
    ('start_processing',  '{bigint}', 'order_id bigint', 'void', 'c', 'volatile', true),
    ('amend_order',       '{bigint,jsonb}', 'order_id bigint, changes jsonb', 'integer', 'c', 'volatile', true),
    ('short_close',       '{bigint,text}', 'order_id bigint, reason text', 'void', 'c', 'volatile', true),
    ('ship_order',        '{bigint,jsonb,text,text}',
     'order_id bigint, lines jsonb DEFAULT NULL::jsonb, carrier text DEFAULT NULL::text, tracking text DEFAULT NULL::text',
     'bigint', 'c', 'volatile', true),
    ('confirm_delivery',  '{bigint,"timestamp with time zone"}',
     'shipment_id bigint, delivered_at timestamp with time zone DEFAULT now()',
     'void', 'c', 'volatile', true),
    ('invoice_order',     '{bigint,integer}', 'order_id bigint, due_days integer DEFAULT 30',
     'bigint', 'c', 'volatile', true),
    ('record_payment',    '{bigint,numeric,text,text}',
     'invoice_id bigint, amount numeric, method text DEFAULT ''bank''::text, reference text DEFAULT NULL::text',
     'bigint', 'c', 'volatile', true),
    ('record_customer_payment', '{text,numeric,text,text,text,jsonb}',
     'customer text, amount numeric, currency text, method text, reference text, allocations jsonb DEFAULT NULL::jsonb',
     'bigint', 'c', 'volatile', true),
    ('apply_credit',      '{text,bigint,numeric}', 'customer text, invoice_id bigint, amount numeric',
     'bigint', 'c', 'volatile', true),
    ('refund_credit',     '{text,numeric,text,text}',
     'customer text, amount numeric, reference text, currency text DEFAULT NULL::text',
     'bigint', 'c', 'volatile', true),
    ('return_items',      '{bigint,jsonb,text}', 'order_id bigint, lines jsonb, reason text',
     'bigint', 'c', 'volatile', true),
    ('record_feedback',   '{bigint,integer,text}', 'order_id bigint, rating integer, comment text DEFAULT NULL::text',
     'bigint', 'c', 'volatile', true),
    ('open_ticket',       '{bigint,text,text}', 'order_id bigint, subject text, priority text DEFAULT ''normal''::text',
     'bigint', 'c', 'volatile', true),
    ('resolve_ticket',    '{bigint,text}', 'ticket_id bigint, resolution text', 'void', 'c', 'volatile', true),
    -- purchasing: C, SECURITY DEFINER
    ('create_purchase_order', '{text,text,jsonb,jsonb}',
     'supplier text, warehouse text, lines jsonb, options jsonb DEFAULT ''{}''::jsonb',
     'bigint', 'c', 'volatile', true),
    ('receive_purchase',  '{bigint,jsonb}', 'po_id bigint, lines jsonb DEFAULT NULL::jsonb',
     'bigint', 'c', 'volatile', true),
    ('cancel_purchase_order', '{bigint,text}', 'po_id bigint, reason text', 'void', 'c', 'volatile', true),
    ('quote_opportunity', '{bigint,jsonb,jsonb}',
     'opportunity_id bigint, lines jsonb, options jsonb DEFAULT ''{}''::jsonb',
     'bigint', 'c', 'volatile', true),
    -- price lists: C, STABLE (reads only), SECURITY DEFINER
    ('price_for',         '{text,text,numeric,"timestamp with time zone"}',
     'customer text, sku text, qty numeric, at timestamp with time zone DEFAULT now()',
     'numeric', 'c', 'stable', true),
    -- batch entry points: C, SECURITY DEFINER, one row per item (see below)
    ('create_orders',     '{jsonb}', 'orders jsonb', 'setof record', 'c', 'volatile', true),
    ('ship_orders',       '{jsonb}', 'shipments jsonb', 'setof record', 'c', 'volatile', true),
    ('invoice_orders',    '{bigint[],integer}', 'order_ids bigint[], due_days integer DEFAULT 30',
     'setof record', 'c', 'volatile', true),
    ('record_payments',   '{jsonb}', 'payments jsonb', 'setof record', 'c', 'volatile', true),
    -- ledger, monitoring, events, housekeeping: C, SECURITY DEFINER
    ('post_entry',        '{text,jsonb}', 'memo text, lines jsonb', 'bigint', 'c', 'volatile', true),
    ('reverse_entry',     '{bigint,text}', 'entry_id bigint, memo text DEFAULT NULL::text', 'bigint', 'c', 'volatile', true),
    ('rollup_ledger',     '{}', '', 'bigint', 'c', 'volatile', true),
    ('close_period',      '{date}', 'through date', 'date', 'c', 'volatile', true),
    ('rollup_reports',    '{}', '', 'bigint', 'c', 'volatile', true),
    ('rebuild_report_totals', '{}', '', 'void', 'sql', 'volatile', true),
    ('monitor_tick',      '{"timestamp with time zone"}', 'at timestamp with time zone DEFAULT now()',
     'integer', 'c', 'volatile', true),
    ('acknowledge_alert', '{bigint,text}', 'alert_id bigint, note text DEFAULT NULL::text', 'void', 'c', 'volatile', true),
    ('resolve_alert',     '{bigint,text}', 'alert_id bigint, note text DEFAULT NULL::text', 'void', 'c', 'volatile', true),
    ('events_since',      '{bigint,integer}', 'after_id bigint, max_rows integer DEFAULT 1000',
     'setof ordermgmt.events', 'c', 'volatile', true),
    ('purge_history',     '{interval}',
     'older_than interval DEFAULT NULL::interval, OUT events bigint, OUT alerts bigint',
     'record', 'c', 'volatile', true),
    -- notices to customers: C, SECURITY DEFINER
    ('claim_notifications', '{integer,interval}',
     'max_rows integer DEFAULT 10, lease interval DEFAULT ''00:05:00''::interval',
     'setof record', 'c', 'volatile', true),
    ('finish_notification', '{bigint,integer,text,integer,interval}',
     'notification_id bigint, attempt integer, error text DEFAULT NULL::text, max_attempts integer DEFAULT 5, retry_delay interval DEFAULT ''00:01:00''::interval',
     'text', 'c', 'volatile', true),
    -- the self-audit: SQL, STABLE (one snapshot), SECURITY DEFINER (reads every table)
    ('verify',            '{}', '', 'setof record', 'sql', 'stable', true),
    -- helpers of constraints and views: SQL, STABLE, run as the caller
    ('rule_delay',        '{text,jsonb,text}', 'rule_code text, thresholds jsonb, variant text DEFAULT NULL::text',
     'interval', 'sql', 'stable', false),
    ('rule_thresholds_valid', '{text,jsonb}', 'rule_code text, thresholds jsonb',
     'boolean', 'sql', 'stable', false),
    -- the roll-up's horizon for the views: SQL, STABLE, run as the owner
    -- (a reader cannot read report_rollup)
    ('report_history_horizon', '{}', '', 'bigint', 'sql', 'stable', true),
    -- trigger functions: C; those that write tables the caller cannot run as the owner
    ('orders_lifecycle',      '{}', '', 'trigger', 'c', 'volatile', true),
    ('purchase_orders_lifecycle', '{}', '', 'trigger', 'c', 'volatile', true),
    ('opportunities_stage',   '{}', '', 'trigger', 'c', 'volatile', true),
    ('orders_opportunity_fate', '{}', '', 'trigger', 'c', 'volatile', true),
    ('monitor_rules_changed', '{}', '', 'trigger', 'c', 'volatile', true),
    ('order_lines_guard',     '{}', '', 'trigger', 'c', 'volatile', false),
    ('postings_balanced',     '{}', '', 'trigger', 'c', 'volatile', false),
    ('ledger_immutable',      '{}', '', 'trigger', 'c', 'volatile', false),
    ('ledger_period_open',    '{}', '', 'trigger', 'c', 'volatile', false),
    ('config_keep_builtin',   '{}', '', 'trigger', 'c', 'volatile', false),
    ('config_merge',          '{}', '', 'trigger', 'c', 'volatile', false),
    ('config_changed',        '{}', '', 'trigger', 'c', 'volatile', false),
    ('customer_logins_check', '{}', '', 'trigger', 'c', 'volatile', false),
    ('notification_template_check', '{}', '', 'trigger', 'c', 'volatile', false),
    ('postings_company_amounts', '{}', '', 'trigger', 'c', 'volatile', false),
    ('exchange_rates_check',  '{}', '', 'trigger', 'c', 'volatile', false);

SELECT has_function('ordermgmt', name, args, format('%s(%s) exists', name, array_to_string(args, ', ')))
  FROM fn ORDER BY name;
SELECT function_returns('ordermgmt', name, args, returns, format('%s returns %s', name, returns))
  FROM fn ORDER BY name;
SELECT is(pg_catalog.pg_get_function_arguments(
              format('ordermgmt.%I(%s)', name, array_to_string(args, ','))::regprocedure),
          arguments, format('%s(%s)', name, arguments))
  FROM fn WHERE name <> 'approve_order' ORDER BY name;
SELECT function_lang_is('ordermgmt', name, args, lang, format('%s is LANGUAGE %s', name, lang))
  FROM fn ORDER BY name;
SELECT volatility_is('ordermgmt', name, args, vol, format('%s is %s', name, vol))
  FROM fn ORDER BY name;
SELECT CASE WHEN definer
            THEN is_definer('ordermgmt', name, args, format('%s is SECURITY DEFINER', name))
            ELSE isnt_definer('ordermgmt', name, args, format('%s is SECURITY INVOKER', name))
       END
  FROM fn ORDER BY name;

-- The batch functions' rows, as the contract names them
SELECT is(pg_catalog.pg_get_function_result(format('ordermgmt.%s', f)::regprocedure), r,
          format('%s returns %s', f, r))
  FROM (VALUES (1, 'create_orders(jsonb)', 'TABLE(ord integer, order_id bigint, sqlstate text, message text)'),
               (2, 'ship_orders(jsonb)', 'TABLE(ord integer, shipment_id bigint, sqlstate text, message text)'),
               (3, 'invoice_orders(bigint[],integer)',
                'TABLE(ord integer, invoice_id bigint, sqlstate text, message text)'),
               (4, 'record_payments(jsonb)', 'TABLE(ord integer, payment_id bigint, sqlstate text, message text)'))
       AS b(n, f, r)
 ORDER BY n;

-- The contract's approve_order takes a note; the approver is session_user.
SELECT is(pg_catalog.pg_get_function_arguments('ordermgmt.approve_order(bigint,text)'::regprocedure),
          (SELECT arguments FROM fn WHERE name = 'approve_order'),
          'approve_order(order_id bigint, note text DEFAULT NULL::text)');

--------------------------------------------------------------------------
-- Rules are enforced in C: no PL/pgSQL or other language in the schema
--------------------------------------------------------------------------
SELECT is_empty($$
    SELECT p.oid::regprocedure
      FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
     WHERE p.pronamespace = 'ordermgmt'::regnamespace AND l.lanname NOT IN ('c', 'sql')
$$, 'every function of the schema is LANGUAGE C or SQL');

--------------------------------------------------------------------------
-- Every function pins search_path = pg_catalog, pg_temp and sets nothing
-- else; the exceptions are rule_delay, which must stay inlinable, and
-- verify, which also turns JIT off for its one large plan
--------------------------------------------------------------------------
SELECT is(ARRAY(SELECT p.oid::regprocedure::text
                  FROM pg_catalog.pg_proc p
                 WHERE p.pronamespace = 'ordermgmt'::regnamespace
                   AND p.proconfig IS DISTINCT FROM ARRAY['search_path=pg_catalog, pg_temp']
                 ORDER BY 1),
          ARRAY['ordermgmt.rule_delay(text,jsonb,text)', 'ordermgmt.verify()'],
          'every function but rule_delay and verify runs with search_path = pg_catalog, pg_temp and nothing else');
SELECT is((SELECT p.proconfig FROM pg_catalog.pg_proc p WHERE p.oid = 'ordermgmt.verify()'::regprocedure),
          ARRAY['search_path=pg_catalog, pg_temp', 'jit=off'],
          'verify runs with search_path = pg_catalog, pg_temp and jit = off');

-- rule_delay is inlined into the statements that call it: the plan shows
-- its CASE, not a call
CREATE FUNCTION pg_temp.plan_of(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    line text;
    plan text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || query LOOP
        plan := plan || line || E'\n';
    END LOOP;
    RETURN plan;
END
$$;
SELECT doesnt_match(
    pg_temp.plan_of('SELECT ordermgmt.rule_delay(rule_code, thresholds) FROM ordermgmt.monitor_rules'),
    'rule_delay',
    'rule_delay is inlined into its caller''s plan');

--------------------------------------------------------------------------
-- The C triggers that guard every path, plain SQL included
--------------------------------------------------------------------------
SELECT trigger_is('ordermgmt', 'orders', 'orders_lifecycle_guard', 'ordermgmt', 'orders_lifecycle',
                  'orders: every insert, update and delete passes orders_lifecycle (before)');
SELECT trigger_is('ordermgmt', 'orders', 'orders_lifecycle_record', 'ordermgmt', 'orders_lifecycle',
                  'orders: every status change is recorded by orders_lifecycle (after)');
SELECT trigger_is('ordermgmt', 'order_lines', 'order_lines_guard', 'ordermgmt', 'order_lines_guard',
                  'order_lines: every edit passes order_lines_guard');
SELECT trigger_is('ordermgmt', 'postings', 'postings_balanced', 'ordermgmt', 'postings_balanced',
                  'postings: each entry balances at commit (postings_balanced)');
SELECT ok((SELECT tgdeferrable AND tginitdeferred FROM pg_catalog.pg_trigger
            WHERE tgrelid = 'ordermgmt.postings'::regclass AND tgname = 'postings_balanced'),
          'postings_balanced is a constraint trigger deferred to commit');
SELECT trigger_is('ordermgmt', 'postings', 'postings_immutable', 'ordermgmt', 'ledger_immutable',
                  'postings: no update or delete (ledger_immutable)');
SELECT trigger_is('ordermgmt', 'postings', 'postings_no_truncate', 'ordermgmt', 'ledger_immutable',
                  'postings: no truncate (ledger_immutable)');
SELECT trigger_is('ordermgmt', 'journal_entries', 'journal_entries_immutable', 'ordermgmt', 'ledger_immutable',
                  'journal_entries: no update or delete (ledger_immutable)');
SELECT trigger_is('ordermgmt', 'journal_entries', 'journal_entries_no_truncate', 'ordermgmt', 'ledger_immutable',
                  'journal_entries: no truncate (ledger_immutable)');
SELECT trigger_is('ordermgmt', 'journal_entries', 'journal_entries_period_open', 'ordermgmt', 'ledger_period_open',
                  'journal_entries: nothing dated in a closed period (ledger_period_open)');
SELECT trigger_is('ordermgmt', 'postings', 'postings_period_open', 'ordermgmt', 'ledger_period_open',
                  'postings: nothing added to an entry of a closed period (ledger_period_open)');
SELECT trigger_is('ordermgmt', 'postings', 'postings_company_amounts', 'ordermgmt', 'postings_company_amounts',
                  'postings: company amounts left out are filled in (postings_company_amounts)');
SELECT trigger_is('ordermgmt', 'exchange_rates', 'exchange_rates_check', 'ordermgmt', 'exchange_rates_check',
                  'exchange_rates: no rate for the company currency (exchange_rates_check)');
SELECT trigger_is('ordermgmt', 'purchase_orders', 'purchase_orders_lifecycle_guard', 'ordermgmt',
                  'purchase_orders_lifecycle',
                  'purchase_orders: every insert, update and delete passes purchase_orders_lifecycle (before)');
SELECT trigger_is('ordermgmt', 'purchase_orders', 'purchase_orders_lifecycle_record', 'ordermgmt',
                  'purchase_orders_lifecycle',
                  'purchase_orders: every status and expected time change is recorded by purchase_orders_lifecycle (after)');

SELECT trigger_is('ordermgmt', 'opportunities', 'opportunities_stage_guard', 'ordermgmt', 'opportunities_stage',
                  'opportunities: every insert and update passes opportunities_stage (before)');
SELECT trigger_is('ordermgmt', 'opportunities', 'opportunities_stage_record', 'ordermgmt', 'opportunities_stage',
                  'opportunities: every stage change is recorded by opportunities_stage (after)');
SELECT trigger_is('ordermgmt', 'orders', 'orders_opportunity_fate', 'ordermgmt', 'orders_opportunity_fate',
                  'orders: a quotation''s confirmation or cancellation settles its opportunity');
SELECT matches((SELECT pg_catalog.pg_get_triggerdef(oid) FROM pg_catalog.pg_trigger
                 WHERE tgrelid = 'ordermgmt.orders'::regclass AND tgname = 'orders_opportunity_fate'),
               'WHEN \(\(\(new\.opportunity_id IS NOT NULL\)',
               'orders_opportunity_fate fires only for orders that quote an opportunity (WHEN clause)');

-- Every trigger of the schema calls a C function and is enabled as usual
-- (fires except under session_replication_role = replica, the raw load)
SELECT is_empty($$
    SELECT t.tgrelid::regclass, t.tgname
      FROM pg_catalog.pg_trigger t
      JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
      JOIN pg_catalog.pg_language l ON l.oid = p.prolang
     WHERE NOT t.tgisinternal
       AND t.tgrelid IN (SELECT oid FROM pg_catalog.pg_class WHERE relnamespace = 'ordermgmt'::regnamespace)
       AND (l.lanname <> 'c' OR t.tgenabled <> 'O')
$$, 'every trigger of the schema calls a C function and is enabled');

SELECT * FROM finish();
ROLLBACK;
