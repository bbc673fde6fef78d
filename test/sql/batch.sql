-- Batch entry points: create_orders, ship_orders, invoice_orders and
-- record_payments.  One row per item in input order; a good item writes
-- exactly what the single call writes (rows, reservations, events, alerts,
-- postings, credit exposure); a bad one fails alone and leaves no trace,
-- even when it fails after it has written; idempotency keys hold, and a key
-- repeated within a batch fails the later item; a malformed argument
-- refuses the whole call (22023) and writes nothing; query cancel is never
-- swallowed.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;

-- Everything an operation can leave behind, counted.
CREATE VIEW pg_temp.traces AS
SELECT (SELECT count(*) FROM ordermgmt.orders) AS orders,
       (SELECT count(*) FROM ordermgmt.order_lines) AS lines,
       (SELECT count(*) FROM ordermgmt.order_status_history) AS history,
       (SELECT count(*) FROM ordermgmt.reservations) AS reservations,
       (SELECT coalesce(sum(reserved), 0) FROM ordermgmt.stock) AS reserved,
       (SELECT coalesce(sum(on_hand), 0) FROM ordermgmt.stock) AS on_hand,
       (SELECT count(*) FROM ordermgmt.stock_moves) AS moves,
       (SELECT count(*) FROM ordermgmt.shipments) AS shipments,
       (SELECT count(*) FROM ordermgmt.invoices) AS invoices,
       (SELECT count(*) FROM ordermgmt.payments) AS payments,
       (SELECT count(*) FROM ordermgmt.journal_entries) AS entries,
       (SELECT count(*) FROM ordermgmt.postings) AS postings,
       (SELECT count(*) FROM ordermgmt.events) AS events,
       (SELECT count(*) FROM ordermgmt.alerts) AS alerts,
       (SELECT count(*) FROM ordermgmt.deadlines) AS deadlines,
       (SELECT coalesce(sum(open_orders + receivables), 0)::numeric(18,2)
          FROM ordermgmt.customer_exposure) AS exposure;
CREATE TEMP TABLE seen AS SELECT 'start'::text AS label, * FROM pg_temp.traces;
-- record LABEL, then compare two labels: what changed between them
CREATE FUNCTION pg_temp.record(label text) RETURNS text LANGUAGE sql AS $$
    INSERT INTO seen SELECT label, * FROM pg_temp.traces RETURNING label $$;
CREATE FUNCTION pg_temp.changed(a text, b text) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(format('%s %s', x.key, (y.value::numeric - x.value::numeric)), ', '
                               ORDER BY x.key) FILTER (WHERE x.value <> y.value), 'nothing')
      FROM (SELECT * FROM seen WHERE label = a) sa, (SELECT * FROM seen WHERE label = b) sb,
           jsonb_each_text(to_jsonb(sa) - 'label') x JOIN jsonb_each_text(to_jsonb(sb) - 'label') y USING (key) $$;

-- What an order left behind, with the ids of its documents and alerts
-- taken out, so that two orders placed alike compare equal.
CREATE FUNCTION pg_temp.fingerprint(o bigint) RETURNS jsonb LANGUAGE sql AS $$
SELECT jsonb_build_object(
  'order', (SELECT jsonb_build_object('status', status, 'hold_reason', hold_reason, 'ordered_net', ordered_net,
                                      'currency', currency)
              FROM ordermgmt.orders WHERE order_id = o),
  'lines', (SELECT jsonb_agg(jsonb_build_object('line', line_no, 'product', product_id, 'qty', qty,
                                               'price', unit_price, 'shipped', shipped_qty,
                                               'invoiced', invoiced_qty) ORDER BY line_no)
              FROM ordermgmt.order_lines WHERE order_id = o),
  'history', (SELECT jsonb_agg(jsonb_build_array(from_status, to_status) ORDER BY history_id)
                FROM ordermgmt.order_status_history WHERE order_id = o),
  'reservations', (SELECT jsonb_agg(jsonb_build_array(line_no, product_id, qty) ORDER BY line_no)
                     FROM ordermgmt.reservations WHERE order_id = o),
  'moves', (SELECT jsonb_agg(jsonb_build_array(kind, product_id, qty, unit_cost) ORDER BY move_id)
              FROM ordermgmt.stock_moves WHERE order_id = o),
  'events', (SELECT jsonb_agg(jsonb_build_array(kind, payload - 'shipment_id' - 'invoice_id' - 'payment_id'
                                                               - 'alert_id') ORDER BY event_id)
               FROM ordermgmt.events WHERE order_id = o),
  'alerts', (SELECT jsonb_agg(jsonb_build_array(rule_code, status, details) ORDER BY alert_id)
               FROM ordermgmt.alerts WHERE order_id = o),
  'deadlines', (SELECT jsonb_agg(jsonb_build_array(rule_code, subject_type) ORDER BY rule_code, subject_type)
                  FROM ordermgmt.deadlines WHERE order_id = o),
  'shipments', (SELECT jsonb_agg(jsonb_build_array(carrier, tracking) ORDER BY shipment_id)
                  FROM ordermgmt.shipments WHERE order_id = o),
  'payments', (SELECT jsonb_agg(jsonb_build_array(p.amount, p.method, p.reference) ORDER BY p.payment_id)
                 FROM ordermgmt.payments p JOIN ordermgmt.invoices i USING (invoice_id) WHERE i.order_id = o),
  'invoices', (SELECT jsonb_agg(jsonb_build_array(total, paid, due, due_at - issued_at) ORDER BY invoice_id)
                 FROM ordermgmt.invoices WHERE order_id = o),
  'postings', (SELECT jsonb_agg(jsonb_build_array(e.source_type, a.code, p.debit, p.credit, p.currency)
                                ORDER BY e.entry_id, a.code)
                 FROM ordermgmt.journal_entries e
                 JOIN ordermgmt.postings p USING (entry_id)
                 JOIN ordermgmt.accounts a USING (account_id)
                WHERE (e.source_type = 'shipment'
                       AND e.source_id IN (SELECT shipment_id FROM ordermgmt.shipments WHERE order_id = o))
                   OR (e.source_type = 'invoice'
                       AND e.source_id IN (SELECT invoice_id FROM ordermgmt.invoices WHERE order_id = o))
                   OR (e.source_type = 'payment'
                       AND e.source_id IN (SELECT p.payment_id FROM ordermgmt.payments p
                                             JOIN ordermgmt.invoices i USING (invoice_id) WHERE i.order_id = o))))
$$;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main'), ('EAST', 'East');
INSERT INTO ordermgmt.settings (key, value) VALUES ('default_warehouse', 'MAIN');
INSERT INTO ordermgmt.customers (code, name, credit_limit, blocked) VALUES
  ('ACME', 'Acme', NULL, false),
  ('BETA', 'Beta', NULL, false),
  ('LIMIT', 'Limited', 100, false),
  ('BLOCK', 'Blocked', NULL, true);
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate, reorder_point) VALUES
  ('A', 'Widget', 10, 4, 0.2, 0),
  ('B', 'Gadget', 25, 10, 0.1, 0),
  ('F', 'Scarce', 5, 2, 0, 0);
SELECT ordermgmt.receive_stock('A', 'MAIN', 100) > 0, ordermgmt.receive_stock('B', 'MAIN', 100) > 0,
       ordermgmt.receive_stock('F', 'MAIN', 3) > 0, ordermgmt.receive_stock('A', 'EAST', 10) > 0;

-- A failure after the item has written (its order, lines, events...): a
-- line of 13, a shipment line of 13 or a payment of 13.13 fails in an
-- AFTER trigger; 14 sleeps, for the cancel test below.
CREATE FUNCTION public.batch_test_late() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row jsonb := to_jsonb(NEW);
BEGIN
    IF (TG_TABLE_NAME IN ('order_lines', 'shipment_lines') AND (row->>'qty')::numeric = 13)
       OR (TG_TABLE_NAME = 'payments' AND (row->>'amount')::numeric = 13.13) THEN
        RAISE EXCEPTION 'late failure in %', TG_TABLE_NAME USING ERRCODE = 'XX013';
    END IF;
    IF TG_TABLE_NAME = 'order_lines' AND (row->>'qty')::numeric = 14 THEN
        PERFORM pg_sleep(30);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER batch_test_late AFTER INSERT ON ordermgmt.order_lines
    FOR EACH ROW EXECUTE FUNCTION public.batch_test_late();
CREATE TRIGGER batch_test_late AFTER INSERT ON ordermgmt.shipment_lines
    FOR EACH ROW EXECUTE FUNCTION public.batch_test_late();
CREATE TRIGGER batch_test_late AFTER INSERT ON ordermgmt.payments
    FOR EACH ROW EXECUTE FUNCTION public.batch_test_late();
SELECT pg_temp.record('set up');

--------------------------------------------------------------------------
-- create_orders: good and bad items mixed
--------------------------------------------------------------------------
CREATE TEMP TABLE b1 AS SELECT * FROM ordermgmt.create_orders($$[
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}], "options": {"external_ref": "E-1"}},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}, {"sku": "NOPE", "qty": 1}]},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 13}]},
  {"customer": "BETA", "lines": [{"sku": "F", "qty": 5}]},
  {"customer": "NOBODY", "lines": [{"sku": "A", "qty": 1}]},
  {"customer": "BLOCK", "lines": [{"sku": "A", "qty": 1}]},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}], "options": {"warehouse": "EAST", "submit": false}},
  {"customer": "LIMIT", "lines": [{"sku": "B", "qty": 10}]},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 0}]}
]$$);
SELECT * FROM b1 ORDER BY ord;
SELECT pg_temp.record('first batch');
-- what the five good items wrote, and nothing of the four bad ones
SELECT pg_temp.changed('set up', 'first batch');
SELECT o.order_id, c.code, o.status, o.hold_reason, o.external_ref
  FROM ordermgmt.orders o JOIN ordermgmt.customers c USING (customer_id) ORDER BY o.order_id;
SELECT a.order_id, a.rule_code, a.details FROM ordermgmt.alerts a ORDER BY a.alert_id;
SELECT p.sku, w.code AS warehouse, s.on_hand, s.reserved
  FROM ordermgmt.stock s JOIN ordermgmt.products p USING (product_id) JOIN ordermgmt.warehouses w USING (warehouse_id)
 ORDER BY p.sku, w.code;

-- The same items placed one by one, each by the single function, write
-- the same: same rows, statuses, reservations, events, alerts, deadlines.
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}]',
                              '{"external_ref": "S-1"}') AS s1 \gset
SELECT ordermgmt.create_order('BETA', '[{"sku": "F", "qty": 5}]') AS s4 \gset
SELECT ordermgmt.create_order('BLOCK', '[{"sku": "A", "qty": 1}]') AS s6 \gset
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]', '{"warehouse": "EAST", "submit": false}') AS s7 \gset
SELECT ordermgmt.create_order('LIMIT', '[{"sku": "B", "qty": 10}]') AS s8 \gset
SELECT pg_temp.record('singles');
SELECT pg_temp.changed('set up', 'first batch') = pg_temp.changed('first batch', 'singles') AS same_counts;
SELECT b.ord, pg_temp.fingerprint(b.order_id) = pg_temp.fingerprint(s.id) AS same_as_single
  FROM b1 b JOIN (VALUES (1, :s1), (4, :s4), (6, :s6), (7, :s7), (8, :s8)) AS s(ord, id) USING (ord)
 ORDER BY b.ord;
SELECT jsonb_pretty(pg_temp.fingerprint(order_id)) AS placed_by_batch FROM b1 WHERE ord = 1;
SELECT jsonb_pretty(pg_temp.fingerprint(order_id)) AS held_by_batch FROM b1 WHERE ord = 4;

--------------------------------------------------------------------------
-- create_orders: idempotency keys
--------------------------------------------------------------------------
-- A retry of a key already recorded (by a batch or by a single call)
-- returns the first order and writes nothing.
SELECT * FROM ordermgmt.create_orders($$[
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}], "options": {"external_ref": "E-1"}},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 2}], "options": {"external_ref": "S-1"}}
]$$);
SELECT pg_temp.record('retry');
SELECT pg_temp.changed('singles', 'retry');
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 2}]', '{"external_ref": "E-1"}') AS single_retry_of_batch;
-- The same key twice in one batch: the later item fails, naming the
-- earlier one, even when that one failed itself; the same key for another
-- customer is another order; a key the single function refuses fails as
-- such, not as a repetition.
SELECT * FROM ordermgmt.create_orders($$[
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}], "options": {"external_ref": "D-1"}},
  {"customer": "BETA", "lines": [{"sku": "A", "qty": 1}], "options": {"external_ref": "D-1"}},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}], "options": {"external_ref": "D-1"}},
  {"customer": "ACME", "lines": [{"sku": "NOPE", "qty": 1}], "options": {"external_ref": "D-2"}},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}], "options": {"external_ref": "D-2"}},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}], "options": {"external_ref": "D-1"}},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}], "options": {"external_ref": ""}},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}], "options": {"external_ref": ""}}
]$$);
SELECT pg_temp.record('repeats');
SELECT pg_temp.changed('retry', 'repeats');

--------------------------------------------------------------------------
-- create_orders: malformed items fail alone (22023), nothing written
--------------------------------------------------------------------------
SELECT * FROM ordermgmt.create_orders($$[
  42, "ACME", null, [], {},
  {"customer": null, "lines": [{"sku": "A", "qty": 1}]},
  {"customer": 7, "lines": [{"sku": "A", "qty": 1}]},
  {"customer": "", "lines": [{"sku": "A", "qty": 1}]},
  {"customer": "ACME"},
  {"customer": "ACME", "lines": null},
  {"customer": "ACME", "lines": {"sku": "A", "qty": 1}},
  {"customer": "ACME", "lines": []},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": "1"}]},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}], "options": []},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}], "options": {"external_ref": 5}},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}], "options": {"colour": "red"}},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}], "note": "unknown key"}
]$$);
SELECT pg_temp.record('malformed items');
SELECT pg_temp.changed('repeats', 'malformed items');

--------------------------------------------------------------------------
-- create_orders: malformed arguments refuse the whole call
--------------------------------------------------------------------------
SELECT pg_temp.try($$SELECT * FROM ordermgmt.create_orders(NULL)$$);
SELECT pg_temp.try($$SELECT * FROM ordermgmt.create_orders('{"customer": "ACME"}')$$);
SELECT pg_temp.try($$SELECT * FROM ordermgmt.create_orders('"ACME"')$$);
SELECT pg_temp.try($$SELECT * FROM ordermgmt.create_orders('7')$$);
SELECT pg_temp.try($$SELECT * FROM ordermgmt.create_orders('null')$$);
-- more than 10,000 items: refused before the first is looked at, even if
-- every one is good
SELECT pg_temp.try($$SELECT * FROM ordermgmt.create_orders(
    (SELECT jsonb_agg(jsonb_build_object('customer', 'ACME', 'lines', '[{"sku": "A", "qty": 1}]'::jsonb))
       FROM generate_series(1, 100000)))$$);
SELECT pg_temp.try($$SELECT * FROM ordermgmt.create_orders(
    (SELECT jsonb_agg(jsonb_build_object('customer', 'ACME', 'lines', '[{"sku": "A", "qty": 1}]'::jsonb))
       FROM generate_series(1, 10001)))$$);
-- an empty batch returns no rows
SELECT count(*) AS rows FROM ordermgmt.create_orders('[]');
SELECT pg_temp.record('refused calls');
SELECT pg_temp.changed('malformed items', 'refused calls');

--------------------------------------------------------------------------
-- A long batch.  Items share a subtransaction in runs while they go
-- through; a failure late in a run undoes the run, and its items run
-- again one by one: every good item is placed once, the bad one (a late
-- failure, after it wrote its order) leaves nothing.
--------------------------------------------------------------------------
CREATE TEMP TABLE b5 AS SELECT * FROM ordermgmt.create_orders(
  (SELECT jsonb_agg(CASE WHEN i = 37
                         THEN jsonb_build_object('customer', 'ACME', 'lines', '[{"sku": "A", "qty": 13}]'::jsonb)
                         ELSE jsonb_build_object('customer', 'BETA', 'lines', '[{"sku": "B", "qty": 1}]'::jsonb) END
                    ORDER BY i)
     FROM generate_series(1, 40) AS i));
SELECT count(*) AS items, count(order_id) AS placed, count(DISTINCT order_id) AS distinct_orders,
       string_agg(ord || ': ' || sqlstate, ', ') AS failed
  FROM b5;
SELECT pg_temp.record('long batch');
SELECT pg_temp.changed('refused calls', 'long batch');
-- each placed order once, confirmed, with its two events and its reservation
SELECT o.status, count(*) AS orders,
       bool_and((SELECT count(*) FROM ordermgmt.events e WHERE e.order_id = o.order_id) = 2) AS two_events_each,
       bool_and((SELECT count(*) FROM ordermgmt.reservations r WHERE r.order_id = o.order_id) = 1) AS reserved_each
  FROM b5 JOIN ordermgmt.orders o USING (order_id) GROUP BY o.status;

--------------------------------------------------------------------------
-- ship_orders
--------------------------------------------------------------------------
SELECT order_id AS o1 FROM b1 WHERE ord = 1 \gset
SELECT order_id AS o4 FROM b1 WHERE ord = 4 \gset
SELECT order_id AS o7 FROM b1 WHERE ord = 7 \gset
-- two orders of 20, one for a batch and its twin for single calls
SELECT ordermgmt.create_order('BETA', '[{"sku": "A", "qty": 20}]') AS big \gset
SELECT ordermgmt.create_order('BETA', '[{"sku": "A", "qty": 20}]') AS big2 \gset
SELECT pg_temp.record('ship set up');
-- order o1 partly, big in full; the rest fail: a draft, a held order, an
-- unknown one, more than reserved, a shipment line of 13 (fails after
-- writing), big again once all is shipped
CREATE TEMP TABLE b2 AS SELECT * FROM ordermgmt.ship_orders(format($$[
  {"order_id": %1$s, "lines": [{"sku": "A", "qty": 1}], "carrier": "DHL", "tracking": "T-1"},
  {"order_id": %2$s},
  {"order_id": %3$s},
  {"order_id": 999},
  {"order_id": %1$s, "lines": [{"sku": "B", "qty": 5}]},
  {"order_id": %4$s, "lines": [{"sku": "A", "qty": 13}]},
  {"order_id": %4$s, "carrier": "UPS"},
  {"order_id": %4$s}
]$$, :o1, :o7, :o4, :big)::jsonb);
SELECT ord, shipment_id IS NOT NULL AS shipped, sqlstate, message FROM b2 ORDER BY ord;
SELECT pg_temp.record('shipped');
SELECT pg_temp.changed('ship set up', 'shipped');
-- the twins, shipped the same by single calls
SELECT ordermgmt.ship_order(:s1, '[{"sku": "A", "qty": 1}]', 'DHL', 'T-1') > 0 AS twin_shipped,
       ordermgmt.ship_order(:big2, NULL, 'UPS') > 0 AS twin_shipped;
SELECT pg_temp.record('ship singles');
SELECT pg_temp.changed('ship set up', 'shipped') = pg_temp.changed('shipped', 'ship singles') AS same_counts;
SELECT pg_temp.fingerprint(:o1) = pg_temp.fingerprint(:s1) AS partly_same_as_single,
       pg_temp.fingerprint(:big) = pg_temp.fingerprint(:big2) AS fully_same_as_single;
-- malformed items
SELECT * FROM ordermgmt.ship_orders($$[
  5, {}, {"order_id": null}, {"order_id": "1"}, {"order_id": 1.5}, {"order_id": 1e30},
  {"order_id": 1, "lines": {"sku": "A"}}, {"order_id": 1, "lines": []}, {"order_id": 1, "carrier": 7},
  {"order_id": 1, "via": "air"}
]$$);
SELECT pg_temp.try($$SELECT * FROM ordermgmt.ship_orders(NULL)$$);
SELECT pg_temp.try($$SELECT * FROM ordermgmt.ship_orders('{}')$$);
SELECT pg_temp.try($$SELECT * FROM ordermgmt.ship_orders((SELECT jsonb_agg(jsonb_build_object('order_id', i))
                                                            FROM generate_series(1, 100000) i))$$);
SELECT count(*) AS rows FROM ordermgmt.ship_orders('[]');
SELECT pg_temp.record('ship refused');
SELECT pg_temp.changed('ship singles', 'ship refused');

--------------------------------------------------------------------------
-- invoice_orders
--------------------------------------------------------------------------
CREATE TEMP TABLE b3 AS
SELECT * FROM ordermgmt.invoice_orders(ARRAY[:o1, :big, NULL, :o4, 999, :o1]::bigint[], 14);
SELECT ord, invoice_id IS NOT NULL AS invoiced, sqlstate, message FROM b3 ORDER BY ord;
SELECT pg_temp.record('invoiced');
SELECT pg_temp.changed('ship refused', 'invoiced');
SELECT ordermgmt.invoice_order(:s1, 14) AS inv_s1, ordermgmt.invoice_order(:big2, 14) AS inv_big2 \gset
SELECT pg_temp.record('invoice singles');
SELECT pg_temp.changed('ship refused', 'invoiced') = pg_temp.changed('invoiced', 'invoice singles') AS same_counts;
SELECT pg_temp.fingerprint(:o1) = pg_temp.fingerprint(:s1) AS same_as_single,
       pg_temp.fingerprint(:big) = pg_temp.fingerprint(:big2) AS same_as_single;
SELECT o.order_id = :o1 AS of_o1, i.total, i.due_at - i.issued_at AS term
  FROM b3 JOIN ordermgmt.invoices i USING (invoice_id) JOIN ordermgmt.orders o USING (order_id) ORDER BY b3.ord;
-- the term is 30 days unless given, as invoice_order's
SELECT ordermgmt.create_order('BETA', '[{"sku": "A", "qty": 1}]') AS o30 \gset
SELECT ordermgmt.ship_order(:o30) > 0 AS shipped;
CREATE TEMP TABLE b30 AS SELECT * FROM ordermgmt.invoice_orders(ARRAY[:o30]::bigint[]);
SELECT i.due_at - i.issued_at AS term FROM b30 JOIN ordermgmt.invoices i USING (invoice_id);
SELECT pg_temp.record('invoice set up');
SELECT pg_temp.try($$SELECT * FROM ordermgmt.invoice_orders(NULL)$$);
SELECT pg_temp.try($$SELECT * FROM ordermgmt.invoice_orders('{1}', NULL)$$);
SELECT pg_temp.try($$SELECT * FROM ordermgmt.invoice_orders('{1}', -1)$$);
SELECT pg_temp.try($$SELECT * FROM ordermgmt.invoice_orders('{{1,2},{3,4}}')$$);
SELECT pg_temp.try($$SELECT * FROM ordermgmt.invoice_orders(ARRAY(SELECT generate_series(1, 100000)::bigint))$$);
SELECT count(*) AS rows FROM ordermgmt.invoice_orders('{}');
-- the array's own subscripts do not matter: ord counts from 1
SELECT * FROM ordermgmt.invoice_orders('[5:6]={999,998}'::bigint[]);
SELECT pg_temp.record('invoice refused');
SELECT pg_temp.changed('invoice set up', 'invoice refused');

--------------------------------------------------------------------------
-- record_payments
--------------------------------------------------------------------------
SELECT invoice_id AS inv_o1 FROM b3 WHERE ord = 1 \gset
SELECT invoice_id AS inv_big FROM b3 WHERE ord = 2 \gset
SELECT invoice_id = :inv_o1 AS of_o1, total, due FROM ordermgmt.invoices
 WHERE invoice_id IN (:inv_o1, :inv_big) ORDER BY invoice_id;
-- o1's invoice in two parts, big's in full; the rest fail: the reference
-- again for the same invoice, a payment of 13.13 (fails after writing),
-- too much, an unknown invoice.  The same reference for another invoice is
-- another payment.
CREATE TEMP TABLE b4 AS SELECT * FROM ordermgmt.record_payments(format($$[
  {"invoice_id": %1$s, "amount": 10, "reference": "BANK-1"},
  {"invoice_id": %1$s, "amount": 10, "method": "card", "reference": "BANK-1"},
  {"invoice_id": %2$s, "amount": 13.13},
  {"invoice_id": %1$s, "amount": 100},
  {"invoice_id": 999, "amount": 1},
  {"invoice_id": %1$s, "amount": 2, "method": "card"},
  {"invoice_id": %2$s, "amount": 240, "reference": "BANK-1"}
]$$, :inv_o1, :inv_big)::jsonb);
SELECT ord, payment_id IS NOT NULL AS paid, sqlstate, message FROM b4 ORDER BY ord;
SELECT pg_temp.record('paid');
SELECT pg_temp.changed('invoice refused', 'paid');
-- a retry of a reference already recorded returns the first payment, writes nothing
SELECT r.payment_id = b4.payment_id AS first_payment, r.sqlstate
  FROM ordermgmt.record_payments(format('[{"invoice_id": %s, "amount": 10, "reference": "BANK-1"}]', :inv_o1)::jsonb) r
  JOIN b4 ON b4.ord = 1;
SELECT pg_temp.record('pay retry');
SELECT pg_temp.changed('paid', 'pay retry');
-- the twins, paid the same by single calls
SELECT ordermgmt.record_payment(:inv_s1, 10, 'bank', 'BANK-1') > 0, ordermgmt.record_payment(:inv_s1, 2, 'card') > 0,
       ordermgmt.record_payment(:inv_big2, 240, 'bank', 'BANK-1') > 0;
SELECT pg_temp.record('pay singles');
SELECT pg_temp.changed('invoice refused', 'paid') = pg_temp.changed('pay retry', 'pay singles') AS same_counts;
SELECT pg_temp.fingerprint(:o1) = pg_temp.fingerprint(:s1) AS same_as_single,
       pg_temp.fingerprint(:big) = pg_temp.fingerprint(:big2) AS same_as_single;
SELECT jsonb_pretty(pg_temp.fingerprint(:o1)) AS shipped_invoiced_paid_by_batch;
-- malformed items
SELECT * FROM ordermgmt.record_payments($$[
  [], {"amount": 1}, {"invoice_id": 1}, {"invoice_id": 1, "amount": null}, {"invoice_id": 1, "amount": "1"},
  {"invoice_id": 1, "amount": -1}, {"invoice_id": 1, "amount": 0}, {"invoice_id": 1, "amount": 1.001},
  {"invoice_id": 1, "amount": 1, "method": null}, {"invoice_id": 1, "amount": 1, "method": ""},
  {"invoice_id": 1, "amount": 1, "method": 3}, {"invoice_id": 1, "amount": 1, "reference": 3},
  {"invoice_id": 1, "amount": 1, "reference": ""}, {"invoice_id": 1, "amount": 1, "currency": "EUR"}
]$$);
SELECT pg_temp.try($$SELECT * FROM ordermgmt.record_payments(NULL)$$);
SELECT pg_temp.try($$SELECT * FROM ordermgmt.record_payments('{"invoice_id": 1, "amount": 1}')$$);
SELECT pg_temp.try($$SELECT * FROM ordermgmt.record_payments((SELECT jsonb_agg(jsonb_build_object('invoice_id', 1, 'amount', 1))
                                                                FROM generate_series(1, 100000)))$$);
SELECT pg_temp.record('pay refused');
SELECT pg_temp.changed('pay singles', 'pay refused');

--------------------------------------------------------------------------
-- Query cancel ends the call: statement_timeout is no item's failure
--------------------------------------------------------------------------
-- (the second item sleeps in a trigger; the first, done by then, goes too)
\set VERBOSITY terse
SET statement_timeout = '300ms';
SELECT * FROM ordermgmt.create_orders('[
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}]},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 14}]},
  {"customer": "ACME", "lines": [{"sku": "A", "qty": 1}]}]');
RESET statement_timeout;
\set VERBOSITY default
SELECT pg_temp.record('cancelled');
SELECT pg_temp.changed('pay refused', 'cancelled');

--------------------------------------------------------------------------
-- Invariants after all of it
--------------------------------------------------------------------------
SELECT bool_and(s.reserved = (SELECT coalesce(sum(r.qty), 0) FROM ordermgmt.reservations r
                               WHERE r.product_id = s.product_id AND r.warehouse_id = s.warehouse_id)) AS reserved_ok,
       bool_and(s.on_hand = (SELECT sum(m.qty) FROM ordermgmt.stock_moves m
                              WHERE m.product_id = s.product_id AND m.warehouse_id = s.warehouse_id)) AS on_hand_ok,
       bool_and(s.reserved <= s.on_hand) AS within_on_hand
  FROM ordermgmt.stock s;
SELECT count(*) AS unbalanced_entries
  FROM (SELECT 1 FROM ordermgmt.postings GROUP BY entry_id, currency HAVING sum(debit) <> sum(credit)) x;
-- each customer's kept credit exposure equals its recomputation
SELECT count(*) AS exposures_off
  FROM ordermgmt.customer_exposure e
  FULL JOIN (SELECT customer_id, currency, sum(open_orders) AS open_orders, sum(receivables) AS receivables
               FROM (SELECT o.customer_id, o.currency,
                            ((l.qty - l.returned_qty) - (l.invoiced_qty - l.credited_qty))
                              * l.unit_price * (1 + l.tax_rate) AS open_orders,
                            0 AS receivables
                       FROM ordermgmt.orders o JOIN ordermgmt.order_lines l USING (order_id)
                      WHERE o.status IN ('confirmed', 'processing', 'partially_shipped', 'shipped', 'delivered')
                     UNION ALL
                     SELECT customer_id, currency, 0, due FROM ordermgmt.invoices) f
              GROUP BY customer_id, currency) r USING (customer_id, currency)
 WHERE coalesce(e.open_orders, 0) IS DISTINCT FROM coalesce(r.open_orders, 0)
    OR coalesce(e.receivables, 0) IS DISTINCT FROM coalesce(r.receivables, 0);

DROP TRIGGER batch_test_late ON ordermgmt.order_lines;
DROP TRIGGER batch_test_late ON ordermgmt.shipment_lines;
DROP TRIGGER batch_test_late ON ordermgmt.payments;
DROP FUNCTION public.batch_test_late();
DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
