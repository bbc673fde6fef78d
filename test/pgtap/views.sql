-- Views for BI: the exact list in schema ordermgmt, every view's columns
-- (the contract's where it names them, else the installed ones), the
-- contract's numeric columns, read-only, and readable by ordermgmt_reader.
BEGIN;
SELECT plan(124);

--------------------------------------------------------------------------
-- Exactly these views: a new or dropped one fails here
--------------------------------------------------------------------------
SELECT views_are('ordermgmt', ARRAY[
    -- named by the contract
    'v_order_status', 'v_pipeline', 'v_daily_sales', 'v_fulfillment_times',
    'v_on_time_delivery', 'v_stock_availability', 'v_ar_aging', 'v_customer_history',
    'v_monitor_dashboard', 'v_trial_balance', 'v_feedback_summary', 'v_tickets',
    'v_profit_and_loss', 'v_balance_sheet',
    -- the project's own
    'v_settings', 'v_order_milestones', 'v_customer_interactions',
    -- the tax report
    'v_tax_report',
    -- the sales pipeline
    'v_sales_pipeline', 'v_recommendations', 'v_reorder_due',
    -- what each logged change adds to the reporting summaries
    'report_day_changes', 'report_customer_changes', 'report_fulfillment_changes', 'report_fulfillment_weeks',
    -- each order's figures, as order_figures stores them
    'report_order_figures',
    -- purchasing
    'v_purchase_orders',
    -- available to promise, what to buy, when backorders fill
    'v_available_to_promise', 'v_replenishment', 'v_backorders',
    -- a customer login's own orders (security_invoker)
    'v_my_orders',
    -- what each customer owes per currency, net of its unapplied credit
    'v_customer_balance'
]::name[], 'schema ordermgmt has exactly the views of the contract and the project');

--------------------------------------------------------------------------
-- Every view's columns, exactly (a renamed or dropped column breaks a
-- dashboard; a new one must be added here on purpose)
--------------------------------------------------------------------------
CREATE TEMP TABLE view_columns (view name, cols name[]);
INSERT INTO view_columns VALUES
    ('v_stock_availability', '{sku, warehouse, on_hand, reserved, available, reorder_point, total_on_hand,
                               total_available}'),
    ('v_ar_aging',           '{customer, currency, not_due, overdue_1_30, overdue_31_60, overdue_61_90,
                               overdue_over_90, total_due}'),
    ('v_trial_balance',      '{account_code, account_name, account_type, currency, debit, credit, balance, company_debit, company_credit, company_balance}'),
    ('v_profit_and_loss',    '{period, account_code, account_name, amount, currency}'),
    ('v_balance_sheet',      '{account_type, account_code, account_name, balance, currency}'),
    ('v_tax_report',         '{period, currency, tax_rate, invoiced_net, invoiced_tax, credited_net, credited_tax,
                               net, tax}'),
    ('v_order_status',       '{order_id, customer, status, hold_reason, currency, created_at, promised_at,
                               status_changed_at, age, time_in_status, net_amount, tax_amount, gross_amount,
                               open_alerts, shipped_net, invoiced_total, paid_total, due_total,
                               open_alerts_level1, open_alerts_level2, open_alerts_level3,
                               approved_by, approved_at, awaiting_approval}'),
    ('v_pipeline',           '{status, orders, net_amount}'),
    ('v_daily_sales',        '{day, currency, orders_booked, booked_net, invoices, invoiced_net, invoiced_tax,
                               invoiced_total}'),
    ('v_fulfillment_times',  '{week, stage, orders, mean_hours, median_hours, p90_hours}'),
    ('v_on_time_delivery',   '{week, customer, delivered, on_time, on_time_rate}'),
    ('v_customer_history',   '{customer, name, email, credit_limit, blocked, orders, first_order_at,
                               last_order_at, open_orders, lifetime_value, balance_due, average_rating,
                               recency_days, frequency_last_year, segment, contacts, primary_contact,
                               last_interaction_at}'),
    ('v_monitor_dashboard',  '{level, rule_code, severity, open, acknowledged, oldest_age}'),
    ('v_feedback_summary',   '{customer, ratings, average_rating, negative, positive, last_rated_at}'),
    ('v_tickets',            '{ticket_id, order_id, customer, subject, priority, status, opened_at, due_at,
                               resolved_at, resolution, age, overdue}'),
    ('v_settings',           '{key, value, default_value, description}'),
    ('v_order_milestones',   '{order_id, customer_id, created_at, confirmed_at, promised_at, first_shipped_at,
                               last_shipped_at, delivered_at}'),
    ('v_customer_interactions', '{customer, occurred_at, kind, subject, notes, contact, order_id, recorded_by}'),
    ('v_sales_pipeline',     '{stage, opportunities, expected_value, weighted_value, currency, is_open, position}'),
    ('v_recommendations',    '{customer, sku, score, reason, rank}'),
    ('v_reorder_due',        '{customer, sku, usual_interval_days, last_ordered_at, due_at, orders, overdue_days}'),
    ('report_day_changes',   '{source, id, day, currency, status, orders, net_amount, invoices, invoiced_net,
                               invoiced_tax, invoiced_total}'),
    ('report_customer_changes', '{source, id, customer_id, orders, open_orders, order_at, month, invoiced_net,
                               credited_net, ratings, rating_sum, negative_ratings, positive_ratings, rated_at,
                               delivered, on_time}'),
    ('report_fulfillment_changes', '{source, id, week, stage, bucket, orders, seconds}'),
    ('report_fulfillment_weeks', '{week, stage, orders, mean_hours, median_hours, p90_hours}'),
    ('report_order_figures', '{order_id, status, created_at, promised_at, status_changed_at, confirmed_at, delivered_at,
                               first_shipped_at, last_shipped_at, net_amount, tax_amount, gross_amount, shipped_net,
                               invoiced_total, paid_total, due_total, open_alerts, open_alerts_level1,
                               open_alerts_level2, open_alerts_level3}'),
    ('v_my_orders',          '{order_id, status, created_at, promised_at, expected_delivery, carrier, tracking,
                               total, due, currency}'),
    ('v_customer_balance',   '{customer, currency, invoiced, paid, credited, unapplied, balance}'),
    ('v_purchase_orders',    '{po_id, supplier, warehouse, status, reference, created_at, expected_at, lines,
                               ordered_qty, received_qty, ordered_value, received_value, late}'),
    ('v_available_to_promise', '{sku, warehouse, on_hand, reserved, backordered, incoming, available_now,
                               available_to_promise, next_expected_at, total_on_hand, total_available}'),
    ('v_replenishment',      '{sku, warehouse, available_to_promise, reorder_point, suggested_qty, supplier,
                               lead_time_days, expected_if_ordered_now}'),
    ('v_backorders',         '{order_id, line_no, customer, sku, warehouse, backordered, promised_at,
                               expected_fill_at}');

SELECT columns_are('ordermgmt', view, cols, format('%I has exactly its columns', view))
  FROM view_columns ORDER BY view;

--------------------------------------------------------------------------
-- The columns the contract names, with exact numeric types for the
-- quantities and amounts
--------------------------------------------------------------------------
CREATE TEMP TABLE contract_view_columns (view name, col name, type text);
INSERT INTO contract_view_columns VALUES
    ('v_stock_availability', 'sku',             'text'),
    ('v_stock_availability', 'warehouse',       'text'),
    ('v_stock_availability', 'on_hand',         'numeric(18,4)'),
    ('v_stock_availability', 'reserved',        'numeric(18,4)'),
    ('v_stock_availability', 'available',       'numeric'),
    ('v_ar_aging',           'customer',        'text'),
    ('v_ar_aging',           'not_due',         'numeric'),
    ('v_ar_aging',           'overdue_1_30',    'numeric'),
    ('v_ar_aging',           'overdue_31_60',   'numeric'),
    ('v_ar_aging',           'overdue_61_90',   'numeric'),
    ('v_ar_aging',           'overdue_over_90', 'numeric'),
    ('v_ar_aging',           'total_due',       'numeric'),
    ('v_trial_balance',      'account_code',    'text'),
    ('v_trial_balance',      'debit',           'numeric'),
    ('v_trial_balance',      'credit',          'numeric'),
    ('v_trial_balance',      'balance',         'numeric'),
    ('v_profit_and_loss',    'period',          'date'),
    ('v_profit_and_loss',    'account_code',    'text'),
    ('v_profit_and_loss',    'account_name',    'text'),
    ('v_profit_and_loss',    'amount',          'numeric'),
    ('v_balance_sheet',      'account_type',    'text'),
    ('v_balance_sheet',      'account_code',    'text'),
    ('v_balance_sheet',      'account_name',    'text'),
    ('v_balance_sheet',      'balance',         'numeric'),
    ('v_my_orders',          'order_id',        'bigint'),
    ('v_my_orders',          'status',          'ordermgmt.order_status'),
    ('v_my_orders',          'created_at',      'timestamp with time zone'),
    ('v_my_orders',          'promised_at',     'timestamp with time zone'),
    ('v_my_orders',          'expected_delivery', 'timestamp with time zone'),
    ('v_my_orders',          'carrier',         'text'),
    ('v_my_orders',          'tracking',        'text'),
    ('v_my_orders',          'total',           'numeric'),
    ('v_my_orders',          'due',             'numeric'),
    ('v_sales_pipeline',     'stage',           'text'),
    ('v_sales_pipeline',     'opportunities',   'bigint'),
    ('v_sales_pipeline',     'expected_value',  'numeric'),
    ('v_sales_pipeline',     'weighted_value',  'numeric'),
    ('v_recommendations',    'customer',        'text'),
    ('v_recommendations',    'sku',             'text'),
    ('v_recommendations',    'score',           'bigint'),
    ('v_recommendations',    'reason',          'text'),
    ('v_reorder_due',        'customer',        'text'),
    ('v_reorder_due',        'sku',             'text'),
    ('v_reorder_due',        'usual_interval_days', 'numeric'),
    ('v_reorder_due',        'last_ordered_at', 'timestamp with time zone'),
    ('v_reorder_due',        'due_at',          'timestamp with time zone'),
    ('v_customer_balance',   'customer',        'text'),
    ('v_customer_balance',   'currency',        'text'),
    ('v_customer_balance',   'invoiced',        'numeric'),
    ('v_customer_balance',   'paid',            'numeric'),
    ('v_customer_balance',   'credited',        'numeric'),
    ('v_customer_balance',   'unapplied',       'numeric'),
    ('v_customer_balance',   'balance',         'numeric');

SELECT col_type_is('ordermgmt', view, col, type, format('%I.%I is %s', view, col, type))
  FROM contract_view_columns ORDER BY view, col;

--------------------------------------------------------------------------
-- Every view column says what it is: a comment on each, naming the time
-- zone of every timestamp and date and the currency of every amount of a
-- view with a currency column
--------------------------------------------------------------------------
CREATE TEMP VIEW view_column_comments AS
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type,
       col_description(c.oid, a.attnum) AS comment,
       EXISTS (SELECT 1 FROM pg_catalog.pg_attribute b WHERE b.attrelid = c.oid AND b.attname = 'currency') AS has_currency
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind = 'v';
SELECT is_empty($$ SELECT relname, attname FROM view_column_comments WHERE comment IS NULL $$,
                'every view column has a comment');
SELECT is_empty($$ SELECT relname, attname FROM view_column_comments
                    WHERE type = 'timestamp with time zone' AND comment NOT LIKE '%time zone%' $$,
                'every timestamp column''s comment names its time zone');
SELECT is_empty($$ SELECT relname, attname FROM view_column_comments
                    WHERE type = 'date' AND comment NOT LIKE '%UTC%' $$,
                'every date column''s comment says it is a UTC day, week or month');
SELECT is_empty($$ SELECT relname, attname FROM view_column_comments
                    WHERE has_currency AND type LIKE 'numeric%' AND comment NOT LIKE '%currenc%'
                      AND attname NOT LIKE '%qty%' $$,
                'every amount of a view with a currency column names its currency');

--------------------------------------------------------------------------
-- Read-only: no view accepts INSERT, UPDATE or DELETE
--------------------------------------------------------------------------
SELECT is_empty($$
    SELECT c.relname
      FROM pg_catalog.pg_class c
     WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind = 'v'
       AND pg_catalog.pg_relation_is_updatable(c.oid, true) <> 0
$$, 'no view of the schema is updatable');

--------------------------------------------------------------------------
-- A BI login (ordermgmt_reader, no table rights) can run every view: the
-- views read the tables with their owner's rights, and every function they
-- call is granted to readers.  v_my_orders is the customers' and runs with
-- the caller's rights, as the only security_invoker view.
--------------------------------------------------------------------------
GRANT SELECT ON view_columns TO ordermgmt_reader;   -- this file's list of views
SET LOCAL ROLE ordermgmt_reader;
SELECT lives_ok(format('SELECT * FROM ordermgmt.%I', view), format('ordermgmt_reader can read %I', view))
  FROM view_columns WHERE view <> 'v_my_orders' ORDER BY view;
RESET ROLE;
SET LOCAL ROLE ordermgmt_customer;
SELECT lives_ok('SELECT * FROM ordermgmt.v_my_orders', 'ordermgmt_customer can read v_my_orders');
RESET ROLE;
SELECT is(ARRAY(SELECT c.relname::text FROM pg_catalog.pg_class c
                 WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind = 'v'
                   AND 'security_invoker=true' = ANY (c.reloptions)),
          ARRAY['v_my_orders'], 'v_my_orders is the only security_invoker view');

SELECT * FROM finish();
ROLLBACK;
