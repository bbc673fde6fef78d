-- Test code for test/shell/hostile_input.sh (not part of the extension):
-- a small realistic data set, the value pools, one argument generator per
-- argument of every API function, and the driver that makes one call.
--
-- Run by a superuser in a database where ordermgmt is installed.  The calls
-- themselves are made by hostile.call(), which is SECURITY INVOKER: it runs
-- as the login role of the session that calls it (a member of
-- ordermgmt_app or ordermgmt_admin), never as the superuser.
SET client_min_messages = warning;

--------------------------------------------------------------------------
-- Data set, built through the API: two warehouses, a blocked customer and
-- one with a credit limit, an inactive product, stock, and orders in every
-- status with their shipments, invoices, payments, returns, feedback,
-- tickets and alerts.
--------------------------------------------------------------------------
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main warehouse'), ('EAST', 'East depot');
INSERT INTO ordermgmt.settings (key, value) VALUES ('default_warehouse', 'MAIN');
INSERT INTO ordermgmt.customers (code, name, email, credit_limit, blocked) VALUES
    ('ACME', 'Acme Retail', 'buyer@acme.example', NULL, false),
    ('LIMITED', 'Careful Ltd', 'ap@careful.example', 500, false),
    ('BLOCKED', 'Bad Payer Inc', NULL, NULL, true),
    ('ÜNÏ-😀', 'Ünïcödé GmbH ✓', 'info@xn--nicd-0ra.example', 100000, false);
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate, reorder_point, active) VALUES
    ('P1', 'Office chair', 149, 80, 0.2, 0, true),
    ('P2', 'Desk', 320.5, 150, 0.2, 0, true),
    ('P3', 'Lamp', 19.99, 7.5, 0.07, 950, true),
    ('P4', 'Cable', 2.5, 0.4, 0, 0, true),
    ('SKU-ß-✓', 'Ünïcödé widget', 10, 4, 0.1, 0, true),
    ('OLD', 'Discontinued stool', 30, 12, 0.2, 0, false);
-- A price list with quantity breaks, one item for a limited time, for
-- the customer with the odd name (its orders then take the list's prices).
INSERT INTO ordermgmt.price_lists (code, currency) VALUES ('UNI-EUR', 'EUR');
INSERT INTO ordermgmt.price_list_items (price_list_id, product_id, min_qty, unit_price, valid_from, valid_to)
SELECT l.price_list_id, p.product_id, b.min_qty, b.price, b.valid_from, b.valid_to
  FROM ordermgmt.price_lists l, ordermgmt.products p
  JOIN (VALUES ('SKU-ß-✓', 1, 9, NULL::timestamptz, NULL::timestamptz), ('SKU-ß-✓', 10, 8, NULL, NULL),
               ('P4', 1, 2.25, now() - interval '1 day', now() + interval '30 days')) AS b(sku, min_qty, price, valid_from, valid_to)
    ON b.sku = p.sku
 WHERE l.code = 'UNI-EUR';
UPDATE ordermgmt.customers SET price_list_id = (SELECT price_list_id FROM ordermgmt.price_lists)
 WHERE code = 'ÜNÏ-😀';
-- Every notice to customers on: each event that causes one renders it
-- from this data (a customer without an address included).
UPDATE ordermgmt.notification_templates SET enabled = true;
SELECT count(ordermgmt.receive_stock(sku, 'MAIN', 1000, unit_cost)) AS stocked
  FROM ordermgmt.products;
SELECT ordermgmt.receive_stock('P1', 'EAST', 5);
-- Suppliers, and purchase orders ordered, received in part and drafted.
INSERT INTO ordermgmt.suppliers (code, name, email, lead_time_days) VALUES
    ('ACME-SUP', 'Acme Supply', 'sales@supply.example', 5), ('FAST-SUP', 'Fast Parts ✓', NULL, 0);
SELECT ordermgmt.create_purchase_order('ACME-SUP', 'MAIN', '[{"sku": "P1", "qty": 10}, {"sku": "P3", "qty": 50}]') > 0 AS ordered;
SELECT ordermgmt.receive_purchase(ordermgmt.create_purchase_order('FAST-SUP', 'EAST',
           '[{"sku": "P2", "qty": 4}, {"sku": "P4", "qty": 100, "unit_cost": 0.5}]'),
       '[{"sku": "P4", "qty": 40}]') > 0 AS received_in_part;
SELECT ordermgmt.create_purchase_order('ACME-SUP', 'MAIN', '[{"sku": "P2", "qty": 1}]', '{"submit": false}') > 0 AS drafted;

DO $seed$
DECLARE
    o bigint;
    s bigint;
    i bigint;
BEGIN
    -- draft, pending (auto_confirm off), on_hold (blocked customer), confirmed, processing
    PERFORM ordermgmt.create_order('ACME', '[{"sku": "P1", "qty": 2}]', '{"submit": false}');
    PERFORM ordermgmt.create_order('ACME', '[{"sku": "P2", "qty": 1}]', '{"auto_confirm": false}');
    PERFORM ordermgmt.create_order('BLOCKED', '[{"sku": "P1", "qty": 1}]');
    PERFORM ordermgmt.create_order('LIMITED', '[{"sku": "P2", "qty": 5}]');
    PERFORM ordermgmt.create_order('ACME', '[{"sku": "P3", "qty": 3}, {"sku": "P4", "qty": 10}]',
                                   jsonb_build_object('promised_at', now() + interval '3 days'));
    o := ordermgmt.create_order('ACME', '[{"sku": "P1", "qty": 1}]');
    PERFORM ordermgmt.start_processing(o);
    -- partially shipped
    o := ordermgmt.create_order('ÜNÏ-😀', '[{"sku": "SKU-ß-✓", "qty": 4}, {"sku": "P4", "qty": 2}]');
    PERFORM ordermgmt.ship_order(o, '[{"sku": "SKU-ß-✓", "qty": 1}]', 'DHL', 'T-1');
    -- shipped and invoiced, partly paid; then delivered, invoiced, paid
    -- (completed), with a return, feedback and tickets
    FOR n IN 1..4 LOOP
        o := ordermgmt.create_order('ACME', '[{"sku": "P1", "qty": 2}, {"sku": "P3", "qty": 1}]',
                                    jsonb_build_object('external_ref', 'SEED-' || n));
        s := ordermgmt.ship_order(o, NULL, 'UPS', 'T-S' || n);
        i := ordermgmt.invoice_order(o);
        IF n = 1 THEN
            PERFORM ordermgmt.record_payment(i, 10, 'bank', 'SEED-PAY-1');
            CONTINUE;
        END IF;
        PERFORM ordermgmt.confirm_delivery(s);
        IF n >= 3 THEN
            PERFORM ordermgmt.record_payment(i, (SELECT due FROM ordermgmt.invoices WHERE invoice_id = i));
        END IF;
        IF n = 4 THEN
            PERFORM ordermgmt.return_items(o, '[{"sku": "P3", "qty": 1}]', 'broken on arrival');
        END IF;
        PERFORM ordermgmt.record_feedback(o, 1 + n, 'seed feedback ' || n);
        PERFORM ordermgmt.open_ticket(o, 'Question about order ' || o, 'high');
    END LOOP;
    -- cancelled
    o := ordermgmt.create_order('ACME', '[{"sku": "P2", "qty": 1}]');
    PERFORM ordermgmt.cancel_order(o, 'customer changed mind');
    PERFORM ordermgmt.resolve_ticket((SELECT min(ticket_id) FROM ordermgmt.tickets), 'answered');
    -- a late order and overdue deadlines raise level-2 and level-3 alerts
    PERFORM ordermgmt.monitor_tick(now() + interval '40 days');
END
$seed$;
-- Opportunities to quote (each quotation takes one while it is open), and
-- a lost one.
INSERT INTO ordermgmt.opportunities (customer_id, title, expected_value, stage)
SELECT c.customer_id, 'Deal ' || n, 100 * n, CASE WHEN n % 2 = 0 THEN 'qualified' ELSE 'lead' END
  FROM generate_series(1, 40) AS n
  JOIN ordermgmt.customers c ON c.code = (ARRAY['ACME', 'LIMITED', 'BLOCKED', 'ÜNÏ-😀'])[1 + n % 4];
UPDATE ordermgmt.opportunities SET stage = 'lost'
 WHERE opportunity_id = (SELECT min(opportunity_id) FROM ordermgmt.opportunities);

--------------------------------------------------------------------------
-- The driver's schema
--------------------------------------------------------------------------
CREATE SCHEMA hostile;

-- Every API function is listed here, and every argument of it has a
-- generator: a kind of value (the valid values of a kind depend on the
-- database's current state; the hostile ones on the kind and the
-- argument's type).  Argument 0 only lists a function, whatever its
-- arguments.
CREATE TABLE hostile.generators (
    fn      text NOT NULL,          -- regprocedure, e.g. ordermgmt.hold_order(bigint,text)
    argno   integer NOT NULL,       -- 1-based; 0 lists the function
    argtype text NOT NULL,          -- must match pg_proc
    kind    text NOT NULL,
    PRIMARY KEY (fn, argno)
);
INSERT INTO hostile.generators (fn, argno, argtype, kind) VALUES
    ('ordermgmt.rollup_ledger()', 0, '', 'function'),          -- no arguments
    ('ordermgmt.rollup_reports()', 0, '', 'function'),
    ('ordermgmt.rebuild_report_totals()', 0, '', 'function'),
    ('ordermgmt.verify()', 0, '', 'function'),
    ('ordermgmt.report_history_horizon()', 0, '', 'function');
INSERT INTO hostile.generators (fn, argno, argtype, kind) VALUES
    ('ordermgmt.receive_stock(text,text,numeric,numeric)', 1, 'text', 'sku'),
    ('ordermgmt.receive_stock(text,text,numeric,numeric)', 2, 'text', 'warehouse'),
    ('ordermgmt.receive_stock(text,text,numeric,numeric)', 3, 'numeric', 'qty'),
    ('ordermgmt.transfer_stock(text,text,text,numeric,text)', 1, 'text', 'sku'),
    ('ordermgmt.transfer_stock(text,text,text,numeric,text)', 2, 'text', 'warehouse'),
    ('ordermgmt.transfer_stock(text,text,text,numeric,text)', 3, 'text', 'warehouse'),
    ('ordermgmt.transfer_stock(text,text,text,numeric,text)', 4, 'numeric', 'qty'),
    ('ordermgmt.transfer_stock(text,text,text,numeric,text)', 5, 'text', 'optional_words'),
    ('ordermgmt.count_stock(text,text,numeric,text)', 1, 'text', 'sku'),
    ('ordermgmt.count_stock(text,text,numeric,text)', 2, 'text', 'warehouse'),
    ('ordermgmt.count_stock(text,text,numeric,text)', 3, 'numeric', 'qty'),
    ('ordermgmt.count_stock(text,text,numeric,text)', 4, 'text', 'words'),
    ('ordermgmt.receive_stock(text,text,numeric,numeric)', 4, 'numeric', 'cost'),
    ('ordermgmt.create_purchase_order(text,text,jsonb,jsonb)', 1, 'text', 'supplier'),
    ('ordermgmt.create_purchase_order(text,text,jsonb,jsonb)', 2, 'text', 'warehouse'),
    ('ordermgmt.create_purchase_order(text,text,jsonb,jsonb)', 3, 'jsonb', 'purchase_lines'),
    ('ordermgmt.create_purchase_order(text,text,jsonb,jsonb)', 4, 'jsonb', 'purchase_options'),
    ('ordermgmt.receive_purchase(bigint,jsonb)', 1, 'bigint', 'purchase:ordered,partially_received'),
    ('ordermgmt.receive_purchase(bigint,jsonb)', 2, 'jsonb', 'receive_lines'),
    ('ordermgmt.cancel_purchase_order(bigint,text)', 1, 'bigint', 'purchase:draft,ordered,partially_received'),
    ('ordermgmt.cancel_purchase_order(bigint,text)', 2, 'text', 'words'),
    ('ordermgmt.create_order(text,jsonb,jsonb)', 1, 'text', 'customer'),
    ('ordermgmt.create_order(text,jsonb,jsonb)', 2, 'jsonb', 'order_lines'),
    ('ordermgmt.create_order(text,jsonb,jsonb)', 3, 'jsonb', 'options'),
    ('ordermgmt.submit_order(bigint)', 1, 'bigint', 'order:draft'),
    ('ordermgmt.confirm_order(bigint)', 1, 'bigint', 'order:pending,on_hold'),
    ('ordermgmt.approve_order(bigint,text)', 1, 'bigint', 'order:on_hold,pending'),
    ('ordermgmt.approve_order(bigint,text)', 2, 'text', 'optional_words'),
    ('ordermgmt.hold_order(bigint,text)', 1, 'bigint', 'order:pending,confirmed,processing'),
    ('ordermgmt.hold_order(bigint,text)', 2, 'text', 'words'),
    ('ordermgmt.cancel_order(bigint,text)', 1, 'bigint', 'order:draft,pending,on_hold,confirmed,processing'),
    ('ordermgmt.cancel_order(bigint,text)', 2, 'text', 'words'),
    ('ordermgmt.start_processing(bigint)', 1, 'bigint', 'order:confirmed'),
    ('ordermgmt.amend_order(bigint,jsonb)', 1, 'bigint', 'order:confirmed,processing'),
    ('ordermgmt.amend_order(bigint,jsonb)', 2, 'jsonb', 'amend_changes'),
    ('ordermgmt.short_close(bigint,text)', 1, 'bigint', 'order:partially_shipped'),
    ('ordermgmt.short_close(bigint,text)', 2, 'text', 'words'),
    ('ordermgmt.events_since(bigint,integer)', 1, 'bigint', 'event'),
    ('ordermgmt.events_since(bigint,integer)', 2, 'integer', 'max_rows'),
    ('ordermgmt.acknowledge_alert(bigint,text)', 1, 'bigint', 'alert'),
    ('ordermgmt.acknowledge_alert(bigint,text)', 2, 'text', 'optional_words'),
    ('ordermgmt.resolve_alert(bigint,text)', 1, 'bigint', 'alert'),
    ('ordermgmt.resolve_alert(bigint,text)', 2, 'text', 'optional_words'),
    ('ordermgmt.ship_order(bigint,jsonb,text,text)', 1, 'bigint', 'order:confirmed,processing,partially_shipped'),
    ('ordermgmt.ship_order(bigint,jsonb,text,text)', 2, 'jsonb', 'ship_lines'),
    ('ordermgmt.ship_order(bigint,jsonb,text,text)', 3, 'text', 'optional_words'),
    ('ordermgmt.ship_order(bigint,jsonb,text,text)', 4, 'text', 'optional_words'),
    ('ordermgmt.confirm_delivery(bigint,timestamp with time zone)', 1, 'bigint', 'shipment'),
    ('ordermgmt.confirm_delivery(bigint,timestamp with time zone)', 2, 'timestamp with time zone', 'delivered_at'),
    ('ordermgmt.invoice_order(bigint,integer)', 1, 'bigint', 'order:partially_shipped,shipped,delivered'),
    ('ordermgmt.invoice_order(bigint,integer)', 2, 'integer', 'due_days'),
    ('ordermgmt.record_payment(bigint,numeric,text,text)', 1, 'bigint', 'invoice'),
    ('ordermgmt.record_payment(bigint,numeric,text,text)', 2, 'numeric', 'amount'),
    ('ordermgmt.record_payment(bigint,numeric,text,text)', 3, 'text', 'method'),
    ('ordermgmt.record_payment(bigint,numeric,text,text)', 4, 'text', 'reference'),
    ('ordermgmt.return_items(bigint,jsonb,text)', 1, 'bigint', 'order:partially_shipped,shipped,delivered,completed'),
    ('ordermgmt.return_items(bigint,jsonb,text)', 2, 'jsonb', 'return_lines'),
    ('ordermgmt.return_items(bigint,jsonb,text)', 3, 'text', 'words'),
    ('ordermgmt.record_feedback(bigint,integer,text)', 1, 'bigint', 'order:delivered,completed'),
    ('ordermgmt.record_feedback(bigint,integer,text)', 2, 'integer', 'rating'),
    ('ordermgmt.record_feedback(bigint,integer,text)', 3, 'text', 'optional_words'),
    ('ordermgmt.open_ticket(bigint,text,text)', 1, 'bigint', 'order:any'),
    ('ordermgmt.open_ticket(bigint,text,text)', 2, 'text', 'words'),
    ('ordermgmt.open_ticket(bigint,text,text)', 3, 'text', 'priority'),
    ('ordermgmt.resolve_ticket(bigint,text)', 1, 'bigint', 'ticket'),
    ('ordermgmt.resolve_ticket(bigint,text)', 2, 'text', 'words'),
    ('ordermgmt.monitor_tick(timestamp with time zone)', 1, 'timestamp with time zone', 'tick_at'),
    ('ordermgmt.post_entry(text,jsonb)', 1, 'text', 'words'),
    ('ordermgmt.post_entry(text,jsonb)', 2, 'jsonb', 'entry_lines'),
    ('ordermgmt.reverse_entry(bigint,text)', 1, 'bigint', 'entry'),
    ('ordermgmt.reverse_entry(bigint,text)', 2, 'text', 'optional_words'),
    ('ordermgmt.purge_history(interval)', 1, 'interval', 'retention'),
    ('ordermgmt.close_period(date)', 1, 'date', 'close_through'),
    ('ordermgmt.rule_delay(text,jsonb,text)', 1, 'text', 'rule_code'),
    ('ordermgmt.rule_delay(text,jsonb,text)', 2, 'jsonb', 'thresholds'),
    ('ordermgmt.rule_delay(text,jsonb,text)', 3, 'text', 'priority'),
    ('ordermgmt.rule_thresholds_valid(text,jsonb)', 1, 'text', 'rule_code'),
    ('ordermgmt.rule_thresholds_valid(text,jsonb)', 2, 'jsonb', 'thresholds'),
    ('ordermgmt.create_orders(jsonb)', 1, 'jsonb', 'order_batch'),
    ('ordermgmt.ship_orders(jsonb)', 1, 'jsonb', 'ship_batch'),
    ('ordermgmt.invoice_orders(bigint[],integer)', 1, 'bigint[]', 'invoice_batch'),
    ('ordermgmt.invoice_orders(bigint[],integer)', 2, 'integer', 'due_days'),
    ('ordermgmt.record_payments(jsonb)', 1, 'jsonb', 'payment_batch'),
    ('ordermgmt.record_customer_payment(text,numeric,text,text,text,jsonb)', 1, 'text', 'customer'),
    ('ordermgmt.record_customer_payment(text,numeric,text,text,text,jsonb)', 2, 'numeric', 'receipt_amount'),
    ('ordermgmt.record_customer_payment(text,numeric,text,text,text,jsonb)', 3, 'text', 'currency'),
    ('ordermgmt.record_customer_payment(text,numeric,text,text,text,jsonb)', 4, 'text', 'method'),
    ('ordermgmt.record_customer_payment(text,numeric,text,text,text,jsonb)', 5, 'text', 'receipt_reference'),
    ('ordermgmt.record_customer_payment(text,numeric,text,text,text,jsonb)', 6, 'jsonb', 'allocations'),
    ('ordermgmt.apply_credit(text,bigint,numeric)', 1, 'text', 'customer'),
    ('ordermgmt.apply_credit(text,bigint,numeric)', 2, 'bigint', 'customer_invoice'),
    ('ordermgmt.apply_credit(text,bigint,numeric)', 3, 'numeric', 'credit_amount'),
    ('ordermgmt.refund_credit(text,numeric,text,text)', 1, 'text', 'customer'),
    ('ordermgmt.refund_credit(text,numeric,text,text)', 2, 'numeric', 'credit_amount'),
    ('ordermgmt.refund_credit(text,numeric,text,text)', 3, 'text', 'receipt_reference'),
    ('ordermgmt.refund_credit(text,numeric,text,text)', 4, 'text', 'optional_currency'),
    ('ordermgmt.quote_opportunity(bigint,jsonb,jsonb)', 1, 'bigint', 'opportunity'),
    ('ordermgmt.quote_opportunity(bigint,jsonb,jsonb)', 2, 'jsonb', 'order_lines'),
    ('ordermgmt.quote_opportunity(bigint,jsonb,jsonb)', 3, 'jsonb', 'quote_options'),
    ('ordermgmt.claim_notifications(integer,interval)', 1, 'integer', 'max_rows'),
    ('ordermgmt.claim_notifications(integer,interval)', 2, 'interval', 'lease'),
    ('ordermgmt.finish_notification(bigint,integer,text,integer,interval)', 1, 'bigint', 'notification'),
    ('ordermgmt.finish_notification(bigint,integer,text,integer,interval)', 2, 'integer', 'attempt'),
    ('ordermgmt.finish_notification(bigint,integer,text,integer,interval)', 3, 'text', 'optional_words'),
    ('ordermgmt.finish_notification(bigint,integer,text,integer,interval)', 4, 'integer', 'max_attempts'),
    ('ordermgmt.finish_notification(bigint,integer,text,integer,interval)', 5, 'interval', 'retry_delay'),
    ('ordermgmt.price_for(text,text,numeric,timestamp with time zone)', 1, 'text', 'customer'),
    ('ordermgmt.price_for(text,text,numeric,timestamp with time zone)', 2, 'text', 'sku'),
    ('ordermgmt.price_for(text,text,numeric,timestamp with time zone)', 3, 'numeric', 'qty'),
    ('ordermgmt.price_for(text,text,numeric,timestamp with time zone)', 4, 'timestamp with time zone', 'tick_at');
INSERT INTO hostile.generators (fn, argno, argtype, kind)
SELECT DISTINCT fn, 0, '', 'function' FROM hostile.generators WHERE argno > 0;

-- The functions under test: every function of schema ordermgmt that
-- ordermgmt_app or ordermgmt_admin may execute (admin includes app).
CREATE VIEW hostile.api AS
SELECT p.oid::regprocedure::text AS fn,
       p.oid AS fn_oid,
       p.pronargs AS nargs,
       p.pronargdefaults AS ndefaults,
       has_function_privilege('ordermgmt_app', p.oid, 'EXECUTE') AS app,
       has_function_privilege('ordermgmt_admin', p.oid, 'EXECUTE') AS admin,
       has_function_privilege('ordermgmt_approver', p.oid, 'EXECUTE') AS approver
  FROM pg_proc p
 WHERE p.pronamespace = 'ordermgmt'::regnamespace
   AND (has_function_privilege('ordermgmt_admin', p.oid, 'EXECUTE')
        OR has_function_privilege('ordermgmt_approver', p.oid, 'EXECUTE'));

-- Arguments of the functions under test with no matching generator (the
-- test fails on any: a new API function must not be skipped silently).
CREATE VIEW hostile.missing_generators AS
SELECT a.fn, 0 AS argno, 'function not listed' AS argtype
  FROM hostile.api a
 WHERE NOT EXISTS (SELECT 1 FROM hostile.generators g WHERE g.fn = a.fn AND g.argno = 0)
UNION ALL
SELECT a.fn, x.argno, format_type(x.argtype, NULL)
  FROM hostile.api a
  JOIN pg_proc p ON p.oid = a.fn_oid
 CROSS JOIN LATERAL unnest(p.proargtypes::oid[]) WITH ORDINALITY AS x(argtype, argno)
 WHERE NOT EXISTS (SELECT 1 FROM hostile.generators g
                    WHERE g.fn = a.fn AND g.argno = x.argno AND g.argtype = format_type(x.argtype, NULL))
UNION ALL
SELECT g.fn, g.argno, g.argtype || ' (generator of an argument that does not exist)'
  FROM hostile.generators g
 WHERE NOT EXISTS (SELECT 1 FROM hostile.api a WHERE a.fn = g.fn);

-- One row per call.
CREATE TABLE hostile.calls (
    session    text NOT NULL,          -- 'app', 'admin' or 'approver': the role that called
    n          integer NOT NULL,
    fn         text NOT NULL,          -- the function, or a probe's name
    permitted  boolean NOT NULL,       -- may the session's role execute fn?
    repeated   boolean NOT NULL,       -- the same statement as the session's call before
    hostile    integer NOT NULL,       -- how many arguments were drawn from a hostile pool
    sql        text NOT NULL,
    input_code text,                   -- SQLSTATE of an argument PostgreSQL refused before the call
    outcome    text NOT NULL,          -- 'ok' or the SQLSTATE
    items      text[],                 -- a batch function's items: their outcomes, each once
    message    text,
    ms         numeric NOT NULL,
    PRIMARY KEY (session, n)
);

GRANT USAGE ON SCHEMA hostile TO PUBLIC;
GRANT SELECT ON hostile.generators, hostile.api TO PUBLIC;
GRANT SELECT, INSERT ON hostile.calls TO PUBLIC;

--------------------------------------------------------------------------
-- Small helpers
--------------------------------------------------------------------------
-- A random element of a (the seed of the session makes it reproducible).
CREATE FUNCTION hostile.pick(a text[]) RETURNS text LANGUAGE sql AS
$$ SELECT a[1 + floor(random() * cardinality(a))::int] $$;

CREATE FUNCTION hostile.rint(lo bigint, hi bigint) RETURNS bigint LANGUAGE sql AS
$$ SELECT lo + floor(random() * (hi - lo + 1))::bigint $$;

-- A random row id of a query's first column, as a literal ('NULL' if none).
-- The generators run as the test's superuser (SECURITY DEFINER): the
-- approver session reads no table, yet its calls name real orders.
CREATE FUNCTION hostile.any_id(query text) RETURNS text LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    ids bigint[];
BEGIN
    EXECUTE 'SELECT array_agg(x ORDER BY x) FROM (' || query || ') AS q(x)' INTO ids;
    IF ids IS NULL THEN
        RETURN 'NULL';
    END IF;
    RETURN ids[1 + floor(random() * cardinality(ids))::int]::text;
END $$;

-- The id in a literal made by a generator, or NULL if it is not one.
CREATE FUNCTION hostile.id_of(expr text) RETURNS bigint LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN expr ~ '^[0-9]{1,18}$' THEN expr::bigint END $$;

-- A JSON document as a SQL literal.
CREATE FUNCTION hostile.jlit(j jsonb) RETURNS text LANGUAGE sql AS
$$ SELECT quote_literal(j::text) $$;

-- Larger than any id in use, so never an existing row (as any_id, as the
-- superuser).
CREATE FUNCTION hostile.missing_id(tbl text, col text) RETURNS text LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    m bigint;
BEGIN
    EXECUTE format('SELECT coalesce(max(%I), 0) FROM ordermgmt.%I', col, tbl) INTO m;
    RETURN (m + hostile.rint(1, 100000))::text;
END $$;

-- The value of a generator's expression, as text (NULL if PostgreSQL
-- refuses it).
CREATE FUNCTION hostile.eval(expr text, argtype text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v text;
BEGIN
    EXECUTE format('SELECT (%s)::%s::text', expr, argtype) INTO v;
    RETURN v;
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END $$;

-- The batch functions: one row per item, each item's outcome its own.
CREATE FUNCTION hostile.is_batch(fn text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
SELECT fn IN ('ordermgmt.create_orders(jsonb)', 'ordermgmt.ship_orders(jsonb)',
              'ordermgmt.invoice_orders(bigint[],integer)', 'ordermgmt.record_payments(jsonb)') $$;

--------------------------------------------------------------------------
-- Hostile values, as SQL expressions, by type.  Literals in quotes are
-- "wrong types given as text": PostgreSQL converts them to the argument's
-- type, or refuses them before the function runs.  Expressions keep the
-- logged statement short even when the value is megabytes.
--------------------------------------------------------------------------
CREATE FUNCTION hostile.bad_text() RETURNS text LANGUAGE sql AS $f$
SELECT hostile.pick(ARRAY[
    $$NULL$$, $$''$$, $$' '$$, $$'   padded   '$$,
    $$'😀🎉👩‍👩‍👧‍👦'$$,                                   -- emoji, ZWJ sequence
    $$'مرحبا بالعالم'$$, $$'עברית'$$,                   -- right to left
    $$chr(8238) || 'evil.exe' || chr(8236)$$,           -- RTL override
    $$'é' || chr(769) || chr(769) || 'ñ' || chr(771)$$,   -- combining marks
    $$'ｆｕｌｌ ｗｉｄｔｈ' || chr(8203) || chr(65279)$$, -- zero width, BOM
    $$chr(1) || chr(27) || '[31mred' || chr(13) || chr(10) || chr(9) || chr(127) || chr(8)$$,
    $$'%s%s%s%n%x%p'$$, $$'\'$$, $$'"'$$, $$'a\b\"c''d'$$,
    $$'''); DROP TABLE ordermgmt.orders; --'$$,
    $$'{"sku": "P1", "qty": 1}'$$, $$'[1, 2]'$$, $$'null'$$,
    $$'P1'$$, $$'MAIN'$$, $$'ACME'$$, $$'123'$$, $$'-1'$$, $$'NaN'$$, $$'true'$$,
    $$repeat('x', 10000)$$,
    $$repeat('ab😀', 300000)$$,                          -- 1.8 MB
    $$(SELECT string_agg(md5(i::text), '') FROM generate_series(1, 400) AS i)$$,  -- 12 kB, incompressible
    $$chr(0)$$,                                          -- refused: NUL in text
    $$convert_from('\xc328'::bytea, 'UTF8')$$,           -- refused: invalid UTF-8
    $$chr(55296)$$                                       -- refused: a lone surrogate
]) $f$;

CREATE FUNCTION hostile.bad_bigint() RETURNS text LANGUAGE sql AS $f$
SELECT hostile.pick(ARRAY[
    $$NULL$$, $$'0'$$, $$'-1'$$, $$'-42'$$,
    $$'9223372036854775807'$$, $$'-9223372036854775808'$$,
    $$'9223372036854775808'$$, $$'-9223372036854775809'$$,        -- out of range
    $$'1e300'$$, $$'NaN'$$, $$'Infinity'$$, $$'4.2'$$, $$'0x10'$$, $$'١٢٣'$$,
    $$'abc'$$, $$''$$, $$' 1 '$$, $$'1 2'$$, $$'😀'$$,
    $$repeat('9', 1000)::numeric$$,                                 -- 1000 digits
    $$'2147483648'$$, $$'4294967297'$$
]) $f$;

CREATE FUNCTION hostile.bad_integer() RETURNS text LANGUAGE sql AS $f$
SELECT hostile.pick(ARRAY[
    $$NULL$$, $$'0'$$, $$'-1'$$, $$'6'$$, $$'3651'$$, $$'100000'$$,
    $$'2147483647'$$, $$'-2147483648'$$, $$'2147483648'$$, $$'-2147483649'$$,
    $$'9223372036854775807'$$, $$'1.5'$$, $$'1e10'$$, $$'NaN'$$, $$'Infinity'$$,
    $$'abc'$$, $$''$$, $$'٣'$$, $$repeat('9', 1000)::numeric$$
]) $f$;

CREATE FUNCTION hostile.bad_numeric() RETURNS text LANGUAGE sql AS $f$
SELECT hostile.pick(ARRAY[
    $$NULL$$, $$'0'$$, $$'-0'$$, $$'0.0000'$$, $$'-1'$$, $$'-0.01'$$,
    $$'0.00001'$$, $$'0.00005'$$, $$'1.123456789'$$, $$'1e-300'$$, $$'1e-1000'$$,
    $$'1e300'$$, $$'-1e300'$$, $$'1e15'$$, $$'1e131071'$$,
    $$'NaN'$$, $$'Infinity'$$, $$'-Infinity'$$,
    $$'99999999999999.9999'$$, $$'100000000000000'$$, $$'99999999999999.99995'$$,
    $$('1' || repeat('0', 999))::numeric$$,             -- 1000 digits
    $$('0.' || repeat('0', 999) || '1')::numeric$$,     -- 1000 decimals
    $$'123456789012345678901234567890.123456789'$$,
    $$'2147483648'$$, $$'9223372036854775808'$$,
    $$'abc'$$, $$''$$, $$'1,5'$$, $$' 7 '$$, $$'٣'$$, $$'1e'$$, $$'--1'$$
]) $f$;

CREATE FUNCTION hostile.bad_timestamptz() RETURNS text LANGUAGE sql AS $f$
SELECT hostile.pick(ARRAY[
    $$NULL$$, $$'infinity'$$, $$'-infinity'$$, $$'epoch'$$, $$'now'$$, $$'yesterday'$$,
    $$'4713-01-01 00:00:00+00 BC'$$, $$'294276-12-31 23:59:59+00'$$,
    $$'294277-01-01 00:00:00+00'$$, $$'4714-11-23 00:00:00+00 BC'$$,   -- out of range
    $$'2000-02-30'$$, $$'2000-13-01'$$, $$'24:00:01'$$, $$'garbage'$$, $$''$$, $$'1e300'$$,
    $$'1900-01-01 00:00:00+14'$$, $$now() - interval '10 years'$$, $$now() + interval '100 years'$$
]) $f$;

CREATE FUNCTION hostile.bad_date() RETURNS text LANGUAGE sql AS $f$
SELECT hostile.pick(ARRAY[
    $$NULL$$, $$'infinity'$$, $$'-infinity'$$, $$'epoch'$$, $$'today'$$, $$'tomorrow'$$,
    $$'4713-01-01 BC'$$, $$'5874897-12-31'$$, $$'5874898-01-01'$$,        -- the last out of range
    $$'2000-02-30'$$, $$'2000-13-01'$$, $$'garbage'$$, $$''$$, $$'1e300'$$,
    $$current_date + 1$$, $$current_date + 36500$$
]) $f$;

CREATE FUNCTION hostile.bad_interval() RETURNS text LANGUAGE sql AS $f$
SELECT hostile.pick(ARRAY[
    $$NULL$$, $$'0'$$, $$'-1 day'$$, $$'-1 microsecond'$$, $$'1 microsecond'$$,
    $$'178000000 years'$$, $$'-178000000 years'$$, $$'178000001 years'$$,
    $$'P1Y2M3DT4H'$$, $$'1 century'$$, $$'1e300 seconds'$$, $$'infinity'$$,
    $$'garbage'$$, $$''$$, $$'2147483647 days'$$, $$'2147483648 days'$$
]) $f$;

CREATE FUNCTION hostile.bad_bigint_array() RETURNS text LANGUAGE sql AS $f$
SELECT hostile.pick(ARRAY[
    $$NULL$$, $$'{}'$$, $$'{NULL}'$$, $$'{NULL,NULL}'$$, $$'{0,-1}'$$, $$'{{1,2},{3,4}}'$$,
    $$'[-5:-3]={1,2,3}'$$, $$'{9223372036854775807}'$$,
    $$'{9223372036854775808}'$$, $$'{abc}'$$, $$'{1'$$, $$''$$, $$'1'$$,       -- refused as input
    $$ARRAY(SELECT generate_series(1, 10001)::bigint)$$,                      -- one too many
    $$ARRAY(SELECT generate_series(1, 200000)::bigint)$$
]) $f$;

-- A batch with hostile items among good ones, or a whole that is refused.
CREATE FUNCTION hostile.bad_batch(kind text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    items jsonb := coalesce(hostile.eval(hostile.good(kind, '{}'), 'jsonb')::jsonb, '[]');
    bad jsonb;
    order_id bigint := hostile.id_of(hostile.any_id('SELECT order_id FROM ordermgmt.orders'));
    invoice_id bigint := hostile.id_of(hostile.any_id('SELECT invoice_id FROM ordermgmt.invoices'));
    item jsonb;
    pos int;
BEGIN
    IF kind = 'invoice_batch' THEN
        RETURN hostile.pick(ARRAY[
            $q$'{NULL}'$q$, $q$'{-1,0}'$q$,
            quote_literal(ARRAY[hostile.missing_id('orders', 'order_id')::bigint, order_id]::text),
            -- every order, each twice: most have nothing (left) to invoice
            $q$(SELECT array_agg(order_id) || array_agg(order_id) FROM ordermgmt.orders)$q$,
            $q$ARRAY(SELECT generate_series(1, 10001)::bigint)$q$]);
    END IF;
    IF random() < 0.1 THEN
        -- more items than a batch takes: refused whole, however good they are
        item := coalesce(items->0, '{}');
        RETURN format('(SELECT jsonb_agg(%s::jsonb) FROM generate_series(1, %s))', hostile.jlit(item),
                      hostile.pick(ARRAY['10001', '100000']));
    END IF;
    bad := CASE kind
      WHEN 'order_batch' THEN (hostile.pick(ARRAY[
        '42', 'null', '"ACME"', '[]', '{}', '[{"customer": "ACME"}]',
        '{"customer": 7, "lines": [{"sku": "P1", "qty": 1}]}',
        '{"customer": "", "lines": [{"sku": "P1", "qty": 1}]}',
        '{"customer": null, "lines": [{"sku": "P1", "qty": 1}]}',
        '{"customer": "NOBODY", "lines": [{"sku": "P1", "qty": 1}]}',
        '{"customer": "ACME"}', '{"customer": "ACME", "lines": null}', '{"customer": "ACME", "lines": {}}',
        '{"customer": "ACME", "lines": []}', '{"customer": "ACME", "lines": [{"sku": "NOPE", "qty": 1}]}',
        '{"customer": "ACME", "lines": [{"sku": "P1", "qty": -1}]}',
        '{"customer": "ACME", "lines": [{"sku": "P1", "qty": 1e300}]}',
        '{"customer": "ACME", "lines": [{"sku": "P2", "qty": 5000}]}',
        '{"customer": "LIMITED", "lines": [{"sku": "P2", "qty": 50}]}',
        '{"customer": "ACME", "lines": [{"sku": "P1", "qty": 1}], "options": []}',
        '{"customer": "ACME", "lines": [{"sku": "P1", "qty": 1}], "options": {"warehouse": "NOWHERE"}}',
        '{"customer": "ACME", "lines": [{"sku": "P1", "qty": 1}], "options": {"promised_at": "soon"}}',
        '{"customer": "ACME", "lines": [{"sku": "P1", "qty": 1}], "options": {"external_ref": ""}}',
        '{"customer": "ACME", "lines": [{"sku": "P1", "qty": 1}], "note": "unknown key"}'])::jsonb)
      WHEN 'ship_batch' THEN (hostile.pick(ARRAY[
        '42', 'null', '{}', '{"order_id": null}', '{"order_id": "1"}', '{"order_id": 1.5}',
        '{"order_id": 1e300}', '{"order_id": -1}', '{"order_id": 9223372036854775807}',
        format('{"order_id": %s, "lines": {"sku": "P1"}}', order_id),
        format('{"order_id": %s, "lines": [{"sku": "P1", "qty": 1e300}]}', order_id),
        format('{"order_id": %s, "lines": [{"sku": "NOPE", "qty": 1}]}', order_id),
        format('{"order_id": %s, "carrier": 7}', order_id),
        format('{"order_id": %s, "via": "air"}', order_id),
        format('{"order_id": %s}', order_id)])::jsonb)
      ELSE (hostile.pick(ARRAY[  -- payment_batch
        '42', 'null', '{}', '{"invoice_id": 1}', '{"amount": 1}',
        format('{"invoice_id": %s, "amount": 1e300}', invoice_id),
        format('{"invoice_id": %s, "amount": -1}', invoice_id),
        format('{"invoice_id": %s, "amount": 0.001}', invoice_id),
        format('{"invoice_id": %s, "amount": "10"}', invoice_id),
        format('{"invoice_id": %s, "amount": 1000000}', invoice_id),
        format('{"invoice_id": %s, "amount": 1, "method": null}', invoice_id),
        format('{"invoice_id": %s, "amount": 1, "method": ""}', invoice_id),
        format('{"invoice_id": %s, "amount": 1, "reference": ""}', invoice_id),
        format('{"invoice_id": %s, "amount": 1, "reference": 5}', invoice_id),
        format('{"invoice_id": %s, "amount": 1, "currency": "EUR"}', invoice_id),
        format('{"invoice_id": %s, "amount": 1}', hostile.missing_id('invoices', 'invoice_id'))])::jsonb)
    END;
    -- now and then the same item twice (a repeated external_ref or
    -- reference, the same order shipped twice)
    IF random() < 0.3 AND jsonb_array_length(items) > 0 THEN
        bad := items->0;
    END IF;
    -- the hostile item at a random place among the good ones
    pos := hostile.rint(0, jsonb_array_length(items))::int;
    SELECT jsonb_agg(e ORDER BY k) INTO items
      FROM (SELECT x.e, 2 * x.n AS k FROM jsonb_array_elements(items) WITH ORDINALITY AS x(e, n)
            UNION ALL SELECT bad, 2 * pos + 1) AS y;
    RETURN hostile.jlit(items);
END $$;

-- JSON whatever the argument: malformed, scalars, empty, deep, huge.
CREATE FUNCTION hostile.bad_jsonb() RETURNS text LANGUAGE sql AS $f$
SELECT hostile.pick(ARRAY[
    $$NULL$$, $$''$$, $$'{'$$, $$'[1,'$$, $$'nul'$$, $$'{"a" 1}'$$, $$'[1] x'$$,   -- malformed
    $$'null'$$, $$'true'$$, $$'0'$$, $$'-1e300'$$, $$'"P1"'$$, $$'""'$$,        -- scalars
    $$'[]'$$, $$'{}'$$, $$'[null]'$$, $$'[[]]'$$, $$'[{}]'$$, $$'[[{"sku": "P1", "qty": 1}]]'$$,
    $$'"\u0000"'$$, $$'{"sku": "a\u0000b"}'$$,          -- refused: NUL
    $$'"\ud800"'$$,                                      -- refused: lone surrogate
    $$'{"😀": "✓", "ключ": "значение", "\u202e": 1}'$$,
    $$(repeat('[', 5000) || repeat(']', 5000))::jsonb$$,                            -- 5000 levels
    $$(repeat('[', 20000) || '1' || repeat(']', 20000))::jsonb$$,                   -- 20000 levels
    $$(repeat('{"a": ', 1000) || '1' || repeat('}', 1000))::jsonb$$,                -- 1000 levels
    $$(repeat('{"a": ', 5000) || '1' || repeat('}', 5000))::jsonb$$,                -- refused: too deep
    $$(SELECT jsonb_agg(i) FROM generate_series(1, 200000) AS i)$$,                  -- 1.3 MB array
    $$(SELECT jsonb_object_agg('k' || i, i) FROM generate_series(1, 50000) AS i)$$,  -- 50000 keys
    $$jsonb_build_object('sku', repeat('S', 2000000), 'qty', 1)$$,                  -- 2 MB string
    $$jsonb_build_array(jsonb_build_object('sku', repeat('S', 2000000), 'qty', 1))$$
]) $f$;

-- Hostile JSON shaped like what the argument expects.
CREATE FUNCTION hostile.bad_lines(kind text) RETURNS text LANGUAGE sql AS $f$
SELECT hostile.pick(CASE kind
  WHEN 'order_lines' THEN ARRAY[
    $$'[{"sku": 1, "qty": 1}]'$$, $$'[{"sku": null, "qty": 1}]'$$, $$'[{"sku": ["P1"], "qty": 1}]'$$,
    $$'[{"sku": "", "qty": 1}]'$$, $$'[{"sku": "p1", "qty": 1}]'$$, $$'[{"sku": " P1", "qty": 1}]'$$,
    $$'[{"sku": "NOPE", "qty": 1}]'$$, $$'[{"sku": "😀", "qty": 1}]'$$, $$'[{"sku": "P1"}]'$$,
    $$'[{"qty": 1}]'$$, $$'[{"sku": "P1", "qty": "1"}]'$$, $$'[{"sku": "P1", "qty": true}]'$$,
    $$'[{"sku": "P1", "qty": null}]'$$, $$'[{"sku": "P1", "qty": {}}]'$$, $$'[{"sku": "P1", "qty": [1]}]'$$,
    $$'[{"sku": "P1", "qty": 0}]'$$, $$'[{"sku": "P1", "qty": -1}]'$$, $$'[{"sku": "P1", "qty": -0}]'$$,
    $$'[{"sku": "P1", "qty": 1e300}]'$$, $$'[{"sku": "P1", "qty": 1e-300}]'$$, $$'[{"sku": "P1", "qty": 0.00001}]'$$,
    $$'[{"sku": "P1", "qty": 99999999999999.9999}]'$$, $$'[{"sku": "P1", "qty": 100000000000000}]'$$,
    $$'[{"sku": "P1", "qty": 1, "unit_price": -1}]'$$, $$'[{"sku": "P1", "qty": 1, "unit_price": "10"}]'$$,
    $$'[{"sku": "P1", "qty": 1, "unit_price": 1e300}]'$$, $$'[{"sku": "P1", "qty": 1, "unit_price": 0}]'$$,
    $$'[{"sku": "P1", "qty": 1, "unit_price": 99999999999999.9999}]'$$,
    $$'[{"sku": "P1", "qty": 1, "unit_price": 0.00001}]'$$,
    $$'[{"sku": "P1", "qty": 1, "price": 3}]'$$, $$'[{"sku": "P1", "qty": 1, "sku": "P2"}]'$$,
    $$'[{"sku": "P1", "qty": 1}, {"sku": "P1", "qty": 1}]'$$,
    $$'[{"sku": "P1", "qty": 1}, {"sku": "NOPE", "qty": 1}]'$$, $$'[{"sku": "P1", "qty": 1}, 7]'$$,
    $$'[{"sku": "OLD", "qty": 1}]'$$, $$'[{"sku": "P2", "qty": 5000}]'$$,
    $$(SELECT jsonb_agg(jsonb_build_object('sku', 'P4', 'qty', 1)) FROM generate_series(1, 10000))$$,
    $$(SELECT jsonb_agg(jsonb_build_object('sku', 'P4', 'qty', 1)) FROM generate_series(1, 10001))$$,
    $$(SELECT jsonb_agg(jsonb_build_object('sku', 'P' || (i % 4 + 1), 'qty', 1)) FROM generate_series(1, 100000) AS i)$$,
    $$('[{"sku": "P1", "qty": 1, "unit_price": ' || repeat('[', 3000) || repeat(']', 3000) || '}]')::jsonb$$,
    $$'{"sku": "P1", "qty": 1}'$$]
  WHEN 'options' THEN ARRAY[
    $$'[]'$$, $$'"MAIN"'$$, $$'{"warehouse": 5}'$$, $$'{"warehouse": "NOPE"}'$$, $$'{"warehouse": ""}'$$,
    $$'{"warehouse": "main"}'$$, $$'{"submit": "no"}'$$, $$'{"submit": null}'$$, $$'{"submit": 0}'$$,
    $$'{"auto_confirm": 1}'$$, $$'{"currency": "euro"}'$$, $$'{"currency": "usd"}'$$,
    $$'{"currency": "ÆØÅ"}'$$, $$'{"currency": ""}'$$, $$'{"currency": "US"}'$$,
    $$'{"promised_at": "soon"}'$$, $$'{"promised_at": "infinity"}'$$, $$'{"promised_at": "-infinity"}'$$,
    $$'{"promised_at": 12}'$$, $$'{"promised_at": "294277-01-01"}'$$, $$'{"promised_at": "2000-02-30"}'$$,
    $$'{"promised_at": "1900-01-01"}'$$, $$'{"promised_at": ""}'$$,
    $$'{"external_ref": ""}'$$, $$'{"external_ref": 5}'$$, $$'{"external_ref": ["a"]}'$$,
    $$jsonb_build_object('external_ref', repeat('R', 1000000))$$,
    $$(SELECT jsonb_build_object('external_ref', string_agg(md5(i::text), '')) FROM generate_series(1, 400) AS i)$$,
    $$'{"sumbit": false}'$$, $$'{"warehouse": "MAIN", "warehouse ": "EAST"}'$$,
    $$'{"valid_until": "2030-01-01"}'$$, $$'{"submit": false, "valid_until": "2001-01-01"}'$$,
    $$'{"submit": false, "valid_until": "soon"}'$$, $$'{"submit": false, "valid_until": 5}'$$,
    $$'{"submit": false, "valid_until": "infinity"}'$$]
  WHEN 'allocations' THEN ARRAY[
    $$'{"invoice_id": 1, "amount": 1}'$$, $$'[{"invoice_id": 1}]'$$, $$'[{"amount": 1}]'$$,
    $$'[{"invoice_id": "1", "amount": 1}]'$$, $$'[{"invoice_id": 1.5, "amount": 1}]'$$,
    $$'[{"invoice_id": -1, "amount": 1}]'$$, $$'[{"invoice_id": 1e300, "amount": 1}]'$$,
    $$'[{"invoice_id": 1, "amount": 0}]'$$, $$'[{"invoice_id": 1, "amount": -1}]'$$,
    $$'[{"invoice_id": 1, "amount": 0.001}]'$$, $$'[{"invoice_id": 1, "amount": "1"}]'$$,
    $$'[{"invoice_id": 1, "amount": 1e300}]'$$, $$'[{"invoice_id": 1, "amount": 1, "note": "x"}]'$$,
    $$'[{"invoice_id": 1, "amount": 1}, {"invoice_id": 1, "amount": 1}]'$$,
    $$'[{"invoice_id": 999999999, "amount": 1}]'$$, $$'[{"invoice_id": 1, "amount": 1}, 7]'$$,
    $$(SELECT jsonb_agg(jsonb_build_object('invoice_id', i, 'amount', 0.01)) FROM generate_series(1, 10001) AS i)$$]
  WHEN 'amend_changes' THEN ARRAY[
    $$'{"sku": "P1", "qty": 1}'$$, $$'[]'$$, $$'[{"sku": "P1"}]'$$, $$'[{"sku": "P1", "qty": -1}]'$$,
    $$'[{"sku": "P1", "qty": "1"}]'$$, $$'[{"sku": "P1", "qty": 0.00001}]'$$, $$'[{"sku": "P1", "qty": 1e300}]'$$,
    $$'[{"sku": "P1", "qty": 1}, {"sku": "P1", "qty": 2}]'$$, $$'[{"sku": "NOPE", "qty": 1}]'$$,
    $$'[{"sku": "P1", "qty": 1, "unit_price": -1}]'$$, $$'[{"sku": "P1", "qty": 1, "discount": 5}]'$$,
    $$'[{"sku": 1, "qty": 1}]'$$, $$'[{"sku": "P1", "qty": 99999999999999.9999}]'$$,
    $$'[{"sku": "P1", "qty": 0}, {"sku": "P2", "qty": 0}, {"sku": "P3", "qty": 0}, {"sku": "P4", "qty": 0}]'$$,
    $$(SELECT jsonb_agg(jsonb_build_object('sku', 'S' || i, 'qty', 1)) FROM generate_series(1, 20000) AS i)$$]
  WHEN 'ship_lines' THEN ARRAY[
    $$'{"sku": "P1", "qty": 1}'$$, $$'[{"sku": "P1", "qty": 1e300}]'$$, $$'[{"sku": "P1", "qty": 0}]'$$,
    $$'[{"sku": "P1", "qty": -1}]'$$, $$'[{"sku": "P1", "qty": 0.00001}]'$$, $$'[{"sku": "P1"}]'$$,
    $$'[{"sku": "P1", "qty": 1, "unit_price": 1}]'$$, $$'[{"sku": "NOPE", "qty": 1}]'$$,
    $$'[{"sku": "OLD", "qty": 1}]'$$, $$'[{"sku": "P1", "qty": 1}, {"sku": "P1", "qty": 1}]'$$,
    $$'[{"sku": "P1", "qty": 99999999999999.9999}]'$$, $$'[{"sku": 1, "qty": 1}]'$$,
    $$(SELECT jsonb_agg(jsonb_build_object('sku', 'P4', 'qty', 0.0001)) FROM generate_series(1, 20000))$$]
  WHEN 'entry_lines' THEN ARRAY[
    $$'[{"account": "1200", "debit": 10}, {"account": "4000", "credit": 9.99}]'$$,
    $$'[{"account": "1200", "debit": 10, "credit": 10}, {"account": "4000", "credit": 10}]'$$,
    $$'[{"account": "1200", "debit": -10}, {"account": "4000", "credit": -10}]'$$,
    $$'[{"account": "1200", "debit": 0}, {"account": "4000", "credit": 0}]'$$,
    $$'[{"account": "1200", "debit": 10}]'$$, $$'[{"account": "1200"}, {"account": "4000"}]'$$,
    $$'[{"account": "9999", "debit": 10}, {"account": "4000", "credit": 10}]'$$,
    $$'[{"account": 1000, "debit": 10}, {"account": "4000", "credit": 10}]'$$,
    $$'[{"account": "1200", "debit": "10"}, {"account": "4000", "credit": "10"}]'$$,
    $$'[{"account": "1200", "debit": 0.001}, {"account": "4000", "credit": 0.001}]'$$,
    $$'[{"account": "1200", "debit": 1e300}, {"account": "4000", "credit": 1e300}]'$$,
    $$'[{"account": "1200", "debit": 9999999999999999.99}, {"account": "4000", "credit": 9999999999999999.99}]'$$,
    $$'[{"account": "1200", "debit": 10, "currency": "usd"}, {"account": "4000", "credit": 10, "currency": "usd"}]'$$,
    $$'[{"account": "1200", "debit": 10, "currency": "USD"}, {"account": "4000", "credit": 10}]'$$,
    $$'[{"account": "1200", "debit": 10, "memo": "x"}, {"account": "4000", "credit": 10}]'$$,
    $$'[{"account": "", "debit": 10}, {"account": "4000", "credit": 10}]'$$,
    $$(SELECT jsonb_agg(jsonb_build_object('account', CASE WHEN i % 2 = 0 THEN '1200' ELSE '4000' END,
                                           CASE WHEN i % 2 = 0 THEN 'debit' ELSE 'credit' END, 0.01))
         FROM generate_series(1, 10000) AS i)$$,
    $$(SELECT jsonb_agg(jsonb_build_object('account', '1200', 'debit', 1)) FROM generate_series(1, 10001))$$]
  WHEN 'thresholds' THEN ARRAY[  -- every rule's keys at once, so that any rule code meets them
    $$'{"deadline": "soon", "processing_time": "soon", "stall_time": "soon", "grace": "soon", "low": "x",
        "normal": "x", "high": "x", "urgent": "x", "tolerance": "abc", "max_rating": "x"}'$$,
    $$'{"deadline": [], "processing_time": {}, "stall_time": [1], "grace": true, "low": [], "normal": {},
        "high": [2], "urgent": false, "tolerance": [], "max_rating": {}}'$$,
    $$'{"deadline": "1e300 days", "processing_time": "1e300 days", "stall_time": "1e300 days",
        "grace": "1e300 days", "low": "1e300 days", "normal": "1e300 days", "high": "1e300 days",
        "urgent": "1e300 days", "tolerance": "1e300", "max_rating": "1e300"}'$$,
    $$'{"deadline": "-1 hour", "processing_time": "-1", "stall_time": "2147483648 days", "grace": "∞",
        "low": "", "normal": " ", "high": "1 fortnight", "urgent": "P1X", "tolerance": -1, "max_rating": 1e300}'$$,
    $$'{"deadline": -1}'$$, $$'{"grace": "178000000 years"}'$$, $$'{"tolerance": "abc"}'$$,
    $$'{"max_rating": "x"}'$$, $$'{"normal": null}'$$, $$'{"processing_time": ["2 days"]}'$$]
  WHEN 'purchase_lines' THEN ARRAY[
    $$'[{"sku": 1, "qty": 1}]'$$, $$'[{"sku": "", "qty": 1}]'$$, $$'[{"sku": "NOPE", "qty": 1}]'$$,
    $$'[{"sku": "P1"}]'$$, $$'[{"qty": 1}]'$$, $$'[{"sku": "P1", "qty": "1"}]'$$, $$'[{"sku": "P1", "qty": 0}]'$$,
    $$'[{"sku": "P1", "qty": -1}]'$$, $$'[{"sku": "P1", "qty": 1e300}]'$$, $$'[{"sku": "P1", "qty": 0.00001}]'$$,
    $$'[{"sku": "P1", "qty": 99999999999999.9999}]'$$, $$'[{"sku": "P1", "qty": 1, "unit_cost": -1}]'$$,
    $$'[{"sku": "P1", "qty": 1, "unit_cost": "80"}]'$$, $$'[{"sku": "P1", "qty": 1, "unit_cost": 1e300}]'$$,
    $$'[{"sku": "P1", "qty": 1, "unit_cost": 80000}]'$$, $$'[{"sku": "P1", "qty": 1, "unit_cost": 0.00001}]'$$,
    $$'[{"sku": "P4", "qty": 99999999999999, "unit_cost": 99999999}]'$$,
    $$'[{"sku": "P1", "qty": 1, "unit_price": 3}]'$$, $$'[{"sku": "P1", "qty": 1}, {"sku": "P1", "qty": 2}]'$$,
    $$'[{"sku": "P1", "qty": 1}, 7]'$$, $$'{"sku": "P1", "qty": 1}'$$,
    $$(SELECT jsonb_agg(jsonb_build_object('sku', 'P4', 'qty', 1)) FROM generate_series(1, 10001))$$]
  WHEN 'purchase_options' THEN ARRAY[
    $$'[]'$$, $$'"PO-1"'$$, $$'{"reference": ""}'$$, $$'{"reference": 5}'$$, $$'{"reference": ["a"]}'$$,
    $$jsonb_build_object('reference', repeat('R', 1000000))$$, $$'{"submit": "no"}'$$, $$'{"submit": null}'$$,
    $$'{"expected_at": "soon"}'$$, $$'{"expected_at": "infinity"}'$$, $$'{"expected_at": "-infinity"}'$$,
    $$'{"expected_at": 12}'$$, $$'{"expected_at": "294277-01-01"}'$$, $$'{"expected_at": ""}'$$,
    $$'{"warehouse": "MAIN"}'$$, $$'{"refrence": "PO-1"}'$$]
  WHEN 'receive_lines' THEN ARRAY[
    $$'{"sku": "P1", "qty": 1}'$$, $$'[]'$$, $$'[{"sku": "P1", "qty": 1e300}]'$$, $$'[{"sku": "P1", "qty": 0}]'$$,
    $$'[{"sku": "P1", "qty": -1}]'$$, $$'[{"sku": "P1", "qty": 100000}]'$$, $$'[{"sku": "P1"}]'$$,
    $$'[{"sku": "NOPE", "qty": 1}]'$$, $$'[{"sku": "P1", "qty": 1, "unit_cost": 1}]'$$,
    $$'[{"sku": "P4", "qty": 1}, {"sku": "P4", "qty": 1000}]'$$, $$'[{"sku": "P1", "qty": 0.00001}]'$$]
  ELSE ARRAY[  -- return_lines
    $$'{"sku": "P1", "qty": 1}'$$, $$'[{"sku": "P1", "qty": 1e300}]'$$, $$'[{"sku": "P1", "qty": 0}]'$$,
    $$'[{"sku": "P1", "qty": -1}]'$$, $$'[{"sku": "P1", "qty": 1000}]'$$, $$'[{"sku": "P1"}]'$$,
    $$'[{"sku": "NOPE", "qty": 1}]'$$, $$'[{"sku": "P1", "qty": 1, "reason": "x"}]'$$,
    $$'[{"sku": "P3", "qty": 1}, {"sku": "P3", "qty": 1}]'$$, $$'[{"sku": "P1", "qty": 0.00001}]'$$]
END) $f$;

-- A hostile value for an argument: its type's pool, or for ids, codes and
-- JSON documents also values of the right shape that are wrong.
CREATE FUNCTION hostile.bad(kind text, argtype text) RETURNS text LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    states text[];
BEGIN
    IF random() < 0.5 THEN
        IF kind LIKE 'order:%' THEN
            -- an existing order in a status the call does not accept, or none
            states := string_to_array(split_part(kind, ':', 2), ',');
            IF random() < 0.5 THEN
                RETURN hostile.any_id(format(
                    'SELECT order_id FROM ordermgmt.orders WHERE NOT (status::text = ANY (%L))', states));
            END IF;
            RETURN hostile.missing_id('orders', 'order_id');
        END IF;
        IF kind LIKE 'purchase:%' THEN
            -- an existing purchase order in a status the call does not accept, or none
            states := string_to_array(split_part(kind, ':', 2), ',');
            IF random() < 0.5 THEN
                RETURN hostile.any_id(format(
                    'SELECT po_id FROM ordermgmt.purchase_orders WHERE NOT (status = ANY (%L))', states));
            END IF;
            RETURN hostile.missing_id('purchase_orders', 'po_id');
        END IF;
        CASE kind
        WHEN 'shipment' THEN
            RETURN CASE WHEN random() < 0.5
                        THEN hostile.any_id('SELECT shipment_id FROM ordermgmt.shipments WHERE delivered_at IS NOT NULL')
                        ELSE hostile.missing_id('shipments', 'shipment_id') END;
        WHEN 'invoice' THEN
            RETURN CASE WHEN random() < 0.5
                        THEN hostile.any_id('SELECT invoice_id FROM ordermgmt.invoices WHERE due = 0')
                        ELSE hostile.missing_id('invoices', 'invoice_id') END;
        WHEN 'ticket' THEN
            RETURN CASE WHEN random() < 0.5
                        THEN hostile.any_id('SELECT ticket_id FROM ordermgmt.tickets WHERE status = ''resolved''')
                        ELSE hostile.missing_id('tickets', 'ticket_id') END;
        WHEN 'alert' THEN
            RETURN CASE WHEN random() < 0.5
                        THEN hostile.any_id('SELECT alert_id FROM ordermgmt.alerts WHERE status = ''resolved''')
                        ELSE hostile.missing_id('alerts', 'alert_id') END;
        WHEN 'entry' THEN
            RETURN CASE WHEN random() < 0.5
                        THEN hostile.any_id('SELECT reverses_entry_id FROM ordermgmt.journal_entries
                                              WHERE reverses_entry_id IS NOT NULL')
                        ELSE hostile.missing_id('journal_entries', 'entry_id') END;
        WHEN 'event' THEN
            RETURN hostile.missing_id('events', 'event_id');
        WHEN 'opportunity' THEN
            -- won or lost, or quoted and its quotation still open, or none
            RETURN CASE WHEN random() < 0.5
                        THEN hostile.any_id('SELECT opportunity_id FROM ordermgmt.opportunities o
                                              WHERE o.stage IN (''won'', ''lost'')
                                                 OR EXISTS (SELECT 1 FROM ordermgmt.orders x
                                                             WHERE x.order_id = o.order_id
                                                               AND x.status IN (''draft'', ''pending'', ''on_hold''))')
                        ELSE hostile.missing_id('opportunities', 'opportunity_id') END;
        WHEN 'notification' THEN
            RETURN hostile.missing_id('notifications', 'notification_id');
        WHEN 'customer_invoice' THEN
            -- paid already, another customer's, or none
            RETURN CASE WHEN random() < 0.5
                        THEN hostile.any_id('SELECT invoice_id FROM ordermgmt.invoices')
                        ELSE hostile.missing_id('invoices', 'invoice_id') END;
        WHEN 'currency' THEN
            RETURN hostile.pick(ARRAY[$q$'eur'$q$, $q$'EURO'$q$, $q$'GBP'$q$, $q$''$q$]);
        WHEN 'optional_currency' THEN
            RETURN hostile.pick(ARRAY[$q$'usd'$q$, $q$'GBP'$q$, $q$'€'$q$]);
        WHEN 'receipt_amount', 'credit_amount' THEN
            RETURN hostile.pick(ARRAY[$q$'0'$q$, $q$'-1'$q$, $q$'0.001'$q$, $q$'99999999999999.99'$q$]);
        WHEN 'customer' THEN
            RETURN hostile.pick(ARRAY[$q$'NOBODY'$q$, $q$'acme'$q$, $q$'ACME '$q$, $q$'ÜNÏ-😀 '$q$,
                                      $q$'UNI-😀'$q$, $q$'BLOCKED'$q$]);
        WHEN 'sku' THEN
            RETURN hostile.pick(ARRAY[$q$'NOPE'$q$, $q$'p1'$q$, $q$'P1 '$q$, $q$'OLD'$q$, $q$'SKU-SS-✓'$q$]);
        WHEN 'supplier' THEN
            RETURN hostile.pick(ARRAY[$q$'NOPE'$q$, $q$'acme-sup'$q$, $q$'ACME-SUP '$q$, $q$'ACME'$q$]);
        WHEN 'warehouse' THEN
            RETURN hostile.pick(ARRAY[$q$'NOWHERE'$q$, $q$'main'$q$, $q$' MAIN'$q$]);
        WHEN 'priority' THEN
            RETURN hostile.pick(ARRAY[$q$'URGENT'$q$, $q$'critical'$q$, $q$'normal '$q$]);
        WHEN 'rule_code' THEN
            RETURN hostile.pick(ARRAY[$q$'L9_NOPE'$q$, $q$'l1_credit_limit'$q$]);
        WHEN 'amount' THEN
            RETURN hostile.pick(ARRAY[$q$'0.001'$q$, $q$'1000000'$q$, $q$'99999999999999.99'$q$]);
        WHEN 'delivered_at' THEN
            RETURN $q$now() - interval '30 days'$q$;   -- before the shipment left
        WHEN 'close_through' THEN
            -- today (not over yet), or before the books' current close
            RETURN hostile.pick(ARRAY[$q$timezone('UTC', now())::date$q$,
                                      $q$coalesce((SELECT max(closed_through) FROM ordermgmt.ledger_closes), current_date) - 1$q$]);
        ELSE
            IF kind IN ('order_lines', 'options', 'ship_lines', 'return_lines', 'entry_lines', 'thresholds',
                        'amend_changes', 'allocations', 'purchase_lines', 'purchase_options', 'receive_lines') THEN
                RETURN hostile.bad_lines(kind);
            END IF;
            IF kind IN ('order_batch', 'ship_batch', 'invoice_batch', 'payment_batch') THEN
                RETURN hostile.bad_batch(kind);
            END IF;
        END CASE;
    END IF;
    RETURN CASE argtype
        WHEN 'text' THEN hostile.bad_text()
        WHEN 'bigint' THEN hostile.bad_bigint()
        WHEN 'bigint[]' THEN hostile.bad_bigint_array()
        WHEN 'integer' THEN hostile.bad_integer()
        WHEN 'numeric' THEN hostile.bad_numeric()
        WHEN 'jsonb' THEN hostile.bad_jsonb()
        WHEN 'timestamp with time zone' THEN hostile.bad_timestamptz()
        WHEN 'interval' THEN hostile.bad_interval()
        WHEN 'date' THEN hostile.bad_date()
    END;
END $$;

--------------------------------------------------------------------------
-- Valid values, drawn from the database's current state.  prior holds the
-- expressions of the call's earlier arguments (a payment's amount fits its
-- invoice, shipped lines their order).
--------------------------------------------------------------------------
CREATE FUNCTION hostile.good(kind text, prior text[]) RETURNS text LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    states text[];
    ref bigint := hostile.id_of(prior[1]);
    j jsonb;
BEGIN
    IF kind LIKE 'order:%' THEN
        states := string_to_array(split_part(kind, ':', 2), ',');
        RETURN coalesce(nullif(hostile.any_id(format(
                   'SELECT order_id FROM ordermgmt.orders WHERE status::text = ANY (%L) OR %L',
                   states, states = '{any}')), 'NULL'),
               hostile.any_id('SELECT order_id FROM ordermgmt.orders'));
    END IF;
    IF kind LIKE 'purchase:%' THEN
        states := string_to_array(split_part(kind, ':', 2), ',');
        RETURN coalesce(nullif(hostile.any_id(format(
                   'SELECT po_id FROM ordermgmt.purchase_orders WHERE status = ANY (%L)', states)), 'NULL'),
               hostile.any_id('SELECT po_id FROM ordermgmt.purchase_orders'));
    END IF;
    CASE kind
    WHEN 'customer' THEN
        RETURN quote_literal(hostile.pick(ARRAY['ACME', 'ACME', 'LIMITED', 'BLOCKED', 'ÜNÏ-😀']));
    WHEN 'sku' THEN
        RETURN quote_literal(hostile.pick(ARRAY['P1', 'P2', 'P3', 'P4', 'SKU-ß-✓', 'OLD']));
    WHEN 'warehouse' THEN
        RETURN quote_literal(hostile.pick(ARRAY['MAIN', 'MAIN', 'EAST']));
    WHEN 'supplier' THEN
        RETURN quote_literal(hostile.pick(ARRAY['ACME-SUP', 'FAST-SUP']));
    WHEN 'purchase_lines' THEN
        -- distinct products, now and then at a cost of their own (near theirs)
        SELECT jsonb_agg(CASE WHEN random() < 0.3
                              THEN jsonb_build_object('sku', sku, 'qty', q, 'unit_cost', round(coalesce(unit_cost, 1) * 1.1, 2))
                              ELSE jsonb_build_object('sku', sku, 'qty', q) END)
          INTO j
          FROM (SELECT sku, unit_cost, hostile.rint(1, 50) AS q
                  FROM ordermgmt.products ORDER BY random() LIMIT hostile.rint(1, 3)) p;
        RETURN hostile.jlit(j);
    WHEN 'purchase_options' THEN
        RETURN hostile.pick(ARRAY[
            '''{}''', '''{"submit": false}''', '''{"expected_at": "2030-01-01T12:00:00Z"}''',
            '''{"expected_at": "2001-01-01"}''',
            format('%L', jsonb_build_object('reference', 'PO-' || hostile.rint(1, 20)))]);
    WHEN 'receive_lines' THEN
        IF random() < 0.4 OR ref IS NULL THEN
            RETURN 'NULL';    -- everything still open
        END IF;
        SELECT jsonb_agg(jsonb_build_object('sku', p.sku, 'qty', least(l.qty - l.received_qty, hostile.rint(1, 10))))
          INTO j
          FROM ordermgmt.purchase_lines l JOIN ordermgmt.products p USING (product_id)
         WHERE l.po_id = ref AND l.received_qty < l.qty;
        RETURN coalesce(hostile.jlit(j), 'NULL');
    WHEN 'shipment' THEN
        RETURN hostile.any_id('SELECT shipment_id FROM ordermgmt.shipments WHERE delivered_at IS NULL');
    WHEN 'invoice' THEN
        RETURN hostile.any_id('SELECT invoice_id FROM ordermgmt.invoices WHERE due > 0');
    WHEN 'ticket' THEN
        RETURN hostile.any_id('SELECT ticket_id FROM ordermgmt.tickets WHERE status = ''open''');
    WHEN 'alert' THEN
        RETURN hostile.any_id('SELECT alert_id FROM ordermgmt.alerts WHERE status <> ''resolved''');
    WHEN 'entry' THEN
        -- any entry not reversed yet, automatic postings included: the
        -- books are the accountants' to correct (verify() ties documents to
        -- their own entries, not accounts to documents)
        RETURN hostile.any_id('SELECT e.entry_id FROM ordermgmt.journal_entries e
                                WHERE e.source_type <> ''reversal''
                                  AND NOT EXISTS (SELECT 1 FROM ordermgmt.journal_entries r
                                                   WHERE r.reverses_entry_id = e.entry_id)');
    WHEN 'event' THEN
        RETURN CASE WHEN random() < 0.3 THEN '0'
                    ELSE hostile.any_id('SELECT event_id FROM ordermgmt.events') END;
    WHEN 'opportunity' THEN
        -- open, and no quotation of it open
        RETURN coalesce(nullif(hostile.any_id('SELECT opportunity_id FROM ordermgmt.opportunities o
                                                WHERE o.stage NOT IN (''won'', ''lost'')
                                                  AND NOT EXISTS (SELECT 1 FROM ordermgmt.orders x
                                                                   WHERE x.order_id = o.order_id
                                                                     AND x.status IN (''draft'', ''pending'', ''on_hold''))'),
                               'NULL'),
                        hostile.any_id('SELECT opportunity_id FROM ordermgmt.opportunities'));
    WHEN 'quote_options' THEN
        RETURN hostile.pick(ARRAY['''{}''', '''{"warehouse": "MAIN"}''', '''{"warehouse": "EAST"}''',
                                  '''{"promised_at": "2030-01-01T12:00:00Z"}''', '''{"valid_until": "2030-01-01T12:00:00Z"}''']);
    WHEN 'words' THEN
        RETURN quote_literal(hostile.pick(ARRAY['customer request', 'Lieferung beschädigt ✓',
                                                'العميل طلب ذلك', 'quality check 2/3']));
    WHEN 'optional_words' THEN
        RETURN CASE WHEN random() < 0.3 THEN 'NULL'
                    ELSE quote_literal(hostile.pick(ARRAY['DHL', 'note: ok', 'Ünïcödé ✓', 'T-4711'])) END;
    WHEN 'method' THEN
        RETURN quote_literal(hostile.pick(ARRAY['bank', 'card', 'cash']));
    WHEN 'currency' THEN
        RETURN quote_literal(hostile.pick(ARRAY['EUR', 'EUR', 'EUR', 'USD']));
    WHEN 'optional_currency' THEN
        RETURN hostile.pick(ARRAY['NULL', 'NULL', '''EUR''', '''USD''']);
    WHEN 'receipt_amount' THEN
        RETURN quote_literal(hostile.pick(ARRAY['10', '100', '250.50', '1000']));
    WHEN 'credit_amount' THEN
        RETURN quote_literal(hostile.pick(ARRAY['0.01', '1', '5', '20']));
    WHEN 'receipt_reference' THEN
        -- some references repeat, so some receipts and refunds are retries
        RETURN quote_literal('RCPT-' || hostile.rint(1, 40));
    WHEN 'customer_invoice' THEN
        -- an open invoice of the customer named first, else any open one
        RETURN coalesce(nullif(hostile.any_id(format(
                   'SELECT i.invoice_id FROM ordermgmt.invoices i JOIN ordermgmt.customers c USING (customer_id)
                     WHERE c.code = %L AND i.due > 0', hostile.eval(prior[1], 'text'))), 'NULL'),
               hostile.any_id('SELECT invoice_id FROM ordermgmt.invoices WHERE due > 0'));
    WHEN 'allocations' THEN
        -- NULL (oldest due first), or up to three open invoices of the
        -- customer in the receipt's currency, 5.00 at most each
        IF random() < 0.4 THEN
            RETURN 'NULL';
        END IF;
        SELECT jsonb_agg(jsonb_build_object('invoice_id', i.invoice_id, 'amount', least(i.due, 5.00)))
          INTO j
          FROM (SELECT x.invoice_id, x.due
                  FROM ordermgmt.invoices x JOIN ordermgmt.customers c USING (customer_id)
                 WHERE c.code = hostile.eval(prior[1], 'text') AND x.due > 0
                   AND x.currency = hostile.eval(prior[3], 'text')
                 ORDER BY random() LIMIT hostile.rint(1, 3)) i;
        RETURN coalesce(hostile.jlit(j), 'NULL');
    WHEN 'reference' THEN
        -- a few references repeat, so some payments are retries
        RETURN CASE WHEN random() < 0.4 THEN 'NULL' ELSE quote_literal('REF-' || hostile.rint(1, 5)) END;
    WHEN 'priority' THEN
        RETURN quote_literal(hostile.pick(ARRAY['low', 'normal', 'high', 'urgent']));
    WHEN 'qty' THEN
        RETURN quote_literal(hostile.pick(ARRAY['1', '5', '20', '0.5', '2.25', '100']));
    WHEN 'cost' THEN
        RETURN hostile.pick(ARRAY['NULL', '''0''', '''4.5''', '''12.3456''', '''80''']);
    WHEN 'amount' THEN
        IF ref IS NOT NULL THEN
            RETURN coalesce((SELECT quote_literal(CASE WHEN random() < 0.4 THEN due
                                                       ELSE greatest(0.01, round(due * random()::numeric, 2)) END)
                               FROM ordermgmt.invoices WHERE invoice_id = ref AND due > 0), '''10''');
        END IF;
        RETURN '''10''';
    WHEN 'due_days' THEN
        RETURN quote_literal(hostile.pick(ARRAY['0', '14', '30', '90', '3650']));
    WHEN 'rating' THEN
        RETURN quote_literal(hostile.rint(1, 5));
    WHEN 'max_rows' THEN
        RETURN quote_literal(hostile.pick(ARRAY['1', '10', '1000']));
    WHEN 'lease' THEN
        RETURN quote_literal(hostile.pick(ARRAY['1 second', '5 minutes', '1 day']));
    WHEN 'notification' THEN
        -- one being sent, or any (then its claim has lapsed: NULL)
        RETURN coalesce(nullif(hostile.any_id('SELECT notification_id FROM ordermgmt.notifications
                                                WHERE status = ''sending'''), 'NULL'),
                        hostile.any_id('SELECT notification_id FROM ordermgmt.notifications'));
    WHEN 'attempt' THEN
        RETURN coalesce((SELECT quote_literal(attempts) FROM ordermgmt.notifications
                          WHERE notification_id = ref AND attempts > 0), '''1''');
    WHEN 'max_attempts' THEN
        RETURN quote_literal(hostile.pick(ARRAY['1', '5', '1000']));
    WHEN 'retry_delay' THEN
        RETURN quote_literal(hostile.pick(ARRAY['0', '30 seconds', '1 hour']));
    WHEN 'delivered_at' THEN
        RETURN hostile.pick(ARRAY['''now''', 'now() + interval ''1 day''']);
    WHEN 'tick_at' THEN
        RETURN format('now() + interval %L', hostile.rint(0, 240) || ' hours');
    WHEN 'retention' THEN
        RETURN hostile.pick(ARRAY['NULL', '''1 hour''', '''30 days''', '''0''']);
    WHEN 'close_through' THEN
        -- a day that is over; a later one than the current close closes more
        RETURN format('timezone(''UTC'', now())::date - %s', hostile.rint(1, 4000));
    WHEN 'rule_code' THEN
        RETURN quote_literal((SELECT rule_code FROM ordermgmt.monitor_rules ORDER BY random() LIMIT 1));
    WHEN 'thresholds' THEN
        RETURN coalesce((SELECT hostile.jlit(thresholds) FROM ordermgmt.monitor_rules
                          WHERE rule_code = trim(both '''' FROM prior[1])), '''{}''');
    WHEN 'order_lines' THEN
        SELECT jsonb_agg(CASE WHEN random() < 0.2
                              THEN jsonb_build_object('sku', sku, 'qty', q, 'unit_price', round(list_price * 0.8, 2))
                              ELSE jsonb_build_object('sku', sku, 'qty', q) END)
          INTO j
          FROM (SELECT sku, list_price, hostile.rint(1, 5) AS q
                  FROM ordermgmt.products WHERE active ORDER BY random() LIMIT hostile.rint(1, 3)) p;
        RETURN hostile.jlit(j);
    WHEN 'options' THEN
        RETURN hostile.pick(ARRAY[
            '''{}''', '''{"warehouse": "MAIN"}''', '''{"submit": false}''', '''{"auto_confirm": false}''',
            '''{"currency": "USD"}''', '''{"warehouse": "EAST"}''',
            format('%L', jsonb_build_object('external_ref', 'EXT-' || hostile.rint(1, 20))),
            '''{"promised_at": "2030-01-01T12:00:00Z"}''', '''{"promised_at": "2001-01-01"}''',
            '''{"submit": false, "valid_until": "2030-01-01T12:00:00Z"}''']);
    WHEN 'ship_lines' THEN
        IF random() < 0.4 OR ref IS NULL THEN
            RETURN 'NULL';    -- everything still reserved
        END IF;
        SELECT jsonb_agg(jsonb_build_object('sku', p.sku, 'qty', least(r.qty, 1)))
          INTO j
          FROM ordermgmt.reservations r JOIN ordermgmt.products p USING (product_id)
         WHERE r.order_id = ref AND r.qty > 0;
        RETURN coalesce(hostile.jlit(j), '''[{"sku": "P1", "qty": 1}]''');
    WHEN 'amend_changes' THEN
        -- each of the order's SKUs one up or down (or removed), now and then a new one
        SELECT jsonb_agg(c)
          INTO j
          FROM (SELECT jsonb_build_object('sku', p.sku,
                                          'qty', greatest(sum(l.qty) + hostile.rint(-2, 2), 0)) AS c
                  FROM ordermgmt.order_lines l JOIN ordermgmt.products p USING (product_id)
                 WHERE l.order_id = ref GROUP BY p.sku
                UNION ALL
                SELECT jsonb_build_object('sku', p.sku, 'qty', hostile.rint(1, 3))
                  FROM ordermgmt.products p
                 WHERE random() < 0.3 AND p.active
                   AND NOT EXISTS (SELECT 1 FROM ordermgmt.order_lines l
                                    WHERE l.order_id = ref AND l.product_id = p.product_id)
                 LIMIT 1) x;
        RETURN coalesce(hostile.jlit(j), '''[{"sku": "P1", "qty": 1}]''');
    WHEN 'return_lines' THEN
        SELECT jsonb_agg(jsonb_build_object('sku', p.sku, 'qty', 1))
          INTO j
          FROM ordermgmt.order_lines l JOIN ordermgmt.products p USING (product_id)
         WHERE l.order_id = ref AND l.shipped_qty - l.returned_qty >= 1;
        RETURN coalesce(hostile.jlit(j), '''[{"sku": "P1", "qty": 1}]''');
    WHEN 'order_batch' THEN
        -- 1 to 5 orders, each as create_order's arguments are drawn
        SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                   'customer', hostile.eval(hostile.good('customer', '{}'), 'text'),
                   'lines', hostile.eval(hostile.good('order_lines', '{}'), 'jsonb')::jsonb,
                   'options', CASE WHEN random() < 0.6
                                   THEN hostile.eval(hostile.good('options', '{}'), 'jsonb')::jsonb END)))
          INTO j
          FROM generate_series(1, hostile.rint(1, 5));
        RETURN hostile.jlit(j);
    WHEN 'ship_batch' THEN
        SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                   'order_id', o, 'lines', hostile.eval(hostile.good('ship_lines', ARRAY[o::text]), 'jsonb')::jsonb,
                   'carrier', hostile.eval(hostile.good('optional_words', '{}'), 'text'),
                   'tracking', hostile.eval(hostile.good('optional_words', '{}'), 'text'))))
          INTO j
          FROM (SELECT hostile.id_of(hostile.good('order:confirmed,processing,partially_shipped', '{}')) AS o
                  FROM generate_series(1, hostile.rint(1, 4))) x
         WHERE o IS NOT NULL;
        RETURN hostile.jlit(coalesce(j, '[]'));
    WHEN 'invoice_batch' THEN
        RETURN quote_literal(ARRAY(
            SELECT hostile.id_of(hostile.good('order:partially_shipped,shipped,delivered', '{}'))
              FROM generate_series(1, hostile.rint(1, 4)))::text);
    WHEN 'payment_batch' THEN
        SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                   'invoice_id', i, 'amount', hostile.eval(hostile.good('amount', ARRAY[i::text]), 'numeric')::numeric,
                   'method', CASE WHEN random() < 0.5 THEN hostile.eval(hostile.good('method', '{}'), 'text') END,
                   'reference', hostile.eval(hostile.good('reference', '{}'), 'text'))))
          INTO j
          FROM (SELECT hostile.id_of(hostile.good('invoice', '{}')) AS i
                  FROM generate_series(1, hostile.rint(1, 4))) x
         WHERE i IS NOT NULL;
        RETURN hostile.jlit(coalesce(j, '[]'));
    WHEN 'entry_lines' THEN
        -- balanced, to any account, cash and receivables included
        j := to_jsonb(round((random() * 1000)::numeric + 0.01, 2));
        RETURN hostile.jlit(jsonb_build_array(
            jsonb_build_object('account', hostile.pick(ARRAY['5000', '1200', '1000']), 'debit', j),
            jsonb_build_object('account', hostile.pick(ARRAY['4000', '2000', '1100']), 'credit', j)));
    END CASE;
END $$;

--------------------------------------------------------------------------
-- The driver: one call (or probe) per invocation, in its own transaction
-- when invoked as its own statement; the call itself runs in a
-- subtransaction so its failure is recorded with its SQLSTATE.
--------------------------------------------------------------------------
CREATE FUNCTION hostile.call(session text, n integer) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    f record;
    g record;
    fn_name text;
    fn_permitted boolean;
    args text[] := '{}';
    types text[] := '{}';
    bad boolean[];
    nbad integer := 0;
    nargs integer;
    keep integer;
    stmt text;
    expr text;
    r double precision;
    input_code text;
    outcome text;
    msg text;
    t0 timestamptz;
    is_repeat boolean := false;
    probe_order bigint;
    items text[];
BEGIN
    -- Deferred constraints (a journal entry balances) are checked at the
    -- end of the call, inside its subtransaction, so their failure is the
    -- call's outcome.
    SET CONSTRAINTS ALL IMMEDIATE;
    -- 3 % of the app session's calls are probes, 5 % of all calls repeat
    -- the previous statement, the rest draw a new call.
    r := random();
    IF session = 'app' AND r < 0.03 THEN
        probe_order := hostile.id_of(hostile.any_id(
            'SELECT order_id FROM ordermgmt.orders WHERE status IN (''confirmed'', ''processing'')'));
    END IF;
    IF probe_order IS NOT NULL THEN
        -- Probe: after any number of failed calls, plain SQL still may not
        -- make a transition reserved to an API function, nor change the
        -- lines of an order that is no longer a draft (OM001).
        fn_name := 'probe: plain UPDATE of a confirmed order';
        fn_permitted := true;
        -- Nor write a column only the extension writes (approved_by would
        -- skip the price and credit checks, shipped_qty allow invoicing).
        stmt := CASE floor(random() * 4)::int
                     WHEN 0 THEN format('UPDATE ordermgmt.orders SET status = %L WHERE order_id = %s', 'shipped', probe_order)
                     WHEN 1 THEN format('UPDATE ordermgmt.order_lines SET qty = qty + 1 WHERE order_id = %s', probe_order)
                     WHEN 2 THEN format('UPDATE ordermgmt.orders SET approved_by = %L WHERE order_id = %s', 'cfo', probe_order)
                     ELSE format('UPDATE ordermgmt.orders SET created_at = created_at - interval %L WHERE order_id = %s',
                                 '1 year', probe_order)
                END;
    ELSIF r >= 0.03 AND r < 0.08 AND EXISTS (SELECT 1 FROM hostile.calls c WHERE c.session = call.session) THEN
        -- the session's previous statement again (retries, idempotency keys)
        SELECT c.fn, c.permitted, c.sql, c.hostile, c.input_code INTO fn_name, fn_permitted, stmt, nbad, input_code
          FROM hostile.calls c WHERE c.session = call.session ORDER BY c.n DESC LIMIT 1;
        is_repeat := true;
    ELSE
        -- The function: the app session calls what ordermgmt_app may, and
        -- now and then one it may not (refused: 42501); the admin session
        -- calls the admin-only functions, the approver session what
        -- ordermgmt_approver may.
        IF session = 'app' AND random() < 0.02 THEN
            SELECT a.fn, a.app AS permitted, a.nargs, a.ndefaults INTO f
              FROM hostile.api a WHERE NOT a.app ORDER BY random() LIMIT 1;
        ELSIF session = 'approver' THEN
            SELECT a.fn, true AS permitted, a.nargs, a.ndefaults INTO f
              FROM hostile.api a WHERE a.approver ORDER BY random() LIMIT 1;
        ELSIF session = 'app' THEN
            SELECT a.fn, true AS permitted, a.nargs, a.ndefaults INTO f
              FROM hostile.api a WHERE a.app ORDER BY random() LIMIT 1;
        ELSE
            SELECT a.fn, true AS permitted, a.nargs, a.ndefaults INTO f
              FROM hostile.api a WHERE a.admin AND NOT a.app ORDER BY random() LIMIT 1;
        END IF;
        fn_name := f.fn;
        fn_permitted := f.permitted;
        nargs := f.nargs;

        -- Which arguments are hostile: none (35 %), one (45 %), or each with
        -- a chance of 0.6 (20 %).
        r := random();
        bad := array_fill(false, ARRAY[nargs]);
        IF nargs > 0 AND r >= 0.35 THEN
            IF r < 0.8 THEN
                bad[1 + floor(random() * nargs)::int] := true;
            ELSE
                FOR i IN 1..nargs LOOP
                    bad[i] := random() < 0.6;
                END LOOP;
            END IF;
        END IF;

        FOR g IN SELECT * FROM hostile.generators WHERE generators.fn = f.fn AND argno > 0 ORDER BY argno LOOP
            IF bad[g.argno] THEN
                expr := hostile.bad(g.kind, g.argtype);
                nbad := nbad + 1;
            ELSE
                expr := hostile.good(g.kind, args);
            END IF;
            args := args || expr;
            types := types || g.argtype;
        END LOOP;

        -- Sometimes leave out trailing arguments that have defaults.
        keep := nargs;
        IF f.ndefaults > 0 AND random() < 0.15 THEN
            keep := nargs - hostile.rint(1, f.ndefaults)::int;
        END IF;
        -- A literal is passed as it is (PostgreSQL converts it to the
        -- argument's type); any other expression is cast.
        SELECT string_agg(CASE WHEN a ~ '^(NULL|''([^'']|'''')*'')$' THEN a
                               ELSE '(' || a || ')::' || t END, ', ' ORDER BY i)
          INTO expr
          FROM unnest(args[1:keep], types[1:keep]) WITH ORDINALITY AS x(a, t, i);
        stmt := format('SELECT * FROM %s(%s)', regexp_replace(f.fn, '\(.*$', ''), coalesce(expr, ''));

        -- Did PostgreSQL refuse an argument before the function could run?
        FOR i IN 1..keep LOOP
            BEGIN
                EXECUTE format('SELECT (%s)::%s', args[i], types[i]);
            EXCEPTION WHEN OTHERS THEN
                input_code := SQLSTATE;
                EXIT;
            END;
        END LOOP;
    END IF;

    -- The statement reaches the server log before it runs, so a call that
    -- crashes the backend can be found.
    RAISE LOG 'hostile % #%: %', session, n, left(stmt, 1000);
    t0 := clock_timestamp();
    BEGIN
        IF hostile.is_batch(fn_name) THEN
            -- a batch function's failed items are rows, not errors
            EXECUTE format('SELECT array_agg(DISTINCT coalesce(b.sqlstate, %L)) FROM (%s) AS b', 'ok', stmt)
               INTO items;
        ELSE
            EXECUTE stmt;
        END IF;
        outcome := 'ok';
        -- An alert resolved by hand is undone after it succeeds: verify()
        -- allows it, but test/invariants.sql also checks that every fired
        -- deadline keeps its open alert, which catches an alert resolved
        -- by mistake (a purge, manual entries and reversals stay).
        IF fn_name = 'ordermgmt.resolve_alert(bigint,text)' THEN
            RAISE SQLSTATE 'HT000';
        END IF;
    EXCEPTION
        WHEN SQLSTATE 'HT000' THEN
            NULL;
        WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS outcome = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    END;
    -- Keep the log readable: a message may quote a megabyte of input.
    INSERT INTO hostile.calls (session, n, fn, permitted, repeated, hostile, sql, input_code, outcome,
                               items, message, ms)
    VALUES (session, n, fn_name, fn_permitted, is_repeat, nbad, stmt, input_code, outcome,
            items, left(msg, 300), round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000, 2));
    RETURN format('%s #%s %s -> %s', session, n, fn_name, outcome);
END $$;

--------------------------------------------------------------------------
-- What a call may end with.  Anything else (XX000 internal error, a
-- constraint violation the function should have caught, ...) fails the test.
--------------------------------------------------------------------------
CREATE FUNCTION hostile.allowed(c hostile.calls) RETURNS boolean LANGUAGE sql AS $$
SELECT CASE
    -- plain SQL may not do what only an API function may
    WHEN c.fn LIKE 'probe:%' THEN c.outcome = 'OM001'
    -- a batch: every item as its single function may end
    WHEN c.outcome = 'ok' AND c.items IS NOT NULL
        THEN c.permitted AND c.items <@ (ARRAY['ok', 'OM001', 'OM002', 'OM003', 'OM004', 'OM005', 'OM006', '22023']
                                          || CASE WHEN c.fn = 'ordermgmt.create_orders(jsonb)'
                                                  THEN ARRAY['22007', '22008'] ELSE '{}' END)
    WHEN c.outcome = 'ok' THEN c.permitted
    -- PostgreSQL refused an argument before the call: its type's input
    -- error (class 22), a NUL character (54000), JSON nested deeper than
    -- the parser's stack (54001)
    WHEN c.input_code IS NOT NULL AND (c.outcome LIKE '22___' OR c.outcome IN ('54000', '54001')) THEN true
    -- a role without EXECUTE is refused, whatever the arguments
    WHEN NOT c.permitted THEN c.outcome = '42501'
    -- a tick in the future is an admin's (the app's raise every alert early)
    WHEN c.fn = 'ordermgmt.monitor_tick(timestamp with time zone)' AND c.session = 'app' AND c.outcome = '42501'
        THEN true
    -- the pure helpers of the monitor_rules CHECK constraint convert the
    -- thresholds with the types' own input functions
    WHEN c.fn IN ('ordermgmt.rule_delay(text,jsonb,text)', 'ordermgmt.rule_thresholds_valid(text,jsonb)')
        THEN c.outcome LIKE '22___'
    -- options.promised_at (expected_at) is text in JSON, converted by the
    -- timestamp type's own input function (as test/sql/bad_input.sql records)
    WHEN c.fn IN ('ordermgmt.create_order(text,jsonb,jsonb)', 'ordermgmt.quote_opportunity(bigint,jsonb,jsonb)',
                  'ordermgmt.create_purchase_order(text,text,jsonb,jsonb)')
         AND c.outcome IN ('22007', '22008') THEN true
    -- the API functions: the spec's business errors and malformed arguments
    ELSE c.outcome IN ('OM001', 'OM002', 'OM003', 'OM004', 'OM005', 'OM006', 'OM007', '22023')
END $$;
