-- The sales pipeline's views for one customer at a time, over a history
-- loaded by bench/views_load.sql (10^6 orders: a few minutes):
--
--   psql -d DB -v orders=1000000 -f bench/views_load.sql
--   psql -d DB -c 'VACUUM ANALYZE'
--   psql -d DB -f bench/crm_views.sql
--
-- For customers from the biggest (C-1, about 1,500 orders at 10^6) to a
-- small one, each question runs once to warm up, then 5 times; it prints
-- the customer's orders and the best and median time in ms (planning
-- included, as a client sees it), then the plans for the biggest
-- customer: the filter on customer reaches customers_code_key and the
-- customer's orders through orders_customer_external_ref_key (it leads with
-- customer_id), never the whole history.
-- See docs/benchmarks.md ("The sales pipeline's views").
\set ON_ERROR_STOP 1
SET jit = off;

CREATE FUNCTION pg_temp.time_ms(query text, runs int, OUT best numeric, OUT median numeric)
    LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    ms numeric[] := '{}';
    r record;
BEGIN
    FOR r IN EXECUTE query LOOP END LOOP;       -- warm-up
    FOR i IN 1 .. runs LOOP
        t0 := clock_timestamp();
        FOR r IN EXECUTE query LOOP END LOOP;
        ms := ms || (extract(epoch FROM clock_timestamp() - t0) * 1000)::numeric;
    END LOOP;
    SELECT round(min(x), 1), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric, 1)
      INTO best, median FROM unnest(ms) AS x;
END
$$;

SELECT q.question, c.code AS customer,
       (SELECT count(*) FROM ordermgmt.orders o WHERE o.customer_id = c.customer_id) AS orders,
       t.best, t.median
  FROM (VALUES ('C-1'), ('C-10'), ('C-100'), ('C-1000'), ('C-5000')) AS k(code)
  JOIN ordermgmt.customers c ON c.code = k.code
 CROSS JOIN (VALUES
    (1, 'recommendations', 'SELECT * FROM ordermgmt.v_recommendations WHERE customer = %L'),
    (2, 'reorder due',     'SELECT * FROM ordermgmt.v_reorder_due WHERE customer = %L ORDER BY overdue_days DESC'),
    (3, 'opportunities',   'SELECT * FROM ordermgmt.opportunities o JOIN ordermgmt.customers c USING (customer_id) WHERE c.code = %L'))
    AS q(n, question, sql)
 CROSS JOIN LATERAL pg_temp.time_ms(format(q.sql, c.code), 5) AS t
 ORDER BY q.n, orders DESC;

-- The pipeline, whole (one row per stage and currency)
SELECT 'sales pipeline' AS question, t.best, t.median
  FROM pg_temp.time_ms('SELECT * FROM ordermgmt.v_sales_pipeline', 5) AS t;

EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON)
SELECT * FROM ordermgmt.v_recommendations WHERE customer = 'C-1';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON)
SELECT * FROM ordermgmt.v_reorder_due WHERE customer = 'C-1';
