-- Placement on a database loaded by bench/views_load.sql (bench/history.sh):
-- one auto-confirmed 3-line order per transaction, one round trip, as
-- placement.sql, but over the customers and products of that load, given
-- with -D customers=N -D products=M (C-1 ... C-N, SKU-1 ... SKU-M).  Three
-- distinct products (p1, p2, p3 never collide), qty 1 each, list prices;
-- the default warehouse (bench/history_topup.sql sets it).
\set c random(1, :customers)
\set a random(0, :products - 1)
\set b random(1, (:products - 1) / 2)
\set d random(1, (:products - 1) / 2)
\set p1 :a + 1
\set p2 (:a + :b) % :products + 1
\set p3 (:a + :b + :d) % :products + 1
SELECT ordermgmt.create_order('C-' || :c::text,
       jsonb_build_array(jsonb_build_object('sku', 'SKU-' || :p1::text, 'qty', 1),
                         jsonb_build_object('sku', 'SKU-' || :p2::text, 'qty', 1),
                         jsonb_build_object('sku', 'SKU-' || :p3::text, 'qty', 1)),
       '{}');
