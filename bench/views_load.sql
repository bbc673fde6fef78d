-- Bulk load for the views benchmark (bench/views.sh): two years of order
-- history written straight into the extension's tables with generate_series.
--
--   psql -v orders=1000000 -v customers=5000 -v products=2000 -f bench/views_load.sql
--
-- Needs a superuser and an empty database with the extension installed.
-- The load runs with session_replication_role = replica, so the extension's
-- triggers and the foreign-key checks do not fire: this is a bulk load of
-- history, not a replay of the API.  CHECK constraints, generated columns
-- and indexes still apply.  The data is consistent as the API would have
-- left it for what the views read: every order has lines; shipped
-- quantities, shipments, invoices (net, tax, total, paid, credited), payments,
-- returns, stock and reservations agree with the order's status; every
-- journal entry balances; alerts and deadlines match the open conditions;
-- each customer's credit exposure equals its recomputation; the reporting
-- summaries are recomputed at the end.
-- Not loaded, because no view reads them: status history, events, stock
-- moves, shipment lines and invoice lines (bench/history_load.sql adds
-- them).
--
-- All draws come from a hash of the row number, so two loads of the same
-- size hold the same data (apart from the timestamps, which end at now()).
--
-- Shape (for 1,000,000 orders):
--   * orders evenly spread over the last 730 days (about 1,370 a day), ids in
--     time order; 5,000 customers drawn with a skew (C-1 is the biggest), 2,000
--     products (skewed too), 1-5 lines of 1-10 units, 2 warehouses;
--   * older than 30 days: 97.8 % completed, 2 % cancelled, 0.2 % delivered and
--     never paid; 4-30 days: 92 % completed, 5 % delivered (invoiced, some
--     paid in part), 2.5 % cancelled, 0.5 % shipped and still on the road; the
--     last 4 days: every status from draft to completed;
--   * one shipment per shipped order (the first line only while partially
--     shipped), an invoice per shipped order issued at shipment and due 30
--     days later, a payment 5-40 days after the invoice for completed orders;
--   * promised 6-8 days after entry (8 % without a promise), so about one
--     delivery in six is late;
--   * journal entries for every shipment (2 postings), invoice (3), payment
--     (2), return (5) and a monthly stock receipt per product and warehouse (2):
--     about 7.1 million postings;
--   * feedback on 10 % of delivered orders, a ticket on 1 %, a return on 0.3 %
--     of completed ones; 2 contacts and 20 logged interactions per customer;
--   * alerts as monitoring would have left them, without purge_history: every
--     late delivery and late payment of the two years raised and resolved,
--     plus the currently open ones.
\set ON_ERROR_STOP 1
\if :{?orders}
\else
\set orders 1000000
\endif
\if :{?customers}
\else
\set customers 5000
\endif
\if :{?products}
\else
\set products 2000
\endif
\timing on

SET session_replication_role = replica;
SET work_mem = '256MB';
SET maintenance_work_mem = '512MB';
SET max_parallel_workers_per_gather = 0;
SELECT now() AS t0 \gset

-- A uniform draw in [0, 1) from a row number and a salt.
CREATE FUNCTION pg_temp.u(bigint, int) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (pg_catalog.hashint8($1 * 131 + $2) & 2147483647)::float8 / 2147483648.0 $$;

-- ---------------------------------------------------------------------------
-- Master data
-- ---------------------------------------------------------------------------
INSERT INTO ordermgmt.warehouses (warehouse_id, code, name)
VALUES (1, 'WH1', 'Main warehouse'), (2, 'WH2', 'Second warehouse');

INSERT INTO ordermgmt.customers (customer_id, code, name, email, credit_limit, blocked, created_at)
SELECT n, 'C-' || n, 'Customer ' || n, 'c' || n || '@example.com',
       CASE WHEN pg_temp.u(n, 1) < 0.3 THEN 50000 + 1000 * floor(200 * pg_temp.u(n, 2)) END,
       pg_temp.u(n, 3) < 0.005, :'t0'::timestamptz - interval '800 days'
  FROM generate_series(1, :customers) AS n;

INSERT INTO ordermgmt.products (product_id, sku, name, list_price, unit_cost, tax_rate, reorder_point)
SELECT n, 'SKU-' || n, 'Product ' || n, lp, round(lp * 0.6, 4),
       CASE WHEN pg_temp.u(n, 2) < 0.2 THEN 0.07 ELSE 0.19 END, 50
  FROM (SELECT n, round((2 + 400 * pg_temp.u(n, 1) ^ 2)::numeric, 2) AS lp
          FROM generate_series(1, :products) AS n) AS p;

-- ---------------------------------------------------------------------------
-- The plan of every order: status and milestones
-- ---------------------------------------------------------------------------
CREATE UNLOGGED TABLE public.bench_plan AS
WITH b AS (
    SELECT i AS order_id,
           (:orders - i) * (730.0 * 24 / :orders) AS age_h,
           pg_temp.u(i, 1) AS r_cust, pg_temp.u(i, 2) AS r_status, pg_temp.u(i, 3) AS r_wh,
           pg_temp.u(i, 4) AS r_prom, pg_temp.u(i, 5) AS r_conf, pg_temp.u(i, 6) AS r_ship,
           pg_temp.u(i, 7) AS r_del, pg_temp.u(i, 8) AS r_pay, pg_temp.u(i, 9) AS r_cancel,
           pg_temp.u(i, 10) AS r_lines, pg_temp.u(i, 11) AS r_fb, pg_temp.u(i, 12) AS r_rating,
           pg_temp.u(i, 13) AS r_part, pg_temp.u(i, 14) AS r_tk, pg_temp.u(i, 15) AS r_ret,
           pg_temp.u(i, 16) AS r_tk2, pg_temp.u(i, 17) AS r_tk3
      FROM generate_series(1, :orders::bigint) AS i),
s AS (
    SELECT b.*,
           CASE
             WHEN age_h > 30 * 24 THEN
               CASE WHEN r_status < 0.978 THEN 'completed' WHEN r_status < 0.998 THEN 'cancelled'
                    ELSE 'delivered' END
             WHEN age_h > 4 * 24 THEN
               CASE WHEN r_status < 0.92 THEN 'completed' WHEN r_status < 0.97 THEN 'delivered'
                    WHEN r_status < 0.995 THEN 'cancelled' ELSE 'shipped' END
             ELSE
               CASE WHEN r_status < 0.02 THEN 'draft' WHEN r_status < 0.06 THEN 'pending'
                    WHEN r_status < 0.08 THEN 'on_hold' WHEN r_status < 0.28 THEN 'confirmed'
                    WHEN r_status < 0.43 THEN 'processing' WHEN r_status < 0.46 THEN 'partially_shipped'
                    WHEN r_status < 0.71 THEN 'shipped' WHEN r_status < 0.81 THEN 'delivered'
                    WHEN r_status < 0.97 THEN 'completed' ELSE 'cancelled' END
           END AS status,
           -- hours: entry -> confirmation -> shipment -> delivery
           0.05 + 8 * r_conf * r_conf AS conf_h, 2 + 70 * r_ship AS ship_h, 24 + 120 * r_del AS del_h
      FROM b),
t AS (
    -- Recent orders: the same milestones compressed into their age.
    SELECT s.*, least(1.0, age_h * 0.95 / (conf_h + ship_h + del_h)) AS k,
           :'t0'::timestamptz - age_h * interval '1 hour' AS created_at
      FROM s),
m AS (
    SELECT t.*,
           CASE WHEN status IN ('confirmed', 'processing', 'partially_shipped', 'shipped', 'delivered', 'completed')
                  OR (status = 'cancelled' AND r_cancel < 0.5)
                THEN created_at + conf_h * k * interval '1 hour' END AS confirmed_at,
           CASE WHEN status IN ('partially_shipped', 'shipped', 'delivered', 'completed')
                THEN created_at + (conf_h + ship_h) * k * interval '1 hour' END AS shipped_at,
           CASE WHEN status IN ('delivered', 'completed')
                THEN created_at + (conf_h + ship_h + del_h) * k * interval '1 hour' END AS delivered_at
      FROM t),
p AS (
    SELECT m.*,
           CASE WHEN status = 'completed'
                  THEN least(shipped_at + (5 + 35 * r_pay ^ 1.5) * interval '1 day',
                             shipped_at + (:'t0'::timestamptz - shipped_at) * (0.3 + 0.69 * r_pay))
                WHEN status = 'delivered' AND r_part < 0.3
                  THEN shipped_at + (:'t0'::timestamptz - shipped_at) * (0.5 * r_pay)
           END AS paid_at
      FROM m)
SELECT order_id,
       1 + floor(:customers * r_cust ^ 1.3)::int AS customer_id,
       CASE WHEN r_wh < 0.9 THEN 1 ELSE 2 END AS warehouse_id,
       status::ordermgmt.order_status AS status,
       created_at,
       CASE WHEN r_prom < 0.92 THEN created_at + (6 + floor(r_prom / 0.92 * 3)) * interval '1 day' END AS promised_at,
       confirmed_at, shipped_at, delivered_at,
       greatest(delivered_at, paid_at) AS completed_at,
       paid_at,
       CASE status
         WHEN 'draft' THEN created_at WHEN 'pending' THEN created_at
         WHEN 'on_hold' THEN created_at + conf_h * k * interval '1 hour'
         WHEN 'confirmed' THEN confirmed_at
         WHEN 'processing' THEN confirmed_at + ship_h * k * 0.3 * interval '1 hour'
         WHEN 'partially_shipped' THEN shipped_at WHEN 'shipped' THEN shipped_at
         WHEN 'delivered' THEN delivered_at
         WHEN 'completed' THEN greatest(delivered_at, paid_at)
         WHEN 'cancelled' THEN created_at + conf_h * k * 1.5 * interval '1 hour'
       END AS status_changed_at,
       -- a partially shipped order ships its first line only, so it has two or more
       CASE WHEN status = 'partially_shipped' THEN 2 + floor(4 * r_lines)::int
            ELSE 1 + floor(5 * r_lines)::int END AS nlines,
       status IN ('shipped', 'delivered', 'completed') AS invoiced,
       status = 'completed' AND r_ret < 0.003 AS returned,
       status IN ('delivered', 'completed') AND r_fb < 0.10 AS has_feedback,
       status IN ('delivered', 'completed') AND r_tk < 0.01 AS has_ticket,
       r_rating, r_tk2, r_tk3, r_part
  FROM p;
ALTER TABLE public.bench_plan ADD PRIMARY KEY (order_id);

-- ---------------------------------------------------------------------------
-- Lines, and the amounts that follow from them
-- ---------------------------------------------------------------------------
-- A line out of draft records its product's tax rate (since 0.6.0).
SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'ordermgmt.order_lines'::regclass
                AND attname = 'tax_rate' AND NOT attisdropped) AS has_line_tax_rate \gset
\if :has_line_tax_rate
\set line_tax_col ', tax_rate'
\set line_tax_val ', CASE WHEN p.status <> ''draft'' THEN pr.tax_rate END'
\else
\set line_tax_col ''
\set line_tax_val ''
\endif
INSERT INTO ordermgmt.order_lines (order_id, line_no, product_id, qty, unit_price,
                                   shipped_qty, returned_qty, invoiced_qty, credited_qty :line_tax_col)
SELECT p.order_id, n, pr.product_id, x.q,
       CASE WHEN x.discount THEN round(pr.list_price * 0.9, 2) ELSE pr.list_price END,
       CASE WHEN p.status IN ('shipped', 'delivered', 'completed') OR (p.status = 'partially_shipped' AND n = 1)
            THEN x.q ELSE 0 END,
       CASE WHEN p.returned AND n = 1 THEN 1 ELSE 0 END,
       CASE WHEN p.invoiced THEN x.q ELSE 0 END,
       CASE WHEN p.returned AND n = 1 THEN 1 ELSE 0 END
       :line_tax_val
  FROM public.bench_plan p
 CROSS JOIN LATERAL generate_series(1, p.nlines) AS n
 CROSS JOIN LATERAL (SELECT 1 + floor(:products * pg_temp.u(p.order_id * 8 + n, 20) ^ 1.5)::bigint AS product_id,
                            1 + floor(10 * pg_temp.u(p.order_id * 8 + n, 21) ^ 2) AS q,
                            pg_temp.u(p.order_id * 8 + n, 22) < 0.05 AS discount) AS x
  JOIN ordermgmt.products pr ON pr.product_id = x.product_id
 ORDER BY p.order_id, n;

-- The orders, after their lines (the load runs without the foreign-key
-- triggers), so that each row is written once with the net value of its
-- lines, as create_order and the lifecycle trigger record it (since 0.4.0).
SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'ordermgmt.orders'::regclass
                AND attname = 'ordered_net' AND NOT attisdropped) AS has_ordered_net \gset
\if :has_ordered_net
CREATE UNLOGGED TABLE public.bench_net AS
SELECT order_id, round(sum(qty * unit_price), 2) AS net FROM ordermgmt.order_lines GROUP BY order_id;
ALTER TABLE public.bench_net ADD PRIMARY KEY (order_id);
\set ordered_net_col ', ordered_net'
\set ordered_net_val ', CASE WHEN status <> ''draft'' THEN n.net END'
\else
CREATE UNLOGGED TABLE public.bench_net (order_id bigint PRIMARY KEY, net numeric);
\set ordered_net_col ''
\set ordered_net_val ''
\endif
INSERT INTO ordermgmt.orders (order_id, customer_id, warehouse_id, status, hold_reason, cancel_reason,
                              currency, created_at, promised_at, status_changed_at, confirmed_at,
                              delivered_at :ordered_net_col)
SELECT order_id, customer_id, warehouse_id, status,
       CASE WHEN status = 'on_hold' THEN 'level-1 check failed: L1_CREDIT_LIMIT' END,
       CASE WHEN status = 'cancelled' THEN 'customer request' END,
       'EUR', created_at, promised_at, status_changed_at, confirmed_at, delivered_at
       :ordered_net_val
  FROM public.bench_plan p LEFT JOIN public.bench_net n USING (order_id)
 ORDER BY order_id;

-- What the orders trigger counts as each order is delivered.
INSERT INTO ordermgmt.delivery_weeks (week, customer_id, delivered, on_time)
SELECT date_trunc('week', timezone('UTC', delivered_at))::date, customer_id,
       count(*), count(*) FILTER (WHERE delivered_at <= promised_at)
  FROM ordermgmt.orders
 WHERE delivered_at IS NOT NULL AND promised_at IS NOT NULL
 GROUP BY 1, 2;

CREATE UNLOGGED TABLE public.bench_amounts AS
SELECT l.order_id,
       sum(round(l.invoiced_qty * l.unit_price, 2)) AS net,
       sum(round(round(l.invoiced_qty * l.unit_price, 2) * pr.tax_rate, 2)) AS tax,
       sum(round(l.shipped_qty * pr.unit_cost, 2)) AS cost,
       sum(round(l.credited_qty * l.unit_price, 2)) AS credit_net,
       sum(round(round(l.credited_qty * l.unit_price, 2) * pr.tax_rate, 2)) AS credit_tax,
       sum(round(l.returned_qty * pr.unit_cost, 2)) AS return_cost,
       min(pr.unit_cost) FILTER (WHERE l.line_no = 1) AS line1_cost
  FROM ordermgmt.order_lines l
  JOIN ordermgmt.products pr USING (product_id)
 WHERE l.shipped_qty > 0
 GROUP BY l.order_id;
ALTER TABLE public.bench_amounts ADD PRIMARY KEY (order_id);

-- ---------------------------------------------------------------------------
-- Shipments, invoices, payments, returns
-- ---------------------------------------------------------------------------
INSERT INTO ordermgmt.shipments (shipment_id, order_id, warehouse_id, carrier, tracking,
                                 shipped_at, delivered_at, shipped_by)
OVERRIDING SYSTEM VALUE
SELECT order_id, order_id, warehouse_id, (ARRAY['DHL', 'UPS', 'DPD'])[(1 + order_id % 3)::int],
       'TRK' || order_id, shipped_at, delivered_at, 'warehouse'
  FROM public.bench_plan
 WHERE shipped_at IS NOT NULL
 ORDER BY order_id;

INSERT INTO ordermgmt.invoices (invoice_id, order_id, customer_id, currency, issued_at, due_at,
                                net, tax, total, paid, credited, company_rate)
OVERRIDING SYSTEM VALUE
SELECT p.order_id, p.order_id, p.customer_id, 'EUR', p.shipped_at, p.shipped_at + interval '30 days',
       a.net, a.tax, a.net + a.tax,
       CASE WHEN p.status = 'completed' THEN a.net + a.tax - (a.credit_net + a.credit_tax)
            WHEN p.paid_at IS NOT NULL THEN round((a.net + a.tax) * 0.5, 2)
            ELSE 0 END,
       a.credit_net + a.credit_tax, 1
  FROM public.bench_plan p
  JOIN public.bench_amounts a USING (order_id)
 WHERE p.invoiced
 ORDER BY p.order_id;

INSERT INTO ordermgmt.payments (payment_id, invoice_id, amount, method, reference, paid_at, recorded_by)
OVERRIDING SYSTEM VALUE
SELECT i.invoice_id, i.invoice_id, i.paid, 'bank', 'PAY-' || i.invoice_id, p.paid_at, 'bank-import'
  FROM ordermgmt.invoices i
  JOIN public.bench_plan p ON p.order_id = i.order_id
 WHERE i.paid > 0
 ORDER BY i.invoice_id;

INSERT INTO ordermgmt.returns (return_id, order_id, reason, credit_net, credit_tax, returned_at, recorded_by)
OVERRIDING SYSTEM VALUE
SELECT p.order_id, p.order_id, 'damaged in transit', a.credit_net, a.credit_tax,
       least(p.delivered_at + interval '3 days', p.delivered_at + (:'t0'::timestamptz - p.delivered_at) * 0.5),
       'service'
  FROM public.bench_plan p
  JOIN public.bench_amounts a USING (order_id)
 WHERE p.returned;
INSERT INTO ordermgmt.return_lines (return_id, order_id, line_no, qty, credited_qty, unit_cost, tax_rate)
SELECT r.return_id, r.order_id, 1, 1, 1, a.line1_cost, pr.tax_rate
  FROM ordermgmt.returns r
  JOIN public.bench_amounts a USING (order_id)
  JOIN ordermgmt.order_lines ol ON ol.order_id = r.order_id AND ol.line_no = 1
  JOIN ordermgmt.products pr ON pr.product_id = ol.product_id;
INSERT INTO ordermgmt.credit_applications (return_id, invoice_id, amount)
SELECT r.return_id, r.order_id, r.credit_net + r.credit_tax
  FROM ordermgmt.returns r;

-- ---------------------------------------------------------------------------
-- Ledger: one balanced entry per shipment, invoice, payment, return and
-- stock receipt.  Entry ids: 4 * order id + 0 shipment, 1 invoice,
-- 2 payment, 3 return; receipts after them.
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE acct AS
SELECT pa.event || '.' || pa.role AS k, pa.account_id
  FROM ordermgmt.posting_accounts pa;

CREATE UNLOGGED TABLE public.bench_receipts AS
SELECT row_number() OVER (ORDER BY month, pr.product_id, w.warehouse_id) AS k,
       pr.product_id, w.warehouse_id, pr.sku, w.code AS wh,
       :'t0'::timestamptz - interval '730 days' + month * interval '1 month' AS at,
       round((100 + floor(500 * pg_temp.u(pr.product_id * 64 + month * 2 + w.warehouse_id, 30)))::numeric * pr.unit_cost, 2)
           AS amount
  FROM ordermgmt.products pr
 CROSS JOIN ordermgmt.warehouses w
 CROSS JOIN generate_series(0, 23) AS month;

INSERT INTO ordermgmt.journal_entries (entry_id, posted_at, memo, source_type, source_id, posted_by)
OVERRIDING SYSTEM VALUE
SELECT e.* FROM (
    SELECT 4 * p.order_id AS entry_id, p.shipped_at AS posted_at,
           format('shipment %s of order %s', p.order_id, p.order_id) AS memo, 'shipment' AS source_type,
           p.order_id AS source_id, 'warehouse' AS posted_by
      FROM public.bench_plan p WHERE p.shipped_at IS NOT NULL
    UNION ALL
    SELECT 4 * i.invoice_id + 1, i.issued_at, format('invoice %s for order %s', i.invoice_id, i.order_id),
           'invoice', i.invoice_id, 'billing'
      FROM ordermgmt.invoices i
    UNION ALL
    SELECT 4 * y.payment_id + 2, y.paid_at, format('payment %s on invoice %s', y.payment_id, y.invoice_id),
           'payment', y.payment_id, 'bank-import'
      FROM ordermgmt.payments y
    UNION ALL
    SELECT 4 * r.return_id + 3, r.returned_at, format('return %s of order %s', r.return_id, r.order_id),
           'return', r.return_id, 'service'
      FROM ordermgmt.returns r
    UNION ALL
    SELECT 4 * (:orders + 1) + rc.k, rc.at, format('receipt of %s into %s', rc.sku, rc.wh), 'receipt', rc.k,
           'warehouse'
      FROM public.bench_receipts rc) AS e
 ORDER BY e.entry_id;

INSERT INTO ordermgmt.postings (entry_id, account_id, currency, debit, credit, company_debit, company_credit)
SELECT x.entry_id, a.account_id, 'EUR', x.debit, x.credit, x.debit, x.credit
  FROM (
    SELECT 4 * p.order_id AS entry_id, v.ord, v.k, v.debit, v.credit
      FROM public.bench_plan p JOIN public.bench_amounts am USING (order_id),
           LATERAL (VALUES (1, 'shipment.cogs', am.cost, 0), (2, 'shipment.inventory', 0, am.cost))
                   AS v(ord, k, debit, credit)
     WHERE p.shipped_at IS NOT NULL
    UNION ALL
    SELECT 4 * i.invoice_id + 1, v.ord, v.k, v.debit, v.credit
      FROM ordermgmt.invoices i,
           LATERAL (VALUES (1, 'invoice.receivable', i.total, 0), (2, 'invoice.revenue', 0, i.net),
                           (3, 'invoice.tax_payable', 0, i.tax)) AS v(ord, k, debit, credit)
    UNION ALL
    SELECT 4 * y.payment_id + 2, v.ord, v.k, v.debit, v.credit
      FROM ordermgmt.payments y,
           LATERAL (VALUES (1, 'payment.cash', y.amount, 0), (2, 'payment.receivable', 0, y.amount))
                   AS v(ord, k, debit, credit)
    UNION ALL
    SELECT 4 * r.return_id + 3, v.ord, v.k, v.debit, v.credit
      FROM ordermgmt.returns r JOIN public.bench_amounts am USING (order_id),
           LATERAL (VALUES (1, 'return.sales_returns', r.credit_net, 0), (2, 'return.tax_payable', r.credit_tax, 0),
                           (3, 'return.receivable', 0, r.credit_net + r.credit_tax),
                           (4, 'return.inventory', am.return_cost, 0), (5, 'return.cogs', 0, am.return_cost))
                   AS v(ord, k, debit, credit)
    UNION ALL
    SELECT 4 * (:orders + 1) + rc.k, v.ord, v.k, v.debit, v.credit
      FROM public.bench_receipts rc,
           LATERAL (VALUES (1, 'receipt.inventory', rc.amount, 0), (2, 'receipt.goods_received', 0, rc.amount))
                   AS v(ord, k, debit, credit)
  ) AS x
  JOIN acct a ON a.k = x.k
 WHERE x.debit <> 0 OR x.credit <> 0
 ORDER BY x.entry_id, x.ord;

-- The ledger totals as rollup_ledger leaves them, lagging a day behind
-- (10,000 postings): the background worker rolls up every minute, so this
-- tail is much longer than it would be.
INSERT INTO ordermgmt.ledger_rollup (upto_posting_id, rolled_at)
SELECT max(posting_id) - 10000, :'t0'::timestamptz - interval '1 day' FROM ordermgmt.postings;
INSERT INTO ordermgmt.ledger_totals (account_id, currency, debit, credit)
SELECT account_id, currency, sum(debit), sum(credit)
  FROM ordermgmt.postings
 WHERE posting_id <= (SELECT upto_posting_id FROM ordermgmt.ledger_rollup)
 GROUP BY account_id, currency;
INSERT INTO ordermgmt.ledger_month_totals (month, account_id, currency, debit, credit)
SELECT date_trunc('month', timezone('UTC', e.posted_at))::date, x.account_id, x.currency,
       sum(x.debit), sum(x.credit)
  FROM ordermgmt.postings x JOIN ordermgmt.journal_entries e USING (entry_id)
 WHERE x.posting_id <= (SELECT upto_posting_id FROM ordermgmt.ledger_rollup)
 GROUP BY 1, x.account_id, x.currency;

-- ---------------------------------------------------------------------------
-- Stock: what open orders hold, on hand above it (a few products run low)
-- ---------------------------------------------------------------------------
INSERT INTO ordermgmt.reservations (order_id, line_no, product_id, warehouse_id, qty, reserved_at)
SELECT l.order_id, l.line_no, l.product_id, p.warehouse_id, l.qty - l.shipped_qty, p.confirmed_at
  FROM public.bench_plan p
  JOIN ordermgmt.order_lines l USING (order_id)
 WHERE p.status IN ('confirmed', 'processing', 'partially_shipped') AND l.qty > l.shipped_qty;

INSERT INTO ordermgmt.stock (product_id, warehouse_id, on_hand, reserved, avg_cost)
SELECT pr.product_id, w.warehouse_id,
       coalesce(r.q, 0) + CASE WHEN pg_temp.u(pr.product_id * 4 + w.warehouse_id, 40) < 0.02
                               THEN floor(40 * pg_temp.u(pr.product_id * 4 + w.warehouse_id, 41))
                               ELSE 100 + floor(3000 * pg_temp.u(pr.product_id * 4 + w.warehouse_id, 41)) END,
       coalesce(r.q, 0), pr.unit_cost
  FROM ordermgmt.products pr
 CROSS JOIN ordermgmt.warehouses w
  LEFT JOIN (SELECT product_id, warehouse_id, sum(qty) AS q FROM ordermgmt.reservations GROUP BY 1, 2) r
         ON r.product_id = pr.product_id AND r.warehouse_id = w.warehouse_id
 ORDER BY pr.product_id, w.warehouse_id;

-- ---------------------------------------------------------------------------
-- After-sales: feedback, tickets
-- ---------------------------------------------------------------------------
INSERT INTO ordermgmt.feedback (order_id, customer_id, rating, comment, recorded_at, recorded_by)
SELECT order_id, customer_id,
       CASE WHEN r_rating < 0.04 THEN 1 WHEN r_rating < 0.10 THEN 2 WHEN r_rating < 0.20 THEN 3
            WHEN r_rating < 0.50 THEN 4 ELSE 5 END,
       CASE WHEN r_rating < 0.10 THEN 'late and incomplete' END,
       least(delivered_at + (1 + 4 * r_tk2) * interval '1 day',
             delivered_at + (:'t0'::timestamptz - delivered_at) * 0.9),
       'portal'
  FROM public.bench_plan
 WHERE has_feedback
 ORDER BY order_id;

CREATE UNLOGGED TABLE public.bench_tickets AS
SELECT order_id, opened_at,
       (ARRAY['low', 'normal', 'normal', 'high', 'urgent'])[1 + floor(5 * r_tk3)::int] AS priority,
       CASE WHEN opened_at < :'t0'::timestamptz - interval '3 days' AND r_tk2 >= 0.02 OR r_tk2 >= 0.6
            THEN least(opened_at + (0.2 + 4.8 * r_part) * interval '1 day',
                       opened_at + (:'t0'::timestamptz - opened_at) * 0.9) END AS resolved_at
  FROM (SELECT p.*, least(delivered_at + (1 + 9 * r_tk3) * interval '1 day',
                          delivered_at + (:'t0'::timestamptz - delivered_at) * 0.8) AS opened_at
          FROM public.bench_plan p WHERE has_ticket) AS t;
INSERT INTO ordermgmt.tickets (ticket_id, order_id, subject, priority, status, opened_at, opened_by,
                               resolved_at, resolved_by, resolution)
OVERRIDING SYSTEM VALUE
SELECT row_number() OVER (ORDER BY opened_at), order_id, 'Question about order ' || order_id, priority,
       CASE WHEN resolved_at IS NULL THEN 'open' ELSE 'resolved' END, opened_at, 'service',
       resolved_at, CASE WHEN resolved_at IS NOT NULL THEN 'service' END,
       CASE WHEN resolved_at IS NOT NULL THEN 'answered' END
  FROM public.bench_tickets
 ORDER BY opened_at;

-- ---------------------------------------------------------------------------
-- Monitoring: deadlines of what is open, alerts of two years
-- ---------------------------------------------------------------------------
INSERT INTO ordermgmt.deadlines (rule_code, subject_type, subject_id, order_id, variant, anchor_at, due_at, fired)
SELECT d.rule_code, d.subject_type, d.subject_id, d.order_id, d.variant, d.anchor_at, d.due_at,
       d.due_at <= :'t0'::timestamptz
  FROM (
    SELECT 'L2_STALLED' AS rule_code, 'order' AS subject_type, order_id AS subject_id, order_id,
           NULL::text AS variant, status_changed_at AS anchor_at, status_changed_at + interval '5 days' AS due_at
      FROM public.bench_plan WHERE status IN ('pending', 'on_hold', 'confirmed', 'processing', 'partially_shipped', 'shipped')
    UNION ALL
    SELECT 'L1_CONFIRMATION_OVERDUE', 'order', order_id, order_id, NULL, status_changed_at,
           status_changed_at + interval '4 hours'
      FROM public.bench_plan WHERE status IN ('pending', 'on_hold')
    UNION ALL
    SELECT 'L2_PROCESSING_OVERDUE', 'order', order_id, order_id, NULL, confirmed_at, confirmed_at + interval '2 days'
      FROM public.bench_plan WHERE status IN ('confirmed', 'processing', 'partially_shipped')
    UNION ALL
    SELECT 'L3_DELIVERY_LATE', 'order', order_id, order_id, NULL, promised_at, promised_at
      FROM public.bench_plan
     WHERE status IN ('pending', 'on_hold', 'confirmed', 'processing', 'partially_shipped', 'shipped')
       AND promised_at IS NOT NULL
    UNION ALL
    SELECT 'L3_PAYMENT_OVERDUE', 'invoice', invoice_id, order_id, NULL, due_at, due_at
      FROM ordermgmt.invoices WHERE due > 0
    UNION ALL
    SELECT 'L3_TICKET_OVERDUE', 'ticket', t.ticket_id, t.order_id, t.priority, t.opened_at,
           t.opened_at + ordermgmt.rule_delay('L3_TICKET_OVERDUE', r.thresholds, t.priority)
      FROM ordermgmt.tickets t, ordermgmt.monitor_rules r
     WHERE t.status = 'open' AND r.rule_code = 'L3_TICKET_OVERDUE') AS d;

INSERT INTO ordermgmt.alerts (rule_code, level, severity, subject_type, subject_id, order_id, status,
                              raised_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by, note)
SELECT a.rule_code, r.level, r.severity, a.subject_type, a.subject_id, a.order_id,
       CASE WHEN a.resolved_at IS NOT NULL THEN 'resolved'
            WHEN pg_temp.u(a.subject_id, 50) < 0.2 THEN 'acknowledged' ELSE 'open' END,
       a.raised_at,
       CASE WHEN a.resolved_at IS NOT NULL OR pg_temp.u(a.subject_id, 50) < 0.2
            THEN a.raised_at + (coalesce(a.resolved_at, :'t0'::timestamptz) - a.raised_at) * 0.5 END,
       CASE WHEN a.resolved_at IS NOT NULL OR pg_temp.u(a.subject_id, 50) < 0.2 THEN 'ops' END,
       a.resolved_at, CASE WHEN a.resolved_at IS NOT NULL THEN 'monitor' END,
       CASE WHEN a.resolved_at IS NOT NULL THEN 'condition cleared' END
  FROM (
    -- two years of late deliveries and late payments, raised and resolved
    SELECT 'L3_DELIVERY_LATE' AS rule_code, 'order' AS subject_type, order_id AS subject_id, order_id,
           promised_at AS raised_at, delivered_at AS resolved_at
      FROM public.bench_plan WHERE delivered_at > promised_at
    UNION ALL
    SELECT 'L3_PAYMENT_OVERDUE', 'invoice', order_id, order_id, shipped_at + interval '30 days', paid_at
      FROM public.bench_plan WHERE status = 'completed' AND paid_at > shipped_at + interval '30 days'
    UNION ALL
    SELECT 'L3_NEGATIVE_FEEDBACK', 'feedback', f.feedback_id, f.order_id, f.recorded_at,
           CASE WHEN f.recorded_at < :'t0'::timestamptz - interval '14 days' THEN f.recorded_at + interval '2 days' END
      FROM ordermgmt.feedback f WHERE f.rating <= 2
    UNION ALL
    -- open now: every deadline that is past due
    SELECT d.rule_code, d.subject_type, d.subject_id, d.order_id, d.due_at, NULL
      FROM ordermgmt.deadlines d WHERE d.fired
    UNION ALL
    SELECT 'L2_LOW_STOCK', 'stock', s.stock_id, NULL, :'t0'::timestamptz - interval '1 day', NULL
      FROM ordermgmt.stock s JOIN ordermgmt.products pr USING (product_id)
     WHERE s.on_hand - s.reserved < pr.reorder_point) AS a
  JOIN ordermgmt.monitor_rules r USING (rule_code)
 ORDER BY a.raised_at;

-- ---------------------------------------------------------------------------
-- Each customer's credit exposure per currency, as the C code keeps it
-- (since 0.6.0): what the open orders will still bill, and invoices due
-- ---------------------------------------------------------------------------
SELECT to_regclass('ordermgmt.customer_exposure') IS NOT NULL AS has_exposure \gset
\if :has_exposure
INSERT INTO ordermgmt.customer_exposure (customer_id, currency, open_orders, receivables)
SELECT x.customer_id, x.currency, sum(x.open_orders), sum(x.receivables)
  FROM (SELECT o.customer_id, o.currency,
               ((l.qty - l.returned_qty) - (l.invoiced_qty - l.credited_qty)) * l.unit_price * (1 + l.tax_rate)
                 AS open_orders,
               0 AS receivables
          FROM ordermgmt.orders o JOIN ordermgmt.order_lines l ON l.order_id = o.order_id
         WHERE o.status IN ('confirmed', 'processing', 'partially_shipped', 'shipped', 'delivered')
        UNION ALL
        SELECT i.customer_id, i.currency, 0, i.due FROM ordermgmt.invoices i WHERE i.due > 0) x
 GROUP BY x.customer_id, x.currency;
\endif

-- ---------------------------------------------------------------------------
-- CRM: two contacts and twenty interactions per customer
-- ---------------------------------------------------------------------------
INSERT INTO ordermgmt.customer_contacts (customer_id, name, role, email, phone, is_primary)
SELECT c.customer_id, 'Contact ' || c.customer_id || '-' || n, CASE n WHEN 1 THEN 'buyer' ELSE 'accounts' END,
       'p' || n || '.c' || c.customer_id || '@example.com', '+49 30 ' || (1000000 + c.customer_id * 2 + n), n = 1
  FROM ordermgmt.customers c CROSS JOIN generate_series(1, 2) AS n
 ORDER BY c.customer_id, n;
INSERT INTO ordermgmt.customer_interactions (customer_id, contact_id, kind, occurred_at, subject, recorded_by)
SELECT cc.customer_id, cc.contact_id, (ARRAY['call', 'email', 'meeting', 'note'])[1 + n % 4],
       :'t0'::timestamptz - pg_temp.u(cc.contact_id * 16 + n, 60) * interval '730 days', 'Follow-up ' || n, 'sales'
  FROM ordermgmt.customer_contacts cc CROSS JOIN generate_series(1, 10) AS n
 ORDER BY 4;

-- ---------------------------------------------------------------------------
-- Identity sequences continue after the loaded ids
-- ---------------------------------------------------------------------------
DO $seq$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT a.attrelid::regclass AS tbl, a.attname
               FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid
              WHERE t.relnamespace = 'ordermgmt'::regnamespace AND a.attidentity <> '' LOOP
        EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), coalesce((SELECT max(%I) FROM %s), 0) + 1, false)',
                       c.tbl::text, c.attname, c.attname, c.tbl);
    END LOOP;
END
$seq$;

DROP TABLE public.bench_plan, public.bench_net, public.bench_amounts, public.bench_receipts, public.bench_tickets;
RESET session_replication_role;

-- The reporting summaries (since 0.6.0), as the C code would have kept
-- them: recomputed from what was just loaded.
SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'rebuild_report_totals'
                AND pronamespace = 'ordermgmt'::regnamespace) AS has_report_totals \gset
\if :has_report_totals
SELECT ordermgmt.rebuild_report_totals();
\endif
