-- The CPU time one order costs this backend (user + system, from
-- /proc/self/stat, which needs a superuser), placed with explicit prices
-- and priced from a price list, alternately, 1,000 orders per run: less
-- disturbed by other work on the machine than throughput.  Run by
-- bench/price_lists.sh after its set-up.
\set QUIET on
\ir cpu_time.sql
-- explicit: customers C-1 to C-50 (no list), each line with its list price;
-- priced: customers C-51 to C-100 (a list), no unit_price
CREATE FUNCTION pg_temp.run(variant text, n int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t0 bigint; i int; p int[]; q int;
BEGIN
  t0 := pg_temp.cpu();
  FOR i IN 1..n LOOP
    p := ARRAY[i % 1000 + 1, (i + 300) % 1000 + 1, (i + 600) % 1000 + 1];
    q := i % 20 + 1;
    IF variant = 'priced' THEN
      PERFORM ordermgmt.create_order('C-' || (i % 50 + 51),
         (SELECT jsonb_agg(jsonb_build_object('sku', 'SKU-' || x, 'qty', q)) FROM unnest(p) AS x), '{}');
    ELSE
      PERFORM ordermgmt.create_order('C-' || (i % 50 + 1),
         (SELECT jsonb_agg(jsonb_build_object('sku', 'SKU-' || x, 'qty', q, 'unit_price', 5 + x % 97))
            FROM unnest(p) AS x), '{}');
    END IF;
  END LOOP;
  INSERT INTO timing VALUES (variant, (pg_temp.cpu() - t0) * 1e4 / n);
END $$;
\o /dev/null
SELECT FROM pg_temp.run('warmup', 300);
SELECT FROM pg_temp.run('priced', 300);
DELETE FROM timing;
SELECT FROM pg_temp.run('explicit', 1000);
SELECT FROM pg_temp.run('priced', 1000);
SELECT FROM pg_temp.run('priced', 1000);
SELECT FROM pg_temp.run('explicit', 1000);
SELECT FROM pg_temp.run('explicit', 1000);
SELECT FROM pg_temp.run('priced', 1000);
\o
\set QUIET off
\pset footer off
SELECT variant, round(min(us_per_order)::numeric, 1) AS min_us_per_order,
       round(avg(us_per_order)::numeric, 1) AS avg_us_per_order
  FROM timing GROUP BY 1 ORDER BY 1;
SELECT round((SELECT avg(us_per_order) FROM timing WHERE variant = 'priced')::numeric
             / (SELECT avg(us_per_order) FROM timing WHERE variant = 'explicit')::numeric, 3)
       AS cpu_per_order_priced_over_explicit;
