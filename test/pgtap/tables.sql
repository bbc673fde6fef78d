-- Tables of the public contract: the exact list of tables and sequences in
-- schema ordermgmt, the columns the contract names with their types,
-- nullability and defaults, the keys, and pg_dump keeping every row.
BEGIN;
SELECT plan(556);

--------------------------------------------------------------------------
-- The extension: schema ordermgmt, not relocatable
--------------------------------------------------------------------------
SELECT has_extension('ordermgmt'::name, 'ordermgmt'::name, 'extension ordermgmt is installed in schema ordermgmt');
SELECT is((SELECT extrelocatable FROM pg_catalog.pg_extension WHERE extname = 'ordermgmt'), false,
          'extension ordermgmt is not relocatable');

--------------------------------------------------------------------------
-- Exactly these tables and sequences: a new or dropped one fails here
--------------------------------------------------------------------------
SELECT tables_are('ordermgmt', ARRAY[
    -- master data and configuration
    'customers', 'products', 'warehouses', 'settings', 'order_transitions',
    'customer_contacts', 'customer_interactions',
    -- orders and their history
    'orders', 'order_lines', 'order_status_history', 'order_amendments',
    -- stock
    'stock', 'stock_moves', 'reservations',
    -- fulfilment and billing documents
    'shipments', 'shipment_lines', 'invoices', 'invoice_lines', 'payments',
    'returns', 'return_lines', 'credit_applications',
    -- each customer's credit exposure, kept per currency
    'customer_exposure',
    -- customer payments: receipts and refunds, their allocations, unapplied credit
    'customer_payments', 'payment_allocations', 'customer_credit',
    -- ledger
    'accounts', 'posting_accounts', 'journal_entries', 'postings',
    'ledger_totals', 'ledger_rollup', 'ledger_month_totals', 'ledger_closes', 'exchange_rates',
    -- monitoring, after-sales, reporting summaries
    'monitor_rules', 'alerts', 'deadlines', 'feedback', 'tickets', 'delivery_weeks',
    -- approvals
    'approval_rules', 'order_approvals',
    'order_day_totals', 'invoice_day_totals', 'customer_totals', 'customer_months', 'report_rollup',
    'fulfillment_histogram', 'fulfillment_weeks', 'delivery_changes', 'delivery_week_totals', 'order_figures',
    -- events, the NOTIFY relay, what purge_history removed
    'events', 'relay_state', 'purge_horizon',
    -- customer logins (row-level security)
    'customer_logins',
    -- the sales pipeline
    'opportunity_stages', 'opportunities',
    -- notices to customers
    'notification_templates', 'notifications',
    -- price lists
    'price_lists', 'price_list_items',
    -- purchasing
    'suppliers', 'purchase_transitions', 'purchase_orders', 'purchase_lines',
    'purchase_receipts', 'purchase_receipt_lines'
]::name[], 'schema ordermgmt has exactly the tables of the contract and the project');

SELECT sequences_are('ordermgmt', ARRAY[
    'accounts_account_id_seq', 'alerts_alert_id_seq', 'approval_rules_rule_id_seq', 'customer_contacts_contact_id_seq',
    'customer_interactions_interaction_id_seq', 'customers_customer_id_seq', 'delivery_changes_change_id_seq',
    'events_event_id_seq',
    'feedback_feedback_id_seq', 'notifications_notification_id_seq', 'invoices_invoice_id_seq', 'journal_entries_entry_id_seq',
    'order_status_history_history_id_seq', 'orders_order_id_seq', 'payments_payment_id_seq',
    'postings_posting_id_seq', 'products_product_id_seq', 'returns_return_id_seq',
    'shipments_shipment_id_seq', 'stock_moves_move_id_seq', 'stock_stock_id_seq',
    'tickets_ticket_id_seq', 'warehouses_warehouse_id_seq', 'opportunities_opportunity_id_seq',
    'price_lists_price_list_id_seq',
    'ledger_closes_close_id_seq', 'customer_payments_customer_payment_id_seq',
    'suppliers_supplier_id_seq', 'purchase_orders_po_id_seq', 'purchase_receipts_receipt_id_seq'
]::name[], 'schema ordermgmt has exactly the sequences behind the identity columns');

--------------------------------------------------------------------------
-- Order statuses: exactly the contract's ten, in lifecycle order
--------------------------------------------------------------------------
SELECT enum_has_labels('ordermgmt', 'order_status', ARRAY[
    'draft', 'pending', 'on_hold', 'confirmed', 'processing',
    'partially_shipped', 'shipped', 'delivered', 'completed', 'cancelled'
]::name[], 'order_status has the ten statuses of the contract');

--------------------------------------------------------------------------
-- The columns the contract names: each exists, has its type, and is NOT
-- NULL or nullable as stated (nullable = true: NULL has a meaning there)
--------------------------------------------------------------------------
CREATE TEMP TABLE contract_columns (tbl name, col name, type text, nullable boolean);
INSERT INTO contract_columns VALUES
    ('customers',       'customer_id',     'bigint',                   false),
    ('customers',       'code',            'text',                     false),
    ('customers',       'name',            'text',                     false),
    ('customers',       'email',           'text',                     true),
    ('customers',       'credit_limit',    'numeric(18,2)',            true),   -- NULL: no limit
    ('customers',       'blocked',         'boolean',                  false),
    ('customers',       'price_list_id',   'bigint',                   true),   -- NULL: list_price
    ('products',        'product_id',      'bigint',                   false),
    ('products',        'sku',             'text',                     false),
    ('products',        'name',            'text',                     false),
    ('products',        'list_price',      'numeric(18,4)',            false),
    ('products',        'unit_cost',       'numeric(18,4)',            true),
    ('products',        'tax_rate',        'numeric(7,6)',             false),
    ('products',        'reorder_point',   'numeric(18,4)',            false),
    ('products',        'active',          'boolean',                  false),
    ('warehouses',      'warehouse_id',    'bigint',                   false),
    ('warehouses',      'code',            'text',                     false),
    ('warehouses',      'name',            'text',                     false),
    ('warehouses',      'priority',        'integer',                  false),  -- sourcing order of split orders
    ('orders',          'order_id',        'bigint',                   false),
    ('orders',          'customer_id',     'bigint',                   false),
    ('orders',          'status',          'ordermgmt.order_status',   false),
    ('orders',          'hold_reason',     'text',                     true),   -- set only while on_hold
    ('orders',          'created_at',      'timestamp with time zone', false),
    ('orders',          'promised_at',     'timestamp with time zone', true),
    ('orders',          'valid_until',     'timestamp with time zone', true),   -- a quotation's validity
    ('orders',          'sourcing',        'text',                     false),  -- single or split
    ('order_lines',     'order_id',        'bigint',                   false),
    ('order_lines',     'product_id',      'bigint',                   false),
    ('order_lines',     'qty',             'numeric(18,4)',            false),
    ('order_lines',     'unit_price',      'numeric(18,4)',            false),
    ('order_lines',     'tax_rate',        'numeric(7,6)',             true),   -- NULL while a draft
    ('order_lines',     'expected_price',  'numeric(18,4)',            true),   -- NULL: entered before 0.6.0
    ('stock',           'product_id',      'bigint',                   false),
    ('stock',           'warehouse_id',    'bigint',                   false),
    ('stock',           'on_hand',         'numeric(18,4)',            false),
    ('stock',           'reserved',        'numeric(18,4)',            false),
    ('stock_moves',     'move_id',         'bigint',                   false),
    ('stock_moves',     'product_id',      'bigint',                   false),
    ('stock_moves',     'warehouse_id',    'bigint',                   false),
    ('stock_moves',     'qty',             'numeric(18,4)',            false),  -- signed
    ('shipments',       'shipment_id',     'bigint',                   false),
    ('shipments',       'order_id',        'bigint',                   false),
    ('shipments',       'shipped_at',      'timestamp with time zone', false),
    ('shipments',       'delivered_at',    'timestamp with time zone', true),
    ('invoices',        'invoice_id',      'bigint',                   false),
    ('invoices',        'order_id',        'bigint',                   false),
    ('invoices',        'total',           'numeric(18,2)',            false),
    ('invoices',        'due_at',          'timestamp with time zone', false),
    ('customer_exposure', 'customer_id',   'bigint',                   false),
    ('customer_exposure', 'currency',      'character(3)',             false),
    ('customer_exposure', 'open_orders',   'numeric',                  false),  -- unrounded
    ('customer_exposure', 'receivables',   'numeric',                  false),
    ('payments',        'payment_id',      'bigint',                   false),
    ('payments',        'invoice_id',      'bigint',                   false),
    ('payments',        'amount',          'numeric(18,2)',            false),
    ('accounts',        'account_id',      'bigint',                   false),
    ('customer_logins', 'role_name',       'regrole',                  false),
    ('customer_logins', 'customer_id',     'bigint',                   false),
    ('accounts',        'code',            'text',                     false),
    ('accounts',        'name',            'text',                     false),
    ('accounts',        'type',            'text',                     false),
    ('journal_entries', 'entry_id',        'bigint',                   false),
    ('postings',        'entry_id',        'bigint',                   false),
    ('postings',        'account_id',      'bigint',                   false),
    ('postings',        'debit',           'numeric(18,2)',            false),
    ('postings',        'credit',          'numeric(18,2)',            false),
    ('monitor_rules',   'rule_code',       'text',                     false),
    ('monitor_rules',   'level',           'smallint',                 false),
    ('monitor_rules',   'severity',        'text',                     false),
    ('monitor_rules',   'enabled',         'boolean',                  false),
    ('monitor_rules',   'thresholds',      'jsonb',                    false),
    ('alerts',          'alert_id',        'bigint',                   false),
    ('alerts',          'rule_code',       'text',                     false),
    ('alerts',          'level',           'smallint',                 false),
    ('alerts',          'severity',        'text',                     false),
    ('alerts',          'order_id',        'bigint',                   true),   -- or another subject
    ('alerts',          'status',          'text',                     false),
    ('alerts',          'details',         'jsonb',                    false),
    ('alerts',          'raised_at',       'timestamp with time zone', false),
    ('alerts',          'acknowledged_at', 'timestamp with time zone', true),
    ('alerts',          'resolved_at',     'timestamp with time zone', true),
    ('events',          'event_id',        'bigint',                   false),
    ('events',          'occurred_at',     'timestamp with time zone', false),
    ('events',          'kind',            'text',                     false),
    ('events',          'order_id',        'bigint',                   true),
    ('events',          'payload',         'jsonb',                    false),
    ('opportunities',   'opportunity_id',  'bigint',                   false),
    ('opportunities',   'customer_id',     'bigint',                   false),
    ('opportunities',   'title',           'text',                     false),
    ('opportunities',   'stage',           'text',                     false),
    ('opportunities',   'expected_value',  'numeric(18,2)',            false),
    ('opportunities',   'probability',     'numeric(5,4)',             false),  -- a fraction, 0 to 1
    ('opportunities',   'expected_close',  'date',                     true),
    ('opportunities',   'order_id',        'bigint',                   true),   -- the quotation, once quoted
    ('notification_templates', 'kind',     'text',                     false),
    ('notification_templates', 'channel',  'text',                     false),
    ('notification_templates', 'subject',  'text',                     false),
    ('notification_templates', 'body',     'text',                     false),
    ('notification_templates', 'enabled',  'boolean',                  false),
    ('notifications',   'notification_id', 'bigint',                   false),
    ('notifications',   'event_id',        'bigint',                   false),
    ('notifications',   'customer_id',     'bigint',                   false),
    ('notifications',   'recipient',       'text',                     true),   -- NULL: none (failed)
    ('notifications',   'channel',         'text',                     false),
    ('notifications',   'subject',         'text',                     false),
    ('notifications',   'body',            'text',                     false),
    ('notifications',   'status',          'text',                     false),
    ('notifications',   'attempts',        'integer',                  false),
    ('notifications',   'next_attempt_at', 'timestamp with time zone', false),
    ('notifications',   'last_error',      'text',                     true),
    ('price_lists',     'price_list_id',   'bigint',                   false),
    ('price_lists',     'code',            'text',                     false),
    ('price_lists',     'currency',        'character(3)',             false),
    ('price_lists',     'valid_from',      'timestamp with time zone', true),   -- NULL: since always
    ('price_lists',     'valid_to',        'timestamp with time zone', true),   -- NULL: for ever
    ('price_list_items', 'price_list_id',  'bigint',                   false),
    ('price_list_items', 'product_id',     'bigint',                   false),
    ('price_list_items', 'min_qty',        'numeric(18,4)',            false),
    ('price_list_items', 'unit_price',     'numeric(18,4)',            false),
    ('ledger_closes',   'closed_through',  'date',                     false),
    ('ledger_closes',   'closed_by',       'text',                     false),
    ('ledger_closes',   'closed_at',       'timestamp with time zone', false),
    ('return_lines',    'tax_rate',        'numeric(7,6)',             false),
    ('exchange_rates',  'currency',        'character(3)',             false),
    ('exchange_rates',  'valid_from',      'date',                     false),
    ('exchange_rates',  'rate',            'numeric(18,10)',           false),
    ('customers',       'credit_currency', 'character(3)',             true),   -- NULL: the company currency
    ('invoices',        'company_rate',    'numeric(18,10)',           false),
    ('postings',        'company_debit',   'numeric(18,2)',            false),
    ('postings',        'company_credit',  'numeric(18,2)',            false),
    ('order_lines',     'reserved_qty',    'numeric(18,4)',            false),
    ('order_lines',     'backordered_qty', 'numeric(18,4)',            false),
    ('orders',          'allocation',      'text',                     false),
    ('customers',       'allocation',      'text',                     true),   -- NULL: complete
    ('suppliers',       'supplier_id',     'bigint',                   false),
    ('suppliers',       'code',            'text',                     false),
    ('suppliers',       'name',            'text',                     false),
    ('suppliers',       'email',           'text',                     true),
    ('suppliers',       'lead_time_days',  'integer',                  false),
    ('purchase_orders', 'po_id',           'bigint',                   false),
    ('purchase_orders', 'supplier_id',     'bigint',                   false),
    ('purchase_orders', 'warehouse_id',    'bigint',                   false),
    ('purchase_orders', 'status',          'text',                     false),
    ('purchase_orders', 'expected_at',     'timestamp with time zone', false),
    ('purchase_orders', 'reference',       'text',                     true),   -- NULL: no idempotency key
    ('purchase_orders', 'cancel_reason',   'text',                     true),   -- set exactly when cancelled
    ('purchase_lines',  'po_id',           'bigint',                   false),
    ('purchase_lines',  'line_no',         'integer',                  false),
    ('purchase_lines',  'product_id',      'bigint',                   false),
    ('purchase_lines',  'qty',             'numeric(18,4)',            false),
    ('purchase_lines',  'received_qty',    'numeric(18,4)',            false),
    ('purchase_lines',  'unit_cost',       'numeric(18,4)',            false),
    ('order_amendments', 'order_id',       'bigint',                   false),
    ('order_amendments', 'revision',       'integer',                  false),
    ('order_amendments', 'amended_at',     'timestamp with time zone', false),
    ('order_amendments', 'amended_by',     'text',                     false),
    ('order_amendments', 'lines_before',   'jsonb',                    false),
    ('order_amendments', 'lines_after',    'jsonb',                    false);

SELECT has_column('ordermgmt', tbl, col, format('%I.%I exists', tbl, col))
  FROM contract_columns ORDER BY tbl, col;
SELECT col_type_is('ordermgmt', tbl, col, type, format('%I.%I is %s', tbl, col, type))
  FROM contract_columns ORDER BY tbl, col;
SELECT CASE WHEN nullable
            THEN col_is_null('ordermgmt', tbl, col, format('%I.%I is nullable', tbl, col))
            ELSE col_not_null('ordermgmt', tbl, col, format('%I.%I is NOT NULL', tbl, col))
       END
  FROM contract_columns ORDER BY tbl, col;

-- The defaults the contract states
SELECT col_default_is('ordermgmt', 'customers', 'blocked', 'false'::text, 'customers.blocked defaults to false');
SELECT col_default_is('ordermgmt', 'products', 'tax_rate', '0'::text, 'products.tax_rate defaults to 0');
SELECT col_default_is('ordermgmt', 'products', 'reorder_point', '0'::text, 'products.reorder_point defaults to 0');
SELECT col_default_is('ordermgmt', 'products', 'active', 'true'::text, 'products.active defaults to true');
SELECT col_default_is('ordermgmt', 'notification_templates', 'enabled', 'false'::text,
                      'notification_templates.enabled defaults to false');
SELECT col_default_is('ordermgmt', 'notifications', 'status', 'queued'::text,
                      'notifications.status defaults to queued');
SELECT col_default_is('ordermgmt', 'customer_exposure', 'open_orders', '0'::text,
                      'customer_exposure.open_orders defaults to 0');
SELECT col_default_is('ordermgmt', 'customer_exposure', 'receivables', '0'::text,
                      'customer_exposure.receivables defaults to 0');

-- Quantities and money use exact types: no floating point anywhere
SELECT is_empty($$
    SELECT c.relname, a.attname
      FROM pg_catalog.pg_attribute a
      JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
     WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind IN ('r', 'v')
       AND a.attnum > 0 AND NOT a.attisdropped
       AND a.atttypid IN ('real'::regtype, 'double precision'::regtype)
$$, 'no table or view column of the schema is floating point');

--------------------------------------------------------------------------
-- Keys: primary keys, the unique business codes, the core foreign keys
--------------------------------------------------------------------------
SELECT col_is_pk('ordermgmt', 'customers', ARRAY['customer_id']::name[], 'customers: primary key customer_id');
SELECT col_is_pk('ordermgmt', 'products', ARRAY['product_id']::name[], 'products: primary key product_id');
SELECT col_is_pk('ordermgmt', 'warehouses', ARRAY['warehouse_id']::name[], 'warehouses: primary key warehouse_id');
SELECT col_is_pk('ordermgmt', 'orders', ARRAY['order_id']::name[], 'orders: primary key order_id');
SELECT col_is_pk('ordermgmt', 'order_lines', ARRAY['order_id', 'line_no']::name[], 'order_lines: primary key (order_id, line_no)');
SELECT col_is_pk('ordermgmt', 'stock', ARRAY['product_id', 'warehouse_id']::name[],
                 'stock: one row per (product_id, warehouse_id)');
SELECT col_is_pk('ordermgmt', 'stock_moves', ARRAY['move_id']::name[], 'stock_moves: primary key move_id');
SELECT col_is_pk('ordermgmt', 'reservations', ARRAY['order_id', 'line_no', 'warehouse_id']::name[],
                 'reservations: primary key (order_id, line_no, warehouse_id): a split order''s line holds stock in several warehouses');
SELECT col_is_pk('ordermgmt', 'shipments', ARRAY['shipment_id']::name[], 'shipments: primary key shipment_id');
SELECT col_is_pk('ordermgmt', 'invoices', ARRAY['invoice_id']::name[], 'invoices: primary key invoice_id');
SELECT col_is_pk('ordermgmt', 'customer_logins', ARRAY['role_name', 'customer_id']::name[],
                 'customer_logins: primary key (role_name, customer_id)');
SELECT col_is_pk('ordermgmt', 'payments', ARRAY['payment_id']::name[], 'payments: primary key payment_id');
SELECT col_is_pk('ordermgmt', 'accounts', ARRAY['account_id']::name[], 'accounts: primary key account_id');
SELECT col_is_pk('ordermgmt', 'journal_entries', ARRAY['entry_id']::name[], 'journal_entries: primary key entry_id');
SELECT col_is_pk('ordermgmt', 'postings', ARRAY['posting_id']::name[], 'postings: primary key posting_id');
SELECT col_is_pk('ordermgmt', 'monitor_rules', ARRAY['rule_code']::name[], 'monitor_rules: primary key rule_code');
SELECT col_is_pk('ordermgmt', 'alerts', ARRAY['alert_id']::name[], 'alerts: primary key alert_id');
SELECT col_is_pk('ordermgmt', 'events', ARRAY['event_id']::name[], 'events: primary key event_id');
SELECT col_is_pk('ordermgmt', 'notification_templates', ARRAY['kind', 'channel']::name[],
                 'notification_templates: one per (kind, channel)');
SELECT col_is_pk('ordermgmt', 'notifications', ARRAY['notification_id']::name[],
                 'notifications: primary key notification_id');
SELECT col_is_pk('ordermgmt', 'customer_exposure', ARRAY['customer_id', 'currency']::name[],
                 'customer_exposure: one row per (customer_id, currency)');
SELECT col_is_pk('ordermgmt', 'order_amendments', ARRAY['order_id', 'revision']::name[],
                 'order_amendments: one row per (order_id, revision)');

SELECT col_is_pk('ordermgmt', 'customer_payments', ARRAY['customer_payment_id']::name[],
                 'customer_payments: primary key customer_payment_id');
SELECT col_is_unique('ordermgmt', 'customer_payments', ARRAY['customer_id', 'reference']::name[],
                     'customer_payments: a reference is unique per customer');
SELECT col_is_pk('ordermgmt', 'payment_allocations', ARRAY['payment_id']::name[],
                 'payment_allocations: one per payments row');
SELECT col_is_pk('ordermgmt', 'customer_credit', ARRAY['customer_id', 'currency']::name[],
                 'customer_credit: one row per (customer_id, currency)');
SELECT col_is_unique('ordermgmt', 'customers', ARRAY['code']::name[], 'customers.code is unique');
SELECT col_is_unique('ordermgmt', 'products', ARRAY['sku']::name[], 'products.sku is unique');
SELECT col_is_unique('ordermgmt', 'warehouses', ARRAY['code']::name[], 'warehouses.code is unique');
SELECT col_is_unique('ordermgmt', 'accounts', ARRAY['code']::name[], 'accounts.code is unique');
SELECT col_is_pk('ordermgmt', 'price_lists', ARRAY['price_list_id']::name[], 'price_lists: primary key price_list_id');
SELECT col_is_unique('ordermgmt', 'price_lists', ARRAY['code']::name[], 'price_lists.code is unique');

SELECT fk_ok('ordermgmt', 'orders', ARRAY['customer_id']::name[], 'ordermgmt', 'customers', ARRAY['customer_id']::name[],
             'orders.customer_id references customers');
SELECT fk_ok('ordermgmt', 'order_lines', ARRAY['order_id']::name[], 'ordermgmt', 'orders', ARRAY['order_id']::name[],
             'order_lines.order_id references orders');
SELECT fk_ok('ordermgmt', 'order_lines', ARRAY['product_id']::name[], 'ordermgmt', 'products', ARRAY['product_id']::name[],
             'order_lines.product_id references products');
SELECT fk_ok('ordermgmt', 'stock', ARRAY['product_id']::name[], 'ordermgmt', 'products', ARRAY['product_id']::name[],
             'stock.product_id references products');
SELECT fk_ok('ordermgmt', 'stock', ARRAY['warehouse_id']::name[], 'ordermgmt', 'warehouses', ARRAY['warehouse_id']::name[],
             'stock.warehouse_id references warehouses');
SELECT fk_ok('ordermgmt', 'shipments', ARRAY['order_id']::name[], 'ordermgmt', 'orders', ARRAY['order_id']::name[],
             'shipments.order_id references orders');
SELECT fk_ok('ordermgmt', 'invoices', ARRAY['order_id']::name[], 'ordermgmt', 'orders', ARRAY['order_id']::name[],
             'invoices.order_id references orders');
SELECT fk_ok('ordermgmt', 'payments', ARRAY['invoice_id']::name[], 'ordermgmt', 'invoices', ARRAY['invoice_id']::name[],
             'payments.invoice_id references invoices');
SELECT fk_ok('ordermgmt', 'postings', ARRAY['entry_id']::name[], 'ordermgmt', 'journal_entries', ARRAY['entry_id']::name[],
             'postings.entry_id references journal_entries');
SELECT fk_ok('ordermgmt', 'postings', ARRAY['account_id']::name[], 'ordermgmt', 'accounts', ARRAY['account_id']::name[],
             'postings.account_id references accounts');
SELECT fk_ok('ordermgmt', 'alerts', ARRAY['rule_code']::name[], 'ordermgmt', 'monitor_rules', ARRAY['rule_code']::name[],
             'alerts.rule_code references monitor_rules');
SELECT fk_ok('ordermgmt', 'customer_exposure', ARRAY['customer_id']::name[], 'ordermgmt', 'customers',
             ARRAY['customer_id']::name[], 'customer_exposure.customer_id references customers');

SELECT fk_ok('ordermgmt', 'opportunities', ARRAY['customer_id']::name[], 'ordermgmt', 'customers',
             ARRAY['customer_id']::name[], 'opportunities.customer_id references customers');
SELECT fk_ok('ordermgmt', 'opportunities', ARRAY['order_id']::name[], 'ordermgmt', 'orders',
             ARRAY['order_id']::name[], 'opportunities.order_id references orders');
SELECT fk_ok('ordermgmt', 'customers', ARRAY['price_list_id']::name[], 'ordermgmt', 'price_lists',
             ARRAY['price_list_id']::name[], 'customers.price_list_id references price_lists');
SELECT fk_ok('ordermgmt', 'price_list_items', ARRAY['price_list_id']::name[], 'ordermgmt', 'price_lists',
             ARRAY['price_list_id']::name[], 'price_list_items.price_list_id references price_lists');
SELECT fk_ok('ordermgmt', 'price_list_items', ARRAY['product_id']::name[], 'ordermgmt', 'products',
             ARRAY['product_id']::name[], 'price_list_items.product_id references products');
-- Overlapping validity of one list's items is refused by a constraint: an
-- exclusion constraint, over the list, the product, the break and the validity
SELECT is((SELECT pg_catalog.pg_get_constraintdef(c.oid) FROM pg_catalog.pg_constraint c
            WHERE c.conrelid = 'ordermgmt.price_list_items'::regclass AND c.contype = 'x'),
          'EXCLUDE USING gist (int8range(price_list_id, price_list_id, ''[]''::text) WITH =, '
          'int8range(product_id, product_id, ''[]''::text) WITH =, numrange(min_qty, min_qty, ''[]''::text) WITH =, '
          'tstzrange(valid_from, valid_to) WITH &&)',
          'price_list_items refuses two items of one list, product and break in force at once');

SELECT col_is_pk('ordermgmt', 'suppliers', ARRAY['supplier_id']::name[], 'suppliers: primary key supplier_id');
SELECT col_is_unique('ordermgmt', 'suppliers', ARRAY['code']::name[], 'suppliers.code is unique');
SELECT col_is_pk('ordermgmt', 'purchase_orders', ARRAY['po_id']::name[], 'purchase_orders: primary key po_id');
SELECT col_is_unique('ordermgmt', 'purchase_orders', ARRAY['supplier_id', 'reference']::name[],
                     'purchase_orders.reference is unique per supplier');
SELECT col_is_pk('ordermgmt', 'purchase_lines', ARRAY['po_id', 'line_no']::name[],
                 'purchase_lines: primary key (po_id, line_no)');
SELECT col_is_pk('ordermgmt', 'purchase_transitions', ARRAY['from_status', 'to_status']::name[],
                 'purchase_transitions: primary key (from_status, to_status)');
SELECT fk_ok('ordermgmt', 'purchase_orders', ARRAY['supplier_id']::name[], 'ordermgmt', 'suppliers',
             ARRAY['supplier_id']::name[], 'purchase_orders.supplier_id references suppliers');
SELECT fk_ok('ordermgmt', 'purchase_orders', ARRAY['warehouse_id']::name[], 'ordermgmt', 'warehouses',
             ARRAY['warehouse_id']::name[], 'purchase_orders.warehouse_id references warehouses');
SELECT fk_ok('ordermgmt', 'purchase_lines', ARRAY['po_id']::name[], 'ordermgmt', 'purchase_orders',
             ARRAY['po_id']::name[], 'purchase_lines.po_id references purchase_orders');
SELECT fk_ok('ordermgmt', 'purchase_lines', ARRAY['product_id']::name[], 'ordermgmt', 'products',
             ARRAY['product_id']::name[], 'purchase_lines.product_id references products');
SELECT fk_ok('ordermgmt', 'purchase_receipt_lines', ARRAY['move_id']::name[], 'ordermgmt', 'stock_moves',
             ARRAY['move_id']::name[], 'purchase_receipt_lines.move_id references stock_moves');
-- 0 <= received_qty <= qty is a constraint of the purchase line itself
SELECT col_has_check('ordermgmt', 'purchase_lines', ARRAY['received_qty', 'qty']::name[],
                     'purchase_lines has a check constraint over received_qty and qty');

-- 0 <= reserved <= on_hand is a constraint of the stock row itself (the
-- columns in the order the constraint names them)
SELECT col_has_check('ordermgmt', 'stock', ARRAY['reserved', 'on_hand']::name[],
                     'stock has a check constraint over on_hand and reserved');

--------------------------------------------------------------------------
-- A foreign key to the rows the business deletes (a draft order, an order
-- line removed by amend_order) is served by an index whose leading columns
-- are the key's: the check on delete reads the row's own references, not
-- the history of every order
--------------------------------------------------------------------------
SELECT is_empty($$
    SELECT c.conname
      FROM pg_catalog.pg_constraint c
     WHERE c.contype = 'f' AND c.connamespace = 'ordermgmt'::regnamespace
       AND c.confrelid IN ('ordermgmt.orders'::regclass, 'ordermgmt.order_lines'::regclass)
       AND NOT EXISTS (
             SELECT 1 FROM pg_catalog.pg_index i
              WHERE i.indrelid = c.conrelid
                AND (i.indkey::int2[])[0:pg_catalog.array_length(c.conkey, 1) - 1] @> c.conkey
                AND (i.indkey::int2[])[0:pg_catalog.array_length(c.conkey, 1) - 1] <@ c.conkey)
$$, 'every foreign key to orders or order_lines is the leading columns of an index');

--------------------------------------------------------------------------
-- pg_dump keeps every row: every table and every sequence of the schema
-- is marked with pg_extension_config_dump
--------------------------------------------------------------------------
SELECT is_empty($$
    SELECT c.relname
      FROM pg_catalog.pg_class c, pg_catalog.pg_extension e
     WHERE e.extname = 'ordermgmt'
       AND c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind IN ('r', 'p', 'S')
       AND NOT c.oid = ANY (coalesce(e.extconfig, '{}'))
$$, 'every table and sequence of the schema is dumped with its rows');

SELECT * FROM finish();
ROLLBACK;
