-- The sales pipeline: opportunities and their stage rules, quote_opportunity,
-- won and lost by the quotation's fate, v_sales_pipeline; then
-- v_recommendations and v_reorder_due on a small hand-made history.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main warehouse');
INSERT INTO ordermgmt.customers (code, name) VALUES ('ACME', 'Acme Ltd'), ('BETA', 'Beta GmbH');
INSERT INTO ordermgmt.products (sku, name, list_price) VALUES ('WID', 'Widget', 10), ('GAD', 'Gadget', 25);
SELECT ordermgmt.receive_stock('WID', 'MAIN', 100, 4) > 0 AS received;
SELECT ordermgmt.receive_stock('GAD', 'MAIN', 100, 10) > 0 AS received;
SELECT customer_id AS acme FROM ordermgmt.customers WHERE code = 'ACME' \gset
SELECT customer_id AS beta FROM ordermgmt.customers WHERE code = 'BETA' \gset

--------------------------------------------------------------------------
-- Opportunities: defaults per stage, and the stage rules
--------------------------------------------------------------------------
-- A new one starts as lead with the lead's probability (0.1) in the
-- currency setting's currency; a probability given is kept.
INSERT INTO ordermgmt.opportunities (customer_id, title, expected_value)
VALUES (:acme, 'Widgets for the new plant', 1000) RETURNING opportunity_id AS o1 \gset
INSERT INTO ordermgmt.opportunities (customer_id, title, expected_value, probability, stage)
VALUES (:acme, 'Gadget roll-out', 2000, 0.25, 'qualified') RETURNING opportunity_id AS o2 \gset
INSERT INTO ordermgmt.opportunities (customer_id, title, expected_value, expected_close)
VALUES (:beta, 'Spare parts', 500, '2027-03-31') RETURNING opportunity_id AS o3 \gset
SELECT opportunity_id - :o1 AS n, title, stage, expected_value, currency, probability, expected_close,
       order_id, closed_at, created_by = session_user AS by_me
  FROM ordermgmt.opportunities ORDER BY opportunity_id;

-- Bad input: nothing is written
SELECT pg_temp.try($$INSERT INTO ordermgmt.opportunities (customer_id, title, stage) VALUES (1, 'x', 'proposal')$$);
SELECT pg_temp.try($$INSERT INTO ordermgmt.opportunities (customer_id, title, stage) VALUES (1, 'x', 'won')$$);
SELECT pg_temp.try($$INSERT INTO ordermgmt.opportunities (customer_id, title, stage) VALUES (1, 'x', 'closing')$$);
SELECT pg_temp.try($$INSERT INTO ordermgmt.opportunities (customer_id, title, order_id) VALUES (1, 'x', 1)$$);
SELECT pg_temp.try($$INSERT INTO ordermgmt.opportunities (customer_id, title) VALUES (999, 'x')$$);
SELECT pg_temp.try($$INSERT INTO ordermgmt.opportunities (customer_id, title) VALUES (1, NULL)$$);
SELECT pg_temp.try($$INSERT INTO ordermgmt.opportunities (customer_id, title) VALUES (1, '')$$);
SELECT pg_temp.try($$INSERT INTO ordermgmt.opportunities (customer_id, title, probability) VALUES (1, 'x', 1.5)$$);
SELECT pg_temp.try($$INSERT INTO ordermgmt.opportunities (customer_id, title, expected_value) VALUES (1, 'x', -1)$$);
SELECT pg_temp.try($$INSERT INTO ordermgmt.opportunities (customer_id, title, currency) VALUES (1, 'x', 'euro')$$);
SELECT pg_temp.try($$INSERT INTO ordermgmt.opportunities (customer_id, title, stage) VALUES (1, 'x', NULL)$$);
SELECT count(*) AS opportunities, (SELECT count(*) FROM ordermgmt.events WHERE kind LIKE 'opportunity.%') AS events
  FROM ordermgmt.opportunities;

-- lead and qualified by hand, either way; entering a stage takes its
-- probability unless the same change gives one
UPDATE ordermgmt.opportunities SET stage = 'qualified' WHERE opportunity_id = :o1 RETURNING stage, probability;
UPDATE ordermgmt.opportunities SET stage = 'lead' WHERE opportunity_id = :o1 RETURNING stage, probability;
UPDATE ordermgmt.opportunities SET stage = 'qualified', probability = 0.4 WHERE opportunity_id = :o1
RETURNING stage, probability;
-- the probability alone may change while open
UPDATE ordermgmt.opportunities SET probability = 0.35 WHERE opportunity_id = :o1 RETURNING stage, probability;

-- proposal comes with a quotation, won with its confirmation
SELECT pg_temp.try(format('UPDATE ordermgmt.opportunities SET stage = %L WHERE opportunity_id = %s', 'proposal', :o1));
SELECT pg_temp.try(format('UPDATE ordermgmt.opportunities SET stage = %L WHERE opportunity_id = %s', 'won', :o1));
SELECT pg_temp.try(format('UPDATE ordermgmt.opportunities SET stage = %L WHERE opportunity_id = %s', 'closing', :o1));
SELECT pg_temp.try(format('UPDATE ordermgmt.opportunities SET stage = NULL WHERE opportunity_id = %s', :o1));
-- the linked order and the stamps are the extension's
SELECT pg_temp.try(format('UPDATE ordermgmt.opportunities SET order_id = 1 WHERE opportunity_id = %s', :o1));
SELECT pg_temp.try(format('UPDATE ordermgmt.opportunities SET closed_at = now() WHERE opportunity_id = %s', :o1));
SELECT pg_temp.try(format('UPDATE ordermgmt.opportunities SET stage_changed_at = now() WHERE opportunity_id = %s', :o1));
SELECT pg_temp.try(format('UPDATE ordermgmt.opportunities SET opportunity_id = 99 WHERE opportunity_id = %s', :o1));

-- lost by hand while nothing is quoted; lost is final
UPDATE ordermgmt.opportunities SET stage = 'lost' WHERE opportunity_id = :o3
RETURNING stage, probability, closed_at IS NOT NULL AS closed;
SELECT pg_temp.try(format('UPDATE ordermgmt.opportunities SET stage = %L WHERE opportunity_id = %s', 'lead', :o3));
SELECT pg_temp.try(format('UPDATE ordermgmt.opportunities SET expected_value = 1 WHERE opportunity_id = %s', :o3));
SELECT pg_temp.try(format('UPDATE ordermgmt.opportunities SET probability = 0.5 WHERE opportunity_id = %s', :o3));
-- its title and expected close may still be corrected
SELECT pg_temp.try(format('UPDATE ordermgmt.opportunities SET title = %L WHERE opportunity_id = %s', 'Spare parts (lost on price)', :o3));
SELECT title, stage, probability FROM ordermgmt.opportunities WHERE opportunity_id = :o3;

--------------------------------------------------------------------------
-- quote_opportunity
--------------------------------------------------------------------------
SELECT count(*) AS orders_before FROM ordermgmt.orders \gset
SELECT count(*) AS events_before FROM ordermgmt.events \gset
-- Bad input: unknown opportunity, NULLs, bad JSON, options it does not take
SELECT pg_temp.try($$SELECT ordermgmt.quote_opportunity(999999, '[{"sku": "WID", "qty": 1}]')$$);
SELECT pg_temp.try($$SELECT ordermgmt.quote_opportunity(NULL, '[{"sku": "WID", "qty": 1}]')$$);
SELECT pg_temp.try(format('SELECT ordermgmt.quote_opportunity(%s, NULL)', :o1));
SELECT pg_temp.try(format('SELECT ordermgmt.quote_opportunity(%s, %L)', :o1, '{"sku": "WID"}'));
SELECT pg_temp.try(format('SELECT ordermgmt.quote_opportunity(%s, %L)', :o1, '[]'));
SELECT pg_temp.try(format('SELECT ordermgmt.quote_opportunity(%s, %L)', :o1, '[{"sku": "WID", "qty": 0}]'));
SELECT pg_temp.try(format('SELECT ordermgmt.quote_opportunity(%s, %L)', :o1, '[{"sku": "NOPE", "qty": 1}]'));
SELECT pg_temp.try(format('SELECT ordermgmt.quote_opportunity(%s, %L)', :o1, '[{"sku": "WID", "qty": 1'));
SELECT pg_temp.try(format('SELECT ordermgmt.quote_opportunity(%s, %L, %L)', :o1, '[{"sku": "WID", "qty": 1}]',
                          '{"submit": true}'));
SELECT pg_temp.try(format('SELECT ordermgmt.quote_opportunity(%s, %L, %L)', :o1, '[{"sku": "WID", "qty": 1}]',
                          '{"currency": "USD"}'));
SELECT pg_temp.try(format('SELECT ordermgmt.quote_opportunity(%s, %L, %L)', :o1, '[{"sku": "WID", "qty": 1}]',
                          '["warehouse"]'));
SELECT pg_temp.try(format('SELECT ordermgmt.quote_opportunity(%s, %L, %L)', :o1, '[{"sku": "WID", "qty": 1}]',
                          '{"warehouse": "NOWHERE"}'));
-- a lost opportunity is not quoted
SELECT pg_temp.try(format('SELECT ordermgmt.quote_opportunity(%s, %L)', :o3, '[{"sku": "WID", "qty": 1}]'));
SELECT count(*) = :orders_before AS no_order, (SELECT count(*) FROM ordermgmt.events) = :events_before AS no_event,
       (SELECT stage FROM ordermgmt.opportunities WHERE opportunity_id = :o1) AS stage
  FROM ordermgmt.orders;

-- A draft for the opportunity's customer, linked both ways; the
-- opportunity moves to proposal with its probability (0.6)
SELECT ordermgmt.quote_opportunity(:o1, '[{"sku": "WID", "qty": 50}, {"sku": "GAD", "qty": 20, "unit_price": 24}]',
                                   '{"promised_at": "2027-01-15T00:00:00Z"}') AS q1 \gset
SELECT o.status, c.code AS customer, o.currency, o.opportunity_id = :o1 AS linked,
       o.promised_at AT TIME ZONE 'UTC' AS promised_utc
  FROM ordermgmt.orders o JOIN ordermgmt.customers c USING (customer_id) WHERE o.order_id = :q1;
SELECT line_no, qty, unit_price FROM ordermgmt.order_lines WHERE order_id = :q1 ORDER BY line_no;
SELECT stage, probability, order_id = :q1 AS linked FROM ordermgmt.opportunities WHERE opportunity_id = :o1;

-- One quotation at a time: while it is open, a second is refused, and the
-- opportunity neither goes back nor is lost or won by hand
SELECT pg_temp.try(format('SELECT ordermgmt.quote_opportunity(%s, %L)', :o1, '[{"sku": "WID", "qty": 1}]'))
       ~ 'OM001: opportunity \d+ already has an open quotation, order \d+ \(draft\)' AS second_quote_refused;
SELECT regexp_replace(pg_temp.try(format('UPDATE ordermgmt.opportunities SET stage = %L WHERE opportunity_id = %s', s, :o1)),
                      '\d+', 'N', 'g') AS by_hand
  FROM unnest(ARRAY['qualified', 'lead', 'lost', 'won']) AS s;
SELECT pg_temp.try(format('UPDATE ordermgmt.opportunities SET order_id = NULL WHERE opportunity_id = %s', :o1))
       ~ 'OM001: opportunity \d+ keeps its quotation' AS unlink_refused;
SELECT pg_temp.try(format('UPDATE ordermgmt.opportunities SET customer_id = %s WHERE opportunity_id = %s', :beta, :o1))
       ~ 'OM001: opportunity \d+ has a quotation: its customer and currency are fixed' AS customer_fixed;
-- the order's link is the extension's too
SELECT pg_temp.try(format('UPDATE ordermgmt.orders SET opportunity_id = NULL WHERE order_id = %s', :q1));
SELECT pg_temp.try($$INSERT INTO ordermgmt.orders (customer_id, warehouse_id, opportunity_id) VALUES (1, 1, 1)$$);
-- the draft's lines are edited as any draft's
UPDATE ordermgmt.order_lines SET qty = 60 WHERE order_id = :q1 AND line_no = 1;

-- Won by the order's fate: submitted and confirmed
SELECT ordermgmt.submit_order(:q1);
SELECT stage, probability, closed_at IS NOT NULL AS closed, closed_at = stage_changed_at AS closed_as_changed
  FROM ordermgmt.opportunities WHERE opportunity_id = :o1;
-- won is final, and never quoted again
SELECT pg_temp.try(format('SELECT ordermgmt.quote_opportunity(%s, %L)', :o1, '[{"sku": "WID", "qty": 1}]'));
SELECT pg_temp.try(format('UPDATE ordermgmt.opportunities SET stage = %L WHERE opportunity_id = %s', 'lost', :o1));
-- a later cancellation of the order leaves it won
SELECT ordermgmt.cancel_order(:q1, 'customer changed plans');
SELECT stage FROM ordermgmt.opportunities WHERE opportunity_id = :o1;

-- Lost by the order's fate: the quotation is cancelled
SELECT ordermgmt.quote_opportunity(:o2, '[{"sku": "GAD", "qty": 80}]') AS q2 \gset
SELECT ordermgmt.cancel_order(:q2, 'too expensive');
SELECT stage, probability, closed_at IS NOT NULL AS closed FROM ordermgmt.opportunities WHERE opportunity_id = :o2;

-- A plain UPDATE of the order's status decides as well: on hold and back
-- changes nothing, the confirmation (here after a hold) wins
INSERT INTO ordermgmt.opportunities (customer_id, title, expected_value) VALUES (:beta, 'Widgets', 300)
RETURNING opportunity_id AS o4 \gset
SELECT ordermgmt.quote_opportunity(:o4, '[{"sku": "WID", "qty": 30}]') AS q4 \gset
INSERT INTO ordermgmt.settings (key, value) VALUES ('auto_confirm', 'false');
SELECT ordermgmt.submit_order(:q4);
UPDATE ordermgmt.orders SET status = 'on_hold', hold_reason = 'checking terms' WHERE order_id = :q4;
SELECT stage FROM ordermgmt.opportunities WHERE opportunity_id = :o4;
SELECT ordermgmt.confirm_order(:q4);
SELECT stage FROM ordermgmt.opportunities WHERE opportunity_id = :o4;
DELETE FROM ordermgmt.settings WHERE key = 'auto_confirm';

-- A deleted draft unlinks itself: the opportunity may be quoted again
INSERT INTO ordermgmt.opportunities (customer_id, title, expected_value, currency) VALUES (:beta, 'Gadgets US', 400, 'USD')
RETURNING opportunity_id AS o5 \gset
SELECT ordermgmt.quote_opportunity(:o5, '[{"sku": "GAD", "qty": 5}]') AS q5 \gset
SELECT currency FROM ordermgmt.orders WHERE order_id = :q5;
DELETE FROM ordermgmt.orders WHERE order_id = :q5;
SELECT stage, order_id FROM ordermgmt.opportunities WHERE opportunity_id = :o5;
SELECT ordermgmt.quote_opportunity(:o5, '[{"sku": "GAD", "qty": 6}]') AS q5b \gset
SELECT stage, order_id = :q5b AS relinked FROM ordermgmt.opportunities WHERE opportunity_id = :o5;

-- Every stage change emitted an event, in order, with its quotation
SELECT e.kind, e.order_id, e.payload->>'opportunity_id' = o.opportunity_id::text AS ok,
       e.payload->>'from' AS "from", coalesce(e.payload->>'to', e.payload->>'stage') AS "to",
       (e.payload ? 'quotation') AS has_quotation
  FROM ordermgmt.events e
  JOIN ordermgmt.opportunities o ON o.opportunity_id = (e.payload->>'opportunity_id')::bigint
 WHERE e.kind LIKE 'opportunity.%'
 ORDER BY e.event_id;

--------------------------------------------------------------------------
-- v_sales_pipeline: every stage, per currency; weighted = value * probability
--------------------------------------------------------------------------
INSERT INTO ordermgmt.opportunities (customer_id, title, expected_value, probability)
VALUES (:acme, 'Maybe', 1234.56, 0.15), (:acme, 'Perhaps', 100, NULL);
SELECT stage, opportunities, expected_value, weighted_value, currency, is_open
  FROM ordermgmt.v_sales_pipeline ORDER BY position, currency;

-- The self-audit knows nothing wrong with any of this
SELECT check_name, detail FROM ordermgmt.verify() WHERE NOT ok;

--------------------------------------------------------------------------
-- v_recommendations and v_reorder_due on a hand-made history
--------------------------------------------------------------------------
-- Orders loaded as history (the replica role: no triggers), each with a
-- known entry time: whole UTC days ago.
SET timezone = 'UTC';
DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
INSERT INTO ordermgmt.warehouses (warehouse_id, code, name) VALUES (1, 'MAIN', 'Main');
INSERT INTO ordermgmt.customers (customer_id, code, name)
VALUES (1, 'ACME', 'Acme'), (2, 'BETA', 'Beta'), (3, 'GAMMA', 'Gamma'), (4, 'DELTA', 'Delta'),
       (5, 'EPS', 'Eps'), (6, 'NEW', 'New');
INSERT INTO ordermgmt.products (product_id, sku, name, list_price, active)
VALUES (1, 'A', 'a', 1, true), (2, 'B', 'b', 1, true), (3, 'C', 'c', 1, true), (4, 'D', 'd', 1, true),
       (5, 'E', 'e', 1, true), (6, 'F', 'f', 1, false), (7, 'X', 'x', 1, true), (8, 'G', 'g', 1, true);
SET session_replication_role = replica;
CREATE TEMP TABLE h (order_id int, customer_id int, status text, days_ago int, products int[]);
INSERT INTO h VALUES
    -- ACME buys A and B (and G twice)
    (1, 1, 'completed', 100, '{1}'), (2, 1, 'completed', 70, '{1,2,8}'), (3, 1, 'completed', 40, '{1}'),
    (4, 1, 'completed', 30, '{2}'), (5, 1, 'completed', 20, '{2,8}'), (6, 1, 'shipped', 2, '{2}'),
    (7, 1, 'cancelled', 5, '{1}'), (8, 1, 'draft', 1, '{1,7}'),
    -- the others
    (10, 2, 'completed', 50, '{1,3}'), (11, 2, 'completed', 45, '{1,4,6}'),
    (12, 3, 'completed', 50, '{1,3}'), (13, 3, 'delivered', 44, '{2,3}'),
    (14, 4, 'completed', 50, '{2,4}'), (15, 4, 'confirmed', 3, '{2,5}'),
    (16, 5, 'cancelled', 10, '{1,7}'), (17, 5, 'draft', 1, '{1,7}');
INSERT INTO ordermgmt.orders (order_id, customer_id, warehouse_id, status, created_at)
SELECT order_id, customer_id, 1, status::ordermgmt.order_status, date_trunc('day', now()) - days_ago * interval '1 day'
  FROM h;
INSERT INTO ordermgmt.order_lines (order_id, line_no, product_id, qty, unit_price)
SELECT h.order_id, p.n, p.product_id, 1, 1 FROM h, unnest(h.products) WITH ORDINALITY AS p(product_id, n);
RESET session_replication_role;

-- ACME: C was bought with A by BETA and GAMMA and with B by GAMMA (3);
-- D with A by BETA and with B by DELTA (2, tie broken by the seed: A);
-- E with B by DELTA (1).  Not offered: what ACME bought (A, B, G), F
-- (inactive), X (only in cancelled orders and drafts).
SELECT customer, sku, score, reason, rank FROM ordermgmt.v_recommendations WHERE customer = 'ACME' ORDER BY rank;
-- BETA bought A, C, D (F is inactive but bought: a seed all the same)
SELECT customer, sku, score, reason, rank FROM ordermgmt.v_recommendations WHERE customer = 'BETA' ORDER BY rank;
-- a customer without orders gets nothing
SELECT count(*) AS new_customer FROM ordermgmt.v_recommendations WHERE customer = 'NEW';

-- ACME ordered A three times (100, 70, 40 days ago: every 30 days, due 10
-- days ago; the cancelled order and the draft do not count), B four times
-- (30, 20, 70 and 2 days ago: every 22.7 days, due in 20.7 days: not
-- shown), G twice (too few).
SELECT customer, sku, usual_interval_days, last_ordered_at = date_trunc('day', now()) - interval '40 days' AS last_40_days_ago,
       due_at - last_ordered_at AS interval, due_at = date_trunc('day', now()) - interval '10 days' AS due_10_days_ago,
       orders, overdue_days BETWEEN 10 AND 11 AS overdue_10_days
  FROM ordermgmt.v_reorder_due ORDER BY customer, sku;

RESET timezone;
DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
