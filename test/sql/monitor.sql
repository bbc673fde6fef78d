-- The three-level monitoring rules: each raised at the right moment and not
-- before (time driven through monitor_tick(at)), not duplicated by a second
-- tick, resolved when its condition clears, silent when disabled.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;
CREATE VIEW pg_temp.open_alerts AS
SELECT rule_code, subject_type, order_id IS NOT NULL AS has_order, status
  FROM ordermgmt.alerts WHERE status <> 'resolved' ORDER BY alert_id;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name) VALUES ('ACME', 'Acme');
INSERT INTO ordermgmt.products (sku, name, list_price, reorder_point) VALUES
  ('A', 'Widget', 10, 0), ('LOW', 'Watched item', 10, 5);
SELECT ordermgmt.receive_stock('A', 'MAIN', 1000) > 0, ordermgmt.receive_stock('LOW', 'MAIN', 10) > 0;

-- L1_CONFIRMATION_OVERDUE: pending for more than 4 hours
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]', '{"auto_confirm": false}') AS p1 \gset
SELECT ordermgmt.monitor_tick(now() + interval '3 hours') AS raised_at_3h;
SELECT ordermgmt.monitor_tick(now() + interval '5 hours') AS raised_at_5h;
SELECT ordermgmt.monitor_tick(now() + interval '6 hours') AS raised_again;
SELECT * FROM pg_temp.open_alerts;
-- putting it on hold does not restart the clock; confirming resolves it
SELECT ordermgmt.hold_order(:p1, 'checking');
SELECT count(*) AS still_open FROM ordermgmt.alerts WHERE order_id = :p1 AND status = 'open';
SELECT ordermgmt.confirm_order(:p1);
SELECT rule_code, status, note FROM ordermgmt.alerts WHERE order_id = :p1;

-- a changed threshold applies to items already waiting; a disabled rule is silent
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]', '{"auto_confirm": false}') AS p2 \gset
UPDATE ordermgmt.monitor_rules SET thresholds = '{"deadline": "1 hour"}' WHERE rule_code = 'L1_CONFIRMATION_OVERDUE';
SELECT due_at - anchor_at AS delay FROM ordermgmt.deadlines WHERE subject_id = :p2 AND rule_code = 'L1_CONFIRMATION_OVERDUE';
UPDATE ordermgmt.monitor_rules SET enabled = false WHERE rule_code = 'L1_CONFIRMATION_OVERDUE';
SELECT ordermgmt.monitor_tick(now() + interval '2 hours') AS raised_while_disabled;
SELECT count(*) AS alerts FROM ordermgmt.alerts WHERE order_id = :p2;
UPDATE ordermgmt.monitor_rules SET enabled = true, thresholds = '{"deadline": "4 hours"}' WHERE rule_code = 'L1_CONFIRMATION_OVERDUE';
SELECT ordermgmt.cancel_order(:p2, 'test done');
-- nonsense thresholds are refused
SELECT pg_temp.try($$UPDATE ordermgmt.monitor_rules SET thresholds = '{"deadline": "soon"}' WHERE rule_code = 'L1_CONFIRMATION_OVERDUE'$$);
SELECT pg_temp.try($$UPDATE ordermgmt.monitor_rules SET thresholds = '{"deadline": "-1 hour"}' WHERE rule_code = 'L1_CONFIRMATION_OVERDUE'$$);
SELECT pg_temp.try($$UPDATE ordermgmt.monitor_rules SET thresholds = '{}' WHERE rule_code = 'L2_STALLED'$$);
SELECT pg_temp.try($$UPDATE ordermgmt.monitor_rules SET thresholds = '{"low": "1 day"}' WHERE rule_code = 'L3_TICKET_OVERDUE'$$);
SELECT pg_temp.try($$UPDATE ordermgmt.monitor_rules SET thresholds = '{"tolerance": -1}' WHERE rule_code = 'L1_PRICE_DEVIATION'$$);
SELECT pg_temp.try('SELECT ordermgmt.monitor_tick(NULL)');
SELECT pg_temp.try($$SELECT ordermgmt.monitor_tick('infinity')$$);

-- L2_PROCESSING_OVERDUE (2 days) and L2_STALLED (5 days) on a confirmed order
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]') AS c1 \gset
SELECT ordermgmt.monitor_tick(now() + interval '1 day') AS raised_at_1d;
SELECT ordermgmt.monitor_tick(now() + interval '3 days') AS raised_at_3d;
SELECT ordermgmt.monitor_tick(now() + interval '6 days') AS raised_at_6d;
SELECT rule_code, status FROM ordermgmt.alerts WHERE order_id = :c1 ORDER BY alert_id;
-- a status change ends the stall; shipping ends processing overdue
SELECT ordermgmt.start_processing(:c1);
SELECT rule_code, status FROM ordermgmt.alerts WHERE order_id = :c1 ORDER BY alert_id;
SELECT ordermgmt.ship_order(:c1) > 0 AS shipped;
SELECT rule_code, status FROM ordermgmt.alerts WHERE order_id = :c1 ORDER BY alert_id;
SELECT rule_code FROM ordermgmt.deadlines WHERE subject_id = :c1 ORDER BY rule_code;

-- L3_DELIVERY_LATE: not delivered by the promised time
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]',
       jsonb_build_object('promised_at', now() + interval '1 day')) AS d1 \gset
SELECT ordermgmt.ship_order(:d1) AS d1_shipment \gset
SELECT ordermgmt.monitor_tick(now() + interval '12 hours') AS raised_at_12h;
SELECT ordermgmt.monitor_tick(now() + interval '25 hours') AS raised_at_25h;
SELECT rule_code, status FROM ordermgmt.alerts WHERE order_id = :d1 ORDER BY alert_id;
-- a new promise moves the deadline and clears the alert; delivery ends it
UPDATE ordermgmt.orders SET promised_at = now() + interval '3 days' WHERE order_id = :d1;
SELECT rule_code, status FROM ordermgmt.alerts WHERE order_id = :d1 ORDER BY alert_id;
SELECT d.due_at = o.promised_at AS moved FROM ordermgmt.deadlines d JOIN ordermgmt.orders o ON o.order_id = d.subject_id
 WHERE d.subject_id = :d1 AND d.rule_code = 'L3_DELIVERY_LATE';
SELECT ordermgmt.confirm_delivery(:d1_shipment);
SELECT count(*) AS deadlines_left FROM ordermgmt.deadlines WHERE subject_id = :d1 AND subject_type = 'order';

-- L2_LOW_STOCK: available (10 - 6 = 4) under the reorder point (5), event-driven
SELECT ordermgmt.create_order('ACME', '[{"sku": "LOW", "qty": 6}]') AS l1 \gset
SELECT rule_code, subject_type, has_order, status FROM pg_temp.open_alerts WHERE rule_code = 'L2_LOW_STOCK';
SELECT details FROM ordermgmt.alerts WHERE rule_code = 'L2_LOW_STOCK';
-- more orders do not duplicate it; replenishing resolves it
SELECT ordermgmt.create_order('ACME', '[{"sku": "LOW", "qty": 1}]') > 0 AS another;
SELECT count(*) AS open_low_stock FROM ordermgmt.alerts WHERE rule_code = 'L2_LOW_STOCK' AND status <> 'resolved';
SELECT ordermgmt.receive_stock('LOW', 'MAIN', 10) > 0 AS replenished;
SELECT status, note FROM ordermgmt.alerts WHERE rule_code = 'L2_LOW_STOCK';
-- cancelling an order gives stock back and can clear the condition too
SELECT ordermgmt.create_order('ACME', '[{"sku": "LOW", "qty": 10}]') AS l3 \gset
SELECT count(*) AS open_low_stock FROM ordermgmt.alerts WHERE rule_code = 'L2_LOW_STOCK' AND status <> 'resolved';
SELECT ordermgmt.cancel_order(:l3, 'not needed');
SELECT count(*) AS open_low_stock FROM ordermgmt.alerts WHERE rule_code = 'L2_LOW_STOCK' AND status <> 'resolved';

-- L3_NEGATIVE_FEEDBACK: a rating of 2 or less
SELECT ordermgmt.record_feedback(:d1, 4, 'fine') > 0 AS good;
SELECT ordermgmt.record_feedback(:d1, 2, 'late and scratched') AS f2 \gset
SELECT rule_code, subject_type, status FROM ordermgmt.alerts WHERE rule_code = 'L3_NEGATIVE_FEEDBACK';
SELECT pg_temp.try(format('SELECT ordermgmt.record_feedback(%s, 6)', :d1));
SELECT pg_temp.try(format('SELECT ordermgmt.record_feedback(%s, 0)', :d1));
SELECT pg_temp.try(format('SELECT ordermgmt.record_feedback(%s, NULL)', :d1));
SELECT pg_temp.try('SELECT ordermgmt.record_feedback(424242, 3)');
SELECT pg_temp.try(format('SELECT ordermgmt.record_feedback(%s, 3)', :p2));

-- L3_TICKET_OVERDUE: the priority sets the deadline (urgent 4 hours, normal 2 days)
SELECT ordermgmt.open_ticket(:d1, 'Scratched lid', 'urgent') AS t_urgent \gset
SELECT ordermgmt.open_ticket(:d1, 'Invoice copy') AS t_normal \gset
SELECT ordermgmt.monitor_tick(now() + interval '5 hours') AS raised_at_5h;
SELECT subject_id = :t_urgent AS urgent_one, status FROM ordermgmt.alerts WHERE rule_code = 'L3_TICKET_OVERDUE';
SELECT ticket_id = :t_urgent AS urgent, priority, status, overdue FROM ordermgmt.v_tickets ORDER BY ticket_id;
-- each ticket keeps a copy of its deadline (v_tickets sorts by it): the
-- deadline's due time, moved with the rule's thresholds
SELECT t.ticket_id = :t_urgent AS urgent, t.due_at - t.opened_at AS due_in, t.due_at = d.due_at AS is_its_deadline
  FROM ordermgmt.tickets t
  JOIN ordermgmt.deadlines d ON d.rule_code = 'L3_TICKET_OVERDUE' AND d.subject_id = t.ticket_id
 ORDER BY t.ticket_id;
UPDATE ordermgmt.monitor_rules SET thresholds = thresholds || '{"urgent": "6 hours"}' WHERE rule_code = 'L3_TICKET_OVERDUE';
SELECT t.ticket_id = :t_urgent AS urgent, t.due_at - t.opened_at AS due_in, t.due_at = d.due_at AS is_its_deadline
  FROM ordermgmt.tickets t
  JOIN ordermgmt.deadlines d ON d.rule_code = 'L3_TICKET_OVERDUE' AND d.subject_id = t.ticket_id
 ORDER BY t.ticket_id;
UPDATE ordermgmt.monitor_rules SET thresholds = thresholds || '{"urgent": "4 hours"}' WHERE rule_code = 'L3_TICKET_OVERDUE';
SELECT ordermgmt.resolve_ticket(:t_urgent, 'sent a new lid');
SELECT due_at IS NULL AS no_due_time_once_resolved FROM ordermgmt.tickets WHERE ticket_id = :t_urgent;
SELECT status, note FROM ordermgmt.alerts WHERE rule_code = 'L3_TICKET_OVERDUE';
SELECT pg_temp.try(format('SELECT ordermgmt.resolve_ticket(%s, ''again'')', :t_urgent));
SELECT pg_temp.try('SELECT ordermgmt.resolve_ticket(424242, ''x'')');
SELECT pg_temp.try(format('SELECT ordermgmt.resolve_ticket(%s, NULL)', :t_normal));
SELECT pg_temp.try(format('SELECT ordermgmt.open_ticket(%s, ''x'', ''asap'')', :d1));
SELECT pg_temp.try(format('SELECT ordermgmt.open_ticket(%s, '''')', :d1));
SELECT pg_temp.try('SELECT ordermgmt.open_ticket(424242, ''x'')');
SELECT ordermgmt.resolve_ticket(:t_normal, 'sent');
-- cancelling an order leaves the overdue alert of its open ticket open: the ticket still waits
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]') AS c1 \gset
SELECT ordermgmt.open_ticket(:c1, 'Where is my order?', 'urgent') AS t_cancelled \gset
SELECT ordermgmt.monitor_tick(now() + interval '5 hours') > 0 AS raised;
SELECT ordermgmt.cancel_order(:c1, 'customer gave up');
SELECT rule_code, subject_type, status FROM ordermgmt.alerts WHERE order_id = :c1 ORDER BY alert_id;
SELECT ordermgmt.resolve_ticket(:t_cancelled, 'refunded');
SELECT status, note FROM ordermgmt.alerts WHERE subject_type = 'ticket' AND subject_id = :t_cancelled;

-- L3_PAYMENT_OVERDUE: unpaid past the due date; paying resolves it
SELECT ordermgmt.invoice_order(:d1, 10) AS inv \gset
SELECT ordermgmt.monitor_tick(now() + interval '9 days') AS raised_at_9d;
SELECT ordermgmt.monitor_tick(now() + interval '11 days') AS raised_at_11d;
SELECT rule_code, subject_type, status FROM ordermgmt.alerts WHERE rule_code = 'L3_PAYMENT_OVERDUE';
SELECT ordermgmt.record_payment(:inv, due) > 0 AS paid FROM ordermgmt.invoices WHERE invoice_id = :inv;
SELECT status, note FROM ordermgmt.alerts WHERE rule_code = 'L3_PAYMENT_OVERDUE';

-- the dashboard and the feedback summary
SELECT level, rule_code, severity, open FROM ordermgmt.v_monitor_dashboard;
SELECT customer, ratings, average_rating, negative, positive FROM ordermgmt.v_feedback_summary;
-- every alert raised or resolved wrote its event
SELECT (SELECT count(*) FROM ordermgmt.alerts) = (SELECT count(*) FROM ordermgmt.events WHERE kind = 'alert.raised') AS raised_events,
       (SELECT count(*) FROM ordermgmt.alerts WHERE status = 'resolved') = (SELECT count(*) FROM ordermgmt.events WHERE kind = 'alert.resolved') AS resolved_events;
-- nothing is left due: a far-future tick raises only what is legitimately still waiting
SELECT rule_code, count(*) FROM ordermgmt.deadlines GROUP BY rule_code ORDER BY rule_code;

-- a tick with more due items than one batch (500) raises each exactly once
-- (the cursor reads them in batches), and the next tick finds nothing left
SELECT count(ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]',
             jsonb_build_object('auto_confirm', false, 'external_ref', 'bulk-' || i)))
  FROM generate_series(1, 1203) AS i;
UPDATE ordermgmt.deadlines d SET due_at = now() + (o.order_id % 7) * interval '1 minute'
  FROM ordermgmt.orders o WHERE d.rule_code = 'L1_CONFIRMATION_OVERDUE' AND d.subject_id = o.order_id
   AND o.external_ref LIKE 'bulk-%';
SELECT ordermgmt.monitor_tick(now() + interval '1 hour') AS raised_in_one_tick;
SELECT count(*) AS bulk_alerts, count(DISTINCT a.subject_id) AS distinct_orders
  FROM ordermgmt.alerts a JOIN ordermgmt.orders o ON o.order_id = a.order_id
 WHERE a.rule_code = 'L1_CONFIRMATION_OVERDUE' AND o.external_ref LIKE 'bulk-%';
SELECT bool_and(fired) AS all_fired FROM ordermgmt.deadlines d JOIN ordermgmt.orders o ON o.order_id = d.subject_id
 WHERE d.rule_code = 'L1_CONFIRMATION_OVERDUE' AND o.external_ref LIKE 'bulk-%';
SELECT ordermgmt.monitor_tick(now() + interval '1 hour') AS raised_by_the_next_tick;

DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
