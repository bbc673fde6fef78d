-- Bare-writes baseline for cycle.sql: the rows one order-to-cash cycle
-- of the extension writes, written into plain tables (schema bench_base,
-- same columns, defaults and indexes) with no triggers, no foreign keys, no
-- CHECK constraints and no lookups.  Everything that the extension looks up
-- is known up front:
--   product n is SKU-n, list price 5 + n % 97, average cost 2 + n % 41,
--   tax rate 0.2; customer n is C-n; warehouse 1; the ledger accounts come
--   in as pgbench variables (-D acc_...).
-- One transaction, one statement per business step, as the API side:
--   1. place:   the order (confirmed), 3 lines, reserved + q on 3 stock rows,
--               3 reservations, 2 history rows (NULL -> pending -> confirmed),
--               2 deadlines (L2_PROCESSING_OVERDUE, L2_STALLED), 2 events;
--   2. ship:    the order -> shipped, on_hand and reserved - q on the 3 stock
--               rows, the shipment and 3 shipment lines, 3 stock moves, the
--               reservations consumed (qty 0), shipped_qty on the lines, the
--               cost-of-goods-sold entry (2 postings), 1 history row, the
--               processing deadline deleted, L2_STALLED moved, 2 events;
--   3. invoice: the consumed reservations deleted, the invoice and 3
--               invoice lines, invoiced_qty on the lines, the invoice entry
--               (3 postings), the L3_PAYMENT_OVERDUE deadline, 1 event;
--   4. pay:     the payment, paid on the invoice, the payment deadline
--               deleted, the payment entry (2 postings), 1 event.
-- The extension sets a consumed reservation's qty to 0 and deletes it in a
-- second statement; the baseline does the same (update in step 2, delete
-- in step 3: a statement cannot change a row twice), so that both sides
-- write the same rows.
-- Same random draws as cycle.sql.
\set c random(1, 100)
\set a random(0, 999)
\set b random(1, 499)
\set d random(1, 499)
\set p1 :a + 1
\set p2 (:a + :b) % 1000 + 1
\set p3 (:a + :b + :d) % 1000 + 1
\set q1 random(1, 3)
\set q2 random(1, 3)
\set q3 random(1, 3)
\set pr1 5 + :p1 % 97
\set pr2 5 + :p2 % 97
\set pr3 5 + :p3 % 97
\set k1 2 + :p1 % 41
\set k2 2 + :p2 % 41
\set k3 2 + :p3 % 41
BEGIN;
WITH o AS (
    INSERT INTO bench_base.orders (customer_id, warehouse_id, status, currency, confirmed_at)
    VALUES (:c, 1, 'confirmed', 'EUR', now())
    RETURNING order_id, customer_id),
v AS (
    SELECT * FROM (VALUES (1, :p1::bigint, :q1::numeric, :pr1::numeric),
                          (2, :p2::bigint, :q2::numeric, :pr2::numeric),
                          (3, :p3::bigint, :q3::numeric, :pr3::numeric)) AS v(n, p, q, pr)),
l AS (
    INSERT INTO bench_base.order_lines (order_id, line_no, product_id, qty, unit_price)
    SELECT o.order_id, v.n, v.p, v.q, v.pr FROM o, v),
s AS (
    UPDATE bench_base.stock
       SET reserved = reserved + CASE product_id WHEN :p1::bigint THEN :q1::numeric
                                                 WHEN :p2::bigint THEN :q2::numeric
                                                 ELSE :q3::numeric END
     WHERE warehouse_id = 1
       AND product_id = ANY (ARRAY[:p1::bigint, :p2::bigint, :p3::bigint])),
r AS (
    INSERT INTO bench_base.reservations (order_id, line_no, product_id, warehouse_id, qty)
    SELECT o.order_id, v.n, v.p, 1, v.q FROM o, v),
h AS (
    INSERT INTO bench_base.order_status_history (order_id, from_status, to_status, changed_by)
    SELECT o.order_id, x.f::ordermgmt.order_status, x.t::ordermgmt.order_status, session_user
      FROM o, (VALUES (NULL, 'pending'), ('pending', 'confirmed')) AS x(f, t)),
dl AS (
    INSERT INTO bench_base.deadlines (rule_code, subject_type, subject_id, order_id, anchor_at, due_at)
    SELECT x.r, 'order', o.order_id, o.order_id, now(), now() + x.delay
      FROM o, (VALUES ('L2_PROCESSING_OVERDUE', interval '2 days'),
                      ('L2_STALLED', interval '5 days')) AS x(r, delay)),
e AS (
    INSERT INTO bench_base.events (kind, order_id, payload)
    SELECT x.k, o.order_id, x.pl
      FROM o, LATERAL (VALUES
             ('order.created', jsonb_build_object('status', 'pending', 'customer_id', o.customer_id)),
             ('order.status_changed', jsonb_build_object('from', 'pending', 'to', 'confirmed'))) AS x(k, pl))
SELECT order_id FROM o \gset
WITH o AS (
    UPDATE bench_base.orders SET status = 'shipped', status_changed_at = now()
     WHERE order_id = :order_id),
v AS (
    SELECT * FROM (VALUES (1, :p1::bigint, :q1::numeric, :k1::numeric),
                          (2, :p2::bigint, :q2::numeric, :k2::numeric),
                          (3, :p3::bigint, :q3::numeric, :k3::numeric)) AS v(n, p, q, cost)),
st AS (
    UPDATE bench_base.stock
       SET on_hand = on_hand - CASE product_id WHEN :p1::bigint THEN :q1::numeric
                                               WHEN :p2::bigint THEN :q2::numeric
                                               ELSE :q3::numeric END,
           reserved = reserved - CASE product_id WHEN :p1::bigint THEN :q1::numeric
                                                 WHEN :p2::bigint THEN :q2::numeric
                                                 ELSE :q3::numeric END
     WHERE warehouse_id = 1
       AND product_id = ANY (ARRAY[:p1::bigint, :p2::bigint, :p3::bigint])),
sh AS (
    INSERT INTO bench_base.shipments (order_id, warehouse_id, shipped_by)
    VALUES (:order_id, 1, session_user)
    RETURNING shipment_id),
sl AS (
    INSERT INTO bench_base.shipment_lines (shipment_id, order_id, line_no, qty, unit_cost)
    SELECT sh.shipment_id, :order_id, v.n, v.q, v.cost FROM sh, v),
mv AS (
    INSERT INTO bench_base.stock_moves (product_id, warehouse_id, qty, unit_cost, kind, order_id, moved_by)
    SELECT v.p, 1, -v.q, v.cost, 'shipment', :order_id, session_user FROM v),
rs AS (
    UPDATE bench_base.reservations SET qty = 0 WHERE order_id = :order_id),
ol AS (
    UPDATE bench_base.order_lines SET shipped_qty = qty WHERE order_id = :order_id),
je AS (
    INSERT INTO bench_base.journal_entries (memo, source_type, source_id, posted_by)
    SELECT format('shipment %s of order %s', sh.shipment_id, :order_id::bigint), 'shipment',
           sh.shipment_id, session_user
      FROM sh
    RETURNING entry_id),
po AS (
    INSERT INTO bench_base.postings (entry_id, account_id, currency, debit, credit)
    SELECT je.entry_id, x.acc, 'EUR', x.dr, x.cr
      FROM je, (SELECT sum(v.q * v.cost) AS amount FROM v) AS t,
           LATERAL (VALUES (1, :acc_cogs::bigint, t.amount, 0), (2, :acc_inventory::bigint, 0, t.amount))
                   AS x(ord, acc, dr, cr)
     ORDER BY x.ord),
h AS (
    INSERT INTO bench_base.order_status_history (order_id, from_status, to_status, changed_by)
    VALUES (:order_id, 'confirmed', 'shipped', session_user)),
dc AS (
    DELETE FROM bench_base.deadlines
     WHERE rule_code = 'L2_PROCESSING_OVERDUE' AND subject_type = 'order' AND subject_id = :order_id),
dm AS (
    UPDATE bench_base.deadlines SET anchor_at = now(), due_at = now() + interval '5 days', fired = false
     WHERE rule_code = 'L2_STALLED' AND subject_type = 'order' AND subject_id = :order_id)
INSERT INTO bench_base.events (kind, order_id, payload)
SELECT x.k, :order_id, x.pl
  FROM sh, LATERAL (VALUES
         (1, 'shipment.created', jsonb_build_object('shipment_id', sh.shipment_id, 'carrier', NULL, 'tracking', NULL)),
         (2, 'order.status_changed', jsonb_build_object('from', 'confirmed', 'to', 'shipped'))) AS x(ord, k, pl)
 ORDER BY x.ord;
WITH gone AS (
    DELETE FROM bench_base.reservations WHERE order_id = :order_id AND qty = 0),
v AS (
    SELECT n, q, pr, round(q * pr, 2) AS net, round(round(q * pr, 2) * 0.2, 2) AS tax
      FROM (VALUES (1, :q1::numeric, :pr1::numeric), (2, :q2::numeric, :pr2::numeric),
                   (3, :q3::numeric, :pr3::numeric)) AS v(n, q, pr)),
inv AS (
    INSERT INTO bench_base.invoices (order_id, customer_id, currency, due_at, net, tax, total)
    SELECT :order_id, :c, 'EUR', now() + interval '30 days', sum(v.net), sum(v.tax), sum(v.net) + sum(v.tax)
      FROM v
    RETURNING invoice_id, net, tax, total, due_at),
il AS (
    INSERT INTO bench_base.invoice_lines (invoice_id, order_id, line_no, qty, unit_price, tax_rate, net, tax)
    SELECT inv.invoice_id, :order_id, v.n, v.q, v.pr, 0.2, v.net, v.tax FROM inv, v),
ol AS (
    UPDATE bench_base.order_lines SET invoiced_qty = shipped_qty WHERE order_id = :order_id),
je AS (
    INSERT INTO bench_base.journal_entries (memo, source_type, source_id, posted_by)
    SELECT format('invoice %s for order %s', inv.invoice_id, :order_id::bigint), 'invoice',
           inv.invoice_id, session_user
      FROM inv
    RETURNING entry_id),
po AS (
    INSERT INTO bench_base.postings (entry_id, account_id, currency, debit, credit)
    SELECT je.entry_id, x.acc, 'EUR', x.dr, x.cr
      FROM je, inv,
           LATERAL (VALUES (1, :acc_receivable::bigint, inv.total, 0),
                           (2, :acc_revenue::bigint, 0, inv.net),
                           (3, :acc_tax::bigint, 0, inv.tax)) AS x(ord, acc, dr, cr)
     ORDER BY x.ord),
dl AS (
    INSERT INTO bench_base.deadlines (rule_code, subject_type, subject_id, order_id, anchor_at, due_at)
    SELECT 'L3_PAYMENT_OVERDUE', 'invoice', inv.invoice_id, :order_id, inv.due_at, inv.due_at FROM inv),
e AS (
    INSERT INTO bench_base.events (kind, order_id, payload)
    SELECT 'invoice.created', :order_id,
           jsonb_build_object('invoice_id', inv.invoice_id, 'total', inv.total, 'currency', 'EUR')
      FROM inv)
SELECT invoice_id, total FROM inv \gset
WITH pay AS (
    INSERT INTO bench_base.payments (invoice_id, amount, method, recorded_by)
    VALUES (:invoice_id, :total::numeric, 'bank', session_user)
    RETURNING payment_id),
inv AS (
    UPDATE bench_base.invoices SET paid = paid + :total::numeric WHERE invoice_id = :invoice_id),
dl AS (
    DELETE FROM bench_base.deadlines
     WHERE rule_code = 'L3_PAYMENT_OVERDUE' AND subject_type = 'invoice' AND subject_id = :invoice_id),
je AS (
    INSERT INTO bench_base.journal_entries (memo, source_type, source_id, posted_by)
    SELECT format('payment %s on invoice %s', pay.payment_id, :invoice_id::bigint), 'payment',
           pay.payment_id, session_user
      FROM pay
    RETURNING entry_id),
po AS (
    INSERT INTO bench_base.postings (entry_id, account_id, currency, debit, credit)
    SELECT je.entry_id, x.acc, 'EUR', x.dr, x.cr
      FROM je, LATERAL (VALUES (1, :acc_cash::bigint, :total::numeric, 0),
                               (2, :acc_receivable::bigint, 0, :total::numeric)) AS x(ord, acc, dr, cr)
     ORDER BY x.ord)
INSERT INTO bench_base.events (kind, order_id, payload)
SELECT 'payment.recorded', :order_id,
       jsonb_build_object('payment_id', pay.payment_id, 'invoice_id', :invoice_id::bigint,
                          'amount', :total::numeric)
  FROM pay;
COMMIT;
