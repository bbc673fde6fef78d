-- verify(): every invariant of the data, one row per check, on one
-- snapshot.  A business day that uses every API function passes every
-- check, also after alerts resolved by hand, a manual journal entry, a
-- reversal and a purge of the history; then each invariant, broken on
-- purpose by a superuser (triggers off, rolled back), turns its own check
-- false with a detail naming the row; and only an admin may run it.
SET client_min_messages = warning;
SET datestyle = 'ISO, YMD';
SET intervalstyle = postgres;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;
-- approve_order's approver is the session user: a login of the approvers
DROP ROLE IF EXISTS om_test_approver;
CREATE ROLE om_test_approver LOGIN IN ROLE ordermgmt_approver;
-- The checks that fail, dates and times masked.
CREATE FUNCTION pg_temp.failing() RETURNS TABLE (check_name text, detail text) LANGUAGE sql AS $$
SELECT v.check_name,
       regexp_replace(v.detail, '\d{4}-\d\d-\d\d( [0-9:.]+([+-]\d\d(:\d\d)?)?)?', '<when>', 'g')
  FROM ordermgmt.verify() v WHERE NOT v.ok ORDER BY v.check_name
$$;

--------------------------------------------------------------------------
-- A business day
--------------------------------------------------------------------------
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name, credit_limit) VALUES
  ('ACME', 'Acme', NULL), ('SMALL', 'Small shop', 100), ('OTHER', 'Other', NULL);
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate, reorder_point) VALUES
  ('A', 'Widget', 10, 4, 0.2, 0), ('B', 'Gadget', 25, 10, 0.1, 0), ('LOW', 'Scarce item', 50, 20, 0.2, 5);
SELECT ordermgmt.receive_stock('A', 'MAIN', 100) > 0 AS received, ordermgmt.receive_stock('B', 'MAIN', 50, 12) > 0 AS received,
       ordermgmt.receive_stock('LOW', 'MAIN', 6) > 0 AS received;

-- the full cycle: two shipments, deliveries, two invoices, payments, a return
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 4}, {"sku": "B", "qty": 2}]',
                              format('{"promised_at": "%s"}', now() + interval '7 days')::jsonb) AS o1 \gset
SELECT ordermgmt.ship_order(:o1, '[{"sku": "A", "qty": 3}]', 'DHL', 'T-1') AS s1 \gset
SELECT ordermgmt.confirm_delivery(:s1);
SELECT ordermgmt.invoice_order(:o1) AS i1 \gset
SELECT ordermgmt.record_payment(:i1, 20, 'bank', 'PAY-1') AS p1 \gset
SELECT ordermgmt.ship_order(:o1) AS s2 \gset
SELECT ordermgmt.confirm_delivery(:s2, now() + interval '1 hour');
SELECT ordermgmt.invoice_order(:o1) AS i2 \gset
SELECT ordermgmt.return_items(:o1, '[{"sku": "A", "qty": 1}]', 'damaged') > 0 AS returned;
SELECT ordermgmt.record_payment(invoice_id, due, 'bank') > 0 AS paid
  FROM ordermgmt.invoices WHERE order_id = :o1 AND due > 0 ORDER BY invoice_id;
SELECT status FROM ordermgmt.orders WHERE order_id = :o1;
SELECT ordermgmt.record_feedback(:o1, 1, 'late') > 0 AS rated;
SELECT ordermgmt.open_ticket(:o1, 'where is my invoice', 'high') AS t1 \gset
SELECT ordermgmt.resolve_ticket(:t1, 'sent again');
SELECT ordermgmt.open_ticket(:o1, 'one more question') > 0 AS opened;

-- over the credit limit: held, then approved; processing, half shipped
SELECT ordermgmt.create_order('SMALL', '[{"sku": "A", "qty": 20}]') AS o2 \gset
SELECT status FROM ordermgmt.orders WHERE order_id = :o2;
SET SESSION AUTHORIZATION om_test_approver;
SELECT ordermgmt.approve_order(:o2, 'over the limit, known customer');
RESET SESSION AUTHORIZATION;
SELECT ordermgmt.start_processing(:o2);
SELECT ordermgmt.ship_order(:o2, '[{"sku": "A", "qty": 10}]') > 0 AS shipped;

-- low stock raises L2_LOW_STOCK; resolved by hand while still low
SELECT ordermgmt.create_order('ACME', '[{"sku": "LOW", "qty": 2}]') AS o3 \gset
SELECT ordermgmt.resolve_alert(alert_id, 'ordered more') FROM ordermgmt.alerts WHERE rule_code = 'L2_LOW_STOCK';

-- a draft changes customer before it is submitted; another is deleted;
-- one more is cancelled
SELECT ordermgmt.create_order('OTHER', '[{"sku": "B", "qty": 1}]', '{"submit": false}') AS o4 \gset
UPDATE ordermgmt.orders SET customer_id = (SELECT customer_id FROM ordermgmt.customers WHERE code = 'ACME')
 WHERE order_id = :o4;
SELECT ordermgmt.submit_order(:o4);
SELECT ordermgmt.create_order('ACME', '[{"sku": "B", "qty": 1}]', '{"submit": false}') AS o5 \gset
DELETE FROM ordermgmt.orders WHERE order_id = :o5;
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]') AS o6 \gset
SELECT ordermgmt.cancel_order(:o6, 'changed their mind');

-- delivered late against a promise in the past, then the promise moves
SELECT ordermgmt.create_order('OTHER', '[{"sku": "B", "qty": 3}]',
                              format('{"promised_at": "%s"}', now() - interval '2 days')::jsonb) AS o7 \gset
SELECT ordermgmt.confirm_delivery(ordermgmt.ship_order(:o7));
UPDATE ordermgmt.orders SET promised_at = now() + interval '1 day' WHERE order_id = :o7;
SELECT week IS NOT NULL AS counted, delivered, on_time FROM ordermgmt.delivery_weeks;

-- ten days later: every time-based rule fires; one alert acknowledged, one
-- resolved by hand (its deadline stays fired)
SELECT ordermgmt.monitor_tick(now() + interval '10 days') > 0 AS raised;
SELECT rule_code, count(*) FROM ordermgmt.alerts WHERE status <> 'resolved' GROUP BY rule_code ORDER BY rule_code;
SELECT ordermgmt.acknowledge_alert(alert_id, 'looking') FROM ordermgmt.alerts
 WHERE rule_code = 'L3_NEGATIVE_FEEDBACK';
SELECT ordermgmt.resolve_alert(alert_id, 'customer called') FROM ordermgmt.alerts
 WHERE rule_code = 'L2_STALLED' AND order_id = :o2;

-- the books: a manual entry to cash, the reversal of a payment's entry,
-- and the roll-up of the totals
SELECT ordermgmt.post_entry('bank fee', '[{"account": "1000", "credit": 3}, {"account": "5000", "debit": 3}]') > 0 AS posted;
SELECT ordermgmt.reverse_entry(entry_id, 'booked twice') > 0 AS reversed
  FROM ordermgmt.journal_entries WHERE source_type = 'payment' AND source_id = :p1;
SELECT ordermgmt.rollup_ledger() AS armed;
SELECT ordermgmt.rollup_ledger() > 0 AS rolled_up;
SELECT ordermgmt.receive_stock('LOW', 'MAIN', 10) > 0 AS received_after_roll_up;

-- the sales pipeline: a deal won by its quotation's confirmation, another
-- quoted and still open
INSERT INTO ordermgmt.opportunities (customer_id, title, expected_value)
SELECT customer_id, t, 100 FROM ordermgmt.customers, unnest(ARRAY['Deal won', 'Deal open']) AS t WHERE code = 'ACME';
SELECT ordermgmt.submit_order(ordermgmt.quote_opportunity(opportunity_id, '[{"sku": "A", "qty": 1}]'))
  FROM ordermgmt.opportunities WHERE title = 'Deal won';
SELECT ordermgmt.quote_opportunity(opportunity_id, '[{"sku": "B", "qty": 1}]') > 0 AS quoted
  FROM ordermgmt.opportunities WHERE title = 'Deal open';
SELECT title, stage FROM ordermgmt.opportunities ORDER BY opportunity_id;

-- every check holds
SELECT count(*) AS checks, count(*) FILTER (WHERE ok) AS ok FROM ordermgmt.verify();
SELECT * FROM pg_temp.failing();

-- the checks, by area
SELECT split_part(check_name, '.', 1) AS area, count(*) AS checks
  FROM ordermgmt.verify() GROUP BY 1 ORDER BY 1;

-- a purge of everything settled: events and resolved alerts go; the checks
-- know that what happened before the purge may have lost its events
-- (events go once the reports have rolled them up)
SELECT ordermgmt.rollup_reports() >= 0 AS armed;
SELECT ordermgmt.rollup_reports() >= 0 AS rolled_up;
SELECT events > 0 AS events_purged, alerts > 0 AS alerts_purged FROM ordermgmt.purge_history('0');
SELECT events_before <= now() AS horizon_recorded, alerts_upto > 0 AS alerts_recorded FROM ordermgmt.purge_horizon;
SELECT * FROM pg_temp.failing();
-- and the day goes on: what comes after the purge must have its events
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 2}]') AS o8 \gset
SELECT ordermgmt.confirm_delivery(ordermgmt.ship_order(:o8));
SELECT ordermgmt.invoice_order(:o8) > 0 AS invoiced;
SELECT * FROM pg_temp.failing();

--------------------------------------------------------------------------
-- Each invariant broken on purpose turns its own check false
--------------------------------------------------------------------------
-- Every write below runs as a superuser with the triggers off, in a
-- transaction rolled back afterwards.

-- stock: one more on hand than the moves say
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE ordermgmt.stock SET on_hand = on_hand + 1
 WHERE product_id = (SELECT product_id FROM ordermgmt.products WHERE sku = 'B');
SELECT * FROM pg_temp.failing();
ROLLBACK;

-- stock: a reservation and the stock row agree, but not with the line
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE ordermgmt.reservations SET qty = qty + 1 WHERE order_id = :o2;
UPDATE ordermgmt.stock SET reserved = reserved + 1
 WHERE product_id = (SELECT product_id FROM ordermgmt.products WHERE sku = 'A');
SELECT * FROM pg_temp.failing();
ROLLBACK;

-- ledger: two manual entries, each out of balance, the books still even
BEGIN;
SET LOCAL session_replication_role = replica;
SELECT ordermgmt.post_entry('a', '[{"account": "1000", "debit": 1}, {"account": "4000", "credit": 1}]') AS ea \gset
SELECT ordermgmt.post_entry('b', '[{"account": "1000", "debit": 1}, {"account": "4000", "credit": 1}]') AS eb \gset
INSERT INTO ordermgmt.postings (entry_id, account_id, currency, debit, credit, company_debit, company_credit)
SELECT :ea, account_id, 'EUR', 5, 0, 5, 0 FROM ordermgmt.accounts WHERE code = '1000'
UNION ALL
SELECT :eb, account_id, 'EUR', 0, 5, 0, 5 FROM ordermgmt.accounts WHERE code = '4000';
SELECT * FROM pg_temp.failing();
ROLLBACK;

-- ledger: a second entry claims to be a payment's
BEGIN;
SET LOCAL session_replication_role = replica;
SELECT ordermgmt.post_entry('copy', '[{"account": "1000", "debit": 20}, {"account": "1100", "credit": 20}]') AS ec \gset
UPDATE ordermgmt.journal_entries SET source_type = 'payment', source_id = :p1 WHERE entry_id = :ec;
SELECT * FROM pg_temp.failing();
ROLLBACK;

-- ledger: totals rolled up differ from their postings (debit and credit
-- alike, so that the trial balance still sums to zero)
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE ordermgmt.ledger_totals SET debit = debit + 7, credit = credit + 7
 WHERE account_id = (SELECT account_id FROM ordermgmt.accounts WHERE code = '1200');
SELECT * FROM pg_temp.failing();
ROLLBACK;

-- invoices: a line's net no longer adds up to the invoice
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE ordermgmt.invoice_lines SET net = net + 0.01 WHERE invoice_id = :i1;
SELECT * FROM pg_temp.failing();
ROLLBACK;

-- lines: a shipment line ships more than its order line counts
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE ordermgmt.shipment_lines SET qty = qty + 1 WHERE shipment_id = :s1;
SELECT * FROM pg_temp.failing();
ROLLBACK;

-- documents: an invoice billed to another customer than its order's
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE ordermgmt.invoices SET customer_id = (SELECT customer_id FROM ordermgmt.customers WHERE code = 'OTHER')
 WHERE invoice_id = :i2;
SELECT * FROM pg_temp.failing();
ROLLBACK;

-- orders: status_changed_at no longer the time of the last history row
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE ordermgmt.orders SET status_changed_at = status_changed_at + interval '1 second' WHERE order_id = :o1;
SELECT * FROM pg_temp.failing();
ROLLBACK;

-- opportunities: won while its quotation is still a draft; another's
-- quotation names no opportunity
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE ordermgmt.opportunities SET stage = 'won', probability = 1, closed_at = now() WHERE title = 'Deal open';
UPDATE ordermgmt.orders SET opportunity_id = NULL
 WHERE order_id = (SELECT order_id FROM ordermgmt.opportunities WHERE title = 'Deal won');
SELECT * FROM pg_temp.failing();
ROLLBACK;

-- summaries: the reporting summaries once rolled up (twice: the first
-- run arms the horizon), each changed behind the roll-up's back
SELECT ordermgmt.rollup_reports() >= 0 AS armed;
SELECT ordermgmt.rollup_reports() > 0 AS rolled_up;
BEGIN;
UPDATE ordermgmt.order_day_totals SET orders = orders + 1 WHERE status = 'confirmed';
UPDATE ordermgmt.invoice_day_totals SET tax = tax - 1;
UPDATE ordermgmt.customer_totals SET open_orders = open_orders + 1
 WHERE customer_id = (SELECT customer_id FROM ordermgmt.customers WHERE code = 'ACME');
UPDATE ordermgmt.customer_months SET orders = orders * 2;
UPDATE ordermgmt.fulfillment_histogram SET seconds = seconds + 3600 WHERE stage = 1;
SELECT check_name, detail IS NOT NULL AS has_detail FROM pg_temp.failing();
ROLLBACK;

-- summaries: ordered_net, a customer's exposure, delivered_at and
-- delivery_weeks against their recomputation
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE ordermgmt.orders SET ordered_net = ordered_net + 1 WHERE order_id = :o4;
SELECT * FROM pg_temp.failing();
ROLLBACK;
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE ordermgmt.customer_exposure SET receivables = receivables + 1
 WHERE customer_id = (SELECT customer_id FROM ordermgmt.customers WHERE code = 'SMALL');
SELECT * FROM pg_temp.failing();
ROLLBACK;
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE ordermgmt.orders SET delivered_at = NULL WHERE order_id = :o8;
UPDATE ordermgmt.delivery_weeks SET delivered = delivered + 1
 WHERE customer_id = (SELECT customer_id FROM ordermgmt.customers WHERE code = 'OTHER');
SELECT * FROM pg_temp.failing();
ROLLBACK;

-- events: a status change that lost its event after the purge; an
-- order.created event naming another customer; an event without its
-- document; an event of an alert that was never purged and is not there
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE ordermgmt.events SET payload = jsonb_set(payload, '{customer_id}', '3')
 WHERE order_id = :o8 AND kind = 'order.created';
DELETE FROM ordermgmt.events WHERE order_id = :o8 AND kind = 'order.status_changed'
   AND payload ->> 'to' = 'shipped';
INSERT INTO ordermgmt.events (kind, order_id, payload)
VALUES ('invoice.created', :o8, '{"invoice_id": 999}'),
       ('alert.resolved', :o8, format('{"alert_id": %s}', (SELECT max(alert_id) + 1 FROM ordermgmt.alerts))::jsonb);
SELECT * FROM pg_temp.failing();
ROLLBACK;

-- events: the relay claims a position the sequence never handed out
BEGIN;
INSERT INTO ordermgmt.relay_state (last_event_id)
SELECT last_value + 100 FROM ordermgmt.events_event_id_seq;
SELECT check_name, detail ~ '^1 row: events sequence: next id \d+, not past the relay''s position \d+$' AS named
  FROM pg_temp.failing();
ROLLBACK;

-- events: the sequence set back (setval is not transactional: put back
-- by hand), so that new events would take ids listeners have passed
SELECT last_value AS seq_last FROM ordermgmt.events_event_id_seq \gset
SELECT setval('ordermgmt.events_event_id_seq', 1) AS set_back;
SELECT check_name, detail ~ '^1 row: events sequence: next id 2, not past event \d+$' AS named
  FROM pg_temp.failing();
SELECT setval('ordermgmt.events_event_id_seq', :seq_last) > 0 AS put_back;

-- the events sequence set to its next id, not yet called (as a restore or
-- a repair leaves it), is as good as before
SELECT setval('ordermgmt.events_event_id_seq', last_value + 1, false) > 0 AS set_back
  FROM ordermgmt.events_event_id_seq;
SELECT * FROM pg_temp.failing();

-- alerts: an alert about feedback that does not exist
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE ordermgmt.alerts SET subject_id = 4242 WHERE rule_code = 'L3_NEGATIVE_FEEDBACK';
SELECT * FROM pg_temp.failing();
ROLLBACK;

-- deadlines: an open invoice's payment deadline gone, a processing
-- deadline moved
BEGIN;
SET LOCAL session_replication_role = replica;
DELETE FROM ordermgmt.deadlines WHERE rule_code = 'L3_PAYMENT_OVERDUE' AND subject_type = 'invoice';
UPDATE ordermgmt.deadlines SET due_at = due_at + interval '1 day'
 WHERE rule_code = 'L2_PROCESSING_OVERDUE' AND subject_id = :o2;
SELECT * FROM pg_temp.failing();
ROLLBACK;

-- customer logins: a mapped login dropped (its mapping left behind)
DROP ROLE IF EXISTS om_verify_gone;
CREATE ROLE om_verify_gone LOGIN IN ROLE ordermgmt_customer;
INSERT INTO ordermgmt.customer_logins (role_name, customer_id)
SELECT 'om_verify_gone', min(customer_id) FROM ordermgmt.customers;
SELECT 'om_verify_gone'::regrole::oid AS gone_oid \gset
DROP ROLE om_verify_gone;
SELECT check_name, regexp_replace(detail, 'OID \d+', 'OID <gone>') AS detail FROM pg_temp.failing();
DELETE FROM ordermgmt.customer_logins WHERE role_name::oid = :gone_oid;

-- approvals: the approver rewritten to the login that entered the order
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE ordermgmt.order_approvals a SET approved_by = o.created_by
  FROM ordermgmt.orders o WHERE o.order_id = a.order_id AND a.order_id = :o2;
SELECT * FROM pg_temp.failing();
ROLLBACK;

-- after all that, nothing is left broken
SELECT count(*) FILTER (WHERE NOT ok) AS failing FROM ordermgmt.verify();

--------------------------------------------------------------------------
-- An admin's function
--------------------------------------------------------------------------
SET ROLE ordermgmt_admin;
SELECT count(*) AS checks FROM ordermgmt.verify();
RESET ROLE;
SET ROLE ordermgmt_app;
SELECT pg_temp.try('SELECT count(*) FROM ordermgmt.verify()');
RESET ROLE;
SET ROLE ordermgmt_reader;
SELECT pg_temp.try('SELECT count(*) FROM ordermgmt.verify()');
RESET ROLE;
SELECT p.provolatile AS volatility, p.prosecdef AS security_definer, p.proconfig
  FROM pg_proc p WHERE p.oid = 'ordermgmt.verify()'::regprocedure;

DROP EXTENSION ordermgmt CASCADE;
DROP ROLE om_test_approver;
CREATE EXTENSION ordermgmt;
