-- The CPU time one order costs this backend, placed with allocation
-- 'complete' and 'partial' (stock for every line) alternately, 1,000
-- orders per run, and 'partial' with its third line on SKU-OUT (no stock:
-- a backorder each time).  Run by bench/allocation.sh after its set-up.
\set QUIET on
CREATE TEMP TABLE timing (variant text, us_per_order float8);
\ir cpu_time.sql
CREATE FUNCTION pg_temp.run(variant text, n int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t0 bigint; i int;
BEGIN
  t0 := pg_temp.cpu();
  FOR i IN 1..n LOOP
    PERFORM ordermgmt.create_order('C-' || (i % 100 + 1),
       jsonb_build_array(jsonb_build_object('sku', 'SKU-' || (i % 1000 + 1), 'qty', 1),
                         jsonb_build_object('sku', 'SKU-' || ((i + 300) % 1000 + 1), 'qty', 1),
                         jsonb_build_object('sku', CASE variant WHEN 'partial_short' THEN 'SKU-OUT'
                                                   ELSE 'SKU-' || ((i + 600) % 1000 + 1) END, 'qty', 1)),
       jsonb_build_object('allocation', CASE variant WHEN 'complete' THEN 'complete' ELSE 'partial' END));
  END LOOP;
  INSERT INTO timing VALUES (variant, (pg_temp.cpu() - t0) * 1e4 / n);
END $$;
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
