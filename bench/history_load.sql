-- The append-only history that bench/views_load.sql leaves out (no view
-- reads it): status history, events, stock moves, shipment lines and
-- invoice lines, derived from what that load wrote, so that a database
-- loaded by both has the tables and indexes a real history of that size
-- would have.  bench/history.sh runs it after views_load.sql, for the
-- benchmarks of cost with history (docs/benchmarks.md, "Cost with history
-- (0.6.0)").
--
--   psql -v ON_ERROR_STOP=1 -d DB -f bench/history_load.sql
--   psql -v ON_ERROR_STOP=1 -v from=ID -d DB -f bench/history_load.sql
--
-- With from, only the orders after order id ID (and their documents) get
-- their history: bench/skew_load.sql adds a customer's orders that way.
--
-- Superuser, in a database just loaded by views_load.sql (and at most
-- topped up by bench/history_topup.sql), once for each range of orders:
-- the stock moves end with one opening balance per stock row that makes
-- on-hand the sum of its moves again.  Like views_load.sql it runs with
-- session_replication_role = replica: no trigger and no foreign-key check
-- fires.
--   * order_status_history: every order's path from NULL -> pending (or
--     draft) to its status, at the milestones the load gave it;
--   * events: order.created and order.status_changed for each of these,
--     shipment.created and .delivered, invoice.created, payment.recorded,
--     return.created, feedback.recorded, ticket.opened and .resolved,
--     alert.raised and .resolved, in time order;
--   * shipment_lines and invoice_lines: the shipped and invoiced quantity
--     of each line, on the order's one shipment and invoice (whose ids are
--     the order's in that load), at the product's cost and the line's price;
--   * stock_moves: a shipment move per shipped line, a return move per
--     returned line, and an opening balance per stock row.
\set ON_ERROR_STOP 1
\timing on
SET session_replication_role = replica;
SET work_mem = '256MB';
SET maintenance_work_mem = '512MB';
SET max_parallel_workers_per_gather = 0;

\if :{?from}
\else
\set from 0
\endif
SELECT NOT EXISTS (SELECT 1 FROM ordermgmt.order_status_history WHERE order_id > :from) AS fresh \gset
\if :fresh
\else
\echo 'orders after' :from 'have a status history already: history_load.sql has run for them'
\quit
\endif

-- The milestones of each order, as the load set them.
CREATE UNLOGGED TABLE public.bench_path AS
SELECT o.order_id, o.customer_id, o.status::text AS status, o.created_at, o.confirmed_at,
       s.shipped_at, s.delivered_at, o.status_changed_at
  FROM ordermgmt.orders o
  LEFT JOIN ordermgmt.shipments s ON s.shipment_id = o.order_id
 WHERE o.order_id > :from;

CREATE UNLOGGED TABLE public.bench_steps AS
SELECT p.order_id, p.customer_id, x.n, x.f, x.t, x.at
  FROM public.bench_path p
 CROSS JOIN LATERAL (VALUES
        (1, NULL, CASE WHEN p.status = 'draft' THEN 'draft' ELSE 'pending' END, p.created_at),
        (2, 'pending', 'on_hold', CASE WHEN p.status = 'on_hold' THEN p.status_changed_at END),
        (3, 'pending', 'confirmed', p.confirmed_at),
        (4, 'confirmed', 'processing', CASE WHEN p.status = 'processing' THEN p.status_changed_at END),
        (5, 'confirmed', CASE WHEN p.status = 'partially_shipped' THEN 'partially_shipped' ELSE 'shipped' END,
         p.shipped_at),
        (6, 'shipped', 'delivered', p.delivered_at),
        (7, 'delivered', 'completed', CASE WHEN p.status = 'completed' THEN p.status_changed_at END),
        (8, CASE WHEN p.confirmed_at IS NULL THEN 'pending' ELSE 'confirmed' END, 'cancelled',
         CASE WHEN p.status = 'cancelled' THEN p.status_changed_at END)) AS x(n, f, t, at)
 WHERE x.at IS NOT NULL;

INSERT INTO ordermgmt.order_status_history (order_id, from_status, to_status, changed_at, changed_by, reason)
SELECT order_id, f::ordermgmt.order_status, t::ordermgmt.order_status, at, 'history-load',
       CASE t WHEN 'on_hold' THEN 'level-1 check failed: L1_CREDIT_LIMIT' WHEN 'cancelled' THEN 'customer request' END
  FROM public.bench_steps
 ORDER BY at, order_id, n;

INSERT INTO ordermgmt.shipment_lines (shipment_id, order_id, line_no, qty, unit_cost)
SELECT l.order_id, l.order_id, l.line_no, l.shipped_qty, p.unit_cost
  FROM ordermgmt.order_lines l
  JOIN ordermgmt.products p USING (product_id)
 WHERE l.shipped_qty > 0 AND l.order_id > :from
 ORDER BY l.order_id, l.line_no;

INSERT INTO ordermgmt.invoice_lines (invoice_id, order_id, line_no, qty, unit_price, tax_rate, net, tax)
SELECT l.order_id, l.order_id, l.line_no, l.invoiced_qty, l.unit_price, p.tax_rate,
       round(l.invoiced_qty * l.unit_price, 2), round(round(l.invoiced_qty * l.unit_price, 2) * p.tax_rate, 2)
  FROM ordermgmt.order_lines l
  JOIN ordermgmt.products p USING (product_id)
 WHERE l.invoiced_qty > 0 AND l.order_id > :from
 ORDER BY l.order_id, l.line_no;

INSERT INTO ordermgmt.events (occurred_at, kind, order_id, payload)
SELECT e.at, e.kind, e.order_id, e.payload
  FROM (
    SELECT at, CASE WHEN f IS NULL THEN 'order.created' ELSE 'order.status_changed' END AS kind, order_id,
           CASE WHEN f IS NULL THEN jsonb_build_object('status', t, 'customer_id', customer_id)
                ELSE jsonb_build_object('from', f, 'to', t) END AS payload, n AS k
      FROM public.bench_steps
    UNION ALL
    SELECT shipped_at, 'shipment.created', order_id,
           jsonb_build_object('shipment_id', shipment_id, 'carrier', carrier, 'tracking', tracking), 10
      FROM ordermgmt.shipments WHERE order_id > :from
    UNION ALL
    SELECT delivered_at, 'shipment.delivered', order_id,
           jsonb_build_object('shipment_id', shipment_id, 'delivered_at', delivered_at), 11
      FROM ordermgmt.shipments WHERE delivered_at IS NOT NULL AND order_id > :from
    UNION ALL
    SELECT issued_at, 'invoice.created', order_id,
           jsonb_build_object('invoice_id', invoice_id, 'total', total, 'currency', currency), 12
      FROM ordermgmt.invoices WHERE order_id > :from
    UNION ALL
    SELECT y.paid_at, 'payment.recorded', i.order_id,
           jsonb_build_object('payment_id', y.payment_id, 'invoice_id', y.invoice_id, 'amount', y.amount), 13
      FROM ordermgmt.payments y JOIN ordermgmt.invoices i USING (invoice_id) WHERE i.order_id > :from
    UNION ALL
    SELECT returned_at, 'return.created', order_id,
           jsonb_build_object('return_id', return_id, 'credit', credit_net + credit_tax), 14
      FROM ordermgmt.returns WHERE order_id > :from
    UNION ALL
    SELECT recorded_at, 'feedback.recorded', order_id,
           jsonb_build_object('feedback_id', feedback_id, 'rating', rating), 15
      FROM ordermgmt.feedback WHERE order_id > :from
    UNION ALL
    SELECT opened_at, 'ticket.opened', order_id,
           jsonb_build_object('ticket_id', ticket_id, 'priority', priority), 16
      FROM ordermgmt.tickets WHERE order_id > :from
    UNION ALL
    SELECT resolved_at, 'ticket.resolved', order_id, jsonb_build_object('ticket_id', ticket_id), 17
      FROM ordermgmt.tickets WHERE status = 'resolved' AND order_id > :from
    UNION ALL
    SELECT x.at, x.kind, a.order_id,
           jsonb_build_object('alert_id', a.alert_id, 'rule_code', a.rule_code, 'level', a.level,
                              'severity', a.severity, 'state', x.state), 18
      FROM ordermgmt.alerts a
     CROSS JOIN LATERAL (VALUES ('alert.raised', 'raised', a.raised_at),
                                ('alert.resolved', 'resolved', a.resolved_at)) AS x(kind, state, at)
     WHERE x.at IS NOT NULL AND (a.order_id > :from OR (a.order_id IS NULL AND :from = 0))) AS e
 ORDER BY e.at, e.order_id, e.k;

-- Stock moves: shipments out, returns in, and the opening balance that
-- makes on-hand their sum.
INSERT INTO ordermgmt.stock_moves (product_id, warehouse_id, qty, unit_cost, kind, order_id, moved_at, moved_by)
SELECT m.product_id, m.warehouse_id, m.qty, m.unit_cost, m.kind, m.order_id, m.at, 'history-load'
  FROM (
    SELECT l.product_id, s.warehouse_id, -l.shipped_qty AS qty, p.unit_cost, 'shipment' AS kind,
           l.order_id, s.shipped_at AS at
      FROM ordermgmt.order_lines l
      JOIN ordermgmt.shipments s ON s.shipment_id = l.order_id
      JOIN ordermgmt.products p ON p.product_id = l.product_id
     WHERE l.shipped_qty > 0 AND l.order_id > :from
    UNION ALL
    SELECT l.product_id, o.warehouse_id, rl.qty, rl.unit_cost, 'return', rl.order_id, r.returned_at
      FROM ordermgmt.return_lines rl
      JOIN ordermgmt.returns r USING (return_id)
      JOIN ordermgmt.order_lines l ON l.order_id = rl.order_id AND l.line_no = rl.line_no
      JOIN ordermgmt.orders o ON o.order_id = rl.order_id
     WHERE rl.order_id > :from) AS m
 ORDER BY m.at;

INSERT INTO ordermgmt.stock_moves (product_id, warehouse_id, qty, unit_cost, kind, moved_at, moved_by)
SELECT s.product_id, s.warehouse_id, s.on_hand - coalesce(m.q, 0), s.avg_cost, 'adjustment',
       (SELECT min(created_at) FROM ordermgmt.orders) - interval '1 day', 'history-load'
  FROM ordermgmt.stock s
  LEFT JOIN (SELECT product_id, warehouse_id, sum(qty) AS q FROM ordermgmt.stock_moves GROUP BY 1, 2) m
         USING (product_id, warehouse_id)
 WHERE s.on_hand <> coalesce(m.q, 0);

DROP TABLE public.bench_path, public.bench_steps;
RESET session_replication_role;

-- The reporting summaries (since 0.6.0): the history rows written above
-- are raw, so they are recomputed from the facts and the roll-up's
-- horizon moves past them.
SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'rebuild_report_totals'
                AND pronamespace = 'ordermgmt'::regnamespace) AS has_report_totals \gset
\if :has_report_totals
SELECT ordermgmt.rebuild_report_totals();
\endif
