-- Placement with an allocation policy: placement.sql's order (auto-confirmed,
-- three distinct products out of 1,000, qty 1, list prices) with the policy
-- given as an option.  Run by bench/allocation.sh with -D:
--   partial  0: '{"allocation": "complete"}', 1: '{"allocation": "partial"}'
--   short    1: the third line is SKU-OUT, which has no stock (partial only:
--            a backorder is created on every order)
\set c random(1, 100)
\set a random(0, 999)
\set b random(1, 499)
\set d random(1, 499)
\set p1 :a + 1
\set p2 (:a + :b) % 1000 + 1
\set p3 (:a + :b + :d) % 1000 + 1
SELECT ordermgmt.create_order('C-' || :c::text,
       jsonb_build_array(jsonb_build_object('sku', 'SKU-' || :p1::text, 'qty', 1),
                         jsonb_build_object('sku', 'SKU-' || :p2::text, 'qty', 1),
                         jsonb_build_object('sku', CASE :short::int WHEN 1 THEN 'SKU-OUT' ELSE 'SKU-' || :p3::text END,
                                            'qty', 1)),
       jsonb_build_object('allocation', CASE :partial::int WHEN 1 THEN 'partial' ELSE 'complete' END));
