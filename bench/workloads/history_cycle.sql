-- The order-to-cash cycle of cycle.sql on a database loaded by
-- bench/views_load.sql (bench/history.sh): place a 3-line order
-- (auto-confirm), ship everything, invoice it, pay the invoice in full, in
-- one transaction; over the customers and products of that load, given
-- with -D customers=N -D products=M (C-1 ... C-N, SKU-1 ... SKU-M).
\set c random(1, :customers)
\set a random(0, :products - 1)
\set b random(1, (:products - 1) / 2)
\set d random(1, (:products - 1) / 2)
\set p1 :a + 1
\set p2 (:a + :b) % :products + 1
\set p3 (:a + :b + :d) % :products + 1
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
