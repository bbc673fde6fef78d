-- Price lists: quantity breaks and validity, price_for, lines without
-- unit_price priced from the customer's list, L1_PRICE_DEVIATION against
-- that price, prices frozen at entry, the currency of the list, and the
-- bad input the tables and functions refuse without writing anything.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.products (sku, name, list_price, tax_rate) VALUES
  ('WID', 'Widget', 100, 0.2),
  ('GAD', 'Gadget', 50, 0),
  ('BOLT', 'Bolt', 2, 0);
SELECT count(ordermgmt.receive_stock(sku, 'MAIN', 10000)) AS stocked FROM ordermgmt.products;

-- DEAL: in force since a month, for ever.  Widgets break at 10 and 100;
-- gadgets cost 45 from 5 pieces for ten more days, 40 after that.
-- OLD: expired yesterday.  DOLLAR: in USD.
INSERT INTO ordermgmt.price_lists (code, currency, valid_from, valid_to) VALUES
  ('DEAL', 'EUR', now() - interval '30 days', NULL),
  ('OLD', 'USD', NULL, now() - interval '1 day'),
  ('DOLLAR', 'USD', NULL, NULL);
-- item(list, sku, min_qty, unit_price, valid_from, valid_to)
CREATE FUNCTION pg_temp.item(text, text, numeric, numeric,
                             timestamptz DEFAULT NULL, timestamptz DEFAULT NULL)
RETURNS text LANGUAGE sql AS $$
INSERT INTO ordermgmt.price_list_items (price_list_id, product_id, min_qty, unit_price, valid_from, valid_to)
SELECT l.price_list_id, p.product_id, $3, $4, $5, $6
  FROM ordermgmt.price_lists l, ordermgmt.products p WHERE l.code = $1 AND p.sku = $2
RETURNING 'ok' $$;
SELECT pg_temp.item('DEAL', 'WID', 1, 90), pg_temp.item('DEAL', 'WID', 10, 80),
       pg_temp.item('DEAL', 'WID', 100, 70),
       pg_temp.item('DEAL', 'GAD', 5, 45, NULL, now() + interval '10 days'),
       pg_temp.item('DEAL', 'GAD', 5, 40, now() + interval '10 days', NULL),
       pg_temp.item('OLD', 'WID', 1, 10), pg_temp.item('DOLLAR', 'WID', 1, 110);
INSERT INTO ordermgmt.customers (code, name, price_list_id) VALUES
  ('PLAIN', 'No list', NULL),
  ('DEAL', 'Contract customer', (SELECT price_list_id FROM ordermgmt.price_lists WHERE code = 'DEAL')),
  ('LAPSED', 'Expired list', (SELECT price_list_id FROM ordermgmt.price_lists WHERE code = 'OLD')),
  ('YANKEE', 'Dollar customer', (SELECT price_list_id FROM ordermgmt.price_lists WHERE code = 'DOLLAR'));

-- price_for: the best break for the quantity, list_price below the first
-- break, without a list, outside the list's or the item's validity.
SELECT c AS customer, s AS sku, q AS qty, ordermgmt.price_for(c, s, q) AS price
  FROM (VALUES ('PLAIN', 'WID', 1), ('DEAL', 'WID', 1), ('DEAL', 'WID', 9.9999), ('DEAL', 'WID', 10),
               ('DEAL', 'WID', 99), ('DEAL', 'WID', 100), ('DEAL', 'WID', 5000), ('DEAL', 'GAD', 4),
               ('DEAL', 'GAD', 5), ('DEAL', 'BOLT', 1000), ('LAPSED', 'WID', 1), ('YANKEE', 'WID', 1))
       AS t(c, s, q);
SELECT ordermgmt.price_for('DEAL', 'GAD', 5, now() + interval '20 days') AS gadget_in_20_days,
       ordermgmt.price_for('DEAL', 'WID', 10, now() - interval '60 days') AS widget_before_the_list,
       ordermgmt.price_for('LAPSED', 'WID', 1, now() - interval '2 days') AS while_old_was_in_force;
-- bad input
SELECT pg_temp.try($$SELECT ordermgmt.price_for('NOBODY', 'WID', 1)$$) AS unknown_customer;
SELECT pg_temp.try($$SELECT ordermgmt.price_for('DEAL', 'NOTHING', 1)$$) AS unknown_sku;
SELECT pg_temp.try($$SELECT ordermgmt.price_for('DEAL', 'WID', 0)$$) AS zero_qty;
SELECT pg_temp.try($$SELECT ordermgmt.price_for('DEAL', 'WID', -3)$$) AS negative_qty;
SELECT pg_temp.try($$SELECT ordermgmt.price_for('DEAL', 'WID', NULL)$$) AS null_qty;
SELECT pg_temp.try($$SELECT ordermgmt.price_for('DEAL', 'WID', 'NaN')$$) AS nan_qty;
SELECT pg_temp.try($$SELECT ordermgmt.price_for(NULL, 'WID', 1)$$) AS null_customer;
SELECT pg_temp.try($$SELECT ordermgmt.price_for('DEAL', 'WID', 1, NULL)$$) AS null_at;

-- Lines without unit_price take the list's price for their quantity, and
-- record it as the price they are checked against.
SELECT ordermgmt.create_order('DEAL', '[{"sku": "WID", "qty": 10}, {"sku": "GAD", "qty": 5},
                                        {"sku": "BOLT", "qty": 3}, {"sku": "WID", "qty": 150}]') AS o_deal \gset
SELECT status, currency, ordered_net FROM ordermgmt.orders WHERE order_id = :o_deal;
SELECT line_no, qty, unit_price, expected_price FROM ordermgmt.order_lines WHERE order_id = :o_deal ORDER BY line_no;
SELECT ordermgmt.create_order('PLAIN', '[{"sku": "WID", "qty": 150}]') AS o_plain \gset
SELECT l.unit_price, l.expected_price, o.status FROM ordermgmt.order_lines l JOIN ordermgmt.orders o USING (order_id)
 WHERE order_id = :o_plain;
-- An expired list prices nothing, and binds no currency.
SELECT ordermgmt.create_order('LAPSED', '[{"sku": "WID", "qty": 1}]') AS o_lapsed \gset
SELECT o.currency, l.unit_price, l.expected_price FROM ordermgmt.order_lines l JOIN ordermgmt.orders o USING (order_id)
 WHERE order_id = :o_lapsed;

-- L1_PRICE_DEVIATION compares with the list's price (10 % of 80 at 10
-- widgets), not with list_price: 72 passes, 71 is held, and so is 100,
-- the product's list_price, at 100 widgets (the list says 70).
SELECT ordermgmt.create_order('DEAL', '[{"sku": "WID", "qty": 10, "unit_price": 72}]') AS o_72 \gset
SELECT ordermgmt.create_order('DEAL', '[{"sku": "WID", "qty": 10, "unit_price": 71}]') AS o_71 \gset
SELECT ordermgmt.create_order('DEAL', '[{"sku": "WID", "qty": 100, "unit_price": 100}]') AS o_100 \gset
SELECT order_id = :o_72 AS at_72, status FROM ordermgmt.orders WHERE order_id IN (:o_72, :o_71, :o_100)
 ORDER BY order_id;
SELECT order_id = :o_71 AS at_71, rule_code, details FROM ordermgmt.alerts WHERE order_id IN (:o_71, :o_100)
 ORDER BY alert_id;

-- An order's discount: lines without unit_price take their price less the
-- discount and record the undiscounted one, so the price check sees it:
-- 5 % off 80 passes the 10 % tolerance, 12.5 % does not.
SELECT ordermgmt.create_order('DEAL', '[{"sku": "WID", "qty": 10}, {"sku": "GAD", "qty": 1, "unit_price": 50}]',
                              '{"discount_pct": 5}') AS o_d5 \gset
SELECT ordermgmt.create_order('DEAL', '[{"sku": "WID", "qty": 10}]', '{"discount_pct": 12.5}') AS o_d12 \gset
SELECT order_id = :o_d5 AS five_pct, line_no, l.unit_price, l.expected_price, o.status
  FROM ordermgmt.order_lines l JOIN ordermgmt.orders o USING (order_id)
 WHERE order_id IN (:o_d5, :o_d12) ORDER BY order_id, line_no;
SELECT count(*) AS orders_before FROM ordermgmt.orders \gset
SELECT pg_temp.try($$SELECT ordermgmt.create_order('DEAL', '[{"sku": "WID", "qty": 1}]', '{"discount_pct": 100}')$$)
       AS discount_100;
SELECT pg_temp.try($$SELECT ordermgmt.create_order('DEAL', '[{"sku": "WID", "qty": 1}]', '{"discount_pct": -1}')$$)
       AS discount_negative;
SELECT pg_temp.try($$SELECT ordermgmt.create_order('DEAL', '[{"sku": "WID", "qty": 1}]', '{"discount_pct": "5"}')$$)
       AS discount_text;
SELECT pg_temp.try($$SELECT ordermgmt.create_order('DEAL', '[{"sku": "WID", "qty": 1}]', '{"discount_pct": 0.00001}')$$)
       AS discount_too_fine;
SELECT count(*) - :orders_before AS orders_written FROM ordermgmt.orders;

-- Frozen at entry: a pending order, a draft and a held order keep their
-- prices and their checks when the list and list_price change later.
-- held: 66 is 17.5 % off 80 (it would pass against a new price of 60)
SELECT ordermgmt.create_order('DEAL', '[{"sku": "WID", "qty": 10, "unit_price": 66}]') AS o_66 \gset
INSERT INTO ordermgmt.settings (key, value) VALUES ('auto_confirm', 'false');
SELECT ordermgmt.create_order('DEAL', '[{"sku": "WID", "qty": 10}]') AS o_pending \gset
SELECT ordermgmt.create_order('DEAL', '[{"sku": "WID", "qty": 10, "unit_price": 80}]',
                              '{"submit": false}') AS o_draft \gset
DELETE FROM ordermgmt.settings WHERE key = 'auto_confirm';
UPDATE ordermgmt.price_list_items SET unit_price = 60
 WHERE min_qty = 10 AND price_list_id = (SELECT price_list_id FROM ordermgmt.price_lists WHERE code = 'DEAL');
UPDATE ordermgmt.products SET list_price = 200 WHERE sku = 'WID';
SELECT ordermgmt.price_for('DEAL', 'WID', 10) AS widget_price_now;
SELECT ordermgmt.confirm_order(:o_pending) AS pending_confirms;
SELECT ordermgmt.submit_order(:o_draft) AS draft_submits;
SELECT order_id = :o_pending AS pending, l.unit_price, l.expected_price, o.status
  FROM ordermgmt.order_lines l JOIN ordermgmt.orders o USING (order_id)
 WHERE order_id IN (:o_pending, :o_draft) ORDER BY order_id;
-- the order held at 66 is still held against its 80
SELECT ordermgmt.confirm_order(:o_66) AS held_again;
-- a new order takes the new price
SELECT ordermgmt.create_order('DEAL', '[{"sku": "WID", "qty": 10}]') AS o_new \gset
SELECT unit_price, expected_price FROM ordermgmt.order_lines WHERE order_id = :o_new;

-- A line written into a draft by hand has no expected price until the
-- draft is submitted; one the client changes loses it and is priced
-- again as the draft leaves draft (60 at 10 widgets, 70 at 100).
SELECT ordermgmt.create_order('DEAL', '[{"sku": "WID", "qty": 10}]', '{"submit": false}') AS o_hand \gset
INSERT INTO ordermgmt.order_lines (order_id, line_no, product_id, qty, unit_price)
SELECT :o_hand, 2, product_id, 100, 70 FROM ordermgmt.products WHERE sku = 'WID';
SELECT pg_temp.try(format($$INSERT INTO ordermgmt.order_lines (order_id, line_no, product_id, qty, unit_price, expected_price)
                            SELECT %s, 3, product_id, 1, 1, 1 FROM ordermgmt.products WHERE sku = 'WID'$$, :o_hand))
       AS expected_price_given;
SELECT line_no, unit_price, expected_price FROM ordermgmt.order_lines WHERE order_id = :o_hand ORDER BY line_no;
UPDATE ordermgmt.order_lines SET qty = 100, unit_price = 70 WHERE order_id = :o_hand AND line_no = 1;
UPDATE ordermgmt.order_lines SET qty = 100, expected_price = 1 WHERE order_id = :o_hand AND line_no = 2;
SELECT line_no, qty, unit_price, expected_price FROM ordermgmt.order_lines WHERE order_id = :o_hand ORDER BY line_no;
SELECT ordermgmt.submit_order(:o_hand) AS hand_submits;
SELECT line_no, unit_price, expected_price FROM ordermgmt.order_lines WHERE order_id = :o_hand ORDER BY line_no;
SELECT pg_temp.try(format('UPDATE ordermgmt.order_lines SET expected_price = 5 WHERE order_id = %s', :o_hand))
       AS after_submission;

-- The list's currency: an order of YANKEE is in USD; asking for EUR is
-- refused, nothing written.
SELECT ordermgmt.create_order('YANKEE', '[{"sku": "WID", "qty": 2}]') AS o_usd \gset
SELECT o.currency, l.unit_price, l.expected_price FROM ordermgmt.order_lines l JOIN ordermgmt.orders o USING (order_id)
 WHERE order_id = :o_usd;
SELECT count(*) AS orders_before FROM ordermgmt.orders \gset
SELECT pg_temp.try($$SELECT ordermgmt.create_order('YANKEE', '[{"sku": "WID", "qty": 2}]', '{"currency": "EUR"}')$$)
       AS other_currency;
SELECT pg_temp.try($$SELECT ordermgmt.create_order('YANKEE', '[{"sku": "WID", "qty": 2, "unit_price": 110}]',
                                                   '{"currency": "EUR"}')$$) AS other_currency_priced;
SELECT ordermgmt.create_order('YANKEE', '[{"sku": "WID", "qty": 1}]', '{"currency": "USD"}') > 0 AS same_currency;
SELECT count(*) - :orders_before AS orders_written FROM ordermgmt.orders;

-- Bad lists and items: refused by the constraints, nothing written.
SELECT count(*) AS items_before FROM ordermgmt.price_list_items \gset
SELECT pg_temp.try($$SELECT pg_temp.item('DEAL', 'BOLT', 0, 1)$$) AS zero_break;
SELECT pg_temp.try($$SELECT pg_temp.item('DEAL', 'BOLT', -5, 1)$$) AS negative_break;
SELECT pg_temp.try($$SELECT pg_temp.item('DEAL', 'BOLT', 5, -1)$$) AS negative_price;
SELECT pg_temp.try($$SELECT pg_temp.item('DEAL', 'BOLT', 5, 1, '2030-01-01', '2030-01-01')$$) AS empty_validity;
-- the same list, product and break in force twice
SELECT pg_temp.try($$SELECT pg_temp.item('DEAL', 'WID', 10, 75)$$) AS same_break;
SELECT pg_temp.try($$SELECT pg_temp.item('DEAL', 'GAD', 5, 42, now(), now() + interval '1 year')$$) AS overlapping;
SELECT pg_temp.try($$SELECT pg_temp.item('DEAL', 'GAD', 5, 42, NULL, now() - interval '1 year')$$)
       AS before_an_open_start;
SELECT pg_temp.try($$UPDATE ordermgmt.price_list_items SET valid_to = NULL WHERE unit_price = 45$$)
       AS stretched_into_the_next;
SELECT count(*) - :items_before AS items_written FROM ordermgmt.price_list_items;
-- not overlapping: another break, another list, adjacent validity
SELECT pg_temp.item('DEAL', 'WID', 50, 75) AS other_break, pg_temp.item('DOLLAR', 'WID', 10, 100) AS other_list,
       pg_temp.item('DEAL', 'GAD', 1, 49, '2020-01-01', '2021-01-01') AS closed_range,
       pg_temp.item('DEAL', 'GAD', 1, 48, '2021-01-01', NULL) AS adjacent;
SELECT ordermgmt.price_for('DEAL', 'WID', 60) AS at_60, ordermgmt.price_for('DEAL', 'GAD', 1) AS gadget_from_one,
       ordermgmt.price_for('DEAL', 'GAD', 1, '2020-06-01') AS gadget_in_2020;
SELECT pg_temp.try($$INSERT INTO ordermgmt.price_lists (code, currency) VALUES ('LOWER', 'usd')$$) AS lower_case;
SELECT pg_temp.try($$INSERT INTO ordermgmt.price_lists (code, currency, valid_from, valid_to)
                     VALUES ('BACKWARDS', 'EUR', '2030-01-01', '2029-01-01')$$) AS backwards;
SELECT pg_temp.try($$INSERT INTO ordermgmt.price_lists (code, currency) VALUES ('DEAL', 'EUR')$$) AS same_code;
SELECT pg_temp.try($$DELETE FROM ordermgmt.price_lists WHERE code = 'DEAL'$$) AS list_in_use;
SELECT count(*) AS lists FROM ordermgmt.price_lists;

DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
