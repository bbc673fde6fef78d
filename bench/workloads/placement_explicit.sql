-- Placement with explicit prices: one auto-confirmed 3-line order per
-- transaction, each line giving its unit_price (the product's list price,
-- 5 + n % 97), for a customer without a price list (C-1 to C-50).  Run by
-- bench/price_lists.sh against placement_priced.sql.
\set c random(1, 50)
\set a random(0, 999)
\set b random(1, 499)
\set d random(1, 499)
\set q random(1, 20)
\set p1 :a + 1
\set p2 (:a + :b) % 1000 + 1
\set p3 (:a + :b + :d) % 1000 + 1
SELECT ordermgmt.create_order('C-' || :c::text,
       jsonb_build_array(jsonb_build_object('sku', 'SKU-' || :p1::text, 'qty', :q::int, 'unit_price', 5 + :p1::int % 97),
                         jsonb_build_object('sku', 'SKU-' || :p2::text, 'qty', :q::int, 'unit_price', 5 + :p2::int % 97),
                         jsonb_build_object('sku', 'SKU-' || :p3::text, 'qty', :q::int, 'unit_price', 5 + :p3::int % 97)),
       '{}');
