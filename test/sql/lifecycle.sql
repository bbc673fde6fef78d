-- Order lifecycle: creation, every legal and illegal transition, the line
-- guard, status history and events.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main warehouse');
INSERT INTO ordermgmt.customers (code, name) VALUES ('ACME', 'Acme Ltd'), ('BETA', 'Beta GmbH');
INSERT INTO ordermgmt.products (sku, name, list_price, tax_rate)
VALUES ('WID', 'Widget', 10, 0.2), ('GAD', 'Gadget', 25, 0);
SELECT ordermgmt.receive_stock('WID', 'MAIN', 100, 4) > 0 AS received;
SELECT ordermgmt.receive_stock('GAD', 'MAIN', 50) > 0 AS received;

-- create_order: a draft, a pending order, an auto-confirmed order
SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 2}]', '{"submit": false}') AS draft_id \gset
SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]', '{"auto_confirm": false}') AS pending_id \gset
SELECT ordermgmt.create_order('BETA', '[{"sku": "WID", "qty": 3}, {"sku": "GAD", "qty": 1, "unit_price": 24.5}]',
       '{"promised_at": "2026-12-01T12:00:00Z", "external_ref": "PO-1"}') AS confirmed_id \gset
SELECT order_id = :draft_id AS is_draft, status FROM ordermgmt.orders ORDER BY order_id;
-- the list price is the default unit price; an explicit one is kept
SELECT order_id, line_no, qty, unit_price FROM ordermgmt.order_lines ORDER BY order_id, line_no;
SELECT promised_at AT TIME ZONE 'UTC' AS promised_utc FROM ordermgmt.orders WHERE order_id = :confirmed_id;

-- external_ref is an idempotency key per customer: same id, nothing written
SELECT count(*) AS events_before FROM ordermgmt.events \gset
SELECT ordermgmt.create_order('BETA', '[{"sku": "WID", "qty": 99}]', '{"external_ref": "PO-1"}') = :confirmed_id AS same_order;
SELECT count(*) = :events_before AS nothing_written FROM ordermgmt.events;
-- ... but another customer may use the same reference
SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]', '{"external_ref": "PO-1", "submit": false}') <> :confirmed_id AS new_order;

-- a draft's lines are edited with plain SQL
INSERT INTO ordermgmt.order_lines (order_id, line_no, product_id, qty, unit_price)
SELECT :draft_id, 2, product_id, 1, 25 FROM ordermgmt.products WHERE sku = 'GAD';
UPDATE ordermgmt.order_lines SET qty = 4 WHERE order_id = :draft_id AND line_no = 1;
DELETE FROM ordermgmt.order_lines WHERE order_id = :draft_id AND line_no = 2;
SELECT line_no, qty FROM ordermgmt.order_lines WHERE order_id = :draft_id;

-- submit_order: draft -> pending -> confirmed (auto-confirm setting defaults to true)
SELECT ordermgmt.submit_order(:draft_id);
SELECT pg_temp.try(format('SELECT ordermgmt.submit_order(%s)', :draft_id));
-- once submitted, lines are frozen, whatever the path
SELECT pg_temp.try(format('UPDATE ordermgmt.order_lines SET qty = 1 WHERE order_id = %s', :draft_id));
SELECT pg_temp.try(format('DELETE FROM ordermgmt.order_lines WHERE order_id = %s', :draft_id));
SELECT pg_temp.try(format('INSERT INTO ordermgmt.order_lines VALUES (%s, 9, 1, 1, 1)', :draft_id));

-- with auto_confirm off, submit leaves the order pending
INSERT INTO ordermgmt.settings VALUES ('auto_confirm', 'false');
SELECT ordermgmt.create_order('ACME', '[{"sku": "GAD", "qty": 1}]', '{"submit": false}') AS draft2 \gset
SELECT ordermgmt.submit_order(:draft2);
SELECT ordermgmt.create_order('ACME', '[{"sku": "GAD", "qty": 1}]') AS pending2 \gset
SELECT status FROM ordermgmt.orders WHERE order_id = :pending2;
DELETE FROM ordermgmt.settings WHERE key = 'auto_confirm';

-- confirm_order on a pending order; again is refused
SELECT ordermgmt.confirm_order(:pending_id);
SELECT pg_temp.try(format('SELECT ordermgmt.confirm_order(%s)', :pending_id));

-- start_processing, hold, and the refusals around them
SELECT ordermgmt.start_processing(:pending_id);
SELECT pg_temp.try(format('SELECT ordermgmt.start_processing(%s)', :pending_id));
SELECT ordermgmt.hold_order(:pending_id, 'customer asked to wait');
SELECT status, hold_reason FROM ordermgmt.orders WHERE order_id = :pending_id;
SELECT pg_temp.try(format('SELECT ordermgmt.hold_order(%s, ''again'')', :pending_id));
-- a held confirmed order keeps its stock; confirming again reserves nothing twice
SELECT ordermgmt.confirm_order(:pending_id);
SELECT count(*) AS reservations, sum(qty) AS qty FROM ordermgmt.reservations WHERE order_id = :pending_id;

-- cancel releases reservations; a cancelled order is final
SELECT reserved AS wid_reserved_before FROM ordermgmt.v_stock_availability WHERE sku = 'WID' \gset
SELECT ordermgmt.cancel_order(:pending_id, 'duplicate');
SELECT :wid_reserved_before - reserved AS released FROM ordermgmt.v_stock_availability WHERE sku = 'WID';
SELECT count(*) AS reservations_left FROM ordermgmt.reservations WHERE order_id = :pending_id;
SELECT status, cancel_reason, hold_reason FROM ordermgmt.orders WHERE order_id = :pending_id;
SELECT pg_temp.try(format('SELECT ordermgmt.cancel_order(%s, ''again'')', :pending_id));
SELECT pg_temp.try(format('SELECT ordermgmt.confirm_order(%s)', :pending_id));
SELECT pg_temp.try(format('SELECT ordermgmt.hold_order(%s, ''x'')', :pending_id));

-- plain UPDATE goes through the same trigger
SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]', '{"auto_confirm": false}') AS p3 \gset
SELECT pg_temp.try(format('UPDATE ordermgmt.orders SET status = ''confirmed'' WHERE order_id = %s', :p3));
SELECT pg_temp.try(format('UPDATE ordermgmt.orders SET status = ''shipped'' WHERE order_id = %s', :p3));
SELECT pg_temp.try(format('UPDATE ordermgmt.orders SET status = ''draft'' WHERE order_id = %s', :p3));
UPDATE ordermgmt.orders SET status = 'on_hold' WHERE order_id = :p3;
SELECT status, hold_reason FROM ordermgmt.orders WHERE order_id = :p3;
UPDATE ordermgmt.orders SET status = 'pending' WHERE order_id = :p3;
SELECT status, hold_reason FROM ordermgmt.orders WHERE order_id = :p3;
UPDATE ordermgmt.orders SET status = 'cancelled', cancel_reason = 'by SQL' WHERE order_id = :p3;
SELECT pg_temp.try(format('UPDATE ordermgmt.orders SET status = ''pending'' WHERE order_id = %s', :p3));
-- fixed columns after the draft stage; ids never change; only drafts are deleted
SELECT pg_temp.try(format('UPDATE ordermgmt.orders SET customer_id = customer_id + 1 WHERE order_id = %s', :confirmed_id));
SELECT pg_temp.try(format('UPDATE ordermgmt.orders SET order_id = 999 WHERE order_id = %s', :confirmed_id));
SELECT pg_temp.try(format('DELETE FROM ordermgmt.orders WHERE order_id = %s', :confirmed_id));
SELECT pg_temp.try('INSERT INTO ordermgmt.orders (customer_id, warehouse_id, status) VALUES (1, 1, ''confirmed'')');
-- a NULL status is refused by the column's NOT NULL (the trigger lets it through), by INSERT, UPDATE or MERGE
SELECT pg_temp.try('INSERT INTO ordermgmt.orders (customer_id, warehouse_id, status) VALUES (1, 1, NULL)');
SELECT pg_temp.try(format('UPDATE ordermgmt.orders SET status = NULL WHERE order_id = %s', :confirmed_id));
SELECT pg_temp.try('MERGE INTO ordermgmt.orders o USING (VALUES (1)) v(x) ON false
                    WHEN NOT MATCHED THEN INSERT (customer_id, warehouse_id, status) VALUES (1, 1, NULL)');
-- other columns of a confirmed order may change (no transition)
UPDATE ordermgmt.orders SET promised_at = '2027-01-01Z' WHERE order_id = :confirmed_id;
-- a draft may be deleted, its lines go with it
SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]', '{"submit": false}') AS d4 \gset
DELETE FROM ordermgmt.orders WHERE order_id = :d4;
SELECT count(*) AS lines_left FROM ordermgmt.order_lines WHERE order_id = :d4;

-- every transition in the table: legal ones are listed, the rest are refused
SELECT from_status, string_agg(to_status::text, ', ' ORDER BY to_status) AS allowed,
       bool_and(manual) AS all_manual
  FROM ordermgmt.order_transitions GROUP BY from_status ORDER BY from_status;
-- every (from, to) pair through a plain UPDATE, for each status reachable
-- here: allowed exactly when the table lists it as manual
CREATE FUNCTION pg_temp.attempt(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RAISE SQLSTATE 'XX999';
EXCEPTION WHEN SQLSTATE 'XX999' THEN RETURN 'allowed'; WHEN OTHERS THEN RETURN SQLSTATE; END $$;
CREATE TEMP TABLE sample (status ordermgmt.order_status, order_id bigint);
INSERT INTO sample VALUES
  ('draft', ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]', '{"submit": false}')),
  ('pending', ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]', '{"auto_confirm": false}')),
  ('confirmed', ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]'));
INSERT INTO sample VALUES
  ('on_hold', ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]', '{"auto_confirm": false}')),
  ('processing', ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]')),
  ('cancelled', ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]', '{"submit": false}'));
SELECT ordermgmt.hold_order(order_id, 'sample') FROM sample WHERE status = 'on_hold';
SELECT ordermgmt.start_processing(order_id) FROM sample WHERE status = 'processing';
SELECT ordermgmt.cancel_order(order_id, 'sample') FROM sample WHERE status = 'cancelled';
SELECT bool_and(o.status = s.status) AS samples_ready FROM sample s JOIN ordermgmt.orders o USING (order_id);
SELECT s.status AS from_status,
       string_agg(t.s || '=' || pg_temp.attempt(format(
           'UPDATE ordermgmt.orders SET status = %L WHERE order_id = %s', t.s, s.order_id)),
           ' ' ORDER BY t.s) AS outcome
  FROM sample s CROSS JOIN unnest(enum_range(NULL::ordermgmt.order_status)) t(s)
 WHERE t.s <> s.status
 GROUP BY s.status ORDER BY s.status;
SELECT count(*) AS mismatches
  FROM sample s CROSS JOIN unnest(enum_range(NULL::ordermgmt.order_status)) t(s)
 WHERE t.s <> s.status
   AND (pg_temp.attempt(format('UPDATE ordermgmt.orders SET status = %L WHERE order_id = %s', t.s, s.order_id)) = 'allowed')
    <> EXISTS (SELECT 1 FROM ordermgmt.order_transitions x
                WHERE x.from_status = s.status AND x.to_status = t.s AND x.manual);

-- transitions are data: a disabled one is refused at once, a built-in one cannot be deleted
UPDATE ordermgmt.order_transitions SET enabled = false WHERE from_status = 'confirmed' AND to_status = 'processing';
SELECT pg_temp.try(format('SELECT ordermgmt.start_processing(%s)', :confirmed_id));
UPDATE ordermgmt.order_transitions SET enabled = true WHERE from_status = 'confirmed' AND to_status = 'processing';
SELECT pg_temp.try($$DELETE FROM ordermgmt.order_transitions WHERE from_status = 'confirmed' AND to_status = 'processing'$$);
SELECT pg_temp.try(format('SELECT ordermgmt.start_processing(%s)', :confirmed_id));

-- history records from, to, who and why, in order
SELECT from_status, to_status, changed_by, reason
  FROM ordermgmt.order_status_history WHERE order_id = :pending_id ORDER BY history_id;
-- events: one order.created per order, one status_changed per history row with a from
SELECT kind, count(*) FROM ordermgmt.events WHERE kind LIKE 'order.%' GROUP BY kind ORDER BY kind;
SELECT (SELECT count(*) FROM ordermgmt.order_status_history WHERE from_status IS NOT NULL)
     = (SELECT count(*) FROM ordermgmt.events WHERE kind = 'order.status_changed') AS one_event_per_change;
SELECT payload FROM ordermgmt.events WHERE order_id = :pending_id ORDER BY event_id;

-- a rolled-back call leaves no trace
SELECT count(*) AS events_before FROM ordermgmt.events \gset
BEGIN;
SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]') > 0 AS created;
ROLLBACK;
SELECT count(*) = :events_before AS no_trace FROM ordermgmt.events;

-- the invariants hold
SELECT s.on_hand = (SELECT sum(qty) FROM ordermgmt.stock_moves m WHERE m.product_id = s.product_id AND m.warehouse_id = s.warehouse_id) AS on_hand_is_sum_of_moves,
       s.reserved = (SELECT coalesce(sum(qty), 0) FROM ordermgmt.reservations r WHERE r.product_id = s.product_id AND r.warehouse_id = s.warehouse_id) AS reserved_is_sum_of_reservations
  FROM ordermgmt.stock s ORDER BY s.product_id;

DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
