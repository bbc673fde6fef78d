\echo Use "ALTER EXTENSION ordermgmt UPDATE TO '0.2.0'" to load this file. \quit

-- ordermgmt 0.2.0: retention of old events and resolved alerts.

ALTER TABLE ordermgmt.settings DROP CONSTRAINT settings_key_check;
ALTER TABLE ordermgmt.settings ADD CONSTRAINT settings_key_check
    CHECK (key IN ('default_warehouse', 'auto_confirm', 'currency', 'event_retention'));
ALTER TABLE ordermgmt.settings ADD CONSTRAINT settings_event_retention_check
    CHECK (key <> 'event_retention' OR value::interval >= interval '1 hour');

CREATE OR REPLACE VIEW ordermgmt.v_settings AS
SELECT d.key, coalesce(s.value, d.default_value) AS value, d.default_value, d.description
  FROM (VALUES
        ('default_warehouse', NULL, 'Warehouse code used when an order names none (NULL: the only warehouse)'),
        ('auto_confirm', 'true', 'Submitted orders run their level-1 confirmation at once'),
        ('currency', 'EUR', 'Currency of new orders unless options.currency says otherwise'),
        ('event_retention', '30 days', 'How long events and resolved alerts are kept by purge_history'))
       AS d(key, default_value, description)
  LEFT JOIN ordermgmt.settings s USING (key);

CREATE FUNCTION ordermgmt.purge_history(older_than interval DEFAULT NULL,
                                          OUT events bigint, OUT alerts bigint)
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_purge_history';
COMMENT ON FUNCTION ordermgmt.purge_history(interval) IS
    'Deletes events and resolved alerts older than the window (default: event_retention), never an event a listener or the relay could still need';
REVOKE ALL ON FUNCTION ordermgmt.purge_history(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ordermgmt.purge_history(interval) TO ordermgmt_admin;

--------------------------------------------------------------------------
-- Light CRM: contacts and an interaction log per customer
--------------------------------------------------------------------------
CREATE TABLE ordermgmt.customer_contacts (
    contact_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES ordermgmt.customers ON DELETE CASCADE,
    name        text NOT NULL CHECK (name <> ''),
    role        text,
    email       text CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    phone       text,
    is_primary  boolean NOT NULL DEFAULT false
);
CREATE INDEX customer_contacts_customer_idx ON ordermgmt.customer_contacts (customer_id);
CREATE UNIQUE INDEX customer_contacts_one_primary ON ordermgmt.customer_contacts (customer_id) WHERE is_primary;
COMMENT ON TABLE ordermgmt.customer_contacts IS 'People at a customer; at most one primary contact';

CREATE TABLE ordermgmt.customer_interactions (
    interaction_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id    bigint NOT NULL REFERENCES ordermgmt.customers ON DELETE CASCADE,
    contact_id     bigint REFERENCES ordermgmt.customer_contacts ON DELETE SET NULL,
    order_id       bigint REFERENCES ordermgmt.orders,
    kind           text NOT NULL CHECK (kind IN ('call', 'email', 'meeting', 'note')),
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    subject        text NOT NULL CHECK (subject <> ''),
    notes          text,
    recorded_by    text NOT NULL DEFAULT session_user
);
CREATE INDEX customer_interactions_customer_idx ON ordermgmt.customer_interactions (customer_id, occurred_at);
COMMENT ON TABLE ordermgmt.customer_interactions IS 'Calls, emails, meetings and notes with a customer';

SELECT pg_catalog.pg_extension_config_dump('ordermgmt.customer_contacts', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.customer_interactions', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.customer_contacts_contact_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.customer_interactions_interaction_id_seq', '');
REVOKE ALL ON ordermgmt.customer_contacts, ordermgmt.customer_interactions FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON ordermgmt.customer_contacts, ordermgmt.customer_interactions TO ordermgmt_app;
GRANT DELETE ON ordermgmt.customer_contacts, ordermgmt.customer_interactions TO ordermgmt_admin;

--------------------------------------------------------------------------
-- Views that stay fast as history grows: a filter on the day, the
-- customer or the status reaches an index instead of the whole history.
-- Days are UTC days.
--------------------------------------------------------------------------
CREATE INDEX orders_created_day_idx ON ordermgmt.orders ((timezone('UTC', created_at)::date));
CREATE INDEX invoices_issued_day_idx ON ordermgmt.invoices ((timezone('UTC', issued_at)::date));
CREATE INDEX shipments_delivered_day_idx ON ordermgmt.shipments ((timezone('UTC', delivered_at)::date))
    WHERE delivered_at IS NOT NULL;

CREATE OR REPLACE VIEW ordermgmt.v_daily_sales AS
SELECT x.day, x.currency,
       sum(x.orders_booked)::bigint AS orders_booked, sum(x.booked_net) AS booked_net,
       sum(x.invoices)::bigint AS invoices, sum(x.invoiced_net) AS invoiced_net,
       sum(x.invoiced_tax) AS invoiced_tax, sum(x.invoiced_total) AS invoiced_total
  FROM (SELECT timezone('UTC', o.created_at)::date AS day, o.currency,
               1 AS orders_booked, coalesce(t.net, 0) AS booked_net,
               0 AS invoices, 0::numeric AS invoiced_net, 0::numeric AS invoiced_tax, 0::numeric AS invoiced_total
          FROM ordermgmt.orders o
          LEFT JOIN LATERAL (SELECT round(sum(l.qty * l.unit_price), 2) AS net
                               FROM ordermgmt.order_lines l WHERE l.order_id = o.order_id) t ON true
         WHERE o.status NOT IN ('draft', 'cancelled')
        UNION ALL
        SELECT timezone('UTC', i.issued_at)::date, i.currency, 0, 0, 1, i.net, i.tax, i.total
          FROM ordermgmt.invoices i) x
 GROUP BY x.day, x.currency
 ORDER BY x.day, x.currency;

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
          FROM ordermgmt.feedback fb JOIN ordermgmt.orders ord ON ord.order_id = fb.order_id
         WHERE ord.customer_id = c.customer_id) f ON true
  LEFT JOIN LATERAL (
        SELECT (SELECT count(*) FROM ordermgmt.customer_contacts cc WHERE cc.customer_id = c.customer_id) AS contacts,
               (SELECT cc.name FROM ordermgmt.customer_contacts cc
                 WHERE cc.customer_id = c.customer_id AND cc.is_primary) AS primary_contact,
               (SELECT max(it.occurred_at) FROM ordermgmt.customer_interactions it
                 WHERE it.customer_id = c.customer_id) AS last_interaction_at) ci ON true
 ORDER BY c.code;
COMMENT ON VIEW ordermgmt.v_customer_history IS
    'Per customer: orders, first and last order, open orders, lifetime value (invoiced less credits), balance due, average rating, recency / frequency / monetary segment, contacts and last interaction';

CREATE INDEX invoices_customer_idx ON ordermgmt.invoices (customer_id);
CREATE INDEX returns_order_credit_idx ON ordermgmt.returns (order_id) WHERE credit_net > 0;

CREATE VIEW ordermgmt.v_customer_interactions AS
SELECT c.code AS customer, i.occurred_at, i.kind, i.subject, i.notes, cc.name AS contact, i.order_id, i.recorded_by
  FROM ordermgmt.customer_interactions i
  JOIN ordermgmt.customers c USING (customer_id)
  LEFT JOIN ordermgmt.customer_contacts cc USING (contact_id)
 ORDER BY c.code, i.occurred_at DESC;
COMMENT ON VIEW ordermgmt.v_customer_interactions IS 'The interaction log, newest first per customer';
GRANT SELECT ON ordermgmt.v_customer_interactions TO ordermgmt_reader;

CREATE OR REPLACE VIEW ordermgmt.v_order_status AS
SELECT o.order_id, c.code AS customer, o.status, o.hold_reason, o.currency,
       o.created_at, o.promised_at, o.status_changed_at,
       now() - o.created_at AS age,
       now() - o.status_changed_at AS time_in_status,
       coalesce(t.net_amount, 0) AS net_amount,
       coalesce(t.tax_amount, 0) AS tax_amount,
       coalesce(t.net_amount + t.tax_amount, 0) AS gross_amount,
       coalesce(a.open_alerts, 0) AS open_alerts,
       coalesce(t.shipped_net, 0) AS shipped_net,
       coalesce(b.invoiced_total, 0) AS invoiced_total,
       coalesce(b.paid_total, 0) AS paid_total,
       coalesce(b.due_total, 0) AS due_total,
       coalesce(a.level1, 0) AS open_alerts_level1,
       coalesce(a.level2, 0) AS open_alerts_level2,
       coalesce(a.level3, 0) AS open_alerts_level3
  FROM ordermgmt.orders o
  JOIN ordermgmt.customers c USING (customer_id)
  LEFT JOIN LATERAL (
        SELECT round(sum(l.qty * l.unit_price), 2) AS net_amount,
               sum(round(l.qty * l.unit_price * p.tax_rate, 2)) AS tax_amount,
               round(sum((l.shipped_qty - l.returned_qty) * l.unit_price), 2) AS shipped_net
          FROM ordermgmt.order_lines l
          JOIN ordermgmt.products p USING (product_id)
         WHERE l.order_id = o.order_id) t ON true
  LEFT JOIN LATERAL (
        SELECT sum(i.total) AS invoiced_total, sum(i.paid) AS paid_total, sum(i.due) AS due_total
          FROM ordermgmt.invoices i WHERE i.order_id = o.order_id) b ON true
  LEFT JOIN LATERAL (
        SELECT count(*) AS open_alerts, count(*) FILTER (WHERE al.level = 1) AS level1,
               count(*) FILTER (WHERE al.level = 2) AS level2, count(*) FILTER (WHERE al.level = 3) AS level3
          FROM ordermgmt.alerts al WHERE al.order_id = o.order_id AND al.status <> 'resolved') a ON true;
COMMENT ON VIEW ordermgmt.v_order_status IS
    'One row per order: status, age, time in status, amounts ordered, shipped, invoiced, paid and due, open alerts by level';

--------------------------------------------------------------------------
-- Placement speed
--------------------------------------------------------------------------
-- rule_delay is inlined into the statements that call it: no SET clause,
-- and every operator schema-qualified so the caller's search_path cannot
-- change what it means.
CREATE OR REPLACE FUNCTION ordermgmt.rule_delay(rule_code text, thresholds jsonb, variant text DEFAULT NULL)
    RETURNS interval LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
SELECT CASE rule_code
         WHEN 'L1_CONFIRMATION_OVERDUE' THEN (thresholds OPERATOR(pg_catalog.->>) 'deadline')::pg_catalog.interval
         WHEN 'L2_PROCESSING_OVERDUE' THEN (thresholds OPERATOR(pg_catalog.->>) 'processing_time')::pg_catalog.interval
         WHEN 'L2_STALLED' THEN (thresholds OPERATOR(pg_catalog.->>) 'stall_time')::pg_catalog.interval
         WHEN 'L3_DELIVERY_LATE' THEN coalesce((thresholds OPERATOR(pg_catalog.->>) 'grace')::pg_catalog.interval, '0')
         WHEN 'L3_PAYMENT_OVERDUE' THEN coalesce((thresholds OPERATOR(pg_catalog.->>) 'grace')::pg_catalog.interval, '0')
         WHEN 'L3_TICKET_OVERDUE' THEN (thresholds OPERATOR(pg_catalog.->>) coalesce(variant, 'normal'))::pg_catalog.interval
       END
$$;

-- Rows only the extension's owner writes need no foreign-key checks on
-- every order: the C code keeps them consistent.
ALTER TABLE ordermgmt.reservations DROP CONSTRAINT reservations_order_id_line_no_fkey;
ALTER TABLE ordermgmt.reservations DROP CONSTRAINT reservations_product_id_warehouse_id_fkey;
ALTER TABLE ordermgmt.order_status_history DROP CONSTRAINT order_status_history_order_id_fkey;
ALTER TABLE ordermgmt.deadlines DROP CONSTRAINT deadlines_rule_code_fkey;

-- The line guard writes nothing: it runs as the caller, without the cost
-- of switching user and search_path on every line.
ALTER FUNCTION ordermgmt.order_lines_guard() SECURITY INVOKER RESET search_path;

-- Backends cache the transitions and the level-1 rules; a change to either
-- table makes every backend reload them.
CREATE FUNCTION ordermgmt.config_changed() RETURNS trigger
    LANGUAGE C AS 'MODULE_PATHNAME', 'ordermgmt_config_changed';
COMMENT ON FUNCTION ordermgmt.config_changed() IS 'Makes every backend reload its cached copy of the table';
REVOKE ALL ON FUNCTION ordermgmt.config_changed() FROM PUBLIC;
CREATE TRIGGER order_transitions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON ordermgmt.order_transitions FOR EACH STATEMENT EXECUTE FUNCTION ordermgmt.config_changed();
CREATE TRIGGER monitor_rules_cache_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON ordermgmt.monitor_rules FOR EACH STATEMENT EXECUTE FUNCTION ordermgmt.config_changed();
