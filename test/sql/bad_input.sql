-- Bad input: every call fails with the documented SQLSTATE and writes nothing.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main'), ('EAST', 'East');
INSERT INTO ordermgmt.customers (code, name) VALUES ('ACME', 'Acme');
INSERT INTO ordermgmt.products (sku, name, list_price) VALUES ('WID', 'Widget', 10);
SELECT ordermgmt.receive_stock('WID', 'MAIN', 10) > 0 AS received;
SELECT (SELECT count(*) FROM ordermgmt.events) AS ev0,
       (SELECT count(*) FROM ordermgmt.orders) AS o0,
       (SELECT count(*) FROM ordermgmt.stock_moves) AS m0 \gset

SELECT q, pg_temp.try(q) AS result FROM (VALUES
  -- create_order: NULLs, JSON shape, quantities, prices, codes, options
  ($$SELECT ordermgmt.create_order(NULL, '[{"sku": "WID", "qty": 1}]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('', '[{"sku": "WID", "qty": 1}]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', NULL, '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '{}', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '"WID"', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[1]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[[]]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"qty": 1}]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": 7, "qty": 1}]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "", "qty": 1}]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID"}]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": "1"}]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": null}]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 0}]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": -2}]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1e20}]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 0.00001}]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1, "unit_price": -1}]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1, "unit_price": "free"}]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1, "price": 3}]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}, {"sku": "NOPE", "qty": 1}]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('NOBODY', '[{"sku": "WID", "qty": 1}]', '{"warehouse": "MAIN"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]', '{"warehouse": "NOWHERE"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]', '[]')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]', '{"warehouse": "MAIN", "sumbit": false}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]', '{"warehouse": "MAIN", "submit": "no"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]', '{"warehouse": "MAIN", "currency": "euro"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]', '{"warehouse": "MAIN", "promised_at": "soon"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]', '{"warehouse": "MAIN", "promised_at": "infinity"}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]', '{"warehouse": "MAIN", "external_ref": ""}')$$),
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]', '{"warehouse": 5}')$$),
  -- receive_stock
  ($$SELECT ordermgmt.receive_stock(NULL, 'MAIN', 1)$$),
  ($$SELECT ordermgmt.receive_stock('WID', NULL, 1)$$),
  ($$SELECT ordermgmt.receive_stock('WID', 'MAIN', NULL)$$),
  ($$SELECT ordermgmt.receive_stock('WID', 'MAIN', 0)$$),
  ($$SELECT ordermgmt.receive_stock('WID', 'MAIN', -5)$$),
  ($$SELECT ordermgmt.receive_stock('WID', 'MAIN', 'NaN')$$),
  ($$SELECT ordermgmt.receive_stock('WID', 'MAIN', 'Infinity')$$),
  ($$SELECT ordermgmt.receive_stock('WID', 'MAIN', 1e30)$$),
  ($$SELECT ordermgmt.receive_stock('WID', 'MAIN', 1, -1)$$),
  ($$SELECT ordermgmt.receive_stock('NOPE', 'MAIN', 1)$$),
  ($$SELECT ordermgmt.receive_stock('WID', 'NOWHERE', 1)$$),
  -- order functions: NULL ids, unknown ids, required reasons
  ($$SELECT ordermgmt.submit_order(NULL)$$),
  ($$SELECT ordermgmt.submit_order(424242)$$),
  ($$SELECT ordermgmt.confirm_order(NULL)$$),
  ($$SELECT ordermgmt.confirm_order(-1)$$),
  ($$SELECT ordermgmt.approve_order(424242, 'note')$$),
  ($$SELECT ordermgmt.approve_order(NULL)$$),
  ($$SELECT ordermgmt.approve_order(1, NULL)$$),
  ($$SELECT ordermgmt.hold_order(424242, 'x')$$),
  ($$SELECT ordermgmt.hold_order(1, NULL)$$),
  ($$SELECT ordermgmt.hold_order(1, '')$$),
  ($$SELECT ordermgmt.cancel_order(424242, 'x')$$),
  ($$SELECT ordermgmt.cancel_order(1, NULL)$$),
  ($$SELECT ordermgmt.start_processing(424242)$$),
  ($$SELECT ordermgmt.start_processing(NULL)$$),
  ($$SELECT ordermgmt.acknowledge_alert(424242)$$),
  ($$SELECT ordermgmt.resolve_alert(NULL)$$),
  ($$SELECT * FROM ordermgmt.events_since(NULL)$$),
  ($$SELECT * FROM ordermgmt.events_since(0, 0)$$),
  ($$SELECT * FROM ordermgmt.events_since(0, NULL)$$),
  -- settings are validated
  ($$INSERT INTO ordermgmt.settings VALUES ('auto_confirm', 'maybe')$$),
  ($$INSERT INTO ordermgmt.settings VALUES ('colour', 'blue')$$)
) AS t(q);
-- idempotency keys fit their unique index; what a receipt adds up to fits its columns
SELECT q, pg_temp.try(q) AS result FROM (VALUES
  ($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]',
                                   jsonb_build_object('warehouse', 'MAIN', 'external_ref', repeat('R', 256)))$$),
  ($$SELECT ordermgmt.record_payment(424242, 1, 'bank', '')$$),
  ($$SELECT ordermgmt.record_payment(424242, 1, 'bank', repeat('R', 256))$$),
  ($$SELECT ordermgmt.receive_stock('WID', 'MAIN', 99999999999999.9999)$$),
  ($$SELECT ordermgmt.receive_stock('WID', 'MAIN', 1000, 99999999999999.9999)$$)
) AS t(q);

-- nothing was written by any of them
SELECT (SELECT count(*) FROM ordermgmt.events) = :ev0 AS no_events,
       (SELECT count(*) FROM ordermgmt.orders) = :o0 AS no_orders,
       (SELECT count(*) FROM ordermgmt.stock_moves) = :m0 AS no_moves;

-- a default warehouse makes options.warehouse optional; an unknown default is reported
INSERT INTO ordermgmt.settings VALUES ('default_warehouse', 'GONE');
SELECT pg_temp.try($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]')$$);
UPDATE ordermgmt.settings SET value = 'MAIN' WHERE key = 'default_warehouse';
SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]') AS o1 \gset
SELECT w.code FROM ordermgmt.orders o JOIN ordermgmt.warehouses w USING (warehouse_id)
 WHERE o.order_id = :o1;
-- with a single warehouse, no setting is needed
DELETE FROM ordermgmt.settings;
DELETE FROM ordermgmt.warehouses WHERE code = 'EAST';
SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]') > 0 AS uses_only_warehouse;

DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
