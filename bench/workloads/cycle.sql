-- Full order-to-cash cycle through the API, one transaction per order:
-- place a 3-line order (auto-confirm), ship everything, invoice it, pay the
-- invoice in full.  Ids travel between the statements with \gset.
-- Three distinct products out of 1,000 (p1, p2, p3 never collide), 1-3
-- units each at list price; customer drawn from 100.  cycle_baseline.sql
-- makes the same draws.
\set c random(1, 100)
\set a random(0, 999)
\set b random(1, 499)
\set d random(1, 499)
\set p1 :a + 1
\set p2 (:a + :b) % 1000 + 1
\set p3 (:a + :b + :d) % 1000 + 1
\set q1 random(1, 3)
\set q2 random(1, 3)
\set q3 random(1, 3)
BEGIN;
SELECT ordermgmt.create_order('C-' || :c::text,
       jsonb_build_array(jsonb_build_object('sku', 'SKU-' || :p1::text, 'qty', :q1::int),
                         jsonb_build_object('sku', 'SKU-' || :p2::text, 'qty', :q2::int),
                         jsonb_build_object('sku', 'SKU-' || :p3::text, 'qty', :q3::int)),
       '{}') AS order_id \gset
SELECT ordermgmt.ship_order(:order_id);
SELECT ordermgmt.invoice_order(:order_id) AS invoice_id \gset
SELECT ordermgmt.record_payment(i.invoice_id, i.due)
  FROM ordermgmt.invoices i WHERE i.invoice_id = :invoice_id;
COMMIT;
