-- The reporting summaries (order_day_totals, invoice_day_totals,
-- customer_totals, customer_months) and their roll-up: after every step of
-- a business day (drafts, placement, hold, cancellation of a draft and of
-- a confirmed order, shipping, invoicing, payment, return with a credit
-- note, feedback) the views equal the same figures computed from the
-- facts, and verify() agrees, before the roll-up (the views add the
-- logged changes themselves), after it, and with a horizon armed but not
-- yet reached; nobody but the extension writes them.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;

-- Each view beside the same figures computed from the facts, as the views
-- computed them before they read the summaries; one row per view, "equal"
-- when every row of the view matches.
-- Each order's row of v_order_status and v_order_milestones straight from
-- the facts (the views read order_figures, stored by the roll-up, for the
-- orders without events after its horizon).
CREATE VIEW pg_temp.order_status_facts AS
SELECT o.order_id, c.code AS customer, o.status, o.hold_reason, o.currency, o.created_at, o.promised_at,
       o.status_changed_at, coalesce(t.net, 0) AS net_amount, coalesce(t.tax, 0) AS tax_amount,
       coalesce(t.net + t.tax, 0) AS gross_amount, coalesce(a.n, 0) AS open_alerts,
       coalesce(t.shipped, 0) AS shipped_net, coalesce(b.total, 0) AS invoiced_total,
       coalesce(b.paid, 0) AS paid_total, coalesce(b.due, 0) AS due_total,
       coalesce(a.n1, 0) AS open_alerts_level1, coalesce(a.n2, 0) AS open_alerts_level2,
       coalesce(a.n3, 0) AS open_alerts_level3
  FROM ordermgmt.orders o
  JOIN ordermgmt.customers c USING (customer_id)
  LEFT JOIN LATERAL (SELECT round(sum(l.qty * l.unit_price), 2) AS net,
                            sum(round(l.qty * l.unit_price * coalesce(l.tax_rate, p.tax_rate), 2)) AS tax,
                            round(sum((l.shipped_qty - l.returned_qty) * l.unit_price), 2) AS shipped
                       FROM ordermgmt.order_lines l JOIN ordermgmt.products p USING (product_id)
                      WHERE l.order_id = o.order_id) t ON true
  LEFT JOIN LATERAL (SELECT sum(i.total) AS total, sum(i.paid) AS paid, sum(i.due) AS due
                       FROM ordermgmt.invoices i WHERE i.order_id = o.order_id) b ON true
  LEFT JOIN LATERAL (SELECT count(*) AS n, count(*) FILTER (WHERE al.level = 1) AS n1,
                            count(*) FILTER (WHERE al.level = 2) AS n2, count(*) FILTER (WHERE al.level = 3) AS n3
                       FROM ordermgmt.alerts al WHERE al.order_id = o.order_id AND al.status <> 'resolved') a ON true;
CREATE VIEW pg_temp.order_milestone_facts AS
SELECT o.order_id, o.customer_id, o.created_at, o.confirmed_at, o.promised_at,
       (SELECT min(s.shipped_at) FROM ordermgmt.shipments s WHERE s.order_id = o.order_id),
       (SELECT max(s.shipped_at) FROM ordermgmt.shipments s WHERE s.order_id = o.order_id), o.delivered_at
  FROM ordermgmt.orders o;

-- v_order_status without the columns computed from now()
CREATE VIEW pg_temp.order_status_shown AS
SELECT order_id, customer, status, hold_reason, currency, created_at, promised_at, status_changed_at,
       net_amount, tax_amount, gross_amount, open_alerts, shipped_net, invoiced_total, paid_total,
       due_total, open_alerts_level1, open_alerts_level2, open_alerts_level3
  FROM ordermgmt.v_order_status;
-- v_on_time_delivery's rows from delivery_weeks: per week and customer,
-- per week, per customer
CREATE VIEW pg_temp.on_time_facts AS
SELECT w.week, c.code, w.delivered::bigint, w.on_time::bigint, round(w.on_time::numeric / w.delivered, 4)
  FROM ordermgmt.delivery_weeks w JOIN ordermgmt.customers c USING (customer_id) WHERE w.delivered > 0
UNION ALL
SELECT w.week, NULL, sum(w.delivered), sum(w.on_time), round(sum(w.on_time)::numeric / sum(w.delivered), 4)
  FROM ordermgmt.delivery_weeks w GROUP BY w.week HAVING sum(w.delivered) > 0
UNION ALL
SELECT NULL, c.code, sum(w.delivered), sum(w.on_time), round(sum(w.on_time)::numeric / sum(w.delivered), 4)
  FROM ordermgmt.delivery_weeks w JOIN ordermgmt.customers c USING (customer_id)
 GROUP BY c.code HAVING sum(w.delivered) > 0;

CREATE VIEW pg_temp.views_vs_facts AS
SELECT 'v_pipeline' AS view, NOT EXISTS (
         (SELECT o.status, count(*)::bigint, coalesce(sum(v.net), 0)
            FROM ordermgmt.orders o
            LEFT JOIN LATERAL (SELECT round(sum(l.qty * l.unit_price), 2) AS net
                                 FROM ordermgmt.order_lines l WHERE l.order_id = o.order_id) v ON true
           GROUP BY o.status
          EXCEPT SELECT status, orders, net_amount FROM ordermgmt.v_pipeline)
         UNION ALL
         (SELECT status, orders, net_amount FROM ordermgmt.v_pipeline
          EXCEPT SELECT o.status, count(*)::bigint, coalesce(sum(v.net), 0)
                   FROM ordermgmt.orders o
                   LEFT JOIN LATERAL (SELECT round(sum(l.qty * l.unit_price), 2) AS net
                                        FROM ordermgmt.order_lines l WHERE l.order_id = o.order_id) v ON true
                  GROUP BY o.status)) AS equal
UNION ALL
SELECT 'v_daily_sales', NOT EXISTS (
         SELECT 1
           FROM (SELECT day, currency, sum(b) AS booked, sum(bn) AS booked_net, sum(i) AS invoices,
                        sum(n) AS net, sum(t) AS tax, sum(tt) AS total
                   FROM (SELECT timezone('UTC', created_at)::date AS day, currency, 1 AS b, ordered_net AS bn,
                                0 AS i, 0 AS n, 0 AS t, 0 AS tt
                           FROM ordermgmt.orders WHERE status NOT IN ('draft', 'cancelled')
                         UNION ALL
                         SELECT timezone('UTC', issued_at)::date, currency, 0, 0, 1, net, tax, total
                           FROM ordermgmt.invoices) f
                  GROUP BY day, currency) h
           FULL JOIN ordermgmt.v_daily_sales v USING (day, currency)
          WHERE (h.booked, h.booked_net, h.invoices, h.net, h.tax, h.total) IS DISTINCT FROM
                (v.orders_booked, v.booked_net, v.invoices, v.invoiced_net, v.invoiced_tax, v.invoiced_total))
UNION ALL
SELECT 'v_customer_history', NOT EXISTS (
         SELECT 1
           FROM ordermgmt.customers c
           JOIN ordermgmt.v_customer_history v ON v.customer = c.code
          WHERE (v.orders, v.open_orders, v.first_order_at, v.last_order_at, v.lifetime_value, v.balance_due,
                 v.average_rating, v.frequency_last_year) IS DISTINCT FROM
                ((SELECT count(*) FROM ordermgmt.orders o WHERE o.customer_id = c.customer_id AND o.status <> 'draft'),
                 (SELECT count(*) FROM ordermgmt.orders o WHERE o.customer_id = c.customer_id
                     AND o.status NOT IN ('draft', 'completed', 'cancelled')),
                 (SELECT min(created_at) FROM ordermgmt.orders o WHERE o.customer_id = c.customer_id AND o.status <> 'draft'),
                 (SELECT max(created_at) FROM ordermgmt.orders o WHERE o.customer_id = c.customer_id AND o.status <> 'draft'),
                 coalesce((SELECT sum(net) FROM ordermgmt.invoices i WHERE i.customer_id = c.customer_id), 0)
                   - coalesce((SELECT sum(r.credit_net) FROM ordermgmt.returns r JOIN ordermgmt.orders o USING (order_id)
                                WHERE o.customer_id = c.customer_id), 0),
                 coalesce((SELECT sum(due) FROM ordermgmt.invoices i WHERE i.customer_id = c.customer_id), 0),
                 (SELECT round(avg(rating), 2) FROM ordermgmt.feedback f WHERE f.customer_id = c.customer_id),
                 (SELECT count(*) FROM ordermgmt.orders o WHERE o.customer_id = c.customer_id AND o.status <> 'draft'
                     AND o.created_at >= date_trunc('month', timezone('UTC', now())) - interval '12 months')))
UNION ALL
SELECT 'v_feedback_summary', NOT EXISTS (
         (SELECT c.code, count(*), round(avg(f.rating), 2), count(*) FILTER (WHERE f.rating <= 2),
                 count(*) FILTER (WHERE f.rating >= 4), max(f.recorded_at)
            FROM ordermgmt.feedback f JOIN ordermgmt.customers c USING (customer_id) GROUP BY c.code
          EXCEPT SELECT * FROM ordermgmt.v_feedback_summary)
         UNION ALL
         (SELECT * FROM ordermgmt.v_feedback_summary
          EXCEPT SELECT c.code, count(*), round(avg(f.rating), 2), count(*) FILTER (WHERE f.rating <= 2),
                        count(*) FILTER (WHERE f.rating >= 4), max(f.recorded_at)
                   FROM ordermgmt.feedback f JOIN ordermgmt.customers c USING (customer_id) GROUP BY c.code))
UNION ALL
SELECT 'v_fulfillment_times', NOT EXISTS (
         (SELECT week, stage, orders FROM ordermgmt.v_fulfillment_times
          EXCEPT
          SELECT date_trunc('week', timezone('UTC', m.created_at))::date, x.stage, count(*)
            FROM ordermgmt.v_order_milestones m
           CROSS JOIN LATERAL (VALUES ('entry_to_confirmation', m.confirmed_at - m.created_at),
                                      ('confirmation_to_shipment', m.first_shipped_at - m.confirmed_at),
                                      ('shipment_to_delivery', m.delivered_at - m.last_shipped_at),
                                      ('entry_to_delivery', m.delivered_at - m.created_at)) AS x(stage, d)
           WHERE x.d IS NOT NULL GROUP BY 1, 2)
         UNION ALL
         (SELECT date_trunc('week', timezone('UTC', m.created_at))::date, x.stage, count(*)
            FROM ordermgmt.v_order_milestones m
           CROSS JOIN LATERAL (VALUES ('entry_to_confirmation', m.confirmed_at - m.created_at),
                                      ('confirmation_to_shipment', m.first_shipped_at - m.confirmed_at),
                                      ('shipment_to_delivery', m.delivered_at - m.last_shipped_at),
                                      ('entry_to_delivery', m.delivered_at - m.created_at)) AS x(stage, d)
           WHERE x.d IS NOT NULL GROUP BY 1, 2
          EXCEPT
          SELECT week, stage, orders FROM ordermgmt.v_fulfillment_times))
UNION ALL
SELECT 'v_on_time_delivery', NOT EXISTS (
         (SELECT week, customer, delivered, on_time, on_time_rate FROM ordermgmt.v_on_time_delivery
          EXCEPT
          (SELECT * FROM pg_temp.on_time_facts))
         UNION ALL
         ((SELECT * FROM pg_temp.on_time_facts)
          EXCEPT
          SELECT week, customer, delivered, on_time, on_time_rate FROM ordermgmt.v_on_time_delivery))
UNION ALL
SELECT 'v_order_status', NOT EXISTS (
         (SELECT * FROM pg_temp.order_status_facts
          EXCEPT
          SELECT * FROM pg_temp.order_status_shown)
         UNION ALL
         (SELECT * FROM pg_temp.order_status_shown
          EXCEPT
          SELECT * FROM pg_temp.order_status_facts))
   AND (SELECT count(*) FROM ordermgmt.v_order_status) = (SELECT count(*) FROM ordermgmt.orders)
UNION ALL
SELECT 'v_order_milestones', NOT EXISTS (
         (SELECT * FROM pg_temp.order_milestone_facts EXCEPT SELECT * FROM ordermgmt.v_order_milestones)
         UNION ALL
         (SELECT * FROM ordermgmt.v_order_milestones EXCEPT SELECT * FROM pg_temp.order_milestone_facts))
   AND (SELECT count(*) FROM ordermgmt.v_order_milestones) = (SELECT count(*) FROM ordermgmt.orders)
UNION ALL
SELECT 'verify(): summaries', bool_and(ok) FROM ordermgmt.verify() WHERE check_name LIKE 'summaries.%';

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name) VALUES ('ACME', 'Acme'), ('BETA', 'Beta'), ('NEW', 'Prospect');
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate) VALUES
  ('A', 'Alpha', 10, 4, 0.2), ('B', 'Beta', 25.55, 10, 0.1);
SELECT ordermgmt.receive_stock('A', 'MAIN', 100) > 0, ordermgmt.receive_stock('B', 'MAIN', 100) > 0;

--------------------------------------------------------------------------
-- Drafts count in v_pipeline with their lines as they stand, nowhere else
--------------------------------------------------------------------------
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 2}]', '{"submit": false}') AS d1 \gset
SELECT ordermgmt.create_order('BETA', '[{"sku": "B", "qty": 1}]', '{"submit": false}') AS d2 \gset
UPDATE ordermgmt.order_lines SET qty = 3 WHERE order_id = :d1;
SELECT * FROM ordermgmt.v_pipeline;
SELECT count(*) AS summary_rows FROM ordermgmt.order_day_totals;
SELECT * FROM pg_temp.views_vs_facts;

--------------------------------------------------------------------------
-- Placement, hold, cancellation of a draft and of a confirmed order
--------------------------------------------------------------------------
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}]') AS o1 \gset
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 4}]') AS o2 \gset
SELECT ordermgmt.create_order('BETA', '[{"sku": "B", "qty": 3}]', '{"auto_confirm": false}') AS o3 \gset
SELECT ordermgmt.submit_order(:d1);
SELECT ordermgmt.hold_order(:o2, 'customer asked to wait');
SELECT ordermgmt.cancel_order(:d2, 'never sent');
SELECT ordermgmt.cancel_order(:o2, 'customer withdrew');
SELECT * FROM ordermgmt.v_pipeline;
SELECT customer, orders, open_orders, lifetime_value, frequency_last_year, segment
  FROM ordermgmt.v_customer_history ORDER BY customer;
SELECT * FROM pg_temp.views_vs_facts;

--------------------------------------------------------------------------
-- Ship, invoice, pay, deliver, return with a credit note, feedback
--------------------------------------------------------------------------
SELECT ordermgmt.ship_order(:o1, NULL, 'DHL', 'T1') AS s1 \gset
SELECT ordermgmt.invoice_order(:o1) AS i1 \gset
SELECT ordermgmt.confirm_delivery(:s1);
SELECT ordermgmt.record_payment(:i1, (SELECT total FROM ordermgmt.invoices WHERE invoice_id = :i1), 'bank') > 0 AS paid;
SELECT status FROM ordermgmt.orders WHERE order_id = :o1;
SELECT ordermgmt.return_items(:o1, '[{"sku": "B", "qty": 1}]', 'damaged') > 0 AS returned;
SELECT ordermgmt.record_feedback(:o1, 2, 'one arrived broken') > 0 AS rated;
SELECT ordermgmt.record_feedback(:o1, 5, 'replacement was quick') > 0 AS rated;
SELECT day = timezone('UTC', now())::date AS today, currency, orders_booked, booked_net, invoices,
       invoiced_net, invoiced_tax, invoiced_total
  FROM ordermgmt.v_daily_sales;
SELECT customer, orders, open_orders, lifetime_value, balance_due, average_rating FROM ordermgmt.v_customer_history
 ORDER BY lifetime_value DESC;
SELECT customer, ratings, average_rating, negative, positive, last_rated_at IS NOT NULL AS rated FROM ordermgmt.v_feedback_summary;
SELECT * FROM pg_temp.views_vs_facts;

--------------------------------------------------------------------------
-- A rolled-back change leaves no trace
--------------------------------------------------------------------------
BEGIN;
SELECT ordermgmt.create_order('NEW', '[{"sku": "A", "qty": 1}]') > 0 AS placed;
SELECT orders FROM ordermgmt.v_customer_history WHERE customer = 'NEW';
ROLLBACK;
SELECT orders, segment FROM ordermgmt.v_customer_history WHERE customer = 'NEW';
SELECT * FROM pg_temp.views_vs_facts;

--------------------------------------------------------------------------
-- The roll-up: the first run arms a horizon, the next adds what is below
-- it; each state reads the same
--------------------------------------------------------------------------
SELECT ordermgmt.rollup_reports() AS added;
SELECT upto_history_id = 0 AS nothing_summed_yet, next_history_id > 0 AS armed FROM ordermgmt.report_rollup;
SELECT * FROM pg_temp.views_vs_facts;
SELECT ordermgmt.rollup_reports() > 0 AS added;
-- (ids drawn by rolled-back transactions may lie past the last row)
SELECT upto_history_id >= (SELECT max(history_id) FROM ordermgmt.order_status_history) AS all_summed,
       upto_invoice_id = (SELECT max(invoice_id) FROM ordermgmt.invoices) AS invoices_summed,
       upto_return_id = (SELECT max(return_id) FROM ordermgmt.returns) AS returns_summed,
       upto_feedback_id = (SELECT max(feedback_id) FROM ordermgmt.feedback) AS feedback_summed
  FROM ordermgmt.report_rollup;
SELECT status, orders, net_amount FROM ordermgmt.order_day_totals ORDER BY status;
SELECT * FROM pg_temp.views_vs_facts;
-- every order out of draft has its figures stored, the drafts none
SELECT (SELECT count(*) FROM ordermgmt.order_figures) AS stored_figures,
       (SELECT count(*) FROM ordermgmt.orders WHERE status <> 'draft') AS orders_out_of_draft;
-- more business after the horizon: summary and tail together
SELECT ordermgmt.create_order('NEW', '[{"sku": "A", "qty": 2}]') AS o4 \gset
SELECT ordermgmt.cancel_order(:o3, 'changed their mind');
SELECT ordermgmt.record_feedback(:o1, 4, NULL) > 0 AS rated;
SELECT * FROM ordermgmt.v_pipeline;
SELECT customer, orders, open_orders, lifetime_value, average_rating, segment
  FROM ordermgmt.v_customer_history ORDER BY customer;
SELECT * FROM pg_temp.views_vs_facts;
SELECT ordermgmt.rollup_reports() AS added_nothing_yet;
SELECT ordermgmt.rollup_reports() > 0 AS added;
SELECT * FROM pg_temp.views_vs_facts;
-- a promise given after delivery counts it (late), one moved later recounts it (on time)
SELECT customer, delivered, on_time FROM ordermgmt.v_on_time_delivery WHERE week IS NULL ORDER BY customer;
UPDATE ordermgmt.orders SET promised_at = created_at WHERE order_id = :o1;
SELECT customer, delivered, on_time FROM ordermgmt.v_on_time_delivery WHERE week IS NULL ORDER BY customer;
SELECT * FROM pg_temp.views_vs_facts;
SELECT ordermgmt.rollup_reports() >= 0 AS armed;
SELECT ordermgmt.rollup_reports() > 0 AS added;
SELECT customer, delivered, on_time FROM ordermgmt.v_on_time_delivery WHERE week IS NULL ORDER BY customer;
SELECT * FROM pg_temp.views_vs_facts;
UPDATE ordermgmt.orders SET promised_at = now() + interval '10 days' WHERE order_id = :o1;
SELECT customer, delivered, on_time FROM ordermgmt.v_on_time_delivery WHERE week IS NULL ORDER BY customer;
SELECT * FROM pg_temp.views_vs_facts;
-- inside a transaction that has not committed, its own changes show and
-- the roll-up does not count them
BEGIN;
SELECT ordermgmt.create_order('BETA', '[{"sku": "A", "qty": 1}]') > 0 AS placed;
SELECT orders FROM ordermgmt.v_pipeline WHERE status = 'confirmed';
SELECT * FROM pg_temp.views_vs_facts;
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pg_temp.try($$SELECT ordermgmt.rollup_reports()$$);
ROLLBACK;
-- a raw change bypasses the logs: rebuilt from the facts, horizon at the end
SET session_replication_role = replica;
UPDATE ordermgmt.orders SET created_at = created_at - interval '40 days' WHERE order_id = :o4;
RESET session_replication_role;
SELECT check_name FROM ordermgmt.verify() WHERE NOT ok AND check_name LIKE 'summaries.%' ORDER BY 1;
SELECT ordermgmt.rebuild_report_totals();
SELECT next_xmax IS NULL AS disarmed FROM ordermgmt.report_rollup;
SELECT * FROM pg_temp.views_vs_facts;

--------------------------------------------------------------------------
-- Nobody but the extension writes the summaries; only the admin runs the
-- housekeeping
--------------------------------------------------------------------------
SET ROLE ordermgmt_admin;
SELECT pg_temp.try($$UPDATE ordermgmt.customer_totals SET invoiced_net = 0$$);
SELECT pg_temp.try($$INSERT INTO ordermgmt.order_day_totals VALUES (current_date, 'EUR', 'confirmed', 1, 1)$$);
SELECT pg_temp.try($$UPDATE ordermgmt.report_rollup SET upto_history_id = 0$$);
SELECT pg_temp.try($$DELETE FROM ordermgmt.invoice_day_totals$$);
SELECT pg_temp.try($$UPDATE ordermgmt.customer_months SET orders = 0$$);
SELECT ordermgmt.rollup_reports() >= 0 AS admin_rolls_up;
RESET ROLE;
SET ROLE ordermgmt_app;
SELECT pg_temp.try($$SELECT ordermgmt.rollup_reports()$$);
SELECT pg_temp.try($$SELECT ordermgmt.rebuild_report_totals()$$);
SELECT count(*) > 0 AS app_reads FROM ordermgmt.customer_totals;
RESET ROLE;
SET ROLE ordermgmt_reader;
SELECT pg_temp.try($$SELECT * FROM ordermgmt.customer_totals$$);
SELECT count(*) AS reader_reads_the_view FROM ordermgmt.v_pipeline;
RESET ROLE;

DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
