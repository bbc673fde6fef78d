-- What the reporting views read instead of the history: the order's
-- delivery time, deliveries per UTC week and customer, the customer on each
-- feedback row, and ledger totals rolled up from settled postings.  Each
-- must agree with what the history says, whatever path changed it.
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name) VALUES ('ACME', 'Acme'), ('BETA', 'Beta');
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost) VALUES ('A', 'Widget', 10, 4), ('B', 'Gadget', 20, 8);
SELECT ordermgmt.receive_stock('A', 'MAIN', 100) > 0 AS a, ordermgmt.receive_stock('B', 'MAIN', 100) > 0 AS b;

-- Three orders promised for 2026-03-10 noon.
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}]',
                              '{"promised_at": "2026-03-10 12:00+00"}') AS o1 \gset
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]', '{"promised_at": "2026-03-10 12:00+00"}') AS o2 \gset
SELECT ordermgmt.create_order('BETA', '[{"sku": "B", "qty": 3}]', '{"promised_at": "2026-03-10 12:00+00"}') AS o3 \gset
-- o1 leaves in two shipments; the order is delivered with the later one.
SELECT ordermgmt.ship_order(:o1, '[{"sku": "A", "qty": 2}]') AS s1a \gset
SELECT ordermgmt.ship_order(:o1) AS s1b \gset
SELECT ordermgmt.ship_order(:o2) AS s2 \gset
SELECT ordermgmt.ship_order(:o3) AS s3 \gset
UPDATE ordermgmt.shipments SET shipped_at = '2026-03-01' WHERE order_id IN (:o1, :o2, :o3);

--------------------------------------------------------------------------
-- orders.delivered_at
--------------------------------------------------------------------------
SELECT ordermgmt.confirm_delivery(:s1a, '2026-03-09 08:00+00');
SELECT status, delivered_at FROM ordermgmt.orders WHERE order_id = :o1;   -- not yet: one shipment is out
SELECT ordermgmt.confirm_delivery(:s1b, '2026-03-10 11:00+00');
SELECT status, delivered_at FROM ordermgmt.orders WHERE order_id = :o1;   -- the later of the two
SELECT ordermgmt.confirm_delivery(:s2, '2026-03-11 09:00+00');            -- a day late
SELECT ordermgmt.confirm_delivery(:s3, '2026-03-16 10:00+00');            -- next week, late
SELECT order_id = :o1 AS o1, status, delivered_at FROM ordermgmt.orders ORDER BY order_id;
-- the delivery time is a recorded fact: no plain UPDATE or INSERT sets it
SELECT pg_temp.try(format($$UPDATE ordermgmt.orders SET delivered_at = now() WHERE order_id = %s$$, :o1));
SELECT pg_temp.try(format($$UPDATE ordermgmt.orders SET delivered_at = NULL WHERE order_id = %s$$, :o2));
SELECT pg_temp.try($$INSERT INTO ordermgmt.orders (customer_id, warehouse_id, status, delivered_at)
                     SELECT customer_id, 1, 'draft', now() FROM ordermgmt.customers WHERE code = 'ACME'$$);
SELECT pg_temp.try(format($$UPDATE ordermgmt.orders SET delivered_at = now() WHERE order_id = %s$$,
                          ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]')));
-- v_order_milestones reads it
SELECT order_id = :o1 AS o1, last_shipped_at, delivered_at FROM ordermgmt.v_order_milestones
 WHERE delivered_at IS NOT NULL ORDER BY order_id;

--------------------------------------------------------------------------
-- delivery_weeks and v_on_time_delivery
--------------------------------------------------------------------------
SELECT w.week, c.code, w.delivered, w.on_time
  FROM ordermgmt.delivery_weeks w JOIN ordermgmt.customers c USING (customer_id) ORDER BY 1, 2;
SELECT * FROM ordermgmt.v_on_time_delivery ORDER BY week NULLS LAST, customer NULLS FIRST;
-- a promise moved after delivery moves the count: o2 becomes on time
UPDATE ordermgmt.orders SET promised_at = '2026-03-12' WHERE order_id = :o2;
SELECT * FROM ordermgmt.v_on_time_delivery WHERE customer = 'ACME' ORDER BY week NULLS LAST;
-- a promise dropped takes the order out; one given back puts it in again
UPDATE ordermgmt.orders SET promised_at = NULL WHERE order_id = :o3;
SELECT * FROM ordermgmt.v_on_time_delivery WHERE customer = 'BETA' OR customer IS NULL ORDER BY week NULLS LAST, customer NULLS FIRST;
UPDATE ordermgmt.orders SET promised_at = '2026-03-20' WHERE order_id = :o3;
SELECT * FROM ordermgmt.v_on_time_delivery WHERE customer = 'BETA' ORDER BY week NULLS LAST;
-- the summary equals the history, computed the long way
SELECT count(*) AS mismatches FROM (
    SELECT date_trunc('week', timezone('UTC', delivered_at))::date AS week, customer_id,
           count(*) AS delivered, count(*) FILTER (WHERE delivered_at <= promised_at) AS on_time
      FROM ordermgmt.orders WHERE delivered_at IS NOT NULL AND promised_at IS NOT NULL
     GROUP BY 1, 2) h
  FULL JOIN ordermgmt.delivery_weeks w USING (week, customer_id)
 WHERE (h.delivered, h.on_time) IS DISTINCT FROM (w.delivered, w.on_time) AND coalesce(w.delivered, 0) > 0;
-- nobody but the extension writes the summary
SET ROLE ordermgmt_admin;
SELECT pg_temp.try($$UPDATE ordermgmt.delivery_weeks SET on_time = delivered$$);
RESET ROLE;

--------------------------------------------------------------------------
-- v_fulfillment_times: per UTC week of entry
--------------------------------------------------------------------------
-- history is backdated as raw data: clients cannot rewrite these stamps
SET session_replication_role = replica;
UPDATE ordermgmt.orders SET created_at = '2026-02-27 10:00+00', confirmed_at = '2026-02-27 12:00+00'
 WHERE order_id IN (:o1, :o2, :o3);
RESET session_replication_role;
-- a raw change bypasses the C code: the reporting summaries are recomputed
-- from the facts, as after a bulk load
SELECT ordermgmt.rebuild_report_totals();
SELECT * FROM ordermgmt.v_fulfillment_times WHERE week < '2026-06-01';

--------------------------------------------------------------------------
-- orders.ordered_net and v_daily_sales
--------------------------------------------------------------------------
-- create_order records the net of the lines it stores, rounded to cents
SELECT ordermgmt.create_order('BETA', '[{"sku": "A", "qty": 3, "unit_price": 3.3333},
                                        {"sku": "B", "qty": 1.5, "unit_price": 2.345}]') AS o4 \gset
SELECT ordered_net FROM ordermgmt.orders WHERE order_id = :o4;
SELECT order_id = :o1 AS o1, ordered_net FROM ordermgmt.orders WHERE order_id IN (:o1, :o2, :o3) ORDER BY order_id;
-- a draft has none until it leaves draft, by submit_order or by a plain UPDATE
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]', '{"submit": false}') AS d1 \gset
INSERT INTO ordermgmt.order_lines (order_id, line_no, product_id, qty, unit_price)
SELECT :d1, 2, product_id, 2, 7.5 FROM ordermgmt.products WHERE sku = 'B';
SELECT status, ordered_net FROM ordermgmt.orders WHERE order_id = :d1;
SELECT ordermgmt.submit_order(:d1);
SELECT status, ordered_net FROM ordermgmt.orders WHERE order_id = :d1;
INSERT INTO ordermgmt.orders (customer_id, warehouse_id, status)
SELECT customer_id, 1, 'draft' FROM ordermgmt.customers WHERE code = 'ACME' RETURNING order_id AS d2 \gset
INSERT INTO ordermgmt.order_lines (order_id, line_no, product_id, qty, unit_price)
SELECT :d2, 1, product_id, 4, 0.125 FROM ordermgmt.products WHERE sku = 'A';
UPDATE ordermgmt.orders SET status = 'pending' WHERE order_id = :d2;
SELECT status, ordered_net FROM ordermgmt.orders WHERE order_id = :d2;
-- a plain order inserted pending has no lines, and can get none
INSERT INTO ordermgmt.orders (customer_id, warehouse_id, status)
SELECT customer_id, 1, 'pending' FROM ordermgmt.customers WHERE code = 'BETA' RETURNING order_id AS p1 \gset
SELECT status, ordered_net FROM ordermgmt.orders WHERE order_id = :p1;
-- it is a recorded fact: no plain INSERT or UPDATE sets it
SELECT pg_temp.try($$INSERT INTO ordermgmt.orders (customer_id, warehouse_id, status, ordered_net)
                     SELECT customer_id, 1, 'draft', 5 FROM ordermgmt.customers WHERE code = 'ACME'$$);
SELECT pg_temp.try(format($$UPDATE ordermgmt.orders SET ordered_net = 1 WHERE order_id = %s$$, :o1));
SELECT pg_temp.try(format($$UPDATE ordermgmt.orders SET ordered_net = NULL WHERE order_id = %s$$, :p1));
-- (leaving draft, the value given is replaced by the lines' net)
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]', '{"submit": false}') AS d3 \gset
UPDATE ordermgmt.orders SET status = 'pending', ordered_net = 99 WHERE order_id = :d3;
SELECT status, ordered_net FROM ordermgmt.orders WHERE order_id = :d3;
-- every order out of draft carries exactly its lines' net
SELECT count(*) AS mismatches FROM ordermgmt.orders o
 WHERE o.ordered_net IS DISTINCT FROM
       CASE WHEN o.status <> 'draft'
            THEN (SELECT round(coalesce(sum(l.qty * l.unit_price), 0), 2) FROM ordermgmt.order_lines l
                   WHERE l.order_id = o.order_id) END;
-- a cancelled order drops out of the booked figures
SELECT ordermgmt.cancel_order(:d2, 'test');
SELECT day = current_date AS today, currency, orders_booked, booked_net FROM ordermgmt.v_daily_sales ORDER BY day;
SELECT count(*) AS mismatches FROM (
    SELECT timezone('UTC', o.created_at)::date AS day, o.currency, count(*) AS orders_booked,
           sum((SELECT coalesce(round(sum(l.qty * l.unit_price), 2), 0) FROM ordermgmt.order_lines l
                 WHERE l.order_id = o.order_id)) AS booked_net
      FROM ordermgmt.orders o WHERE o.status NOT IN ('draft', 'cancelled') GROUP BY 1, 2) h
  FULL JOIN ordermgmt.v_daily_sales v USING (day, currency)
 WHERE (h.orders_booked, h.booked_net) IS DISTINCT FROM (v.orders_booked, v.booked_net);

--------------------------------------------------------------------------
-- feedback.customer_id and v_feedback_summary
--------------------------------------------------------------------------
SELECT ordermgmt.record_feedback(:o1, 5, 'great') AS f1 \gset
SELECT ordermgmt.record_feedback(:o2, 2) AS f2 \gset
SELECT ordermgmt.record_feedback(:o3, 4) AS f3 \gset
SELECT f.feedback_id = :f1 AS f1, c.code FROM ordermgmt.feedback f JOIN ordermgmt.customers c USING (customer_id)
 ORDER BY f.feedback_id;
SELECT customer, ratings, average_rating, negative, positive FROM ordermgmt.v_feedback_summary;
SELECT customer, average_rating FROM ordermgmt.v_customer_history;

--------------------------------------------------------------------------
-- rollup_ledger and v_trial_balance
--------------------------------------------------------------------------
CREATE TEMP TABLE tb_before AS SELECT * FROM ordermgmt.v_trial_balance;
SELECT count(*) > 0 AS has_postings FROM ordermgmt.postings;
-- the first run only arms the horizon; nothing is rolled up yet
SELECT ordermgmt.rollup_ledger() AS rolled;
SELECT upto_posting_id, next_upto = (SELECT max(posting_id) FROM ordermgmt.postings) AS armed_at_last
  FROM ordermgmt.ledger_rollup;
-- the next run, once every transaction that could post below it has ended
SELECT ordermgmt.rollup_ledger() = (SELECT count(*) FROM ordermgmt.postings) AS rolled_everything;
SELECT upto_posting_id = (SELECT max(posting_id) FROM ordermgmt.postings) AS upto_last FROM ordermgmt.ledger_rollup;
SELECT (SELECT sum(debit) FROM ordermgmt.ledger_totals) = (SELECT sum(debit) FROM ordermgmt.postings) AS debits_equal,
       (SELECT sum(credit) FROM ordermgmt.ledger_totals) = (SELECT sum(credit) FROM ordermgmt.postings) AS credits_equal;
-- the view gives the same rows from the totals as from the postings
SELECT count(*) AS differing_rows FROM (
    (SELECT * FROM tb_before EXCEPT ALL SELECT * FROM ordermgmt.v_trial_balance)
    UNION ALL
    (SELECT * FROM ordermgmt.v_trial_balance EXCEPT ALL SELECT * FROM tb_before)) d;
-- new postings count at once, through the tail, before any roll-up
SELECT ordermgmt.invoice_order(:o1) AS i1 \gset
SELECT ordermgmt.record_payment(:i1, (SELECT due FROM ordermgmt.invoices WHERE invoice_id = :i1)) > 0 AS paid;
SELECT account_code, debit, credit, balance FROM ordermgmt.v_trial_balance ORDER BY account_code;
SELECT sum(balance) AS trial_balance FROM ordermgmt.v_trial_balance;
SELECT count(*) AS tail_rows FROM ordermgmt.postings
 WHERE posting_id > (SELECT upto_posting_id FROM ordermgmt.ledger_rollup);
-- a roll-up arms at them, the one after adds them: the totals follow again
SELECT ordermgmt.rollup_ledger() AS rolled_nothing_yet;
SELECT ordermgmt.rollup_ledger() AS rolled_the_tail;
SELECT (SELECT sum(debit) FROM ordermgmt.ledger_totals) = (SELECT sum(debit) FROM ordermgmt.postings) AS debits_equal;
-- it needs fresh snapshots, so REPEATABLE READ is refused
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pg_temp.try('SELECT ordermgmt.rollup_ledger()');
ROLLBACK;
-- only admins roll up; readers and apps cannot
SET ROLE ordermgmt_app;
SELECT pg_temp.try('SELECT ordermgmt.rollup_ledger()');
SELECT pg_temp.try($$UPDATE ordermgmt.ledger_totals SET debit = 0$$);
RESET ROLE;
SET ROLE ordermgmt_admin;
SELECT ordermgmt.rollup_ledger() >= 0 AS admin_may;
RESET ROLE;

DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
