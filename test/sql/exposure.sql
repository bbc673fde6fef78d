-- Each customer's credit exposure, kept per currency in customer_exposure:
-- after every step (confirm, hold by API and by plain UPDATE, confirm
-- again, cancel, a product's tax change, partial shipping, invoicing,
-- partial payment, returns with and without a credit note, completion)
-- the kept row equals its recomputation from the facts, and the credit
-- check reads it per currency.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;
-- approve_order's approver is the session user: a login of the approvers
DROP ROLE IF EXISTS om_test_approver;
CREATE ROLE om_test_approver LOGIN IN ROLE ordermgmt_approver;

-- The kept rows beside their recomputation (verify(): summaries.customer_exposure):
-- "equal" compares the unrounded values; the amounts are shown rounded.
CREATE VIEW pg_temp.exposure AS
WITH r AS (
  SELECT customer_id, currency, sum(open_orders) AS open_orders, sum(receivables) AS receivables
    FROM (SELECT o.customer_id, o.currency,
                 ((l.qty - l.returned_qty) - (l.invoiced_qty - l.credited_qty))
                   * l.unit_price * (1 + l.tax_rate) AS open_orders,
                 0 AS receivables
            FROM ordermgmt.orders o JOIN ordermgmt.order_lines l USING (order_id)
           WHERE o.status IN ('confirmed', 'processing', 'partially_shipped', 'shipped', 'delivered')
          UNION ALL
          SELECT customer_id, currency, 0, due FROM ordermgmt.invoices) f
   GROUP BY customer_id, currency)
SELECT c.code AS customer, currency, round(e.open_orders, 4) AS open_orders,
       e.receivables::numeric(18,2) AS receivables, round(e.open_orders + e.receivables, 2) AS exposure,
       coalesce(e.open_orders, 0) = coalesce(r.open_orders, 0)
         AND coalesce(e.receivables, 0) = coalesce(r.receivables, 0) AS equal
  FROM ordermgmt.customer_exposure e
  FULL JOIN r USING (customer_id, currency)
  JOIN ordermgmt.customers c USING (customer_id)
 ORDER BY 1, 2;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name, credit_limit) VALUES
  ('CUST', 'Credit-limited customer', 500),
  ('FREE', 'Customer without a limit', NULL);
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate) VALUES
  ('A', 'Alpha', 10, 4, 0.2),
  ('B', 'Beta', 25, 10, 0.1),
  ('T', 'Odd price', 7.33, 3, 0.19);
SELECT ordermgmt.receive_stock('A', 'MAIN', 200) > 0, ordermgmt.receive_stock('B', 'MAIN', 50) > 0,
       ordermgmt.receive_stock('T', 'MAIN', 50) > 0;

--------------------------------------------------------------------------
-- Confirmation adds the order's gross value: 20 x 10 x 1.2 + 2 x 25 x 1.1
-- = 240 + 55 = 295 (the limit is 500, so it fits once, never twice)
--------------------------------------------------------------------------
SELECT ordermgmt.create_order('CUST', '[{"sku": "A", "qty": 20}, {"sku": "B", "qty": 2}]') AS o1 \gset
SELECT status FROM ordermgmt.orders WHERE order_id = :o1;
SELECT line_no, tax_rate FROM ordermgmt.order_lines WHERE order_id = :o1 ORDER BY line_no;
SELECT * FROM pg_temp.exposure;
-- a customer without a limit is kept all the same (3 x 7.33 x 1.19, unrounded)
SELECT ordermgmt.create_order('FREE', '[{"sku": "T", "qty": 3}]') AS f1 \gset
SELECT * FROM pg_temp.exposure;

-- A's tax rate rises to 25% after confirmation: the order keeps the rate
-- its lines recorded, so neither its value nor the exposure moves
UPDATE ordermgmt.products SET tax_rate = 0.25 WHERE sku = 'A';
SELECT line_no, tax_rate FROM ordermgmt.order_lines WHERE order_id = :o1 ORDER BY line_no;
SELECT * FROM pg_temp.exposure;

--------------------------------------------------------------------------
-- Hold takes the order out, confirming again puts it back, counted once:
-- 0 + 295 fits the limit of 500 (counted twice, 590 would not)
--------------------------------------------------------------------------
SELECT ordermgmt.hold_order(:o1, 'checking the address');
SELECT * FROM pg_temp.exposure WHERE customer = 'CUST';
SELECT ordermgmt.confirm_order(:o1);
SELECT * FROM pg_temp.exposure WHERE customer = 'CUST';
-- the same by plain UPDATE: confirmed -> on_hold is a manual transition
UPDATE ordermgmt.orders SET status = 'on_hold', hold_reason = 'by hand' WHERE order_id = :o1;
SELECT * FROM pg_temp.exposure WHERE customer = 'CUST';
SELECT ordermgmt.confirm_order(:o1);
SELECT * FROM pg_temp.exposure WHERE customer = 'CUST';

--------------------------------------------------------------------------
-- The limit, per currency
--------------------------------------------------------------------------
-- o2: 10 A at the new 25% = 125; 295 + 125 = 420 fits
SELECT ordermgmt.create_order('CUST', '[{"sku": "A", "qty": 10}]') AS o2 \gset
SELECT status FROM ordermgmt.orders WHERE order_id = :o2;
-- o3: another 125 would make 545: held, nothing reserved, one alert
SELECT ordermgmt.create_order('CUST', '[{"sku": "A", "qty": 10}]') AS o3 \gset
SELECT status, hold_reason FROM ordermgmt.orders WHERE order_id = :o3;
SELECT details FROM ordermgmt.alerts WHERE order_id = :o3 AND rule_code = 'L1_CREDIT_LIMIT';
SELECT count(*) AS reserved_lines FROM ordermgmt.reservations WHERE order_id = :o3;
-- The limit is in the company currency (EUR); other currencies are
-- converted at the rate in force, never added as they stand.
-- o4 in USD at 0.9 EUR per USD: 30 A = 375 USD = 337.50 EUR, and
-- 420 + 337.50 = 757.50 is over 500: held
INSERT INTO ordermgmt.exchange_rates VALUES ('USD', '2000-01-01', 0.9);
SELECT ordermgmt.create_order('CUST', '[{"sku": "A", "qty": 30}]', '{"currency": "USD"}') AS o4 \gset
SELECT status FROM ordermgmt.orders WHERE order_id = :o4;
SELECT details FROM ordermgmt.alerts WHERE order_id = :o4 AND rule_code = 'L1_CREDIT_LIMIT';
-- o5 in USD: 12 A = 150 USD = 135 EUR; 420 + 135 = 555: held too
SELECT ordermgmt.create_order('CUST', '[{"sku": "A", "qty": 12}]', '{"currency": "USD"}') AS o5 \gset
SELECT status FROM ordermgmt.orders WHERE order_id = :o5;
SELECT details FROM ordermgmt.alerts WHERE order_id = :o5 AND rule_code = 'L1_CREDIT_LIMIT';
SELECT * FROM pg_temp.exposure;

-- cancelling o2 takes its 125 out; o3 then fits (295 + 125 = 420)
SELECT ordermgmt.cancel_order(:o2, 'customer changed their mind');
SELECT * FROM pg_temp.exposure WHERE customer = 'CUST';
SELECT ordermgmt.confirm_order(:o3);
SELECT status FROM ordermgmt.alerts WHERE order_id = :o3 AND rule_code = 'L1_CREDIT_LIMIT';
SELECT * FROM pg_temp.exposure WHERE customer = 'CUST';
-- an order confirmed again from an open status (a transition an admin
-- may add) is in the exposure already: 420 - 125 + 125 fits, and the
-- exposure does not move
INSERT INTO ordermgmt.order_transitions (from_status, to_status, manual, description)
VALUES ('processing', 'confirmed', false, 'back to confirmed for a re-check');
SELECT ordermgmt.start_processing(:o3);
SELECT ordermgmt.confirm_order(:o3);
SELECT * FROM pg_temp.exposure WHERE customer = 'CUST';
DELETE FROM ordermgmt.order_transitions WHERE from_status = 'processing' AND to_status = 'confirmed';
-- an approval overrides the limit: o5 counts in USD (150), kept in USD
SET SESSION AUTHORIZATION om_test_approver;
SELECT ordermgmt.approve_order(:o5, 'known customer');
RESET SESSION AUTHORIZATION;
SELECT * FROM pg_temp.exposure WHERE customer = 'CUST';

--------------------------------------------------------------------------
-- Shipping bills nothing: the exposure stays
--------------------------------------------------------------------------
SELECT ordermgmt.ship_order(:o1, '[{"sku": "A", "qty": 10}]') AS s1 \gset
SELECT status FROM ordermgmt.orders WHERE order_id = :o1;
SELECT * FROM pg_temp.exposure WHERE customer = 'CUST' AND currency = 'EUR';

--------------------------------------------------------------------------
-- Invoicing moves value from open orders to receivables: 10 A leave open
-- orders at the line's 20% (120), the invoice charges today's 25% (125)
--------------------------------------------------------------------------
SELECT ordermgmt.invoice_order(:o1) AS i1 \gset
SELECT net, tax, total, due FROM ordermgmt.invoices WHERE invoice_id = :i1;
SELECT * FROM pg_temp.exposure WHERE customer = 'CUST' AND currency = 'EUR';

-- a partial payment lowers the receivables by what was paid
SELECT ordermgmt.record_payment(:i1, 50, 'bank', 'PAY-1') > 0 AS paid;
SELECT * FROM pg_temp.exposure WHERE customer = 'CUST' AND currency = 'EUR';
-- a retry with the same reference changes nothing
SELECT ordermgmt.record_payment(:i1, 50, 'bank', 'PAY-1') > 0 AS paid_again;
SELECT * FROM pg_temp.exposure WHERE customer = 'CUST' AND currency = 'EUR';

--------------------------------------------------------------------------
-- Returns: 4 invoiced A come back with a credit note (40 + 25% = 50) that
-- lowers the invoice's due; they are credited, so nothing more is billed
-- for them (open orders unchanged).  Then 2 B, shipped but never invoiced,
-- come back: no credit, and they will never bill (open orders - 55)
--------------------------------------------------------------------------
SELECT ordermgmt.return_items(:o1, '[{"sku": "A", "qty": 4}]', 'damaged') AS r1 \gset
SELECT credit_net, credit_tax FROM ordermgmt.returns WHERE return_id = :r1;
SELECT due FROM ordermgmt.invoices WHERE invoice_id = :i1;
SELECT * FROM pg_temp.exposure WHERE customer = 'CUST' AND currency = 'EUR';
SELECT ordermgmt.ship_order(:o1) > 0 AS shipped_the_rest;
SELECT ordermgmt.return_items(:o1, '[{"sku": "B", "qty": 2}]', 'not needed') AS r2 \gset
SELECT credit_net, credit_tax FROM ordermgmt.returns WHERE return_id = :r2;
SELECT * FROM pg_temp.exposure WHERE customer = 'CUST' AND currency = 'EUR';

--------------------------------------------------------------------------
-- Completion: delivered, invoiced and paid, o1 leaves with nothing left to
-- bill; the EUR exposure is o3's alone again
--------------------------------------------------------------------------
SELECT ordermgmt.confirm_delivery(shipment_id) FROM ordermgmt.shipments WHERE order_id = :o1 ORDER BY shipment_id;
SELECT ordermgmt.invoice_order(:o1) AS i2 \gset
SELECT total FROM ordermgmt.invoices WHERE invoice_id = :i2;
SELECT * FROM pg_temp.exposure WHERE customer = 'CUST' AND currency = 'EUR';
SELECT count(ordermgmt.record_payment(invoice_id, due)) AS payments
  FROM ordermgmt.invoices WHERE order_id = :o1 AND due > 0;
SELECT status FROM ordermgmt.orders WHERE order_id = :o1;
SELECT * FROM pg_temp.exposure;

--------------------------------------------------------------------------
-- A draft's lines record no tax rate until the order leaves draft, by API
-- or by plain UPDATE
--------------------------------------------------------------------------
SELECT ordermgmt.create_order('FREE', '[{"sku": "B", "qty": 1}]', '{"submit": false}') AS d1 \gset
SELECT tax_rate FROM ordermgmt.order_lines WHERE order_id = :d1;
UPDATE ordermgmt.products SET tax_rate = 0.15 WHERE sku = 'B';
UPDATE ordermgmt.orders SET status = 'pending' WHERE order_id = :d1;
SELECT tax_rate FROM ordermgmt.order_lines WHERE order_id = :d1;
SELECT ordermgmt.confirm_order(:d1);
SELECT * FROM pg_temp.exposure WHERE customer = 'FREE';

--------------------------------------------------------------------------
-- Bad input: the recorded rate and the exposure are the extension's
--------------------------------------------------------------------------
SELECT ordermgmt.create_order('FREE', '[{"sku": "B", "qty": 1}]', '{"submit": false}') AS d2 \gset
SELECT pg_temp.try(format('INSERT INTO ordermgmt.order_lines (order_id, line_no, product_id, qty, unit_price, tax_rate)
                           SELECT %s, 2, product_id, 1, 25, 0 FROM ordermgmt.products WHERE sku = ''B''', :d2));
SELECT pg_temp.try(format('UPDATE ordermgmt.order_lines SET tax_rate = 0 WHERE order_id = %s', :d2));
SELECT pg_temp.try(format('UPDATE ordermgmt.order_lines SET tax_rate = 0 WHERE order_id = %s', :o3));
SET ROLE ordermgmt_app;
SELECT pg_temp.try('UPDATE ordermgmt.customer_exposure SET open_orders = 0');
SELECT pg_temp.try('DELETE FROM ordermgmt.customer_exposure');
SELECT count(*) > 0 AS app_reads_exposure FROM ordermgmt.customer_exposure;
RESET ROLE;
SELECT pg_temp.try('SELECT ordermgmt.confirm_order(NULL)');
SELECT * FROM pg_temp.exposure;

DROP EXTENSION ordermgmt CASCADE;
DROP ROLE om_test_approver;
CREATE EXTENSION ordermgmt;
