-- The CPU time one order costs this backend (user + system, from
-- /proc/self/stat, which needs a superuser), with the confirmation notice
-- off and on, alternately, 2,000 orders per run: less disturbed by other
-- work on the machine than throughput.  Run by bench/notices.sh.
\set QUIET on
\ir cpu_time.sql
\o /dev/null
SELECT FROM pg_temp.time_orders('warmup', 300);
UPDATE ordermgmt.notification_templates SET enabled = true WHERE kind = 'order.confirmed';
SELECT FROM pg_temp.time_orders('warmup', 300);
UPDATE ordermgmt.notification_templates SET enabled = false WHERE kind = 'order.confirmed';
SELECT FROM pg_temp.time_orders('plain', 2000);
UPDATE ordermgmt.notification_templates SET enabled = true WHERE kind = 'order.confirmed';
SELECT FROM pg_temp.time_orders('notice', 2000);
UPDATE ordermgmt.notification_templates SET enabled = false WHERE kind = 'order.confirmed';
SELECT FROM pg_temp.time_orders('plain', 2000);
UPDATE ordermgmt.notification_templates SET enabled = true WHERE kind = 'order.confirmed';
SELECT FROM pg_temp.time_orders('notice', 2000);
UPDATE ordermgmt.notification_templates SET enabled = false WHERE kind = 'order.confirmed';
SELECT FROM pg_temp.time_orders('plain', 2000);
UPDATE ordermgmt.notification_templates SET enabled = true WHERE kind = 'order.confirmed';
SELECT FROM pg_temp.time_orders('notice', 2000);
UPDATE ordermgmt.notification_templates SET enabled = false WHERE kind = 'order.confirmed';
\o
\set QUIET off
\pset footer off
SELECT variant, round(min(us_per_order)::numeric, 1) AS min_us_per_order,
       round(avg(us_per_order)::numeric, 1) AS avg_us_per_order
  FROM timing WHERE variant <> 'warmup' GROUP BY 1 ORDER BY 1;
SELECT round((SELECT avg(us_per_order) FROM timing WHERE variant = 'plain')::numeric
             / (SELECT avg(us_per_order) FROM timing WHERE variant = 'notice')::numeric, 3)
       AS orders_per_cpu_second_notice_over_plain;
