-- The questions a BI tool asks of the reporting views, generated from the
-- views' columns.  Of a view whose rows are dashboard-sized (per status,
-- day, week, customer, product or account): the whole view, the top 20 by
-- each numeric column, and the last 90 days or weeks where it has a day or
-- week.  Of a view with a row per document (order, ticket, interaction):
-- the first 20 in the BI tool's default descending sort of each numeric
-- or time column (not the ages, computed from now(): sort by the time
-- they are computed from), one customer's rows, and the newest 20 of one
-- status.  Used by bench/bi.sh (times at 10^6 and 10^7
-- orders) and test/shell/bi_buffers.sh (buffers read at 10^5 orders,
-- against fixed bounds).
--
--   \i bench/bi_queries.sql
--   SELECT * FROM pg_temp.bi_queries();
CREATE FUNCTION pg_temp.bi_queries()
    RETURNS TABLE (view_name text, question text, query text)
    LANGUAGE sql STABLE AS $$
WITH v(view_name, ord) AS (
    SELECT * FROM unnest(ARRAY['v_pipeline', 'v_daily_sales', 'v_customer_history', 'v_feedback_summary',
                               'v_ar_aging', 'v_trial_balance', 'v_monitor_dashboard', 'v_stock_availability',
                               'v_fulfillment_times', 'v_on_time_delivery',
                               'v_order_status', 'v_order_milestones', 'v_tickets',
                               'v_customer_interactions']) WITH ORDINALITY),
per_document(view_name) AS (
    VALUES ('v_order_status'), ('v_order_milestones'), ('v_tickets'), ('v_customer_interactions')),
cols AS (
    SELECT c.table_name::text AS view_name, c.column_name::text AS column_name, c.data_type,
           c.ordinal_position::int AS pos, c.table_name::text IN (SELECT view_name FROM per_document) AS per_doc
      FROM information_schema.columns c
     WHERE c.table_schema = 'ordermgmt' AND c.table_name::text IN (SELECT view_name FROM v)),
q AS (
    SELECT v.view_name, 0 AS pos, 'whole view' AS question,
           format('SELECT * FROM ordermgmt.%I', v.view_name) AS query
      FROM v
     WHERE v.view_name NOT IN (SELECT view_name FROM per_document)
    UNION ALL
    SELECT view_name, pos, 'top 20 by ' || column_name,
           format('SELECT * FROM ordermgmt.%I ORDER BY %I DESC NULLS LAST LIMIT 20', view_name, column_name)
      FROM cols
     WHERE NOT per_doc
       AND data_type IN ('numeric', 'bigint', 'integer', 'smallint', 'double precision', 'interval')
    UNION ALL
    SELECT view_name, 1000, 'last 90 ' || column_name || 's',
           format('SELECT * FROM ordermgmt.%I ORDER BY %I DESC LIMIT 90', view_name, column_name)
      FROM cols
     WHERE NOT per_doc AND column_name IN ('day', 'week')
    UNION ALL
    SELECT view_name, pos, 'first 20 by ' || column_name || ' desc',
           format('SELECT * FROM ordermgmt.%I ORDER BY %I DESC LIMIT 20', view_name, column_name)
      FROM cols
     WHERE per_doc
       AND data_type IN ('numeric', 'bigint', 'integer', 'smallint', 'double precision',
                         'timestamp with time zone')
    UNION ALL
    SELECT x.view_name, 2000 + x.n, x.question, x.query
      FROM (VALUES
        ('v_order_status', 1, 'one customer', $q$SELECT * FROM ordermgmt.v_order_status WHERE customer = 'C-42'$q$),
        ('v_order_status', 2, 'newest 20 on hold',
         $q$SELECT * FROM ordermgmt.v_order_status WHERE status = 'on_hold' ORDER BY created_at DESC LIMIT 20$q$),
        ('v_order_milestones', 1, 'one customer',
         $q$SELECT * FROM ordermgmt.v_order_milestones WHERE customer_id = 42$q$),
        ('v_tickets', 1, 'one customer', $q$SELECT * FROM ordermgmt.v_tickets WHERE customer = 'C-42'$q$),
        ('v_tickets', 2, 'newest 20 open',
         $q$SELECT * FROM ordermgmt.v_tickets WHERE status = 'open' ORDER BY opened_at DESC LIMIT 20$q$),
        ('v_customer_interactions', 1, 'one customer',
         $q$SELECT * FROM ordermgmt.v_customer_interactions WHERE customer = 'C-42'$q$)
      ) AS x(view_name, n, question, query))
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
