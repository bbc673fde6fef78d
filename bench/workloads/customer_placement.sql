-- Placement for one customer (bench/history.sh, the skewed-customer run):
-- as history_placement.sql, but every order is for the customer given with
-- -D customer=CODE (a parameter: run with -M prepared or extended), over
-- products SKU-1 ... SKU-M (-D products=M).
\set a random(0, :products - 1)
\set b random(1, (:products - 1) / 2)
\set d random(1, (:products - 1) / 2)
\set p1 :a + 1
\set p2 (:a + :b) % :products + 1
\set p3 (:a + :b + :d) % :products + 1
SELECT ordermgmt.create_order(:customer,
       jsonb_build_array(jsonb_build_object('sku', 'SKU-' || :p1::text, 'qty', 1),
                         jsonb_build_object('sku', 'SKU-' || :p2::text, 'qty', 1),
                         jsonb_build_object('sku', 'SKU-' || :p3::text, 'qty', 1)),
       '{}');
