\echo Use "ALTER EXTENSION ordermgmt UPDATE TO '0.5.0'" to load this file. \quit

-- ordermgmt 0.5.0: hardening against hostile logins (docs/security.md).

--------------------------------------------------------------------------
-- Every function runs with a pinned search_path
--------------------------------------------------------------------------
-- A function that resolves names with the caller's search_path runs the
-- caller's look-alike operators and functions; inside a trigger or a
-- SECURITY DEFINER function that is the caller's code with our rights.
ALTER FUNCTION ordermgmt.order_lines_guard() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION ordermgmt.postings_balanced() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION ordermgmt.ledger_immutable() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION ordermgmt.config_keep_builtin() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION ordermgmt.config_merge() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION ordermgmt.config_changed() SET search_path = pg_catalog, pg_temp;

-- rule_delay stays inlinable (no SET clause), so nothing in it may be
-- looked up by name: a simple CASE compares with whatever "=" the
-- caller's path finds, an explicit OPERATOR() does not.
CREATE OR REPLACE FUNCTION ordermgmt.rule_delay(rule_code text, thresholds jsonb, variant text DEFAULT NULL)
    RETURNS interval LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
SELECT CASE
         WHEN rule_code OPERATOR(pg_catalog.=) 'L1_CONFIRMATION_OVERDUE'
           THEN (thresholds OPERATOR(pg_catalog.->>) 'deadline')::pg_catalog.interval
         WHEN rule_code OPERATOR(pg_catalog.=) 'L2_PROCESSING_OVERDUE'
           THEN (thresholds OPERATOR(pg_catalog.->>) 'processing_time')::pg_catalog.interval
         WHEN rule_code OPERATOR(pg_catalog.=) 'L2_STALLED'
           THEN (thresholds OPERATOR(pg_catalog.->>) 'stall_time')::pg_catalog.interval
         WHEN rule_code OPERATOR(pg_catalog.=) 'L3_DELIVERY_LATE'
           THEN coalesce((thresholds OPERATOR(pg_catalog.->>) 'grace')::pg_catalog.interval, '0')
         WHEN rule_code OPERATOR(pg_catalog.=) 'L3_PAYMENT_OVERDUE'
           THEN coalesce((thresholds OPERATOR(pg_catalog.->>) 'grace')::pg_catalog.interval, '0')
         WHEN rule_code OPERATOR(pg_catalog.=) 'L3_TICKET_OVERDUE'
           THEN (thresholds OPERATOR(pg_catalog.->>) coalesce(variant, 'normal'))::pg_catalog.interval
       END
$$;

--------------------------------------------------------------------------
-- Settings that bound what a caller can do
--------------------------------------------------------------------------
ALTER TABLE ordermgmt.settings DROP CONSTRAINT settings_key_check;
ALTER TABLE ordermgmt.settings ADD CONSTRAINT settings_key_check
    CHECK (key IN ('default_warehouse', 'auto_confirm', 'currency', 'event_retention',
                   'max_text_length', 'max_cost_factor'));
ALTER TABLE ordermgmt.settings ADD CONSTRAINT settings_max_text_length_check
    CHECK (key <> 'max_text_length' OR value::int4 BETWEEN 16 AND 1000000);
ALTER TABLE ordermgmt.settings ADD CONSTRAINT settings_max_cost_factor_check
    CHECK (key <> 'max_cost_factor' OR value::numeric >= 1);

CREATE OR REPLACE VIEW ordermgmt.v_settings AS
SELECT d.key, coalesce(s.value, d.default_value) AS value, d.default_value, d.description
  FROM (VALUES
        ('default_warehouse', NULL, 'Warehouse code used when an order names none (NULL: the only warehouse)'),
        ('auto_confirm', 'true', 'Submitted orders run their level-1 confirmation at once'),
        ('currency', 'EUR', 'Currency of new orders unless options.currency says otherwise'),
        ('event_retention', '30 days', 'How long events and resolved alerts are kept by purge_history'),
        ('max_text_length', '4096', 'Longest free text (reasons, notes, subjects, memos, carrier, tracking) in characters'),
        ('max_cost_factor', '10', 'A receipt''s unit_cost stays within this factor of the product''s cost unless an admin receives it'))
       AS d(key, default_value, description)
  LEFT JOIN ordermgmt.settings s USING (key);

-- Backends cache max_text_length: a change makes every backend reload it.
CREATE TRIGGER settings_cache_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON ordermgmt.settings FOR EACH STATEMENT EXECUTE FUNCTION ordermgmt.config_changed();

--------------------------------------------------------------------------
-- Alerts are the service desk's and the approvers' to acknowledge and resolve
--------------------------------------------------------------------------
-- The first two department roles of the split to come: ordermgmt_app
-- stays a member of the service role, so its callers keep working.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ordermgmt_service') THEN
        CREATE ROLE ordermgmt_service NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ordermgmt_approver') THEN
        CREATE ROLE ordermgmt_approver NOLOGIN;
    END IF;
END
$roles$;
GRANT USAGE ON SCHEMA ordermgmt TO ordermgmt_service, ordermgmt_approver;
GRANT ordermgmt_reader TO ordermgmt_service, ordermgmt_approver;
GRANT SELECT ON ordermgmt.alerts TO ordermgmt_service, ordermgmt_approver;
REVOKE EXECUTE ON FUNCTION ordermgmt.acknowledge_alert(bigint, text), ordermgmt.resolve_alert(bigint, text)
    FROM ordermgmt_app;
GRANT EXECUTE ON FUNCTION ordermgmt.acknowledge_alert(bigint, text), ordermgmt.resolve_alert(bigint, text)
    TO ordermgmt_service, ordermgmt_approver;
GRANT ordermgmt_service TO ordermgmt_app;

--------------------------------------------------------------------------
-- Definer rights without a superuser
--------------------------------------------------------------------------
-- SECURITY DEFINER functions run as their owner, and the worker drops to
-- that role for its work: a hole in either yields the extension's own
-- tables, not the cluster.  ordermgmt_owner owns every table, view,
-- sequence and function of the extension and nothing else; it cannot log
-- in, and nobody is a member of it.  The schema and the type stay with
-- the superuser who created the extension.
DO $owner$
DECLARE
    member record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ordermgmt_owner') THEN
        CREATE ROLE ordermgmt_owner NOLOGIN NOINHERIT;
    ELSIF EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                   WHERE r.rolname = 'ordermgmt_owner'
                     AND (r.rolcanlogin OR r.rolsuper OR r.rolcreaterole OR r.rolcreatedb
                          OR r.rolreplication OR r.rolbypassrls))
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
                   WHERE 'ordermgmt_owner'::pg_catalog.regrole IN (m.roleid, m.member)) THEN
        -- whoever made it so could act as the owner of every order
        RAISE EXCEPTION 'role ordermgmt_owner exists and can log in, has an attribute or a membership'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Make it NOLOGIN with no attributes and no members, or drop it, then try again.';
    END IF;
    GRANT USAGE ON SCHEMA ordermgmt TO ordermgmt_owner;
    GRANT USAGE ON TYPE ordermgmt.order_status TO ordermgmt_owner;
    FOR member IN
        SELECT d.classid, d.objid, c.relkind
          FROM pg_catalog.pg_depend d
          LEFT JOIN pg_catalog.pg_class c ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND c.oid = d.objid
         WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e'
           AND d.refobjid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'ordermgmt')
    LOOP
        IF member.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass THEN
            EXECUTE pg_catalog.format('ALTER ROUTINE %s OWNER TO ordermgmt_owner',
                                      member.objid::pg_catalog.regprocedure);
        ELSIF member.relkind IN ('r', 'p') THEN
            -- with the sequences of its serial and identity columns
            EXECUTE pg_catalog.format('ALTER TABLE %s OWNER TO ordermgmt_owner', member.objid::pg_catalog.regclass);
        ELSIF member.relkind = 'v' THEN
            EXECUTE pg_catalog.format('ALTER VIEW %s OWNER TO ordermgmt_owner', member.objid::pg_catalog.regclass);
        ELSIF member.relkind = 'S' AND NOT EXISTS (
                SELECT 1 FROM pg_catalog.pg_depend t
                 WHERE t.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND t.objid = member.objid
                   AND t.deptype IN ('a', 'i')) THEN
            EXECUTE pg_catalog.format('ALTER SEQUENCE %s OWNER TO ordermgmt_owner', member.objid::pg_catalog.regclass);
        END IF;
    END LOOP;
END
$owner$;

--------------------------------------------------------------------------
-- Every view and view column described, for BI tools
--------------------------------------------------------------------------
-- Days and weeks are UTC days and weeks; amounts are in the row's currency.
COMMENT ON VIEW ordermgmt.v_settings IS
    'Effective configuration: the override from settings, else the built-in default; one row per known key';
COMMENT ON COLUMN ordermgmt.v_settings.key IS 'Setting name';
COMMENT ON COLUMN ordermgmt.v_settings.value IS
    'Value in force: the settings row if there is one, else default_value (NULL for an unset default_warehouse: the only warehouse is used)';
COMMENT ON COLUMN ordermgmt.v_settings.default_value IS
    'Built-in default, used while settings has no row for the key';
COMMENT ON COLUMN ordermgmt.v_settings.description IS 'What the setting controls';

COMMENT ON VIEW ordermgmt.v_stock_availability IS 'Stock per SKU and warehouse: on hand, reserved, available';
COMMENT ON COLUMN ordermgmt.v_stock_availability.sku IS 'Product SKU';
COMMENT ON COLUMN ordermgmt.v_stock_availability.warehouse IS 'Warehouse code';
COMMENT ON COLUMN ordermgmt.v_stock_availability.on_hand IS
    'Quantity in the warehouse: the sum of its stock moves';
COMMENT ON COLUMN ordermgmt.v_stock_availability.reserved IS
    'Quantity reserved for order lines and not yet shipped';
COMMENT ON COLUMN ordermgmt.v_stock_availability.available IS
    'on_hand - reserved: what new orders can reserve';
COMMENT ON COLUMN ordermgmt.v_stock_availability.reorder_point IS
    'The product''s reorder point: available below it raises L2_LOW_STOCK';

COMMENT ON VIEW ordermgmt.v_order_status IS
    'One row per order: status, age, time in status, amounts ordered, shipped, invoiced, paid and due, open alerts by level';
COMMENT ON COLUMN ordermgmt.v_order_status.order_id IS 'Order id';
COMMENT ON COLUMN ordermgmt.v_order_status.customer IS 'Customer code';
COMMENT ON COLUMN ordermgmt.v_order_status.status IS 'Lifecycle status';
COMMENT ON COLUMN ordermgmt.v_order_status.hold_reason IS
    'Why the order is on hold; NULL unless status is on_hold';
COMMENT ON COLUMN ordermgmt.v_order_status.currency IS
    'Currency of the order (ISO 4217 code); every amount of the row is in it';
COMMENT ON COLUMN ordermgmt.v_order_status.created_at IS 'When the order was entered';
COMMENT ON COLUMN ordermgmt.v_order_status.promised_at IS 'Promised delivery time; NULL if none was given';
COMMENT ON COLUMN ordermgmt.v_order_status.status_changed_at IS 'When the status last changed';
COMMENT ON COLUMN ordermgmt.v_order_status.age IS 'Time since the order was entered (now() - created_at)';
COMMENT ON COLUMN ordermgmt.v_order_status.time_in_status IS
    'Time since the last status change (now() - status_changed_at)';
COMMENT ON COLUMN ordermgmt.v_order_status.net_amount IS
    'Ordered net value: qty * unit_price summed over the lines, rounded to cents; 0 without lines';
COMMENT ON COLUMN ordermgmt.v_order_status.tax_amount IS
    'Ordered tax: qty * unit_price * the product''s current tax rate, rounded to cents per line, summed';
COMMENT ON COLUMN ordermgmt.v_order_status.gross_amount IS 'net_amount + tax_amount';
COMMENT ON COLUMN ordermgmt.v_order_status.open_alerts IS
    'Alerts of the order not resolved (open or acknowledged)';
COMMENT ON COLUMN ordermgmt.v_order_status.shipped_net IS
    'Net value shipped and not returned: (shipped_qty - returned_qty) * unit_price summed, rounded to cents';
COMMENT ON COLUMN ordermgmt.v_order_status.invoiced_total IS
    'Total (net + tax) of the order''s invoices; 0 without invoices';
COMMENT ON COLUMN ordermgmt.v_order_status.paid_total IS 'Paid on the order''s invoices';
COMMENT ON COLUMN ordermgmt.v_order_status.due_total IS
    'Still due on the order''s invoices (total - paid - credited)';
COMMENT ON COLUMN ordermgmt.v_order_status.open_alerts_level1 IS
    'Open or acknowledged alerts of level 1 (confirmation checks)';
COMMENT ON COLUMN ordermgmt.v_order_status.open_alerts_level2 IS
    'Open or acknowledged alerts of level 2 (processing and stock)';
COMMENT ON COLUMN ordermgmt.v_order_status.open_alerts_level3 IS
    'Open or acknowledged alerts of level 3 (delivery, payment and after-sales)';

COMMENT ON VIEW ordermgmt.v_pipeline IS 'Order count and net value by status';
COMMENT ON COLUMN ordermgmt.v_pipeline.status IS 'Lifecycle status';
COMMENT ON COLUMN ordermgmt.v_pipeline.orders IS 'Orders in the status';
COMMENT ON COLUMN ordermgmt.v_pipeline.net_amount IS
    'Their net value: qty * unit_price of each order''s lines, rounded to cents per order, summed';

COMMENT ON VIEW ordermgmt.v_monitor_dashboard IS
    'Open and acknowledged alerts by level, rule and severity, with the oldest one''s age';
COMMENT ON COLUMN ordermgmt.v_monitor_dashboard.level IS 'Monitoring level (1-3) of the alerts, as raised';
COMMENT ON COLUMN ordermgmt.v_monitor_dashboard.rule_code IS 'Rule that raised the alerts';
COMMENT ON COLUMN ordermgmt.v_monitor_dashboard.severity IS
    'Severity of the alerts as raised: info, warning or critical';
COMMENT ON COLUMN ordermgmt.v_monitor_dashboard.open IS 'Alerts not yet acknowledged';
COMMENT ON COLUMN ordermgmt.v_monitor_dashboard.acknowledged IS 'Alerts acknowledged and not yet resolved';
COMMENT ON COLUMN ordermgmt.v_monitor_dashboard.oldest_age IS
    'Time since the oldest of these alerts was raised (now() - raised_at)';

COMMENT ON VIEW ordermgmt.v_trial_balance IS
    'Debits, credits and balance per account and currency (accounts with postings only); the balances of a currency sum to zero';
COMMENT ON COLUMN ordermgmt.v_trial_balance.account_code IS 'Account code in the chart of accounts';
COMMENT ON COLUMN ordermgmt.v_trial_balance.account_name IS 'Account name';
COMMENT ON COLUMN ordermgmt.v_trial_balance.account_type IS 'asset, liability, equity, revenue or expense';
COMMENT ON COLUMN ordermgmt.v_trial_balance.currency IS 'Currency of the postings';
COMMENT ON COLUMN ordermgmt.v_trial_balance.debit IS
    'Sum of the debits posted to the account in the currency';
COMMENT ON COLUMN ordermgmt.v_trial_balance.credit IS
    'Sum of the credits posted to the account in the currency';
COMMENT ON COLUMN ordermgmt.v_trial_balance.balance IS 'debit - credit';

COMMENT ON VIEW ordermgmt.v_ar_aging IS
    'Open receivables per customer and currency by days past the due date (current_date - due date, both dates in the session time zone)';
COMMENT ON COLUMN ordermgmt.v_ar_aging.customer IS 'Customer code';
COMMENT ON COLUMN ordermgmt.v_ar_aging.currency IS 'Currency of the invoices';
COMMENT ON COLUMN ordermgmt.v_ar_aging.not_due IS 'Due on invoices whose due date is today or later';
COMMENT ON COLUMN ordermgmt.v_ar_aging.overdue_1_30 IS 'Due on invoices 1 to 30 days past their due date';
COMMENT ON COLUMN ordermgmt.v_ar_aging.overdue_31_60 IS 'Due on invoices 31 to 60 days past their due date';
COMMENT ON COLUMN ordermgmt.v_ar_aging.overdue_61_90 IS 'Due on invoices 61 to 90 days past their due date';
COMMENT ON COLUMN ordermgmt.v_ar_aging.overdue_over_90 IS
    'Due on invoices more than 90 days past their due date';
COMMENT ON COLUMN ordermgmt.v_ar_aging.total_due IS 'Due on all open invoices (the sum of the five buckets)';

COMMENT ON VIEW ordermgmt.v_feedback_summary IS
    'Ratings per customer (customers with ratings only): count, average, negative and positive';
COMMENT ON COLUMN ordermgmt.v_feedback_summary.customer IS 'Customer code';
COMMENT ON COLUMN ordermgmt.v_feedback_summary.ratings IS 'Ratings recorded';
COMMENT ON COLUMN ordermgmt.v_feedback_summary.average_rating IS 'Mean rating (1-5), rounded to 2 decimals';
COMMENT ON COLUMN ordermgmt.v_feedback_summary.negative IS 'Ratings of 2 or less';
COMMENT ON COLUMN ordermgmt.v_feedback_summary.positive IS 'Ratings of 4 or more';
COMMENT ON COLUMN ordermgmt.v_feedback_summary.last_rated_at IS 'When the latest rating was recorded';

COMMENT ON VIEW ordermgmt.v_tickets IS
    'After-sales tickets with their deadline, age and whether they are overdue';
COMMENT ON COLUMN ordermgmt.v_tickets.ticket_id IS 'Ticket id';
COMMENT ON COLUMN ordermgmt.v_tickets.order_id IS 'The order the ticket is about';
COMMENT ON COLUMN ordermgmt.v_tickets.customer IS 'Customer code of the order';
COMMENT ON COLUMN ordermgmt.v_tickets.subject IS 'What the ticket is about';
COMMENT ON COLUMN ordermgmt.v_tickets.priority IS 'low, normal, high or urgent; sets the deadline';
COMMENT ON COLUMN ordermgmt.v_tickets.status IS 'open or resolved';
COMMENT ON COLUMN ordermgmt.v_tickets.opened_at IS 'When the ticket was opened';
COMMENT ON COLUMN ordermgmt.v_tickets.due_at IS
    'Deadline: opened_at plus the L3_TICKET_OVERDUE delay for its priority; NULL once resolved';
COMMENT ON COLUMN ordermgmt.v_tickets.resolved_at IS 'When the ticket was resolved; NULL while open';
COMMENT ON COLUMN ordermgmt.v_tickets.resolution IS 'How the ticket was resolved; NULL while open';
COMMENT ON COLUMN ordermgmt.v_tickets.age IS
    'Time open: from opened_at to resolved_at, or to now() while open';
COMMENT ON COLUMN ordermgmt.v_tickets.overdue IS
    'true while open past due_at, false otherwise (NULL for an open ticket without a deadline)';

COMMENT ON VIEW ordermgmt.v_daily_sales IS
    'Per UTC day and currency: orders booked (not draft or cancelled) and invoices issued; days with neither have no row';
COMMENT ON COLUMN ordermgmt.v_daily_sales.day IS 'UTC day the orders were entered and the invoices issued';
COMMENT ON COLUMN ordermgmt.v_daily_sales.currency IS 'Currency of the orders and invoices';
COMMENT ON COLUMN ordermgmt.v_daily_sales.orders_booked IS
    'Orders entered that day whose status is neither draft nor cancelled';
COMMENT ON COLUMN ordermgmt.v_daily_sales.booked_net IS
    'Their net value (orders.ordered_net: qty * unit_price of the lines, rounded to cents)';
COMMENT ON COLUMN ordermgmt.v_daily_sales.invoices IS 'Invoices issued that day';
COMMENT ON COLUMN ordermgmt.v_daily_sales.invoiced_net IS 'Net amount of those invoices';
COMMENT ON COLUMN ordermgmt.v_daily_sales.invoiced_tax IS 'Tax of those invoices';
COMMENT ON COLUMN ordermgmt.v_daily_sales.invoiced_total IS 'Total (net + tax) of those invoices';

COMMENT ON VIEW ordermgmt.v_order_milestones IS
    'When each order was entered, confirmed, first and last shipped, and delivered';
COMMENT ON COLUMN ordermgmt.v_order_milestones.order_id IS 'Order id';
COMMENT ON COLUMN ordermgmt.v_order_milestones.customer_id IS 'Customer id (customers.customer_id)';
COMMENT ON COLUMN ordermgmt.v_order_milestones.created_at IS 'When the order was entered';
COMMENT ON COLUMN ordermgmt.v_order_milestones.confirmed_at IS
    'When the order last became confirmed; NULL if never';
COMMENT ON COLUMN ordermgmt.v_order_milestones.promised_at IS
    'Promised delivery time; NULL if none was given';
COMMENT ON COLUMN ordermgmt.v_order_milestones.first_shipped_at IS
    'When its first shipment left; NULL before the first shipment';
COMMENT ON COLUMN ordermgmt.v_order_milestones.last_shipped_at IS
    'When its latest shipment left; NULL before the first shipment';
COMMENT ON COLUMN ordermgmt.v_order_milestones.delivered_at IS
    'When the order became delivered: its last shipment''s delivery time; NULL until then';

COMMENT ON VIEW ordermgmt.v_fulfillment_times IS
    'Hours from entry to confirmation, confirmation to shipment, shipment to delivery, and overall: mean, median, 90th percentile per UTC week of entry';
COMMENT ON COLUMN ordermgmt.v_fulfillment_times.week IS
    'Monday of the UTC week in which the orders were entered';
COMMENT ON COLUMN ordermgmt.v_fulfillment_times.stage IS
    'entry_to_confirmation, confirmation_to_shipment (to the first shipment), shipment_to_delivery (from the last shipment) or entry_to_delivery';
COMMENT ON COLUMN ordermgmt.v_fulfillment_times.orders IS
    'Orders of that week that have reached the end of the stage';
COMMENT ON COLUMN ordermgmt.v_fulfillment_times.mean_hours IS
    'Mean duration of the stage in hours, rounded to 2 decimals';
COMMENT ON COLUMN ordermgmt.v_fulfillment_times.median_hours IS
    'Median duration of the stage in hours (interpolated), rounded to 2 decimals';
COMMENT ON COLUMN ordermgmt.v_fulfillment_times.p90_hours IS
    '90th percentile of the duration in hours (interpolated), rounded to 2 decimals';

COMMENT ON VIEW ordermgmt.v_on_time_delivery IS
    'Share of orders delivered by their promised time, per UTC week of delivery and customer, per week (customer NULL) and per customer (week NULL)';
COMMENT ON COLUMN ordermgmt.v_on_time_delivery.week IS
    'Monday of the UTC week of delivery; NULL on the per-customer totals';
COMMENT ON COLUMN ordermgmt.v_on_time_delivery.customer IS 'Customer code; NULL on the per-week totals';
COMMENT ON COLUMN ordermgmt.v_on_time_delivery.delivered IS 'Orders delivered that had a promised time';
COMMENT ON COLUMN ordermgmt.v_on_time_delivery.on_time IS
    'Of those, delivered at or before the promised time';
COMMENT ON COLUMN ordermgmt.v_on_time_delivery.on_time_rate IS
    'on_time / delivered, a fraction rounded to 4 decimals';

COMMENT ON VIEW ordermgmt.v_customer_history IS
    'Per customer: orders, first and last order, open orders, lifetime value (invoiced less credits), balance due, average rating, recency / frequency segment, contacts and last interaction';
COMMENT ON COLUMN ordermgmt.v_customer_history.customer IS 'Customer code';
COMMENT ON COLUMN ordermgmt.v_customer_history.name IS 'Customer name';
COMMENT ON COLUMN ordermgmt.v_customer_history.email IS 'Customer e-mail address';
COMMENT ON COLUMN ordermgmt.v_customer_history.credit_limit IS 'Credit limit; NULL means no limit';
COMMENT ON COLUMN ordermgmt.v_customer_history.blocked IS
    'true if the customer is blocked (its orders are held at confirmation)';
COMMENT ON COLUMN ordermgmt.v_customer_history.orders IS 'Orders entered, drafts excluded';
COMMENT ON COLUMN ordermgmt.v_customer_history.first_order_at IS
    'When the first of them was entered; NULL without orders';
COMMENT ON COLUMN ordermgmt.v_customer_history.last_order_at IS
    'When the latest of them was entered; NULL without orders';
COMMENT ON COLUMN ordermgmt.v_customer_history.open_orders IS
    'Of them, those neither completed nor cancelled';
COMMENT ON COLUMN ordermgmt.v_customer_history.lifetime_value IS
    'Net invoiced less net credited on returns, over all currencies as they stand (not converted)';
COMMENT ON COLUMN ordermgmt.v_customer_history.balance_due IS
    'Still due on its invoices, over all currencies as they stand (not converted)';
COMMENT ON COLUMN ordermgmt.v_customer_history.average_rating IS
    'Mean of its ratings (1-5), rounded to 2 decimals; NULL without ratings';
COMMENT ON COLUMN ordermgmt.v_customer_history.recency_days IS
    'Days from the UTC day of the last order to current_date (session time zone); NULL without orders';
COMMENT ON COLUMN ordermgmt.v_customer_history.frequency_last_year IS
    'Orders entered in the last year, drafts excluded';
COMMENT ON COLUMN ordermgmt.v_customer_history.segment IS
    'prospect (no orders), new (first order in the last 30 days), champion (last order in 30 days, 6 or more in the year), loyal (last in 90 days, 3 or more), active (last in 90 days), at risk (last in 180 days), else lost';
COMMENT ON COLUMN ordermgmt.v_customer_history.contacts IS 'Number of its contacts';
COMMENT ON COLUMN ordermgmt.v_customer_history.primary_contact IS 'Name of its primary contact; NULL if none';
COMMENT ON COLUMN ordermgmt.v_customer_history.last_interaction_at IS
    'When its latest recorded interaction took place; NULL if none';

COMMENT ON VIEW ordermgmt.v_customer_interactions IS
    'The interaction log (calls, emails, meetings, notes), newest first per customer';
COMMENT ON COLUMN ordermgmt.v_customer_interactions.customer IS 'Customer code';
COMMENT ON COLUMN ordermgmt.v_customer_interactions.occurred_at IS 'When the interaction took place';
COMMENT ON COLUMN ordermgmt.v_customer_interactions.kind IS 'call, email, meeting or note';
COMMENT ON COLUMN ordermgmt.v_customer_interactions.subject IS 'What it was about';
COMMENT ON COLUMN ordermgmt.v_customer_interactions.notes IS 'Free-text notes; NULL if none';
COMMENT ON COLUMN ordermgmt.v_customer_interactions.contact IS
    'Name of the customer''s contact involved; NULL if none';
COMMENT ON COLUMN ordermgmt.v_customer_interactions.order_id IS 'The order it concerns; NULL if none';
COMMENT ON COLUMN ordermgmt.v_customer_interactions.recorded_by IS 'Login that recorded it';
