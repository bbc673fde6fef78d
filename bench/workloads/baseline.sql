-- Bare-writes baseline for placement.sql: the rows create_order writes
-- for an auto-confirmed 3-line order, written into plain tables (schema
-- bench_base, same columns and indexes) with no triggers, no foreign keys,
-- no CHECK constraints and no lookups: ids and list prices are known up
-- front (product n is SKU-n with list price 5 + n % 97, customer n is C-n).
--
-- One statement, one round trip: the order (inserted confirmed, as
-- create_order does for an order that passes its checks), 3 lines,
-- reserved + 1 on 3 stock rows (an index scan, so in product order),
-- 3 reservations, 2 status history rows (NULL -> pending, pending ->
-- confirmed), 2 events (order.created, order.status_changed) and the
-- 2 deadlines a confirmed order has (L2_PROCESSING_OVERDUE, L2_STALLED).
-- Same random draws as placement.sql: three distinct products of 1,000.
--
-- Run with -D notify=false (variant base_plain of bench/placement.sh and
-- bench/relay.sh) or -D notify=true (base_notify): then the statement also
-- sends one pg_notify per event on channel ordermgmt_events, with the
-- payload create_order sends when ordermgmt.notify = immediate.  notify is
-- a parameter of the statement rather than a \if around it, since pgbench
-- cannot put \if inside a statement; when it is false, the FILTER clause
-- keeps pg_notify from being called at all.
\set c random(1, 100)
\set a random(0, 999)
\set b random(1, 499)
\set d random(1, 499)
\set p1 :a + 1
\set p2 (:a + :b) % 1000 + 1
\set p3 (:a + :b + :d) % 1000 + 1
\set pr1 5 + :p1 % 97
\set pr2 5 + :p2 % 97
\set pr3 5 + :p3 % 97
\startpipeline
WITH o AS (
    INSERT INTO bench_base.orders (customer_id, warehouse_id, status, currency, confirmed_at)
    VALUES (:c, 1, 'confirmed', 'EUR', now())
    RETURNING order_id, customer_id),
l AS (
    INSERT INTO bench_base.order_lines (order_id, line_no, product_id, qty, unit_price)
    SELECT o.order_id, v.n, v.p, 1, v.pr
      FROM o, (VALUES (1, :p1::bigint, :pr1::numeric), (2, :p2::bigint, :pr2::numeric),
                      (3, :p3::bigint, :pr3::numeric)) AS v(n, p, pr)),
s AS (
    UPDATE bench_base.stock SET reserved = reserved + 1
     WHERE warehouse_id = 1
       AND product_id = ANY (ARRAY[:p1::bigint, :p2::bigint, :p3::bigint])),
r AS (
    INSERT INTO bench_base.reservations (order_id, line_no, product_id, warehouse_id, qty)
    SELECT o.order_id, v.n, v.p, 1, 1
      FROM o, (VALUES (1, :p1::bigint), (2, :p2::bigint), (3, :p3::bigint)) AS v(n, p)),
h AS (
    INSERT INTO bench_base.order_status_history (order_id, from_status, to_status, changed_by)
    SELECT o.order_id, v.f::ordermgmt.order_status, v.t::ordermgmt.order_status, session_user
      FROM o, (VALUES (NULL, 'pending'), ('pending', 'confirmed')) AS v(f, t)),
dl AS (
    INSERT INTO bench_base.deadlines (rule_code, subject_type, subject_id, order_id, anchor_at, due_at)
    SELECT v.r, 'order', o.order_id, o.order_id, now(), now() + v.delay
      FROM o, (VALUES ('L2_PROCESSING_OVERDUE', interval '2 days'),
                      ('L2_STALLED', interval '5 days')) AS v(r, delay)),
e AS (
    INSERT INTO bench_base.events (kind, order_id, payload)
    SELECT v.k, o.order_id, v.pl
      FROM o, LATERAL (VALUES
             ('order.created', jsonb_build_object('status', 'pending', 'customer_id', o.customer_id)),
             ('order.status_changed', jsonb_build_object('from', 'pending', 'to', 'confirmed'))) AS v(k, pl)
    RETURNING event_id, kind, order_id, payload)
SELECT count(pg_notify('ordermgmt_events',
           (jsonb_build_object('event_id', e.event_id, 'kind', e.kind, 'order_id', e.order_id)
            || e.payload)::text)) FILTER (WHERE :notify)
  FROM e;
\endpipeline
