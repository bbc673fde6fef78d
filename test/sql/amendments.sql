-- Order amendments (amend_order) and short close (short_close): exact
-- amounts before and after (ordered_net, reserved stock, the customer's
-- exposure), the ledger untouched until goods ship, every revision in
-- order_amendments with its event, bad input refused with nothing
-- changed, the level-1 checks run again (a failed one holds the order as
-- confirmation does, a shortage refuses), and a short-closed order
-- completing on what it shipped.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;
DROP ROLE IF EXISTS om_test_approver;
CREATE ROLE om_test_approver LOGIN IN ROLE ordermgmt_approver;

-- An order as the tests read it: status, ordered_net, its lines with their
-- reservations.
CREATE VIEW pg_temp.lines AS
SELECT l.order_id, o.status, o.ordered_net, l.line_no, p.sku, l.qty, l.unit_price, l.shipped_qty,
       r.qty AS reserved
  FROM ordermgmt.order_lines l
  JOIN ordermgmt.orders o USING (order_id)
  JOIN ordermgmt.products p USING (product_id)
  LEFT JOIN ordermgmt.reservations r ON r.order_id = l.order_id AND r.line_no = l.line_no
 ORDER BY l.order_id, l.line_no;
CREATE VIEW pg_temp.stock AS
SELECT p.sku, s.on_hand, s.reserved,
       s.reserved = coalesce((SELECT sum(r.qty) FROM ordermgmt.reservations r
                               WHERE r.product_id = s.product_id AND r.warehouse_id = s.warehouse_id), 0)
         AS reservations_agree
  FROM ordermgmt.stock s JOIN ordermgmt.products p USING (product_id) ORDER BY p.sku;
-- The kept exposure beside its recomputation (exposure.c's definition).
CREATE VIEW pg_temp.exposure AS
WITH r AS (
  SELECT customer_id, currency, sum(open_orders) AS open_orders, sum(receivables) AS receivables
    FROM (SELECT o.customer_id, o.currency,
                 ((l.qty - l.returned_qty) - (l.invoiced_qty - l.credited_qty))
                   * l.unit_price * (1 + l.tax_rate) AS open_orders, 0 AS receivables
            FROM ordermgmt.orders o JOIN ordermgmt.order_lines l USING (order_id)
           WHERE o.status IN ('confirmed', 'processing', 'partially_shipped', 'shipped', 'delivered')
          UNION ALL
          SELECT customer_id, currency, 0, due FROM ordermgmt.invoices) f
   GROUP BY customer_id, currency)
SELECT c.code AS customer, round(e.open_orders, 4) AS open_orders, e.receivables::numeric(18,2) AS receivables,
       coalesce(e.open_orders, 0) = coalesce(r.open_orders, 0)
         AND coalesce(e.receivables, 0) = coalesce(r.receivables, 0) AS equal
  FROM ordermgmt.customer_exposure e
  FULL JOIN r USING (customer_id, currency)
  JOIN ordermgmt.customers c USING (customer_id)
 ORDER BY 1;
-- The ledger: how many entries and postings (an amendment posts nothing).
CREATE VIEW pg_temp.ledger AS
SELECT (SELECT count(*) FROM ordermgmt.journal_entries) AS entries,
       (SELECT count(*) FROM ordermgmt.postings) AS postings;
-- Everything an amendment may write, in one row: compared before and
-- after each refused call.
CREATE VIEW pg_temp.fingerprint AS
SELECT md5(string_agg(x, '|' ORDER BY x)) AS digest FROM (
  SELECT format('%s', l) AS x FROM pg_temp.lines l
  UNION ALL SELECT format('%s', s) FROM pg_temp.stock s
  UNION ALL SELECT format('%s', e) FROM pg_temp.exposure e
  UNION ALL SELECT format('%s %s %s', a.order_id, a.revision, a.net_after) FROM ordermgmt.order_amendments a
  UNION ALL SELECT format('events %s', count(*)) FROM ordermgmt.events
  UNION ALL SELECT format('totals %s', t) FROM ordermgmt.order_day_totals t
  UNION ALL SELECT format('alerts %s', count(*)) FROM ordermgmt.alerts) f;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name, credit_limit) VALUES
  ('CUST', 'Credit-limited customer', 1000),
  ('FREE', 'Customer without a limit', NULL);
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate) VALUES
  ('A', 'Alpha', 10, 4, 0.2),
  ('B', 'Beta', 25, 10, 0.1),
  ('C', 'Gamma', 5, 2, 0),
  ('D', 'Delta', 20, 8, 0.2);
SELECT ordermgmt.receive_stock('A', 'MAIN', 100) > 0, ordermgmt.receive_stock('B', 'MAIN', 10) > 0,
       ordermgmt.receive_stock('C', 'MAIN', 50) > 0, ordermgmt.receive_stock('D', 'MAIN', 20) > 0;
SELECT * FROM pg_temp.ledger;

--------------------------------------------------------------------------
-- Raise, add, remove: 10 A + 2 B (150.00 net; 10 x 10 x 1.2 + 2 x 25 x 1.1
-- = 175 exposure) becomes 15 A + 4 C (170.00 net; 180 + 20 = 200)
--------------------------------------------------------------------------
SELECT ordermgmt.create_order('CUST', '[{"sku": "A", "qty": 10}, {"sku": "B", "qty": 2}]') AS o1 \gset
SELECT * FROM pg_temp.lines WHERE order_id = :o1;
SELECT * FROM pg_temp.stock;
SELECT * FROM pg_temp.exposure;
SELECT ordermgmt.amend_order(:o1, '[{"sku": "A", "qty": 15}, {"sku": "B", "qty": 0}, {"sku": "C", "qty": 4}]');
SELECT * FROM pg_temp.lines WHERE order_id = :o1;
SELECT * FROM pg_temp.stock;
SELECT * FROM pg_temp.exposure;
-- nothing posted: the ledger moves when goods ship
SELECT * FROM pg_temp.ledger;
-- the revision: lines before and after, by the session user
SELECT revision, kind, status, amended_by = session_user AS by_me, reason, net_before, net_after,
       lines_before, lines_after
  FROM ordermgmt.order_amendments WHERE order_id = :o1;
SELECT kind, payload FROM ordermgmt.events WHERE order_id = :o1 AND kind = 'order.amended';
-- the C line took the list price, recorded as its expected price, and the product's tax rate
SELECT line_no, unit_price, expected_price, tax_rate FROM ordermgmt.order_lines WHERE order_id = :o1 AND line_no = 3;

-- A repeat changes nothing: the current revision, nothing written.
SELECT digest AS before FROM pg_temp.fingerprint \gset
SELECT ordermgmt.amend_order(:o1, '[{"sku": "A", "qty": 15}, {"sku": "C", "qty": 4}]');
SELECT digest = :'before' AS unchanged FROM pg_temp.fingerprint;

-- Lower: 15 A -> 12 A gives 3 back (net 140.00, exposure 144 + 20 = 164)
SELECT ordermgmt.amend_order(:o1, '[{"sku": "A", "qty": 12}]');
SELECT * FROM pg_temp.lines WHERE order_id = :o1;
SELECT * FROM pg_temp.stock WHERE sku = 'A';
SELECT * FROM pg_temp.exposure;
-- a new price for a line already on the order, within the 10% tolerance:
-- 4 C at 5.40 (net 141.60, exposure 144 + 21.6 = 165.6)
SELECT ordermgmt.amend_order(:o1, '[{"sku": "C", "qty": 4, "unit_price": 5.4}]');
SELECT * FROM pg_temp.lines WHERE order_id = :o1;
SELECT * FROM pg_temp.exposure;
SELECT revision, net_before, net_after FROM ordermgmt.order_amendments WHERE order_id = :o1 ORDER BY revision;

--------------------------------------------------------------------------
-- Bad input: refused with nothing changed
--------------------------------------------------------------------------
SELECT digest AS before FROM pg_temp.fingerprint \gset
SELECT pg_temp.try(format('SELECT ordermgmt.amend_order(%s, %L)', :o1, c)) AS result
  FROM unnest(ARRAY[
    '{"sku": "A", "qty": 1}',                                  -- not an array
    '[]',                                                      -- empty
    '"A"',                                                     -- a scalar
    '[1]',                                                     -- not an object
    '[{"sku": "A"}]',                                          -- no qty
    '[{"qty": 1}]',                                            -- no sku
    '[{"sku": "A", "qty": -1}]',                               -- negative
    '[{"sku": "A", "qty": "many"}]',                           -- not a number
    '[{"sku": "A", "qty": 1.00001}]',                          -- too many decimals
    '[{"sku": "A", "qty": 1, "unit_price": -5}]',              -- negative price
    '[{"sku": "A", "qty": 1, "colour": "red"}]',               -- unknown key
    '[{"sku": "", "qty": 1}]',                                 -- empty sku
    '[{"sku": "A", "qty": 1}, {"sku": "A", "qty": 2}]',        -- one SKU twice
    '[{"sku": "NOPE", "qty": 1}]',                             -- unknown product (OM005)
    '[{"sku": "B", "qty": 0}]',                                -- removes a SKU the order lacks (OM005)
    '[{"sku": "A", "qty": 0}, {"sku": "C", "qty": 0}]',        -- removes every line (OM001)
    '[{"sku": "A", "qty": 1000}]'                              -- not enough stock (OM002)
  ]) AS c;
SELECT pg_temp.try('SELECT ordermgmt.amend_order(NULL, ''[{"sku": "A", "qty": 1}]'')');
SELECT pg_temp.try(format('SELECT ordermgmt.amend_order(%s, NULL)', :o1));
SELECT pg_temp.try('SELECT ordermgmt.amend_order(999999, ''[{"sku": "A", "qty": 1}]'')');
SELECT digest = :'before' AS unchanged FROM pg_temp.fingerprint;

--------------------------------------------------------------------------
-- Processing orders are amended too; a line's SKU on two lines: a raise
-- goes to the last, a cut comes from the last first
--------------------------------------------------------------------------
SELECT ordermgmt.create_order('FREE', '[{"sku": "A", "qty": 5}, {"sku": "C", "qty": 1}, {"sku": "A", "qty": 5}]') AS o2 \gset
SELECT ordermgmt.start_processing(:o2);
SELECT ordermgmt.amend_order(:o2, '[{"sku": "A", "qty": 13}]');
SELECT * FROM pg_temp.lines WHERE order_id = :o2;
SELECT ordermgmt.amend_order(:o2, '[{"sku": "A", "qty": 4}]');
SELECT * FROM pg_temp.lines WHERE order_id = :o2;
SELECT * FROM pg_temp.stock;
SELECT * FROM pg_temp.exposure;

--------------------------------------------------------------------------
-- A failed level-1 check holds the order, as at confirmation: the
-- amendment is made (and its stock reserved), the order waits on hold
-- with its alert and the approval it needs; the approval confirms it again
--------------------------------------------------------------------------
-- a price deviation on an added line: D at 1 instead of 20
SELECT ordermgmt.amend_order(:o1, '[{"sku": "D", "qty": 2, "unit_price": 1}]');
SELECT status, hold_reason, ordered_net FROM ordermgmt.orders WHERE order_id = :o1;
SELECT * FROM pg_temp.lines WHERE order_id = :o1;
SELECT rule_code, status, details FROM ordermgmt.alerts WHERE order_id = :o1 ORDER BY alert_id;
SELECT r.kind, a.approved_by FROM ordermgmt.order_approvals a JOIN ordermgmt.approval_rules r USING (rule_id)
 WHERE a.order_id = :o1;
-- held: out of the exposure, as any held order; stock stays reserved
SELECT * FROM pg_temp.exposure;
SELECT * FROM pg_temp.stock WHERE sku = 'D';
SELECT checks FROM (SELECT payload ->> 'checks' AS checks, event_id FROM ordermgmt.events
                     WHERE order_id = :o1 AND kind = 'order.amended' ORDER BY event_id DESC LIMIT 1) e;
-- a held order is not amended: it waits for its approval
SELECT pg_temp.try(format('SELECT ordermgmt.amend_order(%s, %L)', :o1, '[{"sku": "D", "qty": 1}]'));
SET SESSION AUTHORIZATION om_test_approver;
SELECT ordermgmt.approve_order(:o1, 'clearance price agreed');
RESET SESSION AUTHORIZATION;
SELECT status, ordered_net FROM ordermgmt.orders WHERE order_id = :o1;
SELECT rule_code, status FROM ordermgmt.alerts WHERE order_id = :o1 ORDER BY alert_id;
SELECT * FROM pg_temp.exposure;
-- the approval stands for later revisions: a smaller deviating line passes
SELECT ordermgmt.amend_order(:o1, '[{"sku": "D", "qty": 1}]');
SELECT status FROM ordermgmt.orders WHERE order_id = :o1;

-- the credit limit: CUST has 1000; 12 A + 4 C at 5.40 + 1 D at 1 is
-- 144 + 21.6 + 1.2 = 166.8 open; 69 more A (828) would fit, 70 more (840) do not
SELECT * FROM pg_temp.exposure;
SELECT ordermgmt.amend_order(:o1, '[{"sku": "A", "qty": 82}]');
SELECT status, hold_reason FROM ordermgmt.orders WHERE order_id = :o1;
SELECT rule_code, status, details FROM ordermgmt.alerts WHERE order_id = :o1 AND rule_code = 'L1_CREDIT_LIMIT';
SELECT * FROM pg_temp.lines WHERE order_id = :o1;
SELECT * FROM pg_temp.exposure;
SET SESSION AUTHORIZATION om_test_approver;
SELECT ordermgmt.approve_order(:o1, 'prepayment received');
RESET SESSION AUTHORIZATION;
SELECT status FROM ordermgmt.orders WHERE order_id = :o1;
SELECT * FROM pg_temp.exposure;
SELECT * FROM pg_temp.stock;
-- still nothing posted
SELECT * FROM pg_temp.ledger;

--------------------------------------------------------------------------
-- Only confirmed and processing orders are amended (OM001)
--------------------------------------------------------------------------
SELECT ordermgmt.create_order('FREE', '[{"sku": "C", "qty": 1}]', '{"submit": false}') AS d1 \gset
SELECT ordermgmt.create_order('FREE', '[{"sku": "C", "qty": 1}]') AS c1 \gset
SELECT ordermgmt.cancel_order(:c1, 'not wanted');
SELECT pg_temp.try(format('SELECT ordermgmt.amend_order(%s, %L)', o, '[{"sku": "C", "qty": 2}]')) AS result
  FROM unnest(ARRAY[:d1, :c1]) AS o;

--------------------------------------------------------------------------
-- short_close: 10 A + 5 C, 4 A shipped; the rest is given up, the order
-- is shipped on 4 A (40.00 net, 48 exposure), then delivered, invoiced,
-- paid: completed
--------------------------------------------------------------------------
SELECT ordermgmt.create_order('FREE', '[{"sku": "A", "qty": 10}, {"sku": "C", "qty": 5}]') AS o3 \gset
-- nothing shipped yet: cancel instead
SELECT pg_temp.try(format('SELECT ordermgmt.short_close(%s, %L)', :o3, 'too late'));
SELECT ordermgmt.ship_order(:o3, '[{"sku": "A", "qty": 4}]') AS s3 \gset
-- a partially shipped order is not amended: short_close gives up the rest
SELECT pg_temp.try(format('SELECT ordermgmt.amend_order(%s, %L)', :o3, '[{"sku": "A", "qty": 8}]'));
SELECT * FROM pg_temp.lines WHERE order_id = :o3;
SELECT * FROM pg_temp.ledger;
SELECT digest AS before FROM pg_temp.fingerprint \gset
SELECT pg_temp.try(format('SELECT ordermgmt.short_close(%s, NULL)', :o3));
SELECT pg_temp.try(format('SELECT ordermgmt.short_close(%s, %L)', :o3, ''));
SELECT pg_temp.try('SELECT ordermgmt.short_close(999999, ''x'')');
SELECT digest = :'before' AS unchanged FROM pg_temp.fingerprint;
SELECT ordermgmt.short_close(:o3, 'customer takes what has arrived');
SELECT * FROM pg_temp.lines WHERE order_id = :o3;
SELECT * FROM pg_temp.stock;
SELECT * FROM pg_temp.exposure;
SELECT * FROM pg_temp.ledger;
SELECT revision, kind, status, reason, net_before, net_after, lines_after
  FROM ordermgmt.order_amendments WHERE order_id = :o3;
SELECT from_status, to_status, ordered_net FROM ordermgmt.order_status_history WHERE order_id = :o3 ORDER BY history_id;
SELECT payload ->> 'reason' AS reason FROM ordermgmt.events WHERE order_id = :o3 AND kind = 'order.short_closed';
-- again: nothing left to give up
SELECT pg_temp.try(format('SELECT ordermgmt.short_close(%s, %L)', :o3, 'again'));
SELECT ordermgmt.confirm_delivery(:s3);
SELECT ordermgmt.invoice_order(:o3) AS i3 \gset
SELECT total FROM ordermgmt.invoices WHERE invoice_id = :i3;
SELECT ordermgmt.record_payment(:i3, 48.00) > 0 AS paid;
SELECT status FROM ordermgmt.orders WHERE order_id = :o3;
SELECT * FROM pg_temp.exposure;
SELECT pg_temp.try(format('SELECT ordermgmt.short_close(%s, %L)', :o3, 'done'));
SELECT pg_temp.try(format('SELECT ordermgmt.amend_order(%s, %L)', :o3, '[{"sku": "A", "qty": 4}]'));

-- Every shipment delivered before the short close: delivered at once.
SELECT ordermgmt.create_order('FREE', '[{"sku": "C", "qty": 3}]') AS o4 \gset
SELECT ordermgmt.ship_order(:o4, '[{"sku": "C", "qty": 1}]') AS s4 \gset
SELECT ordermgmt.confirm_delivery(:s4);
SELECT ordermgmt.short_close(:o4, 'rest discontinued');
SELECT status, ordered_net, delivered_at IS NOT NULL AS delivered FROM ordermgmt.orders WHERE order_id = :o4;

--------------------------------------------------------------------------
-- Allocation partial: what is not available waits as a backorder instead
-- of refusing the amendment; a cut comes off what waits first; a short
-- close drops what the order waits for
--------------------------------------------------------------------------
CREATE VIEW pg_temp.waiting AS
SELECT l.order_id, o.status, l.line_no, l.qty, l.shipped_qty, l.reserved_qty, l.backordered_qty,
       (SELECT count(*) FROM ordermgmt.deadlines d
         WHERE d.rule_code = 'L2_BACKORDER_AGED' AND d.subject_id = l.order_id) AS aged_deadline
  FROM ordermgmt.order_lines l JOIN ordermgmt.orders o USING (order_id)
 ORDER BY l.order_id, l.line_no;
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost) VALUES ('E', 'Epsilon', 8, 3);
SELECT ordermgmt.receive_stock('E', 'MAIN', 5) > 0 AS received;
SELECT ordermgmt.create_order('FREE', '[{"sku": "E", "qty": 3}]', '{"allocation": "partial"}') AS p1 \gset
-- 3 E reserved; to 8: the 2 available are reserved, 3 wait
SELECT ordermgmt.amend_order(:p1, '[{"sku": "E", "qty": 8}]');
SELECT * FROM pg_temp.waiting WHERE order_id = :p1;
SELECT * FROM pg_temp.stock WHERE sku = 'E';
SELECT kind, payload FROM ordermgmt.events WHERE order_id = :p1 AND kind LIKE 'order.backorder%' ORDER BY event_id;
-- to 10: the line waits already, so the 2 more wait behind (5 wait)
SELECT ordermgmt.amend_order(:p1, '[{"sku": "E", "qty": 10}]');
SELECT * FROM pg_temp.waiting WHERE order_id = :p1;
-- to 6: the cut comes off what waits (5 -> 1)
SELECT ordermgmt.amend_order(:p1, '[{"sku": "E", "qty": 6}]');
SELECT * FROM pg_temp.waiting WHERE order_id = :p1;
-- to 4: the last waiting unit goes, then a reserved one: nothing waits,
-- the L2_BACKORDER_AGED deadline is cleared, 1 E is free again
SELECT ordermgmt.amend_order(:p1, '[{"sku": "E", "qty": 4}]');
SELECT * FROM pg_temp.waiting WHERE order_id = :p1;
SELECT * FROM pg_temp.stock WHERE sku = 'E';
-- a second partial order for 20 E: reserves the 1 free, waits for 19;
-- then 10 arrive and fill it first in first out
SELECT ordermgmt.create_order('FREE', '[{"sku": "E", "qty": 20}]', '{"allocation": "partial"}') AS p2 \gset
SELECT * FROM pg_temp.waiting WHERE order_id = :p2;
SELECT ordermgmt.receive_stock('E', 'MAIN', 10) > 0 AS received;
SELECT * FROM pg_temp.waiting WHERE order_id = :p2;
-- the first order gives 2 back: they fill the second order's backorder
SELECT ordermgmt.amend_order(:p1, '[{"sku": "E", "qty": 2}]');
SELECT * FROM pg_temp.waiting WHERE order_id IN (:p1, :p2);
SELECT * FROM pg_temp.stock WHERE sku = 'E';
-- the second order ships 5 and is short-closed: its 8 reserved go back,
-- its 7 waiting are dropped, and its deadline with them
SELECT ordermgmt.ship_order(:p2, '[{"sku": "E", "qty": 5}]') > 0 AS shipped;
SELECT ordermgmt.short_close(:p2, 'the rest from another supplier');
SELECT * FROM pg_temp.waiting WHERE order_id = :p2;
SELECT * FROM pg_temp.stock WHERE sku = 'E';
SELECT * FROM pg_temp.exposure;
SELECT check_name, detail FROM ordermgmt.verify() WHERE NOT ok;

--------------------------------------------------------------------------
-- The reports stay exact: verify() after a roll-up, and the revisions
-- are numbered 1, 2, ... per order
--------------------------------------------------------------------------
-- before the roll-up (the changes after its horizon count) and after it
SELECT check_name, detail FROM ordermgmt.verify() WHERE NOT ok;
SELECT ordermgmt.rollup_reports() >= 0 AS armed;
SELECT ordermgmt.rollup_reports() > 0 AS rolled;
SELECT check_name, detail FROM ordermgmt.verify() WHERE NOT ok;
SELECT r.upto_history_id = (SELECT max(history_id) FROM ordermgmt.order_status_history) AS all_rolled_up
  FROM ordermgmt.report_rollup r;
SELECT check_name, ok FROM ordermgmt.verify() WHERE check_name LIKE 'orders.%revision%' ORDER BY 1;
SELECT order_id = :o1 AS o1, array_agg(revision ORDER BY revision) FROM ordermgmt.order_amendments
 GROUP BY order_id ORDER BY order_id;

--------------------------------------------------------------------------
-- Never below what is shipped (OM002, as any quantity beyond what is
-- allowed): an admin's transition lets a partly shipped order be held and
-- confirmed again, so a confirmed order has shipped goods
--------------------------------------------------------------------------
INSERT INTO ordermgmt.order_transitions (from_status, to_status, manual, description)
VALUES ('partially_shipped', 'on_hold', true, 'held after a first shipment');
SELECT ordermgmt.create_order('FREE', '[{"sku": "A", "qty": 10}]') AS o5 \gset
SELECT ordermgmt.ship_order(:o5, '[{"sku": "A", "qty": 4}]') > 0 AS shipped;
SELECT ordermgmt.hold_order(:o5, 'customer query');
SELECT ordermgmt.confirm_order(:o5);
SELECT digest AS before FROM pg_temp.fingerprint \gset
SELECT pg_temp.try(format('SELECT ordermgmt.amend_order(%s, %L)', :o5, '[{"sku": "A", "qty": 3}]'));
SELECT pg_temp.try(format('SELECT ordermgmt.amend_order(%s, %L)', :o5, '[{"sku": "A", "qty": 0}]'));
SELECT digest = :'before' AS unchanged FROM pg_temp.fingerprint;
SELECT ordermgmt.amend_order(:o5, '[{"sku": "A", "qty": 4}]');
SELECT * FROM pg_temp.lines WHERE order_id = :o5;
SELECT * FROM pg_temp.stock WHERE sku = 'A';
-- an amendment after the roll-up keeps the reports exact; the order breaks
-- orders.unshipped_statuses_have_no_shipments, the admin's transition's doing
SELECT check_name, detail FROM ordermgmt.verify() WHERE NOT ok;

-- a tampered revision or net is found
UPDATE ordermgmt.order_amendments SET revision = 9 WHERE order_id = :o2 AND revision = 2;
UPDATE ordermgmt.order_amendments SET net_after = 41 WHERE order_id = :o3;
SELECT check_name, detail FROM ordermgmt.verify() WHERE NOT ok AND check_name LIKE 'orders.%revision%' ORDER BY 1;

DROP EXTENSION ordermgmt CASCADE;
DROP ROLE om_test_approver;
CREATE EXTENSION ordermgmt;
