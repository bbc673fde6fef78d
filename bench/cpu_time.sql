-- Included (\ir) by the *_cpu.sql scripts, which time loops of orders by
-- this backend's CPU time: far less disturbed by other work on the machine
-- than throughput.
--   timing                 one row per timed run: variant, CPU µs per order
--   pg_temp.cpu()          this backend's CPU time (user + system) in clock
--                          ticks of 10 ms, from /proc/self/stat (needs a
--                          superuser)
--   pg_temp.time_orders(variant, n, options, third_sku)
--                          places n of the benchmark's 3-line orders (the
--                          placement database: customers C-1 to C-100,
--                          qty 1 of three SKUs out of SKU-1 to SKU-1000,
--                          the third one third_sku if given) with create_order's
--                          options, and records the CPU time per order
CREATE TEMP TABLE timing (variant text, us_per_order float8);
CREATE FUNCTION pg_temp.cpu() RETURNS bigint LANGUAGE sql AS $$
  SELECT (f[14])::bigint + (f[15])::bigint
    FROM (SELECT string_to_array(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ') AS g) x,
         LATERAL (SELECT ARRAY['', ''] || g AS f) y $$;
CREATE FUNCTION pg_temp.time_orders(variant text, n int, options jsonb DEFAULT '{}',
                                    third_sku text DEFAULT NULL) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t0 bigint; i int;
BEGIN
  t0 := pg_temp.cpu();
  FOR i IN 1..n LOOP
    PERFORM ordermgmt.create_order('C-' || (i % 100 + 1),
       jsonb_build_array(jsonb_build_object('sku', 'SKU-' || (i % 1000 + 1), 'qty', 1),
                         jsonb_build_object('sku', 'SKU-' || ((i + 300) % 1000 + 1), 'qty', 1),
                         jsonb_build_object('sku', coalesce(third_sku, 'SKU-' || ((i + 600) % 1000 + 1)), 'qty', 1)),
       options);
  END LOOP;
  INSERT INTO timing VALUES (variant, (pg_temp.cpu() - t0) * 1e4 / n);
END $$;
