-- Placement with price-list resolution: the same orders as
-- placement_explicit.sql, without unit_price, for a customer whose price
-- list (three quantity breaks per product) prices them (C-51 to C-100).
\set c random(51, 100)
\set a random(0, 999)
\set b random(1, 499)
\set d random(1, 499)
\set q random(1, 20)
\set p1 :a + 1
\set p2 (:a + :b) % 1000 + 1
\set p3 (:a + :b + :d) % 1000 + 1
SELECT ordermgmt.create_order('C-' || :c::text,
       jsonb_build_array(jsonb_build_object('sku', 'SKU-' || :p1::text, 'qty', :q::int),
                         jsonb_build_object('sku', 'SKU-' || :p2::text, 'qty', :q::int),
                         jsonb_build_object('sku', 'SKU-' || :p3::text, 'qty', :q::int)),
       '{}');
