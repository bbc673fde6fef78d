-- Quotations that expire: a draft entered with options.valid_until is
-- cancelled as 'expired' by monitor_tick once that time has passed, through
-- the normal cancellation (history, event); a submitted, cancelled or
-- deleted draft never expires; bad input is refused without a write.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.products (sku, name, list_price, tax_rate) VALUES ('WID', 'Widget', 100, 0.2);
SELECT count(ordermgmt.receive_stock('WID', 'MAIN', 100)) AS stocked;
INSERT INTO ordermgmt.customers (code, name) VALUES ('ACME', 'Acme');

-- q(days, ref): a quotation valid for that many days from now.
CREATE FUNCTION pg_temp.q(days int, ref text) RETURNS bigint LANGUAGE sql AS $$
SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1, "unit_price": 100}]',
         jsonb_build_object('submit', false, 'external_ref', ref,
                            'valid_until', now() + make_interval(days => days))) $$;
SELECT pg_temp.q(2, 'expires') IS NOT NULL AS expires,
       pg_temp.q(2, 'submitted') IS NOT NULL AS submitted,
       pg_temp.q(2, 'cancelled') IS NOT NULL AS cancelled,
       pg_temp.q(2, 'deleted') IS NOT NULL AS deleted,
       pg_temp.q(9, 'later') IS NOT NULL AS later;
CREATE FUNCTION pg_temp.id(ref text) RETURNS bigint LANGUAGE sql AS $$
SELECT order_id FROM ordermgmt.orders WHERE external_ref = ref $$;

-- The validity is stored, and a deadline waits for each draft.
SELECT external_ref, status, valid_until - created_at AS valid_for
  FROM ordermgmt.orders ORDER BY order_id;
SELECT o.external_ref, d.due_at = o.valid_until AS due_at_validity, d.fired
  FROM ordermgmt.deadlines d JOIN ordermgmt.orders o ON o.order_id = d.subject_id
 WHERE d.rule_code = 'QUOTATION_EXPIRY' ORDER BY o.order_id;

-- Submitted, cancelled and deleted drafts lose their deadline.
SELECT ordermgmt.submit_order(pg_temp.id('submitted')) AS submitted;
SELECT ordermgmt.cancel_order(pg_temp.id('cancelled'), 'customer declined') IS NULL AS cancelled;
DELETE FROM ordermgmt.orders WHERE order_id = pg_temp.id('deleted');
SELECT o.external_ref FROM ordermgmt.deadlines d JOIN ordermgmt.orders o ON o.order_id = d.subject_id
 WHERE d.rule_code = 'QUOTATION_EXPIRY' ORDER BY o.order_id;

-- Nothing is due yet.
SELECT ordermgmt.monitor_tick() AS alerts_now;
SELECT count(*) AS cancelled_now FROM ordermgmt.orders WHERE cancel_reason = 'expired';

-- Three days on: the first quotation expires, the later one waits (the
-- alert is the submitted order's L2_PROCESSING_OVERDUE).
SELECT ordermgmt.monitor_tick(now() + interval '3 days') AS alerts;
SELECT external_ref, status, cancel_reason FROM ordermgmt.orders ORDER BY order_id;
SELECT h.from_status, h.to_status, h.reason
  FROM ordermgmt.order_status_history h WHERE h.order_id = pg_temp.id('expires') ORDER BY h.history_id;
SELECT e.kind, e.payload FROM ordermgmt.events e
 WHERE e.order_id = pg_temp.id('expires') AND e.kind = 'order.status_changed';
SELECT o.external_ref FROM ordermgmt.deadlines d JOIN ordermgmt.orders o ON o.order_id = d.subject_id
 WHERE d.rule_code = 'QUOTATION_EXPIRY' ORDER BY o.order_id;
-- A second tick finds nothing more.
SELECT ordermgmt.monitor_tick(now() + interval '3 days') AS alerts_again;
SELECT count(*) AS expired FROM ordermgmt.orders WHERE cancel_reason = 'expired';

-- A draft that may not be cancelled (draft -> cancelled disabled) is left
-- alone, its deadline marked fired so that no later tick reads it again.
UPDATE ordermgmt.order_transitions SET enabled = false WHERE from_status = 'draft' AND to_status = 'cancelled';
SELECT ordermgmt.monitor_tick(now() + interval '10 days') AS alerts_disabled;
SELECT external_ref, status FROM ordermgmt.orders WHERE external_ref = 'later';
SELECT d.fired FROM ordermgmt.deadlines d WHERE d.rule_code = 'QUOTATION_EXPIRY';
UPDATE ordermgmt.order_transitions SET enabled = true WHERE from_status = 'draft' AND to_status = 'cancelled';
SELECT ordermgmt.submit_order(pg_temp.id('later')) AS later_submitted;
SELECT count(*) AS expiry_deadlines FROM ordermgmt.deadlines WHERE rule_code = 'QUOTATION_EXPIRY';

-- quote_opportunity passes valid_until on to its draft.
INSERT INTO ordermgmt.opportunities (customer_id, title, expected_value)
SELECT customer_id, 'Big deal', 1000 FROM ordermgmt.customers WHERE code = 'ACME';
SELECT ordermgmt.quote_opportunity(opportunity_id, '[{"sku": "WID", "qty": 2}]',
                                   jsonb_build_object('valid_until', now() + interval '1 day')) IS NOT NULL AS quoted
  FROM ordermgmt.opportunities;
SELECT o.status, o.valid_until - o.created_at AS valid_for, p.stage
  FROM ordermgmt.opportunities p JOIN ordermgmt.orders o ON o.order_id = p.order_id;
SELECT ordermgmt.monitor_tick(now() + interval '2 days') AS alerts;
SELECT o.status, o.cancel_reason, p.stage
  FROM ordermgmt.opportunities p JOIN ordermgmt.orders o ON o.order_id = p.order_id;

-- Bad input: nothing is written.
SELECT count(*) AS orders_before FROM ordermgmt.orders;
SELECT pg_temp.try($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]',
                     jsonb_build_object('valid_until', now() + interval '1 day'))$$) AS submitted_with_validity;
SELECT pg_temp.try($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]',
                     jsonb_build_object('submit', true, 'valid_until', now() + interval '1 day'))$$) AS submit_true;
SELECT pg_temp.try($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]',
                     jsonb_build_object('submit', false, 'valid_until', now() - interval '1 minute'))$$) AS in_the_past;
SELECT pg_temp.try($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]',
                     '{"submit": false, "valid_until": "next tuesday"}')$$) AS malformed;
SELECT pg_temp.try($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]',
                     '{"submit": false, "valid_until": 20270101}')$$) AS not_a_string;
SELECT pg_temp.try($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1}]',
                     '{"submit": false, "valid_until": "infinity"}')$$) AS infinite;
INSERT INTO ordermgmt.opportunities (customer_id, title, expected_value)
SELECT customer_id, 'Next deal', 10 FROM ordermgmt.customers WHERE code = 'ACME';
SELECT pg_temp.try($$SELECT ordermgmt.quote_opportunity(max(opportunity_id), '[{"sku": "WID", "qty": 1}]',
                     '{"valid_until": "yesterday"}') FROM ordermgmt.opportunities$$) AS quote_in_the_past;
SELECT pg_temp.try($$SELECT ordermgmt.quote_opportunity(max(opportunity_id), '[{"sku": "WID", "qty": 1}]',
                     '{"valid_until": "soon"}') FROM ordermgmt.opportunities$$) AS quote_malformed;
SELECT stage, order_id FROM ordermgmt.opportunities WHERE title = 'Next deal';
-- The column is the extension's: a plain write of it is refused.
SELECT pg_temp.try($$INSERT INTO ordermgmt.orders (customer_id, warehouse_id, valid_until)
                     SELECT customer_id, 1, now() + interval '1 day' FROM ordermgmt.customers$$) AS plain_insert;
SELECT pg_temp.try($$UPDATE ordermgmt.orders SET valid_until = now() + interval '1 year'$$) AS plain_update;
SELECT count(*) AS orders_after FROM ordermgmt.orders;

SELECT check_name, detail FROM ordermgmt.verify() WHERE NOT ok;

DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
