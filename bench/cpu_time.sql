-- pg_temp.cpu(): this backend's CPU time (user + system) in clock ticks of
-- 10 ms, read from /proc/self/stat (needs a superuser).  Included (\ir) by
-- the *_cpu.sql scripts, which time a loop of orders with it: CPU time is
-- far less disturbed by other work on the machine than throughput.
CREATE FUNCTION pg_temp.cpu() RETURNS bigint LANGUAGE sql AS $$
  SELECT (f[14])::bigint + (f[15])::bigint
    FROM (SELECT string_to_array(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ') AS g) x,
         LATERAL (SELECT ARRAY['', ''] || g AS f) y $$;
