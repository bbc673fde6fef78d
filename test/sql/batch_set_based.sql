-- create_orders' set-based path (domain/bulk_entry.c): a run of plain
-- auto-confirmed orders is checked in memory and written with one
-- statement per table; every other item (held, backordered, low stock, a
-- draft, a bad item) goes the single way.  Whatever way each item goes,
-- the batch leaves exactly what the same create_order calls leave, row for
-- row and column for column: the same items are placed both ways from the
-- same state (each in a transaction rolled back) and compared.
SET client_min_messages = warning;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main'), ('EAST', 'East');
INSERT INTO ordermgmt.settings (key, value) VALUES ('default_warehouse', 'MAIN');
INSERT INTO ordermgmt.price_lists (code, currency) VALUES ('PL', 'EUR');
INSERT INTO ordermgmt.customers (code, name, credit_limit, allocation) VALUES
  ('ACME', 'Acme', NULL, NULL),
  ('LIM', 'Limited', 500, NULL),
  ('PART', 'Partial', NULL, 'partial'),
  ('LIST', 'Listed', NULL, NULL);
UPDATE ordermgmt.customers SET price_list_id = (SELECT price_list_id FROM ordermgmt.price_lists WHERE code = 'PL')
 WHERE code = 'LIST';
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate, reorder_point) VALUES
  ('A', 'Widget', 10, 4, 0.2, 0),
  ('B', 'Gadget', 25, 10, 0.1, 0),
  ('L', 'Low', 5, 2, 0, 10),
  ('S', 'Scarce', 5, 2, 0, 0);
INSERT INTO ordermgmt.price_list_items (price_list_id, product_id, min_qty, unit_price)
SELECT pl.price_list_id, p.product_id, b.min_qty, b.price
  FROM ordermgmt.price_lists pl, ordermgmt.products p,
       (VALUES (1, 9.00), (5, 8.00)) AS b(min_qty, price)
 WHERE pl.code = 'PL' AND p.sku = 'A';
SELECT ordermgmt.receive_stock('A', 'MAIN', 100) > 0 AS a, ordermgmt.receive_stock('B', 'MAIN', 100) > 0 AS b,
       ordermgmt.receive_stock('L', 'MAIN', 30) > 0 AS l, ordermgmt.receive_stock('S', 'MAIN', 2) > 0 AS s,
       ordermgmt.receive_stock('A', 'EAST', 10) > 0 AS a_east;
-- an order already recorded under an external_ref: a batch item with it returns it
SELECT ordermgmt.create_order('ACME', '[{"sku": "B", "qty": 1}]', '{"external_ref": "R-0"}') AS r0 \gset

-- Everything an order left, every column, ids and times taken out (times
-- compared with the transaction's start, or the promise).
CREATE FUNCTION pg_temp.order_rows(o bigint) RETURNS jsonb LANGUAGE sql AS $$
SELECT jsonb_build_object(
  'order', (SELECT to_jsonb(x) - 'order_id' - 'created_at' - 'status_changed_at' - 'confirmed_at'
                   || jsonb_build_object('created_now', x.created_at = now(),
                                         'changed_now', x.status_changed_at = now(),
                                         'confirmed_now', x.confirmed_at = now())
              FROM ordermgmt.orders x WHERE x.order_id = o),
  'lines', (SELECT jsonb_agg(to_jsonb(l) - 'order_id' ORDER BY l.line_no)
              FROM ordermgmt.order_lines l WHERE l.order_id = o),
  'history', (SELECT jsonb_agg(to_jsonb(h) - 'history_id' - 'order_id' - 'changed_at'
                               || jsonb_build_object('now', h.changed_at = now()) ORDER BY h.history_id)
                FROM ordermgmt.order_status_history h WHERE h.order_id = o),
  'reservations', (SELECT jsonb_agg(to_jsonb(r) - 'order_id' - 'reserved_at'
                                    || jsonb_build_object('now', r.reserved_at = now()) ORDER BY r.line_no)
                     FROM ordermgmt.reservations r WHERE r.order_id = o),
  'events', (SELECT jsonb_agg(jsonb_build_array(e.kind, e.payload - 'alert_id', e.occurred_at = now())
                              ORDER BY e.event_id)
               FROM ordermgmt.events e WHERE e.order_id = o),
  'deadlines', (SELECT jsonb_agg(jsonb_build_array(d.rule_code, d.subject_type, d.variant, d.fired,
                                                   d.anchor_at = now() OR d.anchor_at = x.promised_at,
                                                   d.due_at - d.anchor_at) ORDER BY d.rule_code)
                  FROM ordermgmt.deadlines d JOIN ordermgmt.orders x USING (order_id) WHERE d.order_id = o),
  'alerts', (SELECT jsonb_agg(jsonb_build_array(a.rule_code, a.level, a.severity, a.subject_type, a.status, a.details)
                              ORDER BY a.alert_id)
               FROM ordermgmt.alerts a WHERE a.order_id = o))
$$;
-- What the orders left around them: stock, exposure, stock alerts, event order.
CREATE FUNCTION pg_temp.shared_rows() RETURNS jsonb LANGUAGE sql AS $$
SELECT jsonb_build_object(
  'stock', (SELECT jsonb_agg(jsonb_build_array(p.sku, w.code, s.on_hand, s.reserved) ORDER BY p.sku, w.code)
              FROM ordermgmt.stock s JOIN ordermgmt.products p USING (product_id)
              JOIN ordermgmt.warehouses w USING (warehouse_id)),
  'exposure', (SELECT jsonb_agg(jsonb_build_array(c.code, e.currency, e.open_orders, e.receivables)
                                ORDER BY c.code, e.currency)
                 FROM ordermgmt.customer_exposure e JOIN ordermgmt.customers c USING (customer_id)),
  'stock_alerts', (SELECT jsonb_agg(jsonb_build_array(a.rule_code, a.status, a.details) ORDER BY a.alert_id)
                     FROM ordermgmt.alerts a WHERE a.subject_type = 'stock'),
  'event_kinds', (SELECT jsonb_agg(e.kind ORDER BY e.event_id) FROM ordermgmt.events e
                   WHERE e.occurred_at = now()))
$$;
-- The items, placed one by one by create_order.
CREATE FUNCTION pg_temp.place_singly(items jsonb) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[] := '{}';
    item jsonb;
BEGIN
    FOR item IN SELECT value FROM jsonb_array_elements(items) WITH ORDINALITY ORDER BY ordinality LOOP
        ids := ids || ordermgmt.create_order(item->>'customer', item->'lines', item->'options');
    END LOOP;
    RETURN ids;
END $$;

-- Plain orders (external_ref, promise, explicit and discounted prices, a
-- price list, a second currency, a credit-checked customer within its
-- limit, a partial customer with all in stock, a known external_ref) and,
-- among them, items that stop a run: over the credit limit (held), below
-- the reorder point (low-stock alert), short under complete (held), short
-- under partial (backordered), a draft, a quotation.
SELECT $$[
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}],
   "options": {"external_ref": "R-1", "promised_at": "2030-01-02T10:00:00Z"}},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1, "unit_price": 9.95}, {"sku": "A", "qty": 3}]},
  {"customer": "LIM", "lines": [{"sku": "B", "qty": 3}]},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}], "options": {"currency": "USD"}},
  {"customer": "LIST", "lines": [{"sku": "A", "qty": 6}, {"sku": "B", "qty": 1}]},
  {"customer": "PART", "lines": [{"sku": "B", "qty": 2}]},
  {"customer": "ACME", "lines": [{"sku": "B", "qty": 1}], "options": {"external_ref": "R-0"}},
  {"customer": "LIM", "lines": [{"sku": "B", "qty": 100}]},
  {"customer": "LIM", "lines": [{"sku": "B", "qty": 2}]},
  {"customer": "ACME", "lines": [{"sku": "L", "qty": 25}]},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}], "options": {"discount_pct": 10, "warehouse": "EAST"}},
  {"customer": "ACME", "lines": [{"sku": "S", "qty": 5}]},
  {"customer": "PART", "lines": [{"sku": "S", "qty": 5}, {"sku": "A", "qty": 1}]},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}], "options": {"submit": false}},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}],
   "options": {"submit": false, "valid_until": "2030-01-01T00:00:00Z"}},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}]},
  {"customer": "LIM", "lines": [{"sku": "A", "qty": 1}]}
]$$ AS items \gset

-- Placed by create_orders: every item placed.  An order written by the
-- set-based path shares its INSERT (same xmin and cmin) with the others of
-- its run; one placed the single way has an INSERT of its own.
BEGIN;
CREATE TEMP TABLE by_batch ON COMMIT DROP AS SELECT * FROM ordermgmt.create_orders(:'items');
SELECT b.ord, b.order_id IS NOT NULL AS placed, b.order_id = :r0 AS known_ref, b.sqlstate, o.status,
       count(*) OVER (PARTITION BY o.xmin::text, o.cmin::text) AS orders_in_its_insert
  FROM by_batch b JOIN ordermgmt.orders o USING (order_id) ORDER BY b.ord;
SELECT jsonb_agg(pg_temp.order_rows(order_id) ORDER BY ord) AS batch_orders,
       pg_temp.shared_rows() AS batch_shared
  FROM by_batch \gset
SELECT string_agg(check_name, ', ') AS failed_checks FROM ordermgmt.verify() WHERE NOT ok;
ROLLBACK;

-- Placed one by one, from the same state.
BEGIN;
SELECT pg_temp.place_singly(:'items') AS single_ids \gset
SELECT jsonb_agg(pg_temp.order_rows(u.id) ORDER BY u.n) AS single_orders,
       pg_temp.shared_rows() AS single_shared
  FROM unnest(:'single_ids'::bigint[]) WITH ORDINALITY AS u(id, n) \gset
ROLLBACK;

-- The same, item for item and around them.
SELECT n AS ord, b.value = s.value AS same_as_single
  FROM jsonb_array_elements(:'batch_orders') WITH ORDINALITY AS b(value, n)
  JOIN jsonb_array_elements(:'single_orders') WITH ORDINALITY AS s(value, n2) ON n2 = n
 ORDER BY n;
SELECT key, :'batch_shared'::jsonb -> key = :'single_shared'::jsonb -> key AS same_as_single
  FROM jsonb_object_keys(:'batch_shared') AS key ORDER BY key;
-- (what one of them looks like)
SELECT jsonb_pretty(:'batch_orders'::jsonb -> 0) AS first_order;
SELECT jsonb_pretty(:'batch_shared'::jsonb - 'event_kinds') AS around;

-- A bad item among plain ones: its run goes the single way, where it
-- fails alone and the others stand; the runs after it are set-based again.
BEGIN;
CREATE TEMP TABLE bad_item ON COMMIT DROP AS SELECT * FROM ordermgmt.create_orders((SELECT jsonb_agg(
         CASE WHEN i = 5 THEN '{"customer": "ACME", "lines": [{"sku": "NOPE", "qty": 1}]}'::jsonb
              ELSE jsonb_build_object('customer', 'ACME', 'lines', jsonb_build_array(
                     jsonb_build_object('sku', 'A', 'qty', 1))) END ORDER BY i)
         FROM generate_series(1, 30) AS i));
SELECT ord, order_id IS NOT NULL AS placed, sqlstate, message FROM bad_item WHERE sqlstate IS NOT NULL;
-- the inserts that wrote the 29 orders, and how many each wrote
SELECT n AS orders_per_insert, count(*) AS inserts
  FROM (SELECT count(*) AS n FROM bad_item b JOIN ordermgmt.orders o USING (order_id)
         GROUP BY o.xmin::text, o.cmin::text) x GROUP BY n ORDER BY n;
SELECT count(*) AS orders, sum(l.qty) AS units,
       (SELECT reserved FROM ordermgmt.stock s JOIN ordermgmt.products p USING (product_id)
         JOIN ordermgmt.warehouses w USING (warehouse_id) WHERE p.sku = 'A' AND w.code = 'MAIN') AS a_reserved,
       (SELECT count(*) FROM ordermgmt.events WHERE occurred_at = now()) AS events
  FROM ordermgmt.orders o JOIN ordermgmt.order_lines l USING (order_id) WHERE o.created_at = now();
SELECT string_agg(check_name, ', ') AS failed_checks FROM ordermgmt.verify() WHERE NOT ok;
ROLLBACK;

-- A late failure inside the set-based statements (a trigger refusing a
-- line of 13) undoes the whole run; its items go the single way, where
-- only the bad one fails.
CREATE FUNCTION public.batch_set_based_late() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.qty = 13 THEN
        RAISE EXCEPTION 'late failure' USING ERRCODE = 'XX013';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER batch_set_based_late AFTER INSERT ON ordermgmt.order_lines
    FOR EACH ROW EXECUTE FUNCTION public.batch_set_based_late();
BEGIN;
SELECT ord, order_id IS NOT NULL AS placed, sqlstate, message
  FROM ordermgmt.create_orders('[
    {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}]},
    {"customer": "ACME", "lines": [{"sku": "A", "qty": 13}]},
    {"customer": "ACME", "lines": [{"sku": "A", "qty": 2}]}]');
SELECT count(*) AS orders, sum(l.qty) AS units
  FROM ordermgmt.orders o JOIN ordermgmt.order_lines l USING (order_id) WHERE o.created_at = now();
ROLLBACK;
DROP TRIGGER batch_set_based_late ON ordermgmt.order_lines;
DROP FUNCTION public.batch_set_based_late();

DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
