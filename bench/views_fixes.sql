-- Prototypes of the fixes proposed for the slow views (docs/benchmarks.md,
-- "BI views with a million orders"), built next to the loaded data so that
-- bench/views.sh can time them against the views as they are.  Nothing
-- here is part of the extension: schema bench_fix holds rewritten views,
-- and stand-in tables where a fix needs a column the extension's C code
-- would maintain (orders.delivered_at, feedback.customer_id, a rolled-up
-- ledger).  Two indexes go on ordermgmt.orders itself.
\set ON_ERROR_STOP 1
SET max_parallel_workers_per_gather = 0;
CREATE SCHEMA bench_fix;

-- v_pipeline: a partial index on exactly the open statuses.
CREATE INDEX orders_open_status_idx ON ordermgmt.orders (status)
    WHERE status NOT IN ('completed', 'cancelled');

-- v_fulfillment_times: weeks of UTC days, so that the week is an immutable
-- expression with an index; the four stages aggregated as columns of one
-- row per week and turned into rows only after aggregation.
CREATE INDEX orders_created_week_idx ON ordermgmt.orders ((date_trunc('week', timezone('UTC', created_at))::date));

CREATE VIEW bench_fix.v_fulfillment_times AS
WITH h AS (
    SELECT date_trunc('week', timezone('UTC', m.created_at))::date AS week,
           date_part('epoch', m.confirmed_at - m.created_at) / 3600 AS h1,
           date_part('epoch', m.first_shipped_at - m.confirmed_at) / 3600 AS h2,
           date_part('epoch', m.delivered_at - m.last_shipped_at) / 3600 AS h3,
           date_part('epoch', m.delivered_at - m.created_at) / 3600 AS h4
      FROM ordermgmt.v_order_milestones m),
w AS (
    SELECT week,
           count(h1) AS n1, avg(h1) AS a1, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY h1) AS p1,
           count(h2) AS n2, avg(h2) AS a2, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY h2) AS p2,
           count(h3) AS n3, avg(h3) AS a3, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY h3) AS p3,
           count(h4) AS n4, avg(h4) AS a4, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY h4) AS p4
      FROM h
     GROUP BY week)
SELECT w.week, x.stage, x.n AS orders, round(x.a::numeric, 2) AS mean_hours,
       round(x.p[1]::numeric, 2) AS median_hours, round(x.p[2]::numeric, 2) AS p90_hours
  FROM w
 CROSS JOIN LATERAL (VALUES ('entry_to_confirmation', 1, w.n1, w.a1, w.p1),
                            ('confirmation_to_shipment', 2, w.n2, w.a2, w.p2),
                            ('shipment_to_delivery', 3, w.n3, w.a3, w.p3),
                            ('entry_to_delivery', 4, w.n4, w.a4, w.p4)) AS x(stage, ord, n, a, p)
 WHERE x.n > 0
 ORDER BY w.week, x.ord;

-- v_on_time_delivery: the order's delivery time as a column (stand-in
-- table for orders.delivered_at), an index on its UTC week, and UNION ALL
-- instead of GROUPING SETS so that a filter on week reaches the index (and
-- drops the per-customer branch, whose week is NULL).
CREATE TABLE bench_fix.orders_delivered AS
SELECT o.order_id, o.customer_id, o.promised_at, m.delivered_at
  FROM ordermgmt.v_order_milestones m
  JOIN ordermgmt.orders o USING (order_id)
 WHERE m.delivered_at IS NOT NULL;
CREATE INDEX ON bench_fix.orders_delivered ((date_trunc('week', timezone('UTC', delivered_at))::date))
    WHERE promised_at IS NOT NULL;

CREATE VIEW bench_fix.v_on_time_delivery AS
WITH d AS NOT MATERIALIZED (
    SELECT date_trunc('week', timezone('UTC', o.delivered_at))::date AS week, o.customer_id,
           o.delivered_at <= o.promised_at AS on_time
      FROM bench_fix.orders_delivered o
     WHERE o.promised_at IS NOT NULL)
SELECT d.week, c.code AS customer, count(*) AS delivered, count(*) FILTER (WHERE d.on_time) AS on_time,
       round(count(*) FILTER (WHERE d.on_time)::numeric / count(*), 4) AS on_time_rate
  FROM d JOIN ordermgmt.customers c USING (customer_id)
 GROUP BY d.week, c.code
UNION ALL
SELECT d.week, NULL, count(*), count(*) FILTER (WHERE d.on_time),
       round(count(*) FILTER (WHERE d.on_time)::numeric / count(*), 4)
  FROM d
 GROUP BY d.week
UNION ALL
SELECT NULL, c.code, count(*), count(*) FILTER (WHERE d.on_time),
       round(count(*) FILTER (WHERE d.on_time)::numeric / count(*), 4)
  FROM d JOIN ordermgmt.customers c USING (customer_id)
 GROUP BY c.code
 ORDER BY 1 NULLS LAST, 2 NULLS FIRST;

-- v_trial_balance: totals per account and currency rolled up to a posting
-- id, plus the postings after it (here: the last 10,000, about one day of
-- this history).
CREATE TABLE bench_fix.ledger_rollup (upto_posting_id bigint NOT NULL);
INSERT INTO bench_fix.ledger_rollup SELECT max(posting_id) - 10000 FROM ordermgmt.postings;
CREATE TABLE bench_fix.ledger_totals (
    account_id bigint NOT NULL, currency char(3) NOT NULL, debit numeric NOT NULL, credit numeric NOT NULL,
    PRIMARY KEY (account_id, currency));
INSERT INTO bench_fix.ledger_totals
SELECT account_id, currency, sum(debit), sum(credit)
  FROM ordermgmt.postings
 WHERE posting_id <= (SELECT upto_posting_id FROM bench_fix.ledger_rollup)
 GROUP BY account_id, currency;

CREATE VIEW bench_fix.v_trial_balance AS
SELECT a.code AS account_code, a.name AS account_name, a.type AS account_type, t.currency,
       sum(t.debit) AS debit, sum(t.credit) AS credit, sum(t.debit) - sum(t.credit) AS balance
  FROM (SELECT account_id, currency, debit, credit FROM bench_fix.ledger_totals
        UNION ALL
        SELECT p.account_id, p.currency, p.debit, p.credit
          FROM ordermgmt.postings p
         WHERE p.posting_id > (SELECT upto_posting_id FROM bench_fix.ledger_rollup)) AS t
  JOIN ordermgmt.accounts a USING (account_id)
 GROUP BY a.code, a.name, a.type, t.currency
 ORDER BY a.code, t.currency;

-- v_feedback_summary: the customer on the feedback row (stand-in table for
-- feedback.customer_id), so that no order is read.
CREATE TABLE bench_fix.feedback AS
SELECT f.*, o.customer_id FROM ordermgmt.feedback f JOIN ordermgmt.orders o USING (order_id);

CREATE VIEW bench_fix.v_feedback_summary AS
SELECT c.code AS customer, f.ratings, f.average_rating, f.negative, f.positive, f.last_rated_at
  FROM (SELECT customer_id, count(*) AS ratings, round(avg(rating), 2) AS average_rating,
               count(*) FILTER (WHERE rating <= 2) AS negative, count(*) FILTER (WHERE rating >= 4) AS positive,
               max(recorded_at) AS last_rated_at
          FROM bench_fix.feedback
         GROUP BY customer_id) AS f
  JOIN ordermgmt.customers c USING (customer_id)
 ORDER BY c.code;

RESET max_parallel_workers_per_gather;
VACUUM ANALYZE ordermgmt.orders;
VACUUM ANALYZE bench_fix.orders_delivered;
VACUUM ANALYZE bench_fix.feedback;
VACUUM ANALYZE bench_fix.ledger_totals;
