\echo Use "ALTER EXTENSION ordermgmt UPDATE TO '0.3.0'" to load this file. \quit

-- ordermgmt 0.3.0: reporting views that stay fast as history grows.  Views
-- that summed the whole history now read summaries kept by the C code
-- (deliveries per week, ledger totals) or columns the C code fills in
-- (orders.delivered_at, feedback.customer_id), and indexes on UTC weeks.

--------------------------------------------------------------------------
-- Orders remember when they were delivered
--------------------------------------------------------------------------
ALTER TABLE ordermgmt.orders ADD COLUMN delivered_at timestamptz;
COMMENT ON COLUMN ordermgmt.orders.delivered_at IS
    'When the last shipment was delivered; set by confirm_delivery as the order becomes delivered';
-- Backfilled as raw data: the lifecycle trigger refuses to rewrite the
-- delivery time of an order that is already delivered.
SET LOCAL session_replication_role = replica;
UPDATE ordermgmt.orders o
   SET delivered_at = s.delivered_at
  FROM (SELECT order_id, max(delivered_at) AS delivered_at
          FROM ordermgmt.shipments GROUP BY order_id) s
 WHERE s.order_id = o.order_id AND o.status IN ('delivered', 'completed');
SET LOCAL session_replication_role = origin;

-- Deliveries against their promise per UTC week and customer, counted by
-- the orders trigger as an order becomes delivered (or its promise moves
-- afterwards), so that on-time reporting never scans the order history.
CREATE TABLE ordermgmt.delivery_weeks (
    week        date NOT NULL,
    customer_id bigint NOT NULL REFERENCES ordermgmt.customers,
    delivered   integer NOT NULL CHECK (delivered >= 0),
    on_time     integer NOT NULL CHECK (on_time >= 0 AND on_time <= delivered),
    PRIMARY KEY (week, customer_id)
);
CREATE INDEX delivery_weeks_customer_idx ON ordermgmt.delivery_weeks (customer_id, week);
COMMENT ON TABLE ordermgmt.delivery_weeks IS
    'Orders delivered with a promised date, and how many by that date, per UTC week of delivery and customer';
INSERT INTO ordermgmt.delivery_weeks (week, customer_id, delivered, on_time)
SELECT date_trunc('week', timezone('UTC', delivered_at))::date, customer_id,
       count(*), count(*) FILTER (WHERE delivered_at <= promised_at)
  FROM ordermgmt.orders
 WHERE delivered_at IS NOT NULL AND promised_at IS NOT NULL
 GROUP BY 1, 2;

--------------------------------------------------------------------------
-- Ledger totals rolled up from the immutable postings
--------------------------------------------------------------------------
CREATE TABLE ordermgmt.ledger_totals (
    account_id bigint NOT NULL REFERENCES ordermgmt.accounts,
    currency   char(3) NOT NULL,
    debit      numeric NOT NULL,
    credit     numeric NOT NULL,
    PRIMARY KEY (account_id, currency)
);
COMMENT ON TABLE ordermgmt.ledger_totals IS
    'Sums of the postings up to ledger_rollup.upto_posting_id, per account and currency';

-- One row, created by the first roll-up.  next_upto and next_xmax arm the
-- next roll-up: it may advance to next_upto once every transaction older
-- than next_xmax has ended (see rollup_ledger in src/ledger_rollup.c).
CREATE TABLE ordermgmt.ledger_rollup (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    upto_posting_id bigint NOT NULL DEFAULT 0,
    next_upto       bigint,
    next_xmax       xid8,
    rolled_at       timestamptz
);
COMMENT ON TABLE ordermgmt.ledger_rollup IS 'How far ledger_totals has summed the postings';

CREATE FUNCTION ordermgmt.rollup_ledger() RETURNS bigint
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_rollup_ledger';
COMMENT ON FUNCTION ordermgmt.rollup_ledger() IS
    'Adds settled postings to ledger_totals; returns how many it added.  The background worker runs it with each monitor tick';
REVOKE ALL ON FUNCTION ordermgmt.rollup_ledger() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ordermgmt.rollup_ledger() TO ordermgmt_admin;

--------------------------------------------------------------------------
-- Feedback carries its customer
--------------------------------------------------------------------------
ALTER TABLE ordermgmt.feedback ADD COLUMN customer_id bigint REFERENCES ordermgmt.customers;
UPDATE ordermgmt.feedback f SET customer_id = o.customer_id
  FROM ordermgmt.orders o WHERE o.order_id = f.order_id;
ALTER TABLE ordermgmt.feedback ALTER COLUMN customer_id SET NOT NULL;
CREATE INDEX feedback_customer_idx ON ordermgmt.feedback (customer_id);
COMMENT ON COLUMN ordermgmt.feedback.customer_id IS 'The order''s customer, recorded by record_feedback';

--------------------------------------------------------------------------
-- Indexes for the dashboards
--------------------------------------------------------------------------
-- v_pipeline's open statuses (the list must match the query's NOT IN).
CREATE INDEX orders_open_status_idx ON ordermgmt.orders (status)
    WHERE status NOT IN ('completed', 'cancelled');
-- v_fulfillment_times' week of entry, in UTC like v_daily_sales' days.
CREATE INDEX orders_created_week_idx
    ON ordermgmt.orders ((date_trunc('week', timezone('UTC', created_at))::date));

--------------------------------------------------------------------------
-- Views
--------------------------------------------------------------------------
CREATE OR REPLACE VIEW ordermgmt.v_order_milestones AS
SELECT o.order_id, o.customer_id, o.created_at, o.confirmed_at, o.promised_at,
       s.first_shipped_at, s.last_shipped_at, o.delivered_at
  FROM ordermgmt.orders o
  LEFT JOIN LATERAL (
        SELECT min(sh.shipped_at) AS first_shipped_at, max(sh.shipped_at) AS last_shipped_at
          FROM ordermgmt.shipments sh WHERE sh.order_id = o.order_id) s ON true;

-- Aggregated per week with the stages as columns, turned into one row per
-- stage only afterwards: a few rows to unpivot instead of every order.
CREATE OR REPLACE VIEW ordermgmt.v_fulfillment_times AS
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
COMMENT ON VIEW ordermgmt.v_fulfillment_times IS
    'Hours from entry to confirmation, confirmation to shipment, shipment to delivery, and overall: mean, median, 90th percentile per UTC week of entry';

-- Three groupings under UNION ALL rather than GROUPING SETS, so that a
-- filter on week or customer reaches delivery_weeks' indexes.
CREATE OR REPLACE VIEW ordermgmt.v_on_time_delivery AS
SELECT w.week, c.code AS customer, w.delivered::bigint AS delivered, w.on_time::bigint AS on_time,
       round(w.on_time::numeric / w.delivered, 4) AS on_time_rate
  FROM ordermgmt.delivery_weeks w
  JOIN ordermgmt.customers c USING (customer_id)
 WHERE w.delivered > 0
UNION ALL
SELECT w.week, NULL, sum(w.delivered), sum(w.on_time), round(sum(w.on_time)::numeric / sum(w.delivered), 4)
  FROM ordermgmt.delivery_weeks w
 GROUP BY w.week
HAVING sum(w.delivered) > 0
UNION ALL
SELECT NULL, c.code, sum(w.delivered), sum(w.on_time), round(sum(w.on_time)::numeric / sum(w.delivered), 4)
  FROM ordermgmt.delivery_weeks w
  JOIN ordermgmt.customers c USING (customer_id)
 GROUP BY c.code
HAVING sum(w.delivered) > 0
 ORDER BY 1 NULLS LAST, 2 NULLS FIRST;
COMMENT ON VIEW ordermgmt.v_on_time_delivery IS
    'Share of orders delivered by their promised date, per UTC week of delivery and customer, per week (customer NULL) and per customer (week NULL)';

CREATE OR REPLACE VIEW ordermgmt.v_trial_balance AS
SELECT a.code AS account_code, a.name AS account_name, a.type AS account_type, t.currency,
       sum(t.debit) AS debit, sum(t.credit) AS credit, sum(t.debit) - sum(t.credit) AS balance
  FROM (SELECT lt.account_id, lt.currency, lt.debit, lt.credit FROM ordermgmt.ledger_totals lt
        UNION ALL
        SELECT p.account_id, p.currency, p.debit, p.credit
          FROM ordermgmt.postings p
         WHERE p.posting_id > coalesce((SELECT r.upto_posting_id FROM ordermgmt.ledger_rollup r), 0)) AS t
  JOIN ordermgmt.accounts a USING (account_id)
 GROUP BY a.code, a.name, a.type, t.currency
 ORDER BY a.code, t.currency;

CREATE OR REPLACE VIEW ordermgmt.v_feedback_summary AS
SELECT c.code AS customer, f.ratings, f.average_rating, f.negative, f.positive, f.last_rated_at
  FROM (SELECT fb.customer_id, count(*) AS ratings, round(avg(fb.rating), 2) AS average_rating,
               count(*) FILTER (WHERE fb.rating <= 2) AS negative,
               count(*) FILTER (WHERE fb.rating >= 4) AS positive,
               max(fb.recorded_at) AS last_rated_at
          FROM ordermgmt.feedback fb
         GROUP BY fb.customer_id) AS f
  JOIN ordermgmt.customers c USING (customer_id)
 ORDER BY c.code;

CREATE OR REPLACE VIEW ordermgmt.v_customer_history AS
SELECT c.code AS customer, c.name, c.email, c.credit_limit, c.blocked,
       coalesce(o.orders, 0) AS orders, o.first_order_at, o.last_order_at, coalesce(o.open_orders, 0) AS open_orders,
       coalesce(v.invoiced_net, 0) - coalesce(r.credited_net, 0) AS lifetime_value,
       coalesce(v.balance_due, 0) AS balance_due,
       f.average_rating,
       (current_date - timezone('UTC', o.last_order_at)::date) AS recency_days,
       coalesce(o.orders_last_year, 0) AS frequency_last_year,
       CASE
         WHEN o.last_order_at IS NULL THEN 'prospect'
         WHEN o.first_order_at > now() - interval '30 days' THEN 'new'
         WHEN o.last_order_at > now() - interval '30 days' AND o.orders_last_year >= 6 THEN 'champion'
         WHEN o.last_order_at > now() - interval '90 days' AND o.orders_last_year >= 3 THEN 'loyal'
         WHEN o.last_order_at > now() - interval '90 days' THEN 'active'
         WHEN o.last_order_at > now() - interval '180 days' THEN 'at risk'
         ELSE 'lost'
       END AS segment,
       ci.contacts, ci.primary_contact, ci.last_interaction_at
  FROM ordermgmt.customers c
  LEFT JOIN LATERAL (
        SELECT count(*) AS orders, min(x.created_at) AS first_order_at, max(x.created_at) AS last_order_at,
               count(*) FILTER (WHERE x.status NOT IN ('completed', 'cancelled')) AS open_orders,
               count(*) FILTER (WHERE x.created_at > now() - interval '1 year') AS orders_last_year
          FROM ordermgmt.orders x
         WHERE x.customer_id = c.customer_id AND x.status <> 'draft') o ON true
  LEFT JOIN LATERAL (
        SELECT sum(i.net) AS invoiced_net, sum(i.due) AS balance_due
          FROM ordermgmt.invoices i WHERE i.customer_id = c.customer_id) v ON true
  LEFT JOIN LATERAL (
        SELECT sum(rt.credit_net) AS credited_net
          FROM ordermgmt.returns rt JOIN ordermgmt.orders ord ON ord.order_id = rt.order_id
         WHERE ord.customer_id = c.customer_id) r ON true
  LEFT JOIN LATERAL (
        SELECT round(avg(fb.rating), 2) AS average_rating
          FROM ordermgmt.feedback fb WHERE fb.customer_id = c.customer_id) f ON true
  LEFT JOIN LATERAL (
        SELECT (SELECT count(*) FROM ordermgmt.customer_contacts cc WHERE cc.customer_id = c.customer_id) AS contacts,
               (SELECT cc.name FROM ordermgmt.customer_contacts cc
                 WHERE cc.customer_id = c.customer_id AND cc.is_primary) AS primary_contact,
               (SELECT max(it.occurred_at) FROM ordermgmt.customer_interactions it
                 WHERE it.customer_id = c.customer_id) AS last_interaction_at) ci ON true
 ORDER BY c.code;

--------------------------------------------------------------------------
-- Privileges and dumps
--------------------------------------------------------------------------
REVOKE ALL ON ordermgmt.delivery_weeks, ordermgmt.ledger_totals, ordermgmt.ledger_rollup FROM PUBLIC;
GRANT SELECT ON ordermgmt.delivery_weeks, ordermgmt.ledger_totals, ordermgmt.ledger_rollup TO ordermgmt_app;

SELECT pg_catalog.pg_extension_config_dump('ordermgmt.delivery_weeks', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.ledger_totals', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.ledger_rollup', '');
