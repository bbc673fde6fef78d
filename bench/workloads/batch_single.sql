-- Batch benchmark (bench/batch.sh), the single-call side: one auto-confirmed
-- 3-line order per transaction, as an application placing orders one by one
-- would (the shape of placement.sql: three distinct products out of 1,000,
-- qty 1 each, list prices; customer drawn from 100).
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
                         jsonb_build_object('sku', 'SKU-' || :p3::text, 'qty', 1)),
       '{}');
