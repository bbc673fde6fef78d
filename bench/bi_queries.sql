-- The questions a BI tool asks of the reporting views, generated from the
-- views' columns: the whole view, the top 20 by each numeric column, and
-- the last 90 days or weeks where the view has a day or week.  Used by
-- bench/bi.sh (times at 10^6 and 10^7 orders) and test/shell/bi_buffers.sh
-- (buffers read at 10^5 orders, against fixed bounds).
--
--   \i bench/bi_queries.sql
--   SELECT * FROM pg_temp.bi_queries();
CREATE FUNCTION pg_temp.bi_queries()
    RETURNS TABLE (view_name text, question text, query text)
    LANGUAGE sql STABLE AS $$
WITH v(view_name, ord) AS (
    SELECT * FROM unnest(ARRAY['v_pipeline', 'v_daily_sales', 'v_customer_history', 'v_feedback_summary',
                               'v_ar_aging', 'v_trial_balance', 'v_monitor_dashboard', 'v_stock_availability',
                               'v_fulfillment_times', 'v_on_time_delivery']) WITH ORDINALITY),
cols AS (
    SELECT c.table_name::text AS view_name, c.column_name::text AS column_name, c.data_type,
           c.ordinal_position::int AS pos
      FROM information_schema.columns c
     WHERE c.table_schema = 'ordermgmt' AND c.table_name::text IN (SELECT view_name FROM v)),
q AS (
    SELECT v.view_name, 0 AS pos, 'whole view' AS question,
           format('SELECT * FROM ordermgmt.%I', v.view_name) AS query
      FROM v
    UNION ALL
    SELECT view_name, pos, 'top 20 by ' || column_name,
           format('SELECT * FROM ordermgmt.%I ORDER BY %I DESC NULLS LAST LIMIT 20', view_name, column_name)
      FROM cols
     WHERE data_type IN ('numeric', 'bigint', 'integer', 'smallint', 'double precision', 'interval')
    UNION ALL
    SELECT view_name, 1000, 'last 90 ' || column_name || 's',
           format('SELECT * FROM ordermgmt.%I ORDER BY %I DESC LIMIT 90', view_name, column_name)
      FROM cols
     WHERE column_name IN ('day', 'week'))
SELECT q.view_name, q.question, q.query FROM q JOIN v USING (view_name) ORDER BY v.ord, q.pos, q.question
$$;

-- Execution buffers (shared hit + read, planning excluded) and time in ms
-- of one run of a query, from EXPLAIN (ANALYZE, BUFFERS).
CREATE FUNCTION pg_temp.bi_run(q text, OUT buffers bigint, OUT ms numeric, OUT nrows bigint)
    LANGUAGE plpgsql AS $$
DECLARE
    j json;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) ' || q INTO j;
    buffers := (j -> 0 -> 'Plan' ->> 'Shared Hit Blocks')::bigint + (j -> 0 -> 'Plan' ->> 'Shared Read Blocks')::bigint;
    ms := round(((j -> 0 ->> 'Planning Time')::numeric + (j -> 0 ->> 'Execution Time')::numeric), 1);
    nrows := (j -> 0 -> 'Plan' ->> 'Actual Rows')::bigint;
END
$$;
