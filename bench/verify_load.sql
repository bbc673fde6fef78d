-- The rest of the history that bench/views_load.sql leaves out because no
-- view reads it, so that verify() has every table to read and every check
-- holds (bench/verify.sh; docs/benchmarks.md, "verify() at 1M orders"):
--
--   psql -f bench/views_load.sql ... && psql -f bench/verify_load.sql
--
-- Needs a superuser, right after views_load.sql.  Runs with
-- session_replication_role = replica, as views_load.sql does, and derives
-- everything from what it loaded:
--   * each order's status history: created as pending (or draft), then the
--     path to its status at the times the order row records (confirmed_at,
--     its shipment, delivered_at, status_changed_at), about 4.6 million rows;
--   * one shipment line per shipped order line (shipments have the order's
--     id), at the product's cost;
--   * one invoice line per invoiced order line (invoices have the order's
--     id), with the net and tax the invoice sums;
--   * stock moves: one per shipment line and per returned line, and an
--     opening receipt per stock row that makes on_hand their sum;
--   * the purge horizon at the time of the load: the outbox holds no event
--     of this history, as after purge_history.
\set ON_ERROR_STOP 1
\timing on
SET session_replication_role = replica;
SET work_mem = '256MB';
SET maintenance_work_mem = '512MB';
SET max_parallel_workers_per_gather = 0;

-- Status history, in order and in id order.
INSERT INTO ordermgmt.order_status_history (order_id, from_status, to_status, changed_at, changed_by)
SELECT o.order_id, h.from_status, h.to_status, h.changed_at, 'history load'
  FROM (SELECT o.order_id, o.status, o.created_at, o.confirmed_at, o.status_changed_at, o.delivered_at,
               s.shipped_at
          FROM ordermgmt.orders o
          LEFT JOIN ordermgmt.shipments s ON s.shipment_id = o.order_id) o
 CROSS JOIN LATERAL (VALUES
       -- created
       (1, NULL::ordermgmt.order_status,
        CASE WHEN o.status = 'draft' THEN 'draft' ELSE 'pending' END::ordermgmt.order_status, o.created_at),
       -- held, or confirmed
       (2, 'pending', 'on_hold', CASE WHEN o.status = 'on_hold' THEN o.status_changed_at END),
       (3, 'pending', 'confirmed', o.confirmed_at),
       -- the way on from confirmed
       (4, 'confirmed', 'processing', CASE WHEN o.status = 'processing' THEN o.status_changed_at END),
       (5, 'confirmed', 'partially_shipped', CASE WHEN o.status = 'partially_shipped' THEN o.shipped_at END),
       (6, 'confirmed', 'shipped',
        CASE WHEN o.status IN ('shipped', 'delivered', 'completed') THEN o.shipped_at END),
       (7, 'shipped', 'delivered', CASE WHEN o.status IN ('delivered', 'completed') THEN o.delivered_at END),
       (8, 'delivered', 'completed', CASE WHEN o.status = 'completed' THEN o.status_changed_at END),
       -- cancelled, before or after confirmation
       (9, CASE WHEN o.confirmed_at IS NULL THEN 'pending' ELSE 'confirmed' END::ordermgmt.order_status,
        'cancelled', CASE WHEN o.status = 'cancelled' THEN o.status_changed_at END))
       AS h(step, from_status, to_status, changed_at)
 WHERE h.changed_at IS NOT NULL
 ORDER BY o.order_id, h.step;

-- Shipment lines: shipment id = order id; a partly shipped order shipped
-- what its lines say.
INSERT INTO ordermgmt.shipment_lines (shipment_id, order_id, line_no, qty, unit_cost)
SELECT l.order_id, l.order_id, l.line_no, l.shipped_qty, p.unit_cost
  FROM ordermgmt.order_lines l
  JOIN ordermgmt.products p USING (product_id)
 WHERE l.shipped_qty > 0
 ORDER BY l.order_id, l.line_no;

-- Invoice lines: invoice id = order id.
INSERT INTO ordermgmt.invoice_lines (invoice_id, order_id, line_no, qty, unit_price, tax_rate, net, tax)
SELECT l.order_id, l.order_id, l.line_no, l.invoiced_qty, l.unit_price, p.tax_rate,
       round(l.invoiced_qty * l.unit_price, 2), round(round(l.invoiced_qty * l.unit_price, 2) * p.tax_rate, 2)
  FROM ordermgmt.order_lines l
  JOIN ordermgmt.products p USING (product_id)
 WHERE l.invoiced_qty > 0
 ORDER BY l.order_id, l.line_no;

-- Stock moves: shipments out, returns back, and an opening receipt per
-- stock row so that on_hand is their sum.
CREATE TEMP TABLE moves AS
SELECT l.product_id, o.warehouse_id, -l.shipped_qty AS qty, p.unit_cost, 'shipment' AS kind, o.order_id,
       s.shipped_at AS moved_at
  FROM ordermgmt.order_lines l
  JOIN ordermgmt.orders o USING (order_id)
  JOIN ordermgmt.products p USING (product_id)
  JOIN ordermgmt.shipments s ON s.shipment_id = o.order_id
 WHERE l.shipped_qty > 0
UNION ALL
SELECT l.product_id, o.warehouse_id, rl.qty, rl.unit_cost, 'return', o.order_id, r.returned_at
  FROM ordermgmt.return_lines rl
  JOIN ordermgmt.returns r USING (return_id)
  JOIN ordermgmt.order_lines l ON l.order_id = rl.order_id AND l.line_no = rl.line_no
  JOIN ordermgmt.orders o ON o.order_id = rl.order_id;
INSERT INTO ordermgmt.stock_moves (product_id, warehouse_id, qty, unit_cost, kind, order_id, moved_at, moved_by)
SELECT s.product_id, s.warehouse_id, s.on_hand - coalesce(m.qty, 0), s.avg_cost, 'receipt', NULL,
       now() - interval '731 days', 'history load'
  FROM ordermgmt.stock s
  LEFT JOIN (SELECT product_id, warehouse_id, sum(qty) AS qty FROM moves GROUP BY 1, 2) m
         USING (product_id, warehouse_id)
 WHERE s.on_hand - coalesce(m.qty, 0) <> 0
 ORDER BY s.product_id, s.warehouse_id;
INSERT INTO ordermgmt.stock_moves (product_id, warehouse_id, qty, unit_cost, kind, order_id, moved_at, moved_by)
SELECT product_id, warehouse_id, qty, unit_cost, kind, order_id, moved_at, 'history load'
  FROM moves ORDER BY moved_at;

-- The outbox holds nothing of this history, as after purge_history.
INSERT INTO ordermgmt.purge_horizon (events_before, alerts_upto, purged_at)
VALUES (now(), 0, now());

RESET session_replication_role;
