-- A skewed customer for bench/history.sh: one customer with a long past
-- and many open invoices, and one with no past at all, in a database
-- loaded by bench/views_load.sql (docs/benchmarks.md, "Cost with history
-- (0.6.0)").
--
--   psql -v ON_ERROR_STOP=1 -v skew_orders=100000 -v skew_open=5000 -d DB -f bench/skew_load.sql
--   psql -v ON_ERROR_STOP=1 -v from=<printed first_order_id - 1> -d DB -f bench/history_load.sql
--
-- Superuser.  Written straight into the tables like views_load.sql (with
-- session_replication_role = replica: no trigger, no foreign-key check),
-- and as consistent as the API would have left it:
--   * customer skew_customer (default SKEW-1) with skew_orders orders
--     (default 100,000) over the last two years, 2 lines each.  All are
--     shipped, delivered and invoiced; the newest skew_open (default 5,000)
--     are delivered with their invoice open (issued at shipment, due 60
--     days later, so none is overdue yet: each has its L3_PAYMENT_OVERDUE
--     deadline), the others completed and paid 10 days after the invoice;
--   * customers FRESH-1 ... FRESH-<fresh> (default 20) with no order at
--     all: a run uses a new one for each round, since every order it
--     places adds to that customer's past;
--   * all with the same credit limit (1,000,000,000,000), so that the
--     credit check runs for each;
--   * shipments, invoices, payments and their journal entries, delivery
--     counts; ids continue after everything in the database, and the
--     identity sequences after them.
-- It prints first_order_id: bench/history_load.sql with
-- from = first_order_id - 1 then writes these orders' append-only history
-- (status history, events, shipment and invoice lines, stock moves).
\set ON_ERROR_STOP 1
\if :{?skew_orders}
\else
\set skew_orders 100000
\endif
\if :{?skew_open}
\else
\set skew_open 5000
\endif
\if :{?skew_customer}
\else
\set skew_customer SKEW-1
\endif
\if :{?fresh}
\else
\set fresh 20
\endif
\timing on

SET session_replication_role = replica;
SET work_mem = '256MB';
SET max_parallel_workers_per_gather = 0;
SELECT now() AS t0 \gset

CREATE FUNCTION pg_temp.u(bigint, int) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (pg_catalog.hashint8($1 * 131 + $2) & 2147483647)::float8 / 2147483648.0 $$;

-- Ids after every id and sequence value in use: shipment, invoice and
-- payment take the order's id, as in views_load.sql.
SELECT greatest((SELECT max(order_id) FROM ordermgmt.orders), (SELECT max(shipment_id) FROM ordermgmt.shipments),
                (SELECT max(invoice_id) FROM ordermgmt.invoices), (SELECT max(payment_id) FROM ordermgmt.payments),
                (SELECT last_value FROM ordermgmt.orders_order_id_seq),
                (SELECT last_value FROM ordermgmt.shipments_shipment_id_seq),
                (SELECT last_value FROM ordermgmt.invoices_invoice_id_seq),
                (SELECT last_value FROM ordermgmt.payments_payment_id_seq)) + 1 AS first_order_id,
       greatest((SELECT max(entry_id) FROM ordermgmt.journal_entries),
                (SELECT last_value FROM ordermgmt.journal_entries_entry_id_seq)) + 1 AS first_entry_id \gset
\echo first_order_id :first_order_id

INSERT INTO ordermgmt.customers (code, name, email, credit_limit)
VALUES (:'skew_customer', 'Skewed customer', 'skew@example.com', 1000000000000);
INSERT INTO ordermgmt.customers (code, name, email, credit_limit)
SELECT 'FRESH-' || n, 'New customer ' || n, 'fresh' || n || '@example.com', 1000000000000
  FROM generate_series(1, :fresh) AS n;
SELECT customer_id AS skew_id FROM ordermgmt.customers WHERE code = :'skew_customer' \gset

CREATE UNLOGGED TABLE public.bench_skew AS
SELECT i, :first_order_id + i - 1 AS order_id,
       i > :skew_orders - :skew_open AS open,
       :'t0'::timestamptz - (:skew_orders - i + 1) * (730.0 / :skew_orders) * interval '1 day' AS created_at
  FROM generate_series(1, :skew_orders::bigint) AS i;
ALTER TABLE public.bench_skew ADD PRIMARY KEY (order_id);

INSERT INTO ordermgmt.order_lines (order_id, line_no, product_id, qty, unit_price,
                                   shipped_qty, invoiced_qty, tax_rate)
SELECT b.order_id, n, p.product_id, x.q, p.list_price, x.q, x.q, p.tax_rate
  FROM public.bench_skew b
 CROSS JOIN generate_series(1, 2) AS n
 CROSS JOIN LATERAL (SELECT 1 + floor((SELECT count(*) FROM ordermgmt.products) * pg_temp.u(b.order_id * 4 + n, 70))::bigint AS pid,
                            1 + floor(3 * pg_temp.u(b.order_id * 4 + n, 71)) AS q) AS x
  JOIN ordermgmt.products p ON p.product_id = x.pid
 ORDER BY b.order_id, n;

CREATE UNLOGGED TABLE public.bench_skew_amounts AS
SELECT l.order_id, sum(round(l.qty * l.unit_price, 2)) AS net,
       sum(round(round(l.qty * l.unit_price, 2) * p.tax_rate, 2)) AS tax,
       sum(round(l.qty * p.unit_cost, 2)) AS cost
  FROM ordermgmt.order_lines l JOIN ordermgmt.products p USING (product_id)
 WHERE l.order_id >= :first_order_id
 GROUP BY l.order_id;
ALTER TABLE public.bench_skew_amounts ADD PRIMARY KEY (order_id);

INSERT INTO ordermgmt.orders (order_id, customer_id, warehouse_id, status, currency, created_at, promised_at,
                              status_changed_at, confirmed_at, delivered_at, ordered_net)
SELECT b.order_id, :skew_id, 1, CASE WHEN b.open THEN 'delivered' ELSE 'completed' END::ordermgmt.order_status,
       'EUR', b.created_at, b.created_at + interval '7 days',
       CASE WHEN b.open THEN b.created_at + interval '3 days' ELSE b.created_at + interval '11 days' END,
       b.created_at + interval '1 hour', b.created_at + interval '3 days', a.net
  FROM public.bench_skew b JOIN public.bench_skew_amounts a USING (order_id)
 ORDER BY b.order_id;

INSERT INTO ordermgmt.delivery_weeks AS w (week, customer_id, delivered, on_time)
SELECT date_trunc('week', timezone('UTC', delivered_at))::date, customer_id, count(*),
       count(*) FILTER (WHERE delivered_at <= promised_at)
  FROM ordermgmt.orders WHERE order_id >= :first_order_id
 GROUP BY 1, 2
ON CONFLICT (week, customer_id) DO UPDATE
   SET delivered = w.delivered + EXCLUDED.delivered, on_time = w.on_time + EXCLUDED.on_time;

INSERT INTO ordermgmt.shipments (shipment_id, order_id, warehouse_id, carrier, tracking, shipped_at, delivered_at,
                                 shipped_by)
OVERRIDING SYSTEM VALUE
SELECT order_id, order_id, 1, 'DHL', 'TRK' || order_id, created_at + interval '1 day',
       created_at + interval '3 days', 'warehouse'
  FROM public.bench_skew ORDER BY order_id;

INSERT INTO ordermgmt.invoices (invoice_id, order_id, customer_id, currency, issued_at, due_at, net, tax, total, paid,
                                company_rate)
OVERRIDING SYSTEM VALUE
SELECT b.order_id, b.order_id, :skew_id, 'EUR', b.created_at + interval '1 day', b.created_at + interval '61 days',
       a.net, a.tax, a.net + a.tax, CASE WHEN b.open THEN 0 ELSE a.net + a.tax END, 1
  FROM public.bench_skew b JOIN public.bench_skew_amounts a USING (order_id)
 ORDER BY b.order_id;

INSERT INTO ordermgmt.payments (payment_id, invoice_id, amount, method, reference, paid_at, recorded_by)
OVERRIDING SYSTEM VALUE
SELECT i.invoice_id, i.invoice_id, i.paid, 'bank', 'PAY-' || i.invoice_id, i.issued_at + interval '10 days',
       'bank-import'
  FROM ordermgmt.invoices i
 WHERE i.invoice_id >= :first_order_id AND i.paid > 0
 ORDER BY i.invoice_id;

-- Ledger: shipment, invoice and payment entries, ids after the others.
INSERT INTO ordermgmt.journal_entries (entry_id, posted_at, memo, source_type, source_id, posted_by)
OVERRIDING SYSTEM VALUE
SELECT e.* FROM (
    SELECT :first_entry_id + 4 * b.i AS entry_id, b.created_at + interval '1 day' AS posted_at,
           format('shipment %s of order %s', b.order_id, b.order_id) AS memo, 'shipment' AS source_type,
           b.order_id AS source_id, 'warehouse' AS posted_by
      FROM public.bench_skew b
    UNION ALL
    SELECT :first_entry_id + 4 * b.i + 1, b.created_at + interval '1 day',
           format('invoice %s for order %s', b.order_id, b.order_id), 'invoice', b.order_id, 'billing'
      FROM public.bench_skew b
    UNION ALL
    SELECT :first_entry_id + 4 * b.i + 2, b.created_at + interval '11 days',
           format('payment %s on invoice %s', b.order_id, b.order_id), 'payment', b.order_id, 'bank-import'
      FROM public.bench_skew b WHERE NOT b.open) AS e
 ORDER BY e.entry_id;

INSERT INTO ordermgmt.postings (entry_id, account_id, currency, debit, credit, company_debit, company_credit)
SELECT x.entry_id, pa.account_id, 'EUR', x.debit, x.credit, x.debit, x.credit
  FROM (
    SELECT :first_entry_id + 4 * b.i AS entry_id, v.ord, v.event, v.role, v.debit, v.credit
      FROM public.bench_skew b JOIN public.bench_skew_amounts a USING (order_id),
           LATERAL (VALUES (1, 'shipment', 'cogs', a.cost, 0), (2, 'shipment', 'inventory', 0, a.cost),
                           (3, 'invoice', 'receivable', a.net + a.tax, 0), (4, 'invoice', 'revenue', 0, a.net),
                           (5, 'invoice', 'tax_payable', 0, a.tax),
                           (6, 'payment', 'cash', CASE WHEN b.open THEN 0 ELSE a.net + a.tax END, 0),
                           (7, 'payment', 'receivable', 0, CASE WHEN b.open THEN 0 ELSE a.net + a.tax END))
                   AS v(ord, event, role, debit, credit)) AS x0
 CROSS JOIN LATERAL (SELECT x0.entry_id + CASE x0.event WHEN 'invoice' THEN 1 WHEN 'payment' THEN 2 ELSE 0 END
                            AS entry_id, x0.ord, x0.event, x0.role, x0.debit, x0.credit) AS x
  JOIN ordermgmt.posting_accounts pa ON pa.event = x.event AND pa.role = x.role
 WHERE x.debit <> 0 OR x.credit <> 0
 ORDER BY x.entry_id, x.ord;

-- The open invoices wait for their due date.
INSERT INTO ordermgmt.deadlines (rule_code, subject_type, subject_id, order_id, anchor_at, due_at, fired)
SELECT 'L3_PAYMENT_OVERDUE', 'invoice', invoice_id, order_id, due_at, due_at, due_at <= :'t0'::timestamptz
  FROM ordermgmt.invoices
 WHERE invoice_id >= :first_order_id AND due > 0;

DO $seq$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT a.attrelid::regclass AS tbl, a.attname
               FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid
              WHERE t.relnamespace = 'ordermgmt'::regnamespace AND a.attidentity <> '' LOOP
        EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), greatest(coalesce((SELECT max(%I) FROM %s), 0) + 1, '
                       '(SELECT last_value FROM %s)), false)',
                       c.tbl::text, c.attname, c.attname, c.tbl, pg_get_serial_sequence(c.tbl::text, c.attname));
    END LOOP;
END
$seq$;

-- The skewed customer's credit exposure, as the C code keeps it: its open
-- orders are fully invoiced, so only the invoices still due count.
INSERT INTO ordermgmt.customer_exposure AS e (customer_id, currency, open_orders, receivables)
SELECT :skew_id, 'EUR', 0, coalesce(sum(i.due), 0)
  FROM ordermgmt.invoices i
 WHERE i.customer_id = :skew_id
ON CONFLICT (customer_id, currency) DO UPDATE SET receivables = excluded.receivables;

DROP TABLE public.bench_skew, public.bench_skew_amounts;
RESET session_replication_role;
