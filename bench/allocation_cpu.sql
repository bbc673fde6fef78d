-- The CPU time one order costs this backend, placed with allocation
-- 'complete' and 'partial' (stock for every line) alternately, 1,000
-- orders per run, and 'partial' with its third line on SKU-OUT (no stock:
-- a backorder each time).  Run by bench/allocation.sh after its set-up.
\set QUIET on
\ir cpu_time.sql
CREATE FUNCTION pg_temp.run(variant text, n int) RETURNS void LANGUAGE sql AS $$
  SELECT pg_temp.time_orders(variant, n,
           jsonb_build_object('allocation', CASE variant WHEN 'complete' THEN 'complete' ELSE 'partial' END),
           CASE variant WHEN 'partial_short' THEN 'SKU-OUT' END) $$;
\o /dev/null
SELECT FROM pg_temp.run('warmup', 300);
DELETE FROM timing;
SELECT FROM pg_temp.run('complete', 1000);
SELECT FROM pg_temp.run('partial', 1000);
SELECT FROM pg_temp.run('partial_short', 1000);
SELECT FROM pg_temp.run('partial', 1000);
SELECT FROM pg_temp.run('complete', 1000);
SELECT FROM pg_temp.run('partial_short', 1000);
SELECT FROM pg_temp.run('complete', 1000);
SELECT FROM pg_temp.run('partial', 1000);
SELECT FROM pg_temp.run('partial_short', 1000);
\o
\set QUIET off
\pset footer off
SELECT variant, round(min(us_per_order)::numeric, 1) AS min_us_per_order,
       round(avg(us_per_order)::numeric, 1) AS avg_us_per_order
  FROM timing GROUP BY 1 ORDER BY 1;
SELECT round((SELECT avg(us_per_order) FROM timing WHERE variant = 'partial')::numeric
             / (SELECT avg(us_per_order) FROM timing WHERE variant = 'complete')::numeric, 3)
       AS cpu_per_order_partial_over_complete,
       round((SELECT avg(us_per_order) FROM timing WHERE variant = 'partial_short')::numeric
             / (SELECT avg(us_per_order) FROM timing WHERE variant = 'complete')::numeric, 3)
       AS cpu_per_order_partial_short_over_complete;
