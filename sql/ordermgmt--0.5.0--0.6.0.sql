\echo Use "ALTER EXTENSION ordermgmt UPDATE TO '0.6.0'" to load this file. \quit

-- ordermgmt 0.6.0: cost that stays flat as history grows, batch entry
-- points, a self-audit (verify) and customers' own access (row-level
-- security).

--------------------------------------------------------------------------
-- Each customer's open credit exposure, kept per currency
--------------------------------------------------------------------------
-- The credit check read the customer's whole history on every
-- confirmation, and added amounts of different currencies as one number.
-- The exposure is now kept by the C code (src/domain/exposure.c) in the
-- transactions that change it, per customer and currency.

COMMENT ON COLUMN ordermgmt.customers.credit_limit IS
    'Maximum open receivables plus open order value (customer_exposure), in each currency on its own until exchange rates exist; NULL means no limit';

-- Each line's tax rate, recorded as its order leaves draft, so that an
-- order's value does not follow later changes of the product's rate.
ALTER TABLE ordermgmt.order_lines
    ADD COLUMN tax_rate numeric(7,6) CHECK (tax_rate >= 0 AND tax_rate <= 1);
COMMENT ON COLUMN ordermgmt.order_lines.tax_rate IS
    'The product''s tax rate recorded as the order leaves draft, NULL for drafts; the order''s value in customer_exposure uses it (invoices charge the rate in force when issued)';
-- Backfilled as raw data (the line guard refuses writes of it): the
-- products' rates now, the rates the credit check of 0.5.0 used.
SET LOCAL session_replication_role = replica;
UPDATE ordermgmt.order_lines l
   SET tax_rate = p.tax_rate
  FROM ordermgmt.products p, ordermgmt.orders o
 WHERE p.product_id = l.product_id AND o.order_id = l.order_id AND o.status <> 'draft';
SET LOCAL session_replication_role = origin;

-- Each customer's open credit exposure per currency, kept by the C code in
-- the transactions that change it (src/domain/exposure.c): a status change
-- into or out of the open statuses, invoicing, payment, return and credit
-- note.  The credit check reads one row of it instead of the customer's
-- history.  Unrounded, so that the sum of the changes equals the sum
-- recomputed (verify(): summaries.customer_exposure).  No CHECK (>= 0): the
-- upserts that lower it propose a row of the negative change.  Dumped with
-- its rows, like delivery_weeks: a restore loads orders and invoices as
-- raw data, without the C code that would rebuild it.
CREATE TABLE ordermgmt.customer_exposure (
    customer_id bigint NOT NULL REFERENCES ordermgmt.customers,
    currency    char(3) NOT NULL,
    open_orders numeric NOT NULL DEFAULT 0,
    receivables numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, currency)
);
COMMENT ON TABLE ordermgmt.customer_exposure IS
    'Open credit exposure (open_orders + receivables) per customer and currency, kept by the extension; L1_CREDIT_LIMIT compares it with customers.credit_limit';
COMMENT ON COLUMN ordermgmt.customer_exposure.customer_id IS 'The customer';
COMMENT ON COLUMN ordermgmt.customer_exposure.currency IS
    'Currency of the orders and invoices counted; amounts of different currencies are never added';
COMMENT ON COLUMN ordermgmt.customer_exposure.open_orders IS
    'Still to bill on the customer''s orders in confirmed, processing, partially_shipped, shipped or delivered: ((qty - returned_qty) - (invoiced_qty - credited_qty)) * unit_price * (1 + order_lines.tax_rate) summed over their lines, unrounded';
COMMENT ON COLUMN ordermgmt.customer_exposure.receivables IS
    'Still due on the customer''s invoices (sum of invoices.due); credit left to the customer is not subtracted';

-- The history up to now, exactly as the recomputation defines it.
INSERT INTO ordermgmt.customer_exposure (customer_id, currency, open_orders, receivables)
SELECT x.customer_id, x.currency, sum(x.open_orders), sum(x.receivables)
  FROM (SELECT o.customer_id, o.currency,
               ((l.qty - l.returned_qty) - (l.invoiced_qty - l.credited_qty)) * l.unit_price * (1 + l.tax_rate)
                 AS open_orders,
               0 AS receivables
          FROM ordermgmt.orders o JOIN ordermgmt.order_lines l ON l.order_id = o.order_id
         WHERE o.status IN ('confirmed', 'processing', 'partially_shipped', 'shipped', 'delivered')
        UNION ALL
        SELECT i.customer_id, i.currency, 0, i.due FROM ordermgmt.invoices i WHERE i.due > 0) x
 GROUP BY x.customer_id, x.currency;

REVOKE ALL ON ordermgmt.customer_exposure FROM PUBLIC;
GRANT SELECT ON ordermgmt.customer_exposure TO ordermgmt_app;
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.customer_exposure', '');

-- Each ticket's copy of its deadline, so that v_tickets sorts by it
-- through an index; from the deadlines as they stand.
ALTER TABLE ordermgmt.tickets ADD COLUMN due_at timestamptz;
COMMENT ON COLUMN ordermgmt.tickets.due_at IS
    'Copy of the ticket''s L3_TICKET_OVERDUE deadline (deadlines.due_at) while open, NULL once resolved; kept by open_ticket, resolve_ticket and a change of the rule''s thresholds';
UPDATE ordermgmt.tickets t SET due_at = d.due_at
  FROM ordermgmt.deadlines d
 WHERE d.rule_code = 'L3_TICKET_OVERDUE' AND d.subject_type = 'ticket' AND d.subject_id = t.ticket_id
   AND t.status = 'open';
CREATE INDEX tickets_due_at_idx ON ordermgmt.tickets (due_at);

--------------------------------------------------------------------------
-- Batch entry points
--------------------------------------------------------------------------
-- Batch entry points: one row per item, in input order; each item runs the
-- single function's operation in a subtransaction of its own, so a failed
-- item leaves no trace; at most 10,000 items per call.
CREATE FUNCTION ordermgmt.create_orders(orders jsonb)
    RETURNS TABLE (ord integer, order_id bigint, sqlstate text, message text)
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_create_orders';
COMMENT ON FUNCTION ordermgmt.create_orders(jsonb) IS
    'create_order for each item of a JSON array of {customer, lines, options}; one row per item: its order_id, or NULL with the item''s sqlstate and message; an external_ref repeated within the batch fails the later item (22023)';

CREATE FUNCTION ordermgmt.ship_orders(shipments jsonb)
    RETURNS TABLE (ord integer, shipment_id bigint, sqlstate text, message text)
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_ship_orders';
COMMENT ON FUNCTION ordermgmt.ship_orders(jsonb) IS
    'ship_order for each item of a JSON array of {order_id, lines?, carrier?, tracking?}; one row per item: its shipment_id, or NULL with the item''s sqlstate and message';

CREATE FUNCTION ordermgmt.invoice_orders(order_ids bigint[], due_days int DEFAULT 30)
    RETURNS TABLE (ord integer, invoice_id bigint, sqlstate text, message text)
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_invoice_orders';
COMMENT ON FUNCTION ordermgmt.invoice_orders(bigint[], int) IS
    'invoice_order for each order of the array, due in due_days; one row per element: its invoice_id, or NULL with the item''s sqlstate and message';

CREATE FUNCTION ordermgmt.record_payments(payments jsonb)
    RETURNS TABLE (ord integer, payment_id bigint, sqlstate text, message text)
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_record_payments';
COMMENT ON FUNCTION ordermgmt.record_payments(jsonb) IS
    'record_payment for each item of a JSON array of {invoice_id, amount, method?, reference?}; one row per item: its payment_id, or NULL with the item''s sqlstate and message; a reference repeated for one invoice within the batch fails the later item (22023)';
REVOKE ALL ON FUNCTION ordermgmt.create_orders(jsonb), ordermgmt.ship_orders(jsonb),
                       ordermgmt.invoice_orders(bigint[], int), ordermgmt.record_payments(jsonb)
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ordermgmt.create_orders(jsonb), ordermgmt.ship_orders(jsonb),
                          ordermgmt.invoice_orders(bigint[], int), ordermgmt.record_payments(jsonb)
   TO ordermgmt_app;

--------------------------------------------------------------------------
-- What purge_history has deleted
--------------------------------------------------------------------------
-- How far purge_history has deleted, written by each purge that deletes
-- anything, in its transaction (one row).  verify() reads it to tell an
-- event that was purged from one that is missing.
CREATE TABLE ordermgmt.purge_horizon (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    events_before timestamptz NOT NULL,
    alerts_upto   bigint NOT NULL,
    purged_at     timestamptz NOT NULL
);
COMMENT ON TABLE ordermgmt.purge_horizon IS
    'What purge_history may have deleted: events that occurred before events_before, resolved alerts up to alerts_upto';
COMMENT ON COLUMN ordermgmt.purge_horizon.events_before IS
    'Events that occurred before this may have been purged; later ones never were (-infinity: none purged)';
COMMENT ON COLUMN ordermgmt.purge_horizon.alerts_upto IS
    'Alerts with an id up to this may have been purged (0: none)';
COMMENT ON COLUMN ordermgmt.purge_horizon.purged_at IS 'When the last purge that deleted anything ran';
REVOKE ALL ON ordermgmt.purge_horizon FROM PUBLIC;
GRANT SELECT ON ordermgmt.purge_horizon TO ordermgmt_app;
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.purge_horizon', '');

--------------------------------------------------------------------------
-- Self-audit (SQL)
--------------------------------------------------------------------------
-- v_on_time_delivery reads each row's rate instead of dividing for each.
ALTER TABLE ordermgmt.delivery_weeks
    ADD COLUMN on_time_rate numeric GENERATED ALWAYS AS (round(on_time::numeric / NULLIF(delivered, 0), 4)) STORED;
COMMENT ON COLUMN ordermgmt.delivery_weeks.on_time_rate IS
    'on_time / delivered, rounded to 4 decimals (NULL while delivered is 0): stored, so that v_on_time_delivery does not divide for each of its rows';

--------------------------------------------------------------------------
-- Reporting summaries: the BI views read a few rows per day or customer
--------------------------------------------------------------------------
-- Reporting summaries, rolled up from what the business transactions log
-- anyway, so that the BI views read a few rows per day or per customer
-- instead of the order history:
--   order_day_totals    orders per UTC day of entry, currency and status
--                       (drafts are not counted: their lines still change);
--   invoice_day_totals  invoices per UTC day of issue and currency;
--   customer_totals     per customer: orders, open orders, first and last
--                       order, invoiced and credited net, ratings;
--   customer_months     orders per customer and UTC month of entry (the
--                       views' "last year" reads 13 rows per customer).
-- rollup_reports() (src/domain/report_totals.c; the worker runs it every
-- second) adds the changes logged up to report_rollup's horizon: status
-- changes (order_status_history), invoices, returns and feedback, as the
-- views report_day_changes and report_customer_changes count them.  The
-- reporting views add the changes after the horizon themselves, so they
-- are exact whether or not the roll-up ran, and writers pay nothing.
-- Single writer (the roll-up), so no row is ever contended.  No CHECK (>=
-- 0): the upserts propose a row of the change.  Dumped with their rows,
-- like ledger_totals; rebuild_report_totals() recomputes them after a raw
-- bulk load.  verify() recomputes each.
CREATE TABLE ordermgmt.order_day_totals (
    day        date NOT NULL,
    currency   char(3) NOT NULL,
    status     ordermgmt.order_status NOT NULL,
    orders     bigint NOT NULL DEFAULT 0,
    net_amount numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (day, currency, status)
);
COMMENT ON TABLE ordermgmt.order_day_totals IS
    'Orders that left draft, per UTC day of entry, currency and status, up to report_rollup.upto_history_id';
COMMENT ON COLUMN ordermgmt.order_day_totals.day IS 'UTC day the orders were entered (orders.created_at)';
COMMENT ON COLUMN ordermgmt.order_day_totals.currency IS 'Currency of the orders (ISO 4217)';
COMMENT ON COLUMN ordermgmt.order_day_totals.status IS 'Their status as of the horizon (never draft)';
COMMENT ON COLUMN ordermgmt.order_day_totals.orders IS 'Number of such orders';
COMMENT ON COLUMN ordermgmt.order_day_totals.net_amount IS 'Their net value (orders.ordered_net), in currency';

CREATE TABLE ordermgmt.invoice_day_totals (
    day      date NOT NULL,
    currency char(3) NOT NULL,
    invoices bigint NOT NULL DEFAULT 0,
    net      numeric NOT NULL DEFAULT 0,
    tax      numeric NOT NULL DEFAULT 0,
    total    numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (day, currency)
);
COMMENT ON TABLE ordermgmt.invoice_day_totals IS
    'Invoices per UTC day of issue and currency, up to report_rollup.upto_invoice_id';
COMMENT ON COLUMN ordermgmt.invoice_day_totals.day IS 'UTC day the invoices were issued';
COMMENT ON COLUMN ordermgmt.invoice_day_totals.currency IS 'Currency of the invoices (ISO 4217)';
COMMENT ON COLUMN ordermgmt.invoice_day_totals.invoices IS 'Invoices issued';
COMMENT ON COLUMN ordermgmt.invoice_day_totals.net IS 'Their net amount, in currency';
COMMENT ON COLUMN ordermgmt.invoice_day_totals.tax IS 'Their tax, in currency';
COMMENT ON COLUMN ordermgmt.invoice_day_totals.total IS 'Their total (net + tax), in currency';

CREATE TABLE ordermgmt.customer_totals (
    customer_id      bigint PRIMARY KEY REFERENCES ordermgmt.customers,
    orders           bigint NOT NULL DEFAULT 0,
    open_orders      bigint NOT NULL DEFAULT 0,
    first_order_at   timestamptz,
    last_order_at    timestamptz,
    invoiced_net     numeric NOT NULL DEFAULT 0,
    credited_net     numeric NOT NULL DEFAULT 0,
    ratings          bigint NOT NULL DEFAULT 0,
    rating_sum       bigint NOT NULL DEFAULT 0,
    negative_ratings bigint NOT NULL DEFAULT 0,
    positive_ratings bigint NOT NULL DEFAULT 0,
    last_rated_at    timestamptz,
    delivered        bigint NOT NULL DEFAULT 0,
    on_time          bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE ordermgmt.customer_totals IS
    'Per customer, up to report_rollup''s horizon: its orders out of draft, open ones, first and last, net invoiced and credited, ratings';
COMMENT ON COLUMN ordermgmt.customer_totals.orders IS 'Orders that left draft (cancelled ones included)';
COMMENT ON COLUMN ordermgmt.customer_totals.open_orders IS 'Of them, those neither completed nor cancelled';
COMMENT ON COLUMN ordermgmt.customer_totals.first_order_at IS 'created_at of the first of them';
COMMENT ON COLUMN ordermgmt.customer_totals.last_order_at IS 'created_at of the latest of them';
COMMENT ON COLUMN ordermgmt.customer_totals.invoiced_net IS
    'Net amount of its invoices, all currencies added as they stand (not converted)';
COMMENT ON COLUMN ordermgmt.customer_totals.credited_net IS
    'Net amount credited on its returns, all currencies added as they stand (not converted)';
COMMENT ON COLUMN ordermgmt.customer_totals.ratings IS 'Feedback ratings recorded';
COMMENT ON COLUMN ordermgmt.customer_totals.rating_sum IS 'Sum of those ratings (1-5 each)';
COMMENT ON COLUMN ordermgmt.customer_totals.negative_ratings IS 'Ratings of 2 or less';
COMMENT ON COLUMN ordermgmt.customer_totals.positive_ratings IS 'Ratings of 4 or more';
COMMENT ON COLUMN ordermgmt.customer_totals.last_rated_at IS 'When the latest rating was recorded';
COMMENT ON COLUMN ordermgmt.customer_totals.delivered IS 'Its orders delivered with a promised time (as delivery_weeks counts them)';
COMMENT ON COLUMN ordermgmt.customer_totals.on_time IS 'Of those, delivered by the promise';

CREATE TABLE ordermgmt.customer_months (
    customer_id bigint NOT NULL REFERENCES ordermgmt.customers,
    month       date NOT NULL,
    orders      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, month)
);
COMMENT ON TABLE ordermgmt.customer_months IS
    'Orders out of draft per customer and UTC month of entry (first day of the month), up to report_rollup.upto_history_id';

-- Every change of delivery_weeks, as the orders trigger makes it (an order
-- delivered, or its promise moved after delivery): the log the per-week
-- and per-customer on-time totals are rolled up from.  Written in the
-- trigger's statement that changes delivery_weeks.
CREATE TABLE ordermgmt.delivery_changes (
    change_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    week        date NOT NULL,
    customer_id bigint NOT NULL,
    delivered   integer NOT NULL,
    on_time     integer NOT NULL
);
COMMENT ON TABLE ordermgmt.delivery_changes IS
    'Each change the orders trigger made to delivery_weeks (+1 or -1 delivered, on time); rolled up into delivery_week_totals and customer_totals';

CREATE TABLE ordermgmt.delivery_week_totals (
    week      date PRIMARY KEY,
    delivered bigint NOT NULL DEFAULT 0,
    on_time   bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE ordermgmt.delivery_week_totals IS
    'Orders delivered with a promised time per UTC week of delivery, and how many by the promise, up to report_rollup.upto_delivery_id';
COMMENT ON COLUMN ordermgmt.delivery_week_totals.week IS 'Monday of the UTC week of delivery';

-- One row, created by the first roll-up.  upto_* is the horizon the summaries are summed to, per log;
-- next_* and next_xmax arm the next roll-up, which may advance to next_*
-- once every transaction older than next_xmax has ended.
CREATE TABLE ordermgmt.report_rollup (
    singleton         boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    upto_history_id   bigint NOT NULL DEFAULT 0,
    upto_invoice_id   bigint NOT NULL DEFAULT 0,
    upto_return_id    bigint NOT NULL DEFAULT 0,
    upto_feedback_id  bigint NOT NULL DEFAULT 0,
    upto_delivery_id  bigint NOT NULL DEFAULT 0,
    upto_event_id     bigint NOT NULL DEFAULT 0,
    next_history_id   bigint,
    next_invoice_id   bigint,
    next_return_id    bigint,
    next_feedback_id  bigint,
    next_delivery_id  bigint,
    next_event_id     bigint,
    next_xmax         xid8,
    rolled_at         timestamptz
);
COMMENT ON TABLE ordermgmt.report_rollup IS
    'How far the reporting summaries have summed each log (status history, invoices, returns, feedback, delivery changes, events); created by the first roll-up';

-- Each order's figures as v_order_status and v_order_milestones show them
-- (amounts, open alerts, milestones), one row per order out of draft,
-- stored by the roll-up (rollup_reports) for every order with an event in
-- the range it rolls up: every change of these figures writes an event of
-- the order in its transaction.  An index per column, so that a BI tool
-- can sort every order by any of them and read only the rows it shows; the
-- two views compute live the drafts and the orders with events after the
-- roll-up's horizon, so they are exact in every snapshot.  Single writer,
-- so the indexes cost the order transactions nothing.  Dumped with its
-- rows; rebuild_report_totals() recomputes it after a raw bulk load.
CREATE TABLE ordermgmt.order_figures (
    order_id            bigint PRIMARY KEY,
    created_at          timestamptz NOT NULL,
    promised_at         timestamptz,
    status_changed_at   timestamptz NOT NULL,
    confirmed_at        timestamptz,
    delivered_at        timestamptz,
    first_shipped_at    timestamptz,
    last_shipped_at     timestamptz,
    net_amount          numeric NOT NULL,
    tax_amount          numeric NOT NULL,
    gross_amount        numeric NOT NULL,
    shipped_net         numeric NOT NULL,
    invoiced_total      numeric NOT NULL,
    paid_total          numeric NOT NULL,
    due_total           numeric NOT NULL,
    open_alerts         bigint NOT NULL,
    open_alerts_level1  bigint NOT NULL,
    open_alerts_level2  bigint NOT NULL,
    open_alerts_level3  bigint NOT NULL
);
CREATE INDEX order_figures_created_at_idx ON ordermgmt.order_figures (created_at);
CREATE INDEX order_figures_promised_at_idx ON ordermgmt.order_figures (promised_at);
CREATE INDEX order_figures_status_changed_at_idx ON ordermgmt.order_figures (status_changed_at);
CREATE INDEX order_figures_confirmed_at_idx ON ordermgmt.order_figures (confirmed_at);
CREATE INDEX order_figures_delivered_at_idx ON ordermgmt.order_figures (delivered_at);
CREATE INDEX order_figures_first_shipped_at_idx ON ordermgmt.order_figures (first_shipped_at);
CREATE INDEX order_figures_last_shipped_at_idx ON ordermgmt.order_figures (last_shipped_at);
CREATE INDEX order_figures_net_amount_idx ON ordermgmt.order_figures (net_amount);
CREATE INDEX order_figures_tax_amount_idx ON ordermgmt.order_figures (tax_amount);
CREATE INDEX order_figures_gross_amount_idx ON ordermgmt.order_figures (gross_amount);
CREATE INDEX order_figures_shipped_net_idx ON ordermgmt.order_figures (shipped_net);
CREATE INDEX order_figures_invoiced_total_idx ON ordermgmt.order_figures (invoiced_total);
CREATE INDEX order_figures_paid_total_idx ON ordermgmt.order_figures (paid_total);
CREATE INDEX order_figures_due_total_idx ON ordermgmt.order_figures (due_total);
CREATE INDEX order_figures_open_alerts_idx ON ordermgmt.order_figures (open_alerts);
CREATE INDEX order_figures_open_alerts_level1_idx ON ordermgmt.order_figures (open_alerts_level1);
CREATE INDEX order_figures_open_alerts_level2_idx ON ordermgmt.order_figures (open_alerts_level2);
CREATE INDEX order_figures_open_alerts_level3_idx ON ordermgmt.order_figures (open_alerts_level3);
COMMENT ON TABLE ordermgmt.order_figures IS
    'Each order''s figures (report_order_figures) as of its last event up to report_rollup.upto_event_id; drafts are not stored';

-- Each order's figures computed from its lines, invoices, shipments and
-- open alerts: what the roll-up stores in order_figures, and what
-- v_order_status and v_order_milestones compute live for drafts and for
-- orders with events after the roll-up's horizon.  A scalar subquery per
-- figure, on purpose: those views put this one in a UNION ALL whose
-- branches the planner can only flatten (and then sort through an index of
-- order_figures, or join by order id) if each reads a single table.
-- Tax at each line's recorded rate (the product's rate while a draft).
-- orders is read through a subquery so that the view is not updatable
-- (no view of the schema is); the planner flattens it all the same.
CREATE VIEW ordermgmt.report_order_figures AS
SELECT o.order_id, o.status, o.created_at, o.promised_at, o.status_changed_at, o.confirmed_at, o.delivered_at,
       (SELECT min(s.shipped_at) FROM ordermgmt.shipments s WHERE s.order_id = o.order_id) AS first_shipped_at,
       (SELECT max(s.shipped_at) FROM ordermgmt.shipments s WHERE s.order_id = o.order_id) AS last_shipped_at,
       coalesce((SELECT round(sum(l.qty * l.unit_price), 2)
                   FROM ordermgmt.order_lines l WHERE l.order_id = o.order_id), 0) AS net_amount,
       coalesce((SELECT sum(round(l.qty * l.unit_price * coalesce(l.tax_rate, (SELECT p.tax_rate FROM ordermgmt.products p
                                                                         WHERE p.product_id = l.product_id)), 2))
                   FROM ordermgmt.order_lines l WHERE l.order_id = o.order_id), 0) AS tax_amount,
       coalesce((SELECT round(sum(l.qty * l.unit_price), 2)
                        + sum(round(l.qty * l.unit_price * coalesce(l.tax_rate, (SELECT p.tax_rate FROM ordermgmt.products p
                                                                           WHERE p.product_id = l.product_id)), 2))
                   FROM ordermgmt.order_lines l WHERE l.order_id = o.order_id), 0) AS gross_amount,
       coalesce((SELECT round(sum((l.shipped_qty - l.returned_qty) * l.unit_price), 2)
                   FROM ordermgmt.order_lines l WHERE l.order_id = o.order_id), 0) AS shipped_net,
       coalesce((SELECT sum(i.total) FROM ordermgmt.invoices i WHERE i.order_id = o.order_id), 0) AS invoiced_total,
       coalesce((SELECT sum(i.paid) FROM ordermgmt.invoices i WHERE i.order_id = o.order_id), 0) AS paid_total,
       coalesce((SELECT sum(i.due) FROM ordermgmt.invoices i WHERE i.order_id = o.order_id), 0) AS due_total,
       (SELECT count(*) FROM ordermgmt.alerts a
         WHERE a.order_id = o.order_id AND a.status <> 'resolved') AS open_alerts,
       (SELECT count(*) FROM ordermgmt.alerts a
         WHERE a.order_id = o.order_id AND a.status <> 'resolved' AND a.level = 1) AS open_alerts_level1,
       (SELECT count(*) FROM ordermgmt.alerts a
         WHERE a.order_id = o.order_id AND a.status <> 'resolved' AND a.level = 2) AS open_alerts_level2,
       (SELECT count(*) FROM ordermgmt.alerts a
         WHERE a.order_id = o.order_id AND a.status <> 'resolved' AND a.level = 3) AS open_alerts_level3
  FROM (SELECT x.order_id, x.status, x.created_at, x.promised_at, x.status_changed_at, x.confirmed_at,
               x.delivered_at
          FROM ordermgmt.orders x) o;
COMMENT ON VIEW ordermgmt.report_order_figures IS
    'Each order''s figures computed from its lines, invoices, shipments and open alerts: what order_figures stores';
COMMENT ON COLUMN ordermgmt.report_order_figures.order_id IS 'Order id';
COMMENT ON COLUMN ordermgmt.report_order_figures.status IS 'Lifecycle status (drafts are never stored)';
COMMENT ON COLUMN ordermgmt.report_order_figures.created_at IS
    'As v_order_status.created_at; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.report_order_figures.promised_at IS
    'As v_order_status.promised_at; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.report_order_figures.status_changed_at IS
    'As v_order_status.status_changed_at; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.report_order_figures.confirmed_at IS
    'As v_order_milestones.confirmed_at; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.report_order_figures.delivered_at IS
    'As v_order_milestones.delivered_at; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.report_order_figures.first_shipped_at IS
    'As v_order_milestones.first_shipped_at; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.report_order_figures.last_shipped_at IS
    'As v_order_milestones.last_shipped_at; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.report_order_figures.net_amount IS 'As v_order_status.net_amount (the order''s currency)';
COMMENT ON COLUMN ordermgmt.report_order_figures.tax_amount IS 'As v_order_status.tax_amount (the order''s currency)';
COMMENT ON COLUMN ordermgmt.report_order_figures.gross_amount IS 'As v_order_status.gross_amount (the order''s currency)';
COMMENT ON COLUMN ordermgmt.report_order_figures.shipped_net IS 'As v_order_status.shipped_net (the order''s currency)';
COMMENT ON COLUMN ordermgmt.report_order_figures.invoiced_total IS 'As v_order_status.invoiced_total (the order''s currency)';
COMMENT ON COLUMN ordermgmt.report_order_figures.paid_total IS 'As v_order_status.paid_total (the order''s currency)';
COMMENT ON COLUMN ordermgmt.report_order_figures.due_total IS 'As v_order_status.due_total (the order''s currency)';
COMMENT ON COLUMN ordermgmt.report_order_figures.open_alerts IS 'As v_order_status.open_alerts';
COMMENT ON COLUMN ordermgmt.report_order_figures.open_alerts_level1 IS 'As v_order_status.open_alerts_level1';
COMMENT ON COLUMN ordermgmt.report_order_figures.open_alerts_level2 IS 'As v_order_status.open_alerts_level2';
COMMENT ON COLUMN ordermgmt.report_order_figures.open_alerts_level3 IS 'As v_order_status.open_alerts_level3';


-- The durations of the fulfilment stages per UTC week of entry, as a
-- histogram: v_fulfillment_times reads its counts, means and percentiles
-- from here instead of every order of every week.  Stage 1 entry to
-- confirmation, 2 confirmation to first shipment, 3 last shipment to
-- delivery, 4 entry to delivery; bucket b holds durations from 1.02^b to
-- 1.02^(b+1) seconds (-1: under a second), with their exact count and sum,
-- so that counts and means are exact and a percentile is off by at most
-- one bucket's width (2 %), usually far less.  Rolled up like the other
-- summaries (rollup_reports) from the status history.
CREATE TABLE ordermgmt.fulfillment_histogram (
    week    date NOT NULL,
    stage   smallint NOT NULL CHECK (stage BETWEEN 1 AND 4),
    bucket  integer NOT NULL,
    orders  bigint NOT NULL DEFAULT 0,
    seconds numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (week, stage, bucket)
);
COMMENT ON TABLE ordermgmt.fulfillment_histogram IS
    'Durations of the fulfilment stages per UTC week of entry, stage and duration bucket, up to report_rollup.upto_history_id';
COMMENT ON COLUMN ordermgmt.fulfillment_histogram.week IS 'Monday of the UTC week the orders were entered';
COMMENT ON COLUMN ordermgmt.fulfillment_histogram.stage IS
    '1 entry to confirmation, 2 confirmation to first shipment, 3 last shipment to delivery, 4 entry to delivery';
COMMENT ON COLUMN ordermgmt.fulfillment_histogram.bucket IS
    'Durations from 1.02^bucket to 1.02^(bucket + 1) seconds; -1 for under one second';
COMMENT ON COLUMN ordermgmt.fulfillment_histogram.orders IS 'Orders whose stage took a duration of the bucket';
COMMENT ON COLUMN ordermgmt.fulfillment_histogram.seconds IS 'The sum of those durations, in seconds';

-- v_fulfillment_times' rows per week and stage, as computed from the
-- histogram by report_fulfillment_weeks when the roll-up last changed the
-- week: the view reads them for every week without changes after the
-- horizon, and computes the others (a week or two) from the histogram.
CREATE TABLE ordermgmt.fulfillment_weeks (
    week         date NOT NULL,
    stage        text NOT NULL,
    orders       bigint NOT NULL,
    mean_hours   numeric NOT NULL,
    median_hours numeric NOT NULL,
    p90_hours    numeric NOT NULL,
    PRIMARY KEY (week, stage)
);
COMMENT ON TABLE ordermgmt.fulfillment_weeks IS
    'v_fulfillment_times'' rows of the weeks the roll-up has summed, computed from fulfillment_histogram as it last changed them';

-- What each logged change adds to the summaries.  One row per row of the
-- logs: source names the log and id its row, so that a range of ids of
-- each log (after the horizon, or up to the next one) selects it.
-- A status change moves its order out of its old status (if counted) and
-- into its new one; an order's day, currency and customer are fixed from
-- the moment it leaves draft, so reading them from the order now gives
-- what they were then.  Its ordered_net is not (amend_order, short_close
-- change it): each change carries the value it moved, and an amendment
-- adds its difference to order_day_totals itself (amendment.c).
-- The status history records the value each change moved (changes made
-- before 0.6.0 read it from the order: no amendment changed it then).
ALTER TABLE ordermgmt.order_status_history ADD COLUMN ordered_net numeric;
COMMENT ON COLUMN ordermgmt.order_status_history.ordered_net IS
    'The order''s ordered_net as the change was made (an amendment changes it later); NULL for drafts and for changes made before 0.6.0';
CREATE VIEW ordermgmt.report_day_changes AS
SELECT 'history'::text AS source, h.history_id AS id, timezone('UTC', o.created_at)::date AS day, o.currency,
       s.status, s.n::bigint AS orders, s.n * coalesce(h.ordered_net, o.ordered_net, 0) AS net_amount,
       0::bigint AS invoices, 0::numeric AS invoiced_net, 0::numeric AS invoiced_tax, 0::numeric AS invoiced_total
  FROM ordermgmt.order_status_history h
  JOIN ordermgmt.orders o ON o.order_id = h.order_id
 CROSS JOIN LATERAL (VALUES (h.from_status, -1), (h.to_status, 1)) AS s(status, n)
 WHERE s.status IS NOT NULL AND s.status <> 'draft'
UNION ALL
SELECT 'invoice', i.invoice_id, timezone('UTC', i.issued_at)::date, i.currency, NULL, 0, 0, 1, i.net, i.tax, i.total
  FROM ordermgmt.invoices i;
COMMENT ON VIEW ordermgmt.report_day_changes IS
    'What each status change (source history) and invoice (source invoice) adds to order_day_totals and invoice_day_totals';

CREATE VIEW ordermgmt.report_customer_changes AS
SELECT 'history'::text AS source, h.history_id AS id, o.customer_id,
       c.orders, c.open_orders,
       CASE WHEN c.orders <> 0 THEN o.created_at END AS order_at,
       date_trunc('month', timezone('UTC', o.created_at))::date AS month,
       0::numeric AS invoiced_net, 0::numeric AS credited_net, 0::bigint AS ratings, 0::bigint AS rating_sum,
       0::bigint AS negative_ratings, 0::bigint AS positive_ratings, NULL::timestamptz AS rated_at,
       0::bigint AS delivered, 0::bigint AS on_time
  FROM ordermgmt.order_status_history h
  JOIN ordermgmt.orders o ON o.order_id = h.order_id
 CROSS JOIN LATERAL (
        SELECT CASE WHEN coalesce(h.from_status, 'draft') = 'draft' AND h.to_status <> 'draft'
                    THEN 1 ELSE 0 END::bigint AS orders,
               (CASE WHEN h.to_status NOT IN ('draft', 'completed', 'cancelled') THEN 1 ELSE 0 END
                - CASE WHEN h.from_status NOT IN ('draft', 'completed', 'cancelled') THEN 1 ELSE 0 END)::bigint
                 AS open_orders) AS c
 WHERE c.orders <> 0 OR c.open_orders <> 0
UNION ALL
SELECT 'invoice', i.invoice_id, i.customer_id, 0, 0, NULL, NULL, i.net, 0, 0, 0, 0, 0, NULL, 0, 0
  FROM ordermgmt.invoices i
UNION ALL
SELECT 'return', r.return_id, o.customer_id, 0, 0, NULL, NULL, 0, r.credit_net, 0, 0, 0, 0, NULL, 0, 0
  FROM ordermgmt.returns r JOIN ordermgmt.orders o ON o.order_id = r.order_id
UNION ALL
SELECT 'feedback', f.feedback_id, f.customer_id, 0, 0, NULL, NULL, 0, 0, 1, f.rating,
       CASE WHEN f.rating <= 2 THEN 1 ELSE 0 END, CASE WHEN f.rating >= 4 THEN 1 ELSE 0 END, f.recorded_at, 0, 0
  FROM ordermgmt.feedback f
UNION ALL
SELECT 'delivery', d.change_id, d.customer_id, 0, 0, NULL, NULL, 0, 0, 0, 0, 0, 0, NULL, d.delivered, d.on_time
  FROM ordermgmt.delivery_changes d;
COMMENT ON VIEW ordermgmt.report_customer_changes IS
    'What each status change, invoice, return, feedback and delivery change adds to customer_totals and customer_months';

-- What each status change adds to fulfillment_histogram: a confirmation
-- counts its order's entry-to-confirmation time and takes back the one of
-- the confirmation before it (an order held and confirmed again), the
-- first shipment counts confirmation to shipment, the delivery counts
-- last shipment to delivery and entry to delivery.  The times read from
-- the order and its shipments are fixed by the time of the change that
-- reads them (confirmed_at by the first shipment, the shipments by the
-- delivery).
CREATE VIEW ordermgmt.report_fulfillment_changes AS
SELECT 'history'::text AS source, h.history_id AS id,
       date_trunc('week', timezone('UTC', o.created_at))::date AS week, x.stage::smallint AS stage,
       CASE WHEN x.seconds < 1 THEN -1
            ELSE floor(ln(x.seconds::float8) / ln(1.02::float8))::integer END AS bucket,
       x.n::bigint AS orders, x.n * x.seconds AS seconds
  FROM ordermgmt.order_status_history h
  JOIN ordermgmt.orders o ON o.order_id = h.order_id
 CROSS JOIN LATERAL (
        SELECT 1 AS stage, 1 AS n, extract(epoch FROM h.changed_at - o.created_at) AS seconds
         WHERE h.to_status = 'confirmed'
        UNION ALL
        SELECT 1, -1, extract(epoch FROM p.changed_at - o.created_at)
          FROM (SELECT h2.changed_at FROM ordermgmt.order_status_history h2
                 WHERE h2.order_id = h.order_id AND h2.to_status = 'confirmed' AND h2.history_id < h.history_id
                 ORDER BY h2.history_id DESC LIMIT 1) p
         WHERE h.to_status = 'confirmed'
        UNION ALL
        SELECT 2, 1, extract(epoch FROM (SELECT min(s.shipped_at) FROM ordermgmt.shipments s
                                          WHERE s.order_id = h.order_id) - o.confirmed_at)
         WHERE h.to_status IN ('partially_shipped', 'shipped') AND h.from_status IN ('confirmed', 'processing')
        UNION ALL
        SELECT 3, 1, extract(epoch FROM o.delivered_at - (SELECT max(s.shipped_at) FROM ordermgmt.shipments s
                                                           WHERE s.order_id = h.order_id))
         WHERE h.to_status = 'delivered'
        UNION ALL
        SELECT 4, 1, extract(epoch FROM o.delivered_at - o.created_at)
         WHERE h.to_status = 'delivered') AS x
 WHERE x.seconds IS NOT NULL;
COMMENT ON VIEW ordermgmt.report_fulfillment_changes IS
    'What each status change adds to fulfillment_histogram (stage, duration bucket, count, seconds)';

-- How far the roll-up has summed the status history.  Views compare
-- history ids with it: as a function (STABLE) the planner reads its value
-- when it estimates the comparison, and finds the few changes after it
-- through the primary key; as a scalar subquery it would guess a third of
-- the table and read the history of every order of the week instead.
CREATE FUNCTION ordermgmt.report_history_horizon()
    RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$ SELECT coalesce((SELECT r.upto_history_id FROM ordermgmt.report_rollup r), 0) $$;
COMMENT ON FUNCTION ordermgmt.report_history_horizon() IS
    'report_rollup.upto_history_id (0 before the first roll-up): the status changes the summaries already hold';
REVOKE ALL ON FUNCTION ordermgmt.report_history_horizon() FROM PUBLIC;  -- granted with the helpers below

-- Stage durations per week from the histogram plus the changes after the
-- horizon: the computation behind v_fulfillment_times, which reads it for
-- the weeks with such changes (and fulfillment_weeks, its stored rows, for
-- the others).
CREATE VIEW ordermgmt.report_fulfillment_weeks AS
WITH b AS (
    SELECT x.week, x.stage, x.bucket, sum(x.orders) AS n, sum(x.seconds) AS s
      FROM (SELECT f.week, f.stage, f.bucket, f.orders, f.seconds FROM ordermgmt.fulfillment_histogram f
            UNION ALL
            SELECT c.week, c.stage, c.bucket, c.orders, c.seconds
              FROM ordermgmt.report_fulfillment_changes c
             WHERE c.id > ordermgmt.report_history_horizon()) x
     GROUP BY x.week, x.stage, x.bucket
    HAVING sum(x.orders) > 0),
c AS (
    SELECT b.week, b.stage, b.n, b.s / b.n AS v,
           sum(b.n) OVER (PARTITION BY b.week, b.stage ORDER BY b.bucket) - b.n AS below,
           sum(b.n) OVER (PARTITION BY b.week, b.stage) AS total,
           sum(b.s) OVER (PARTITION BY b.week, b.stage) AS total_s
      FROM b),
-- The duration at 0-based rank k of a stage's sorted durations is read as
-- the mean of the bucket that holds rank k; the percentiles interpolate
-- between ranks as percentile_cont does.
q AS (
    SELECT c.week, c.stage, c.total, c.total_s,
           max(c.v) FILTER (WHERE floor(0.5 * (c.total - 1)) >= c.below AND floor(0.5 * (c.total - 1)) < c.below + c.n) AS m_lo,
           max(c.v) FILTER (WHERE ceil(0.5 * (c.total - 1)) >= c.below AND ceil(0.5 * (c.total - 1)) < c.below + c.n) AS m_hi,
           max(c.v) FILTER (WHERE floor(0.9 * (c.total - 1)) >= c.below AND floor(0.9 * (c.total - 1)) < c.below + c.n) AS p_lo,
           max(c.v) FILTER (WHERE ceil(0.9 * (c.total - 1)) >= c.below AND ceil(0.9 * (c.total - 1)) < c.below + c.n) AS p_hi
      FROM c
     GROUP BY c.week, c.stage, c.total, c.total_s)
SELECT q.week,
       (ARRAY['entry_to_confirmation', 'confirmation_to_shipment', 'shipment_to_delivery',
              'entry_to_delivery'])[q.stage] AS stage,
       q.total::bigint AS orders,
       round(q.total_s / q.total / 3600, 2) AS mean_hours,
       round((q.m_lo + (0.5 * (q.total - 1) - floor(0.5 * (q.total - 1))) * (q.m_hi - q.m_lo)) / 3600, 2)
         AS median_hours,
       round((q.p_lo + (0.9 * (q.total - 1) - floor(0.9 * (q.total - 1))) * (q.p_hi - q.p_lo)) / 3600, 2)
         AS p90_hours
  FROM q
 ORDER BY q.week, q.stage;
COMMENT ON VIEW ordermgmt.report_fulfillment_weeks IS
    'v_fulfillment_times computed from fulfillment_histogram and the status changes after the horizon, for any week';

COMMENT ON COLUMN ordermgmt.report_day_changes.source IS 'The log the change comes from: history (a status change) or invoice';
COMMENT ON COLUMN ordermgmt.report_day_changes.id IS 'Its row in that log (order_status_history.history_id or invoices.invoice_id)';
COMMENT ON COLUMN ordermgmt.report_day_changes.day IS 'UTC day of the order''s entry, or of the invoice''s issue';
COMMENT ON COLUMN ordermgmt.report_day_changes.currency IS 'Currency of the order or invoice (ISO 4217); the amounts of the row are in it';
COMMENT ON COLUMN ordermgmt.report_day_changes.status IS 'The status the order leaves (orders -1) or enters (orders +1); NULL for an invoice';
COMMENT ON COLUMN ordermgmt.report_day_changes.orders IS 'Change of the number of orders in that status: -1 or +1';
COMMENT ON COLUMN ordermgmt.report_day_changes.net_amount IS 'Change of their net value (orders.ordered_net), in the row''s currency';
COMMENT ON COLUMN ordermgmt.report_day_changes.invoices IS '1 for an invoice, else 0';
COMMENT ON COLUMN ordermgmt.report_day_changes.invoiced_net IS 'The invoice''s net amount, in the row''s currency';
COMMENT ON COLUMN ordermgmt.report_day_changes.invoiced_tax IS 'The invoice''s tax, in the row''s currency';
COMMENT ON COLUMN ordermgmt.report_day_changes.invoiced_total IS 'The invoice''s total, in the row''s currency';
COMMENT ON COLUMN ordermgmt.report_customer_changes.source IS 'The log the change comes from: history, invoice, return, feedback or delivery (delivery_changes)';
COMMENT ON COLUMN ordermgmt.report_customer_changes.id IS 'Its row in that log';
COMMENT ON COLUMN ordermgmt.report_customer_changes.customer_id IS 'The customer it changes';
COMMENT ON COLUMN ordermgmt.report_customer_changes.orders IS '1 when an order leaves draft, else 0';
COMMENT ON COLUMN ordermgmt.report_customer_changes.open_orders IS 'Change of the number of open orders (neither draft, completed nor cancelled): -1, 0 or +1';
COMMENT ON COLUMN ordermgmt.report_customer_changes.order_at IS 'created_at of the order counted (a timestamp with time zone); NULL when orders is 0';
COMMENT ON COLUMN ordermgmt.report_customer_changes.month IS 'First day of the UTC month of the order''s entry; NULL except for status changes';
COMMENT ON COLUMN ordermgmt.report_customer_changes.invoiced_net IS 'An invoice''s net amount, in its currency (added across currencies as they stand)';
COMMENT ON COLUMN ordermgmt.report_customer_changes.credited_net IS 'A return''s credited net amount, in its order''s currency (added across currencies as they stand)';
COMMENT ON COLUMN ordermgmt.report_customer_changes.ratings IS '1 for a feedback row, else 0';
COMMENT ON COLUMN ordermgmt.report_customer_changes.rating_sum IS 'The rating (1-5) of a feedback row, else 0';
COMMENT ON COLUMN ordermgmt.report_customer_changes.negative_ratings IS '1 for a rating of 2 or less, else 0';
COMMENT ON COLUMN ordermgmt.report_customer_changes.positive_ratings IS '1 for a rating of 4 or more, else 0';
COMMENT ON COLUMN ordermgmt.report_customer_changes.rated_at IS 'When the feedback was recorded (a timestamp with time zone); NULL for other rows';
COMMENT ON COLUMN ordermgmt.report_fulfillment_changes.source IS 'Always history: status changes are the only source';
COMMENT ON COLUMN ordermgmt.report_fulfillment_changes.id IS 'The status change (order_status_history.history_id)';
COMMENT ON COLUMN ordermgmt.report_fulfillment_changes.week IS 'Monday of the UTC week the order was entered';
COMMENT ON COLUMN ordermgmt.report_fulfillment_changes.stage IS '1 entry to confirmation, 2 confirmation to first shipment, 3 last shipment to delivery, 4 entry to delivery';
COMMENT ON COLUMN ordermgmt.report_fulfillment_changes.bucket IS 'Histogram bucket of the duration: from 1.02^bucket to 1.02^(bucket + 1) seconds; -1 under a second';
COMMENT ON COLUMN ordermgmt.report_fulfillment_changes.orders IS '+1 for a duration counted, -1 for one taken back (a confirmation repeated)';
COMMENT ON COLUMN ordermgmt.report_fulfillment_changes.seconds IS 'The duration in seconds, with the sign of orders';
COMMENT ON COLUMN ordermgmt.report_fulfillment_weeks.week IS 'Monday of the UTC week in which the orders were entered';
COMMENT ON COLUMN ordermgmt.report_fulfillment_weeks.stage IS 'As v_fulfillment_times.stage';
COMMENT ON COLUMN ordermgmt.report_fulfillment_weeks.orders IS 'Orders of that week that have reached the end of the stage';
COMMENT ON COLUMN ordermgmt.report_fulfillment_weeks.mean_hours IS 'As v_fulfillment_times.mean_hours (hours)';
COMMENT ON COLUMN ordermgmt.report_fulfillment_weeks.median_hours IS 'As v_fulfillment_times.median_hours (hours, from the histogram)';
COMMENT ON COLUMN ordermgmt.report_fulfillment_weeks.p90_hours IS 'As v_fulfillment_times.p90_hours (hours, from the histogram)';
COMMENT ON COLUMN ordermgmt.report_customer_changes.delivered IS 'A delivery change''s count of deliveries with a promise (+1 or -1), else 0';
COMMENT ON COLUMN ordermgmt.report_customer_changes.on_time IS 'A delivery change''s count of deliveries by the promise (+1, 0 or -1), else 0';
GRANT SELECT ON ordermgmt.order_day_totals, ordermgmt.invoice_day_totals,
                ordermgmt.customer_totals, ordermgmt.customer_months, ordermgmt.report_rollup,
                ordermgmt.fulfillment_histogram, ordermgmt.fulfillment_weeks, ordermgmt.delivery_changes,
                ordermgmt.delivery_week_totals, ordermgmt.order_figures TO ordermgmt_app;
GRANT SELECT ON ordermgmt.report_day_changes, ordermgmt.report_customer_changes,
                ordermgmt.report_fulfillment_changes, ordermgmt.report_fulfillment_weeks,
                ordermgmt.report_order_figures TO ordermgmt_reader;
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.order_day_totals', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.invoice_day_totals', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.customer_totals', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.customer_months', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.fulfillment_histogram', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.fulfillment_weeks', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.delivery_changes', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.delivery_changes_change_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.delivery_week_totals', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.report_rollup', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.order_figures', '');

-- After a raw bulk load (session_replication_role = replica: no trigger
-- fires), or to repair what verify() reports: the reporting summaries
-- recomputed from the facts, and the roll-up's horizon set to the last
-- ids of the logs.  Blocks the writers of orders, invoices, returns and
-- feedback, and the roll-up, while it runs, so that no change is counted
-- twice or missed.
CREATE FUNCTION ordermgmt.rebuild_report_totals() RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $rebuild$
LOCK TABLE ordermgmt.report_rollup IN EXCLUSIVE MODE;
LOCK TABLE ordermgmt.orders, ordermgmt.order_status_history, ordermgmt.invoices, ordermgmt.returns,
           ordermgmt.feedback, ordermgmt.shipments, ordermgmt.delivery_weeks, ordermgmt.delivery_changes,
           ordermgmt.order_lines, ordermgmt.alerts, ordermgmt.events IN SHARE MODE;
DELETE FROM ordermgmt.order_figures;
-- Set-based, as report_order_figures defines them: one pass per source
-- table instead of a probe per figure and order.
INSERT INTO ordermgmt.order_figures
      (order_id, created_at, promised_at, status_changed_at, confirmed_at, delivered_at, first_shipped_at,
       last_shipped_at, net_amount, tax_amount, gross_amount, shipped_net, invoiced_total, paid_total, due_total,
       open_alerts, open_alerts_level1, open_alerts_level2, open_alerts_level3)
SELECT x.order_id, x.created_at, x.promised_at, x.status_changed_at, x.confirmed_at, x.delivered_at,
       s.first_shipped_at, s.last_shipped_at, coalesce(l.net, 0), coalesce(l.tax, 0), coalesce(l.net + l.tax, 0),
       coalesce(l.shipped, 0), coalesce(i.total, 0), coalesce(i.paid, 0), coalesce(i.due, 0),
       coalesce(a.n, 0), coalesce(a.n1, 0), coalesce(a.n2, 0), coalesce(a.n3, 0)
  FROM ordermgmt.orders x
  LEFT JOIN (SELECT y.order_id, round(sum(y.qty * y.unit_price), 2) AS net,
                    sum(round(y.qty * y.unit_price * coalesce(y.tax_rate, p.tax_rate), 2)) AS tax,
                    round(sum((y.shipped_qty - y.returned_qty) * y.unit_price), 2) AS shipped
               FROM ordermgmt.order_lines y JOIN ordermgmt.products p USING (product_id)
              GROUP BY y.order_id) l USING (order_id)
  LEFT JOIN (SELECT y.order_id, sum(y.total) AS total, sum(y.paid) AS paid, sum(y.due) AS due
               FROM ordermgmt.invoices y GROUP BY y.order_id) i USING (order_id)
  LEFT JOIN (SELECT y.order_id, min(y.shipped_at) AS first_shipped_at, max(y.shipped_at) AS last_shipped_at
               FROM ordermgmt.shipments y GROUP BY y.order_id) s USING (order_id)
  LEFT JOIN (SELECT y.order_id, count(*) AS n, count(*) FILTER (WHERE y.level = 1) AS n1,
                    count(*) FILTER (WHERE y.level = 2) AS n2, count(*) FILTER (WHERE y.level = 3) AS n3
               FROM ordermgmt.alerts y WHERE y.status <> 'resolved' AND y.order_id IS NOT NULL
              GROUP BY y.order_id) a USING (order_id)
 WHERE x.status <> 'draft';
DELETE FROM ordermgmt.order_day_totals;
DELETE FROM ordermgmt.invoice_day_totals;
DELETE FROM ordermgmt.customer_months;
DELETE FROM ordermgmt.customer_totals;
DELETE FROM ordermgmt.delivery_week_totals;
INSERT INTO ordermgmt.delivery_week_totals (week, delivered, on_time)
SELECT w.week, sum(w.delivered), sum(w.on_time) FROM ordermgmt.delivery_weeks w GROUP BY w.week;
DELETE FROM ordermgmt.fulfillment_histogram;
DELETE FROM ordermgmt.fulfillment_weeks;
INSERT INTO ordermgmt.fulfillment_histogram (week, stage, bucket, orders, seconds)
SELECT d.week, d.stage,
       CASE WHEN d.seconds < 1 THEN -1 ELSE floor(ln(d.seconds::float8) / ln(1.02::float8))::integer END,
       count(*), sum(d.seconds)
  FROM (SELECT date_trunc('week', timezone('UTC', o.created_at))::date AS week, x.stage, x.seconds
          FROM ordermgmt.orders o
          LEFT JOIN LATERAL (SELECT min(s.shipped_at) AS first_shipped_at, max(s.shipped_at) AS last_shipped_at
                               FROM ordermgmt.shipments s WHERE s.order_id = o.order_id) s ON true
         CROSS JOIN LATERAL (VALUES (1, extract(epoch FROM o.confirmed_at - o.created_at)),
                                    (2, extract(epoch FROM s.first_shipped_at - o.confirmed_at)),
                                    (3, extract(epoch FROM o.delivered_at - s.last_shipped_at)),
                                    (4, extract(epoch FROM o.delivered_at - o.created_at))) AS x(stage, seconds)
         WHERE x.seconds IS NOT NULL) d
 GROUP BY 1, 2, 3;
INSERT INTO ordermgmt.order_day_totals (day, currency, status, orders, net_amount)
SELECT timezone('UTC', o.created_at)::date, o.currency, o.status, count(*), coalesce(sum(o.ordered_net), 0)
  FROM ordermgmt.orders o WHERE o.status <> 'draft'
 GROUP BY 1, 2, 3;
INSERT INTO ordermgmt.invoice_day_totals (day, currency, invoices, net, tax, total)
SELECT timezone('UTC', i.issued_at)::date, i.currency, count(*), sum(i.net), sum(i.tax), sum(i.total)
  FROM ordermgmt.invoices i
 GROUP BY 1, 2;
INSERT INTO ordermgmt.customer_months (customer_id, month, orders)
SELECT o.customer_id, date_trunc('month', timezone('UTC', o.created_at))::date, count(*)
  FROM ordermgmt.orders o WHERE o.status <> 'draft'
 GROUP BY 1, 2;
INSERT INTO ordermgmt.customer_totals (customer_id, orders, open_orders, first_order_at, last_order_at,
                                       invoiced_net, credited_net, ratings, rating_sum,
                                       negative_ratings, positive_ratings, last_rated_at, delivered, on_time)
SELECT o.customer_id, o.orders, o.open_orders, o.first_order_at, o.last_order_at,
       coalesce(i.net, 0), coalesce(r.net, 0), coalesce(f.ratings, 0), coalesce(f.rating_sum, 0),
       coalesce(f.negative, 0), coalesce(f.positive, 0), f.last_rated_at,
       coalesce(d.delivered, 0), coalesce(d.on_time, 0)
  FROM (SELECT x.customer_id, count(*) AS orders,
               count(*) FILTER (WHERE x.status NOT IN ('completed', 'cancelled')) AS open_orders,
               min(x.created_at) AS first_order_at, max(x.created_at) AS last_order_at
          FROM ordermgmt.orders x WHERE x.status <> 'draft' GROUP BY x.customer_id) o
  LEFT JOIN (SELECT x.customer_id, sum(x.net) AS net FROM ordermgmt.invoices x GROUP BY 1) i USING (customer_id)
  LEFT JOIN (SELECT x.customer_id, sum(rt.credit_net) AS net
               FROM ordermgmt.returns rt JOIN ordermgmt.orders x USING (order_id) GROUP BY 1) r USING (customer_id)
  LEFT JOIN (SELECT x.customer_id, count(*) AS ratings, sum(x.rating) AS rating_sum,
                    count(*) FILTER (WHERE x.rating <= 2) AS negative,
                    count(*) FILTER (WHERE x.rating >= 4) AS positive, max(x.recorded_at) AS last_rated_at
               FROM ordermgmt.feedback x GROUP BY 1) f USING (customer_id)
  LEFT JOIN (SELECT x.customer_id, sum(x.delivered) AS delivered, sum(x.on_time) AS on_time
               FROM ordermgmt.delivery_weeks x GROUP BY 1) d USING (customer_id);
-- Every row of the logs is committed now (the locks above waited for
-- their writers): the horizon is the logs' last ids, nothing armed.
INSERT INTO ordermgmt.report_rollup AS r (singleton, upto_history_id, upto_invoice_id, upto_return_id,
                                          upto_feedback_id, upto_delivery_id, upto_event_id, rolled_at)
SELECT true, coalesce(max(h.history_id), 0), (SELECT coalesce(max(invoice_id), 0) FROM ordermgmt.invoices),
       (SELECT coalesce(max(return_id), 0) FROM ordermgmt.returns),
       (SELECT coalesce(max(feedback_id), 0) FROM ordermgmt.feedback),
       (SELECT coalesce(max(change_id), 0) FROM ordermgmt.delivery_changes),
       (SELECT coalesce(max(event_id), 0) FROM ordermgmt.events), now()
  FROM ordermgmt.order_status_history h
ON CONFLICT (singleton) DO UPDATE
   SET upto_history_id = excluded.upto_history_id, upto_invoice_id = excluded.upto_invoice_id,
       upto_return_id = excluded.upto_return_id, upto_feedback_id = excluded.upto_feedback_id,
       upto_delivery_id = excluded.upto_delivery_id, upto_event_id = excluded.upto_event_id,
       next_history_id = NULL, next_invoice_id = NULL, next_return_id = NULL, next_feedback_id = NULL,
       next_delivery_id = NULL, next_event_id = NULL, next_xmax = NULL, rolled_at = excluded.rolled_at;
-- The stored weeks, with nothing after the horizon: from the histogram.
INSERT INTO ordermgmt.fulfillment_weeks (week, stage, orders, mean_hours, median_hours, p90_hours)
SELECT f.week, f.stage, f.orders, f.mean_hours, f.median_hours, f.p90_hours
  FROM ordermgmt.report_fulfillment_weeks f;
$rebuild$;
COMMENT ON FUNCTION ordermgmt.rebuild_report_totals() IS
    'Recomputes the reporting summaries (order_day_totals, invoice_day_totals, customer_totals, customer_months, fulfillment_histogram, fulfillment_weeks, delivery_week_totals, order_figures) from the facts and moves the roll-up''s horizon to the logs'' last rows, blocking their writers meanwhile; after a raw bulk load';

CREATE FUNCTION ordermgmt.rollup_reports() RETURNS bigint
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_rollup_reports';
COMMENT ON FUNCTION ordermgmt.rollup_reports() IS
    'Adds the status changes, invoices, returns and feedback logged up to a settled horizon to the reporting summaries, and stores again the figures of the orders with events up to it; returns how many rows it added or stored.  The background worker runs it every second';
REVOKE ALL ON FUNCTION ordermgmt.rebuild_report_totals(), ordermgmt.rollup_reports() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ordermgmt.rebuild_report_totals(), ordermgmt.rollup_reports() TO ordermgmt_admin;

-- The summaries, from the history as it stands (nothing to do, and no
-- roll-up state to create, in a database without orders: as at install).
SELECT ordermgmt.rebuild_report_totals() WHERE EXISTS (SELECT 1 FROM ordermgmt.orders);


-- The views that read them (same columns: their grants and comments stay).
CREATE OR REPLACE VIEW ordermgmt.v_pipeline AS
SELECT x.status, sum(x.orders)::bigint AS orders, coalesce(sum(x.net_amount), 0) AS net_amount
  FROM (SELECT t.status, t.orders, t.net_amount FROM ordermgmt.order_day_totals t
        UNION ALL
        SELECT c.status, c.orders, c.net_amount
          FROM ordermgmt.report_day_changes c
         WHERE c.source = 'history'
           AND c.id > coalesce((SELECT r.upto_history_id FROM ordermgmt.report_rollup r), 0)
        UNION ALL
        SELECT o.status, 1, d.net_amount
          FROM ordermgmt.orders o
          LEFT JOIN LATERAL (SELECT round(sum(l.qty * l.unit_price), 2) AS net_amount
                               FROM ordermgmt.order_lines l WHERE l.order_id = o.order_id) d ON true
         WHERE o.status = 'draft') AS x
 GROUP BY x.status
HAVING sum(x.orders) <> 0
 ORDER BY x.status;

CREATE OR REPLACE VIEW ordermgmt.v_daily_sales AS
SELECT x.day, x.currency,
       sum(x.orders_booked)::bigint AS orders_booked, sum(x.booked_net) AS booked_net,
       sum(x.invoices)::bigint AS invoices, sum(x.invoiced_net) AS invoiced_net,
       sum(x.invoiced_tax) AS invoiced_tax, sum(x.invoiced_total) AS invoiced_total
  FROM (SELECT t.day, t.currency, t.orders AS orders_booked, t.net_amount AS booked_net,
               0::bigint AS invoices, 0::numeric AS invoiced_net, 0::numeric AS invoiced_tax,
               0::numeric AS invoiced_total
          FROM ordermgmt.order_day_totals t
         WHERE t.status <> 'cancelled'
        UNION ALL
        SELECT i.day, i.currency, 0, 0, i.invoices, i.net, i.tax, i.total
          FROM ordermgmt.invoice_day_totals i
        UNION ALL
        SELECT c.day, c.currency, c.orders, c.net_amount, c.invoices, c.invoiced_net, c.invoiced_tax,
               c.invoiced_total
          FROM ordermgmt.report_day_changes c
         WHERE (c.source = 'history' AND c.status <> 'cancelled'
                AND c.id > coalesce((SELECT r.upto_history_id FROM ordermgmt.report_rollup r), 0))
            OR (c.source = 'invoice'
                AND c.id > coalesce((SELECT r.upto_invoice_id FROM ordermgmt.report_rollup r), 0))) x
 GROUP BY x.day, x.currency
HAVING sum(x.orders_booked) <> 0 OR sum(x.invoices) <> 0
 ORDER BY x.day, x.currency;

CREATE OR REPLACE VIEW ordermgmt.v_feedback_summary AS
SELECT c.code AS customer, f.ratings, round(f.rating_sum::numeric / f.ratings, 2) AS average_rating,
       f.negative AS negative, f.positive AS positive, f.last_rated_at
  FROM (SELECT x.customer_id, sum(x.ratings)::bigint AS ratings, sum(x.rating_sum) AS rating_sum,
               sum(x.negative)::bigint AS negative, sum(x.positive)::bigint AS positive,
               max(x.last_rated_at) AS last_rated_at
          FROM (SELECT t.customer_id, t.ratings, t.rating_sum, t.negative_ratings AS negative,
                       t.positive_ratings AS positive, t.last_rated_at
                  FROM ordermgmt.customer_totals t
                UNION ALL
                SELECT ch.customer_id, ch.ratings, ch.rating_sum, ch.negative_ratings, ch.positive_ratings,
                       ch.rated_at
                  FROM ordermgmt.report_customer_changes ch
                 WHERE ch.source = 'feedback'
                   AND ch.id > coalesce((SELECT r.upto_feedback_id FROM ordermgmt.report_rollup r), 0)) x
         GROUP BY x.customer_id
        HAVING sum(x.ratings) > 0) f
  JOIN ordermgmt.customers c USING (customer_id)
 ORDER BY c.code;

CREATE OR REPLACE VIEW ordermgmt.v_customer_history AS
WITH
-- the changes after the roll-up's horizon, per customer
tail AS (
    SELECT ch.customer_id, sum(ch.orders) AS orders, sum(ch.open_orders) AS open_orders,
           min(ch.order_at) AS first_order_at, max(ch.order_at) AS last_order_at,
           sum(ch.invoiced_net) AS invoiced_net, sum(ch.credited_net) AS credited_net,
           sum(ch.ratings) AS ratings, sum(ch.rating_sum) AS rating_sum,
           sum(ch.orders) FILTER (WHERE ch.month >= (date_trunc('month', timezone('UTC', now()))
                                                     - interval '12 months')::date) AS orders_last_year
      FROM ordermgmt.report_customer_changes ch
     WHERE (ch.source = 'history'
            AND ch.id > coalesce((SELECT r.upto_history_id FROM ordermgmt.report_rollup r), 0))
        OR (ch.source = 'invoice'
            AND ch.id > coalesce((SELECT r.upto_invoice_id FROM ordermgmt.report_rollup r), 0))
        OR (ch.source = 'return'
            AND ch.id > coalesce((SELECT r.upto_return_id FROM ordermgmt.report_rollup r), 0))
        OR (ch.source = 'feedback'
            AND ch.id > coalesce((SELECT r.upto_feedback_id FROM ordermgmt.report_rollup r), 0))
     GROUP BY ch.customer_id),
totals AS (
    SELECT c.customer_id,
           coalesce(t.orders, 0) + coalesce(tl.orders, 0) AS orders,
           coalesce(t.open_orders, 0) + coalesce(tl.open_orders, 0) AS open_orders,
           least(t.first_order_at, tl.first_order_at) AS first_order_at,
           greatest(t.last_order_at, tl.last_order_at) AS last_order_at,
           coalesce(t.invoiced_net, 0) + coalesce(tl.invoiced_net, 0)
             - coalesce(t.credited_net, 0) - coalesce(tl.credited_net, 0) AS lifetime_value,
           coalesce(t.ratings, 0) + coalesce(tl.ratings, 0) AS ratings,
           coalesce(t.rating_sum, 0) + coalesce(tl.rating_sum, 0) AS rating_sum,
           coalesce(tl.orders_last_year, 0) AS tail_last_year
      FROM ordermgmt.customers c
      LEFT JOIN ordermgmt.customer_totals t ON t.customer_id = c.customer_id
      LEFT JOIN tail tl ON tl.customer_id = c.customer_id)
SELECT c.code AS customer, c.name, c.email, c.credit_limit, c.blocked,
       t.orders::bigint AS orders, t.first_order_at, t.last_order_at,
       t.open_orders::bigint AS open_orders,
       t.lifetime_value,
       coalesce(e.balance_due, 0) AS balance_due,
       CASE WHEN t.ratings > 0 THEN round(t.rating_sum::numeric / t.ratings, 2) END AS average_rating,
       (current_date - timezone('UTC', t.last_order_at)::date) AS recency_days,
       (coalesce(y.orders, 0) + t.tail_last_year)::bigint AS frequency_last_year,
       CASE
         WHEN t.last_order_at IS NULL THEN 'prospect'
         WHEN t.first_order_at > now() - interval '30 days' THEN 'new'
         WHEN t.last_order_at > now() - interval '30 days'
              AND coalesce(y.orders, 0) + t.tail_last_year >= 6 THEN 'champion'
         WHEN t.last_order_at > now() - interval '90 days'
              AND coalesce(y.orders, 0) + t.tail_last_year >= 3 THEN 'loyal'
         WHEN t.last_order_at > now() - interval '90 days' THEN 'active'
         WHEN t.last_order_at > now() - interval '180 days' THEN 'at risk'
         ELSE 'lost'
       END AS segment,
       ci.contacts, ci.primary_contact, ci.last_interaction_at
  FROM ordermgmt.customers c
  JOIN totals t ON t.customer_id = c.customer_id
  LEFT JOIN LATERAL (
        SELECT sum(x.receivables) AS balance_due
          FROM ordermgmt.customer_exposure x WHERE x.customer_id = c.customer_id) e ON true
  LEFT JOIN LATERAL (
        SELECT sum(m.orders) AS orders
          FROM ordermgmt.customer_months m
         WHERE m.customer_id = c.customer_id
           AND m.month >= (date_trunc('month', timezone('UTC', now())) - interval '12 months')::date) y ON true
  LEFT JOIN LATERAL (
        SELECT (SELECT count(*) FROM ordermgmt.customer_contacts cc WHERE cc.customer_id = c.customer_id) AS contacts,
               (SELECT cc.name FROM ordermgmt.customer_contacts cc
                 WHERE cc.customer_id = c.customer_id AND cc.is_primary) AS primary_contact,
               (SELECT max(it.occurred_at) FROM ordermgmt.customer_interactions it
                 WHERE it.customer_id = c.customer_id) AS last_interaction_at) ci ON true
 ORDER BY c.code;

CREATE OR REPLACE VIEW ordermgmt.v_fulfillment_times AS
WITH tail_weeks AS MATERIALIZED (
    SELECT DISTINCT c.week
      FROM ordermgmt.report_fulfillment_changes c
     WHERE c.id > ordermgmt.report_history_horizon())
SELECT x.week, x.stage, x.orders, x.mean_hours, x.median_hours, x.p90_hours
  FROM (SELECT w.week, w.stage, w.orders, w.mean_hours, w.median_hours, w.p90_hours,
               array_position(ARRAY['entry_to_confirmation', 'confirmation_to_shipment', 'shipment_to_delivery',
                                    'entry_to_delivery'], w.stage) AS ord
          FROM ordermgmt.fulfillment_weeks w
         WHERE w.week NOT IN (SELECT t.week FROM tail_weeks t)
        UNION ALL
        SELECT f.week, f.stage, f.orders, f.mean_hours, f.median_hours, f.p90_hours,
               array_position(ARRAY['entry_to_confirmation', 'confirmation_to_shipment', 'shipment_to_delivery',
                                    'entry_to_delivery'], f.stage)
          FROM tail_weeks t
         CROSS JOIN LATERAL (SELECT y.* FROM ordermgmt.report_fulfillment_weeks y
                             WHERE y.week = t.week OFFSET 0) f) x
 ORDER BY x.week, x.ord;

COMMENT ON COLUMN ordermgmt.v_pipeline.net_amount IS
    'Their net value in their currencies, added as they stand (not converted): each order''s qty * unit_price over its lines, rounded to cents (orders.ordered_net, recorded as the order left draft; for drafts their lines as they stand), summed';
COMMENT ON COLUMN ordermgmt.v_customer_history.frequency_last_year IS
    'Orders entered in the current UTC month and the 12 before it, drafts excluded (whole calendar months, so that it is read from customer_months)';
COMMENT ON COLUMN ordermgmt.v_customer_history.segment IS
    'prospect (no orders), new (first order in the last 30 days), champion (last order in 30 days, frequency_last_year 6 or more), loyal (last in 90 days, 3 or more), active (last in 90 days), at risk (last in 180 days), else lost';
COMMENT ON COLUMN ordermgmt.v_fulfillment_times.median_hours IS
    'Median duration of the stage in hours, rounded to 2 decimals: interpolated as percentile_cont, each duration read as the mean of its 2 % histogram bucket (fulfillment_histogram), so within 1 % of the exact median and exact when no two durations share a bucket';
COMMENT ON COLUMN ordermgmt.v_fulfillment_times.p90_hours IS
    '90th percentile of the duration in hours, rounded to 2 decimals, read from the histogram as median_hours is (within 1 % of the exact value)';
COMMENT ON COLUMN ordermgmt.v_fulfillment_times.mean_hours IS
    'Mean duration of the stage in hours, rounded to 2 decimals (exact: the histogram keeps each bucket''s sum)';

CREATE OR REPLACE VIEW ordermgmt.v_on_time_delivery AS
SELECT w.week, c.code AS customer, w.delivered::bigint AS delivered, w.on_time::bigint AS on_time,
       w.on_time_rate
  FROM ordermgmt.delivery_weeks w
  JOIN ordermgmt.customers c USING (customer_id)
 WHERE w.delivered > 0
UNION ALL
SELECT x.week, NULL, sum(x.delivered)::bigint, sum(x.on_time)::bigint,
       round(sum(x.on_time) / sum(x.delivered), 4)
  FROM (SELECT t.week, t.delivered, t.on_time FROM ordermgmt.delivery_week_totals t
        UNION ALL
        SELECT d.week, d.delivered, d.on_time FROM ordermgmt.delivery_changes d
         WHERE d.change_id > coalesce((SELECT r.upto_delivery_id FROM ordermgmt.report_rollup r), 0)) x
 GROUP BY x.week
HAVING sum(x.delivered) > 0
UNION ALL
SELECT NULL::date, c.code, y.delivered, y.on_time, y.rate
  FROM (SELECT x.customer_id, sum(x.delivered)::bigint AS delivered, sum(x.on_time)::bigint AS on_time,
               round(sum(x.on_time) / sum(x.delivered), 4) AS rate
          FROM (SELECT t.customer_id, t.delivered, t.on_time FROM ordermgmt.customer_totals t
                UNION ALL
                SELECT d.customer_id, d.delivered, d.on_time FROM ordermgmt.delivery_changes d
                 WHERE d.change_id > coalesce((SELECT r.upto_delivery_id FROM ordermgmt.report_rollup r), 0)) x
         GROUP BY x.customer_id
        HAVING sum(x.delivered) > 0) y
  JOIN ordermgmt.customers c USING (customer_id);
COMMENT ON VIEW ordermgmt.v_on_time_delivery IS
    'Share of orders delivered by their promised time, per UTC week of delivery and customer, per week (customer NULL) and per customer (week NULL); in no particular order';

-- Every view column says its unit, currency and time zone.
COMMENT ON COLUMN ordermgmt.v_stock_availability.on_hand IS
    'Quantity in the warehouse: the sum of its stock moves, in the product''s unit of measure';
COMMENT ON COLUMN ordermgmt.v_stock_availability.reserved IS
    'Quantity reserved for order lines and not yet shipped, in the product''s unit of measure';
COMMENT ON COLUMN ordermgmt.v_stock_availability.available IS
    'on_hand - reserved: what new orders can reserve, in the product''s unit of measure';
COMMENT ON COLUMN ordermgmt.v_stock_availability.reorder_point IS
    'The product''s reorder point: available below it raises L2_LOW_STOCK, in the product''s unit of measure';
COMMENT ON COLUMN ordermgmt.v_order_status.created_at IS
    'When the order was entered; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_order_status.promised_at IS
    'Promised delivery time; NULL if none was given; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_order_status.status_changed_at IS
    'When the status last changed; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_order_status.age IS
    'Time since the order was entered (now() - created_at) (an interval)';
COMMENT ON COLUMN ordermgmt.v_order_status.time_in_status IS
    'Time since the last status change (now() - status_changed_at) (an interval)';
COMMENT ON COLUMN ordermgmt.v_order_status.net_amount IS
    'Ordered net value: qty * unit_price summed over the lines, rounded to cents; 0 without lines, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_order_status.tax_amount IS
    'Ordered tax: qty * unit_price * the product''s current tax rate, rounded to cents per line, summed, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_order_status.gross_amount IS
    'net_amount + tax_amount, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_order_status.shipped_net IS
    'Net value shipped and not returned: (shipped_qty - returned_qty) * unit_price summed, rounded to cents, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_order_status.invoiced_total IS
    'Total (net + tax) of the order''s invoices; 0 without invoices, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_order_status.paid_total IS
    'Paid on the order''s invoices, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_order_status.due_total IS
    'Still due on the order''s invoices (total - paid - credited), in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_monitor_dashboard.oldest_age IS
    'Time since the oldest of these alerts was raised (now() - raised_at) (an interval)';
COMMENT ON COLUMN ordermgmt.v_trial_balance.balance IS
    'debit - credit, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_ar_aging.not_due IS
    'Due on invoices whose due date is today or later, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_ar_aging.overdue_1_30 IS
    'Due on invoices 1 to 30 days past their due date, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_ar_aging.overdue_31_60 IS
    'Due on invoices 31 to 60 days past their due date, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_ar_aging.overdue_61_90 IS
    'Due on invoices 61 to 90 days past their due date, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_ar_aging.overdue_over_90 IS
    'Due on invoices more than 90 days past their due date, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_ar_aging.total_due IS
    'Due on all open invoices (the sum of the five buckets), in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_feedback_summary.last_rated_at IS
    'When the latest rating was recorded; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_tickets.opened_at IS
    'When the ticket was opened; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_tickets.due_at IS
    'Deadline: opened_at plus the L3_TICKET_OVERDUE delay for its priority; NULL once resolved; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_tickets.resolved_at IS
    'When the ticket was resolved; NULL while open; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_tickets.age IS
    'Time open: from opened_at to resolved_at, or to now() while open (an interval)';
COMMENT ON COLUMN ordermgmt.v_daily_sales.booked_net IS
    'Their net value (orders.ordered_net: qty * unit_price of the lines, rounded to cents), in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_daily_sales.invoiced_net IS
    'Net amount of those invoices, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_daily_sales.invoiced_tax IS
    'Tax of those invoices, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_daily_sales.invoiced_total IS
    'Total (net + tax) of those invoices, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_order_milestones.created_at IS
    'When the order was entered; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_order_milestones.confirmed_at IS
    'When the order last became confirmed; NULL if never; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_order_milestones.promised_at IS
    'Promised delivery time; NULL if none was given; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_order_milestones.first_shipped_at IS
    'When its first shipment left; NULL before the first shipment; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_order_milestones.last_shipped_at IS
    'When its latest shipment left; NULL before the first shipment; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_order_milestones.delivered_at IS
    'When the order became delivered: its last shipment''s delivery time; NULL until then; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_customer_history.credit_limit IS
    'Credit limit, applied to each currency of the customer on its own, in that currency; NULL means no limit';
COMMENT ON COLUMN ordermgmt.v_customer_history.first_order_at IS
    'When the first of them was entered; NULL without orders; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_customer_history.last_order_at IS
    'When the latest of them was entered; NULL without orders; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_customer_history.last_interaction_at IS
    'When its latest recorded interaction took place; NULL if none; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_customer_interactions.occurred_at IS
    'When the interaction took place; a timestamp with time zone (an instant), shown in the session''s time zone';

-- The indexes only the old v_pipeline, v_daily_sales and v_fulfillment_times read.
DROP INDEX ordermgmt.orders_open_status_idx;
DROP INDEX ordermgmt.orders_created_day_idx;
DROP INDEX ordermgmt.invoices_issued_day_idx;
DROP INDEX ordermgmt.orders_created_week_idx;

--------------------------------------------------------------------------
-- Departments and approvals that cannot be faked
--------------------------------------------------------------------------
-- The department roles (cluster-wide); their privileges are granted at the
-- end of this script, as at install.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ordermgmt_sales') THEN
        CREATE ROLE ordermgmt_sales NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ordermgmt_warehouse') THEN
        CREATE ROLE ordermgmt_warehouse NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ordermgmt_finance') THEN
        CREATE ROLE ordermgmt_finance NOLOGIN;
    END IF;
END
$roles$;

-- Who entered each order: the session user, never approving it.  Orders
-- entered before keep NULL (nobody is known to have entered them).
ALTER TABLE ordermgmt.orders ADD COLUMN created_by text;
ALTER TABLE ordermgmt.orders ALTER COLUMN created_by SET DEFAULT SESSION_USER;
COMMENT ON COLUMN ordermgmt.orders.approved_by IS 'Who gave the order''s last approval (approve_order; all of them in order_approvals)';
COMMENT ON COLUMN ordermgmt.orders.created_by IS
    'The session user who entered the order; may not approve it (NULL for orders entered before 0.6.0)';

INSERT INTO ordermgmt.monitor_rules (rule_code, level, severity, thresholds, description, builtin) VALUES
    ('L1_APPROVAL_REQUIRED',    1, 'warning',  '{}', 'The order trips an approval rule (order value or discount) and waits for its approvers', true);

-- Who must approve an order before it may confirm.  An order that trips a
-- rule at confirmation waits on_hold until, for every rule it trips, a
-- member of the rule's required role has approved it (approve_order), one
-- level after the other: lower levels first, and a person approves at
-- most one level of an order.  Nobody approves an order they entered.
-- price_deviation and credit_exceeded trip when the level-1 rule of the
-- same name fails; order_value when the order's gross value (in its
-- currency) exceeds threshold; discount_pct when a line's price is more
-- than threshold percent below its list price.
CREATE TABLE ordermgmt.approval_rules (
    rule_id       bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('order_value', 'discount_pct', 'credit_exceeded', 'price_deviation')),
    threshold     numeric(18,4) CHECK (threshold >= 0),
    required_role regrole NOT NULL,
    level         smallint NOT NULL DEFAULT 1 CHECK (level BETWEEN 1 AND 9),
    enabled       boolean NOT NULL DEFAULT true,
    description   text,
    builtin       boolean NOT NULL DEFAULT false,
    CONSTRAINT approval_rules_threshold_by_kind CHECK ((kind IN ('order_value', 'discount_pct')) = (threshold IS NOT NULL)),
    CONSTRAINT approval_rules_discount_at_most_100 CHECK (kind <> 'discount_pct' OR threshold <= 100)
);
COMMENT ON TABLE ordermgmt.approval_rules IS
    'Approval rules: an order that trips one waits on_hold until a member of required_role approves it';
COMMENT ON COLUMN ordermgmt.approval_rules.threshold IS
    'order_value: gross order value above which approval is needed; discount_pct: largest discount off a line''s expected price (its list price, order_lines.expected_price; percent) that needs none; NULL for the other kinds';
COMMENT ON COLUMN ordermgmt.approval_rules.level IS
    'Approvals are given level by level, lowest first; one person approves at most one level of an order';
INSERT INTO ordermgmt.approval_rules (kind, required_role, description, builtin) VALUES
    ('price_deviation', 'ordermgmt_approver', 'A price outside the L1_PRICE_DEVIATION tolerance', true),
    ('credit_exceeded', 'ordermgmt_approver', 'An order beyond the customer''s credit limit', true);

-- One row per order and rule it tripped: waiting while approved_by is NULL.
CREATE TABLE ordermgmt.order_approvals (
    order_id     bigint NOT NULL REFERENCES ordermgmt.orders,
    rule_id      bigint NOT NULL REFERENCES ordermgmt.approval_rules,
    requested_at timestamptz NOT NULL DEFAULT now(),
    approved_by  text,
    approved_at  timestamptz,
    note         text,
    PRIMARY KEY (order_id, rule_id),
    CHECK ((approved_by IS NULL) = (approved_at IS NULL))
);
CREATE INDEX order_approvals_waiting_idx ON ordermgmt.order_approvals (rule_id) WHERE approved_by IS NULL;
COMMENT ON TABLE ordermgmt.order_approvals IS
    'The approvals each order needs and has: who approved, when and why (approved_by NULL: still waiting)';

-- The approvals given before: approve_order overrode both checks at once.
INSERT INTO ordermgmt.order_approvals (order_id, rule_id, requested_at, approved_by, approved_at, note)
SELECT o.order_id, r.rule_id, o.approved_at, o.approved_by, o.approved_at, 'approved before 0.6.0'
  FROM ordermgmt.orders o CROSS JOIN ordermgmt.approval_rules r
 WHERE o.approved_by IS NOT NULL AND r.builtin;
-- Orders on hold for a price or credit check wait for an approval.
INSERT INTO ordermgmt.order_approvals (order_id, rule_id, requested_at)
SELECT DISTINCT a.order_id, r.rule_id, a.raised_at
  FROM ordermgmt.alerts a
  JOIN ordermgmt.orders o ON o.order_id = a.order_id AND o.status = 'on_hold'
  JOIN ordermgmt.approval_rules r
    ON r.kind = CASE a.rule_code WHEN 'L1_PRICE_DEVIATION' THEN 'price_deviation' ELSE 'credit_exceeded' END
 WHERE a.rule_code IN ('L1_PRICE_DEVIATION', 'L1_CREDIT_LIMIT') AND a.status <> 'resolved'
ON CONFLICT (order_id, rule_id) DO NOTHING;

-- approve_order takes a note; the approver is the session user.
DROP FUNCTION ordermgmt.approve_order(bigint, text);
CREATE FUNCTION ordermgmt.approve_order(order_id bigint, note text DEFAULT NULL) RETURNS text
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_approve_order';
COMMENT ON FUNCTION ordermgmt.approve_order(bigint, text) IS
    'The session user approves what the order waits for at its lowest open level; the last approval confirms it again (never overrides stock); returns the status';
REVOKE ALL ON FUNCTION ordermgmt.approve_order(bigint, text) FROM PUBLIC;

CREATE TRIGGER approval_rules_cache_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON ordermgmt.approval_rules FOR EACH STATEMENT EXECUTE FUNCTION ordermgmt.config_changed();
CREATE TRIGGER approval_rules_keep_builtin BEFORE DELETE ON ordermgmt.approval_rules
    FOR EACH ROW WHEN (OLD.builtin) EXECUTE FUNCTION ordermgmt.config_keep_builtin();
CREATE TRIGGER approval_rules_merge BEFORE INSERT ON ordermgmt.approval_rules
    FOR EACH ROW EXECUTE FUNCTION ordermgmt.config_merge('rule_id');
REVOKE ALL ON ordermgmt.approval_rules, ordermgmt.order_approvals FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.approval_rules', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.approval_rules_rule_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.order_approvals', '');

-- Sums of the postings up to ledger_rollup.upto_posting_id per UTC month of
-- their entries' dates, rolled up with ledger_totals in the same statement:
-- the monthly statements read a few rows per month instead of the postings.
-- Part of "Statements and period close" below, created here because
-- verify() reads it.
CREATE TABLE ordermgmt.ledger_month_totals (
    month      date NOT NULL,
    account_id bigint NOT NULL REFERENCES ordermgmt.accounts,
    currency   char(3) NOT NULL,
    debit      numeric NOT NULL,
    credit     numeric NOT NULL,
    PRIMARY KEY (month, account_id, currency)
);
COMMENT ON TABLE ordermgmt.ledger_month_totals IS
    'Sums of the postings up to ledger_rollup.upto_posting_id, per UTC month of their entries'' dates, account and currency';

-- verify(): the self-audit (see docs/verify.md).
--
-- Every invariant of the data as one row: check_name, ok, and when a check
-- fails, detail = how many rows break it and the first few of them.
--
-- One snapshot.  This is a LANGUAGE sql function declared STABLE, and its
-- body is a single statement: PostgreSQL runs the statements of a
-- non-VOLATILE SQL function on the snapshot of the query that calls it
-- (docs: "Function Volatility Categories", STABLE and IMMUTABLE functions
-- "use a snapshot established as of the start of the calling query";
-- source: fmgr_sql() in src/backend/executor/functions.c takes a new
-- snapshot per statement only when !readonly_func, i.e. for VOLATILE, and
-- postquel_start() otherwise runs on GetActiveSnapshot()).  It only reads:
-- no FOR UPDATE, no LOCK; its tables and the events sequence take the
-- ACCESS SHARE locks of a plain SELECT, which no INSERT, UPDATE, DELETE
-- or nextval() waits for.  It runs as
-- the owner (SECURITY DEFINER) so that it reads every table; every
-- relation and function of the extension is schema-qualified, and the
-- built-in functions and operators resolve in the pinned search_path
-- (pg_catalog first).  JIT is off: on a small database compiling this one
-- large plan costs many times the run (24 s against 2 s at 20,000
-- orders), and at a million orders it changes the time by 5 % either way
-- (docs/benchmarks.md).
--
-- Exact under concurrent writers.  Every check compares rows that one
-- transaction writes together (a document and its counters, a status and
-- its history row, an event and its change), so a snapshot sees both or
-- neither.  The few that compare with something written outside the
-- writing transaction say why they are still exact: the ledger roll-up
-- horizon, the purge horizon, the events sequence.
--
-- Shape.  Shared readings first: the large tables are read into named
-- sets (lines, invoice_sums, history, orders_seen, ev, entry_sums) that
-- the checks share, so that each table is scanned a few times at most,
-- each scan with one hash or sort, never once per row.  Then "offenders":
-- one entry per check, each
--
--     UNION ALL
--     SELECT 'area.check_name', o.k, o.s FROM always LEFT JOIN (
--         SELECT <what the row is and why it is wrong>,
--                <a bigint[] to list them in>
--           FROM ... WHERE <the invariant does not hold>) o(k, s) ON true
--
-- ("always" is one row, so that a check without offenders still has its
-- row).  The last part counts the offenders of each check and lists the
-- first five.  A new check is one more entry.
CREATE FUNCTION ordermgmt.verify()
    RETURNS TABLE (check_name text, ok boolean, detail text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off
    AS $verify$
WITH
always AS (SELECT),

--------------------------------------------------------------------------
-- Shared readings
--------------------------------------------------------------------------
-- What purge_history may have deleted: events that occurred before
-- events_before, alerts with an id up to alerts_upto.
horizon AS (
    SELECT coalesce(max(h.events_before), '-infinity') AS events_before,
           coalesce(max(h.alerts_upto), 0) AS alerts_upto
      FROM ordermgmt.purge_horizon h),

-- How far the reporting summaries are rolled up, per log (report_rollup;
-- zero before the first roll-up).  Read in this snapshot: a roll-up
-- commits its sums and its horizon together.
report_horizon AS (
    SELECT coalesce(max(r.upto_history_id), 0) AS history, coalesce(max(r.upto_invoice_id), 0) AS invoice,
           coalesce(max(r.upto_return_id), 0) AS return, coalesce(max(r.upto_feedback_id), 0) AS feedback,
           coalesce(max(r.upto_delivery_id), 0) AS delivery, coalesce(max(r.upto_event_id), 0) AS event
      FROM ordermgmt.report_rollup r),

-- Every order line with what its documents and its reservation say.
lines AS MATERIALIZED (
    SELECT l.order_id, l.line_no, l.product_id, l.qty, l.unit_price, l.tax_rate,
           l.shipped_qty, l.returned_qty, l.invoiced_qty, l.credited_qty,
           coalesce(s.qty, 0) AS doc_shipped, coalesce(r.qty, 0) AS doc_returned,
           coalesce(r.credited, 0) AS doc_credited, coalesce(i.qty, 0) AS doc_invoiced,
           coalesce(v.qty, 0) AS reserved, l.reserved_qty, l.backordered_qty
      FROM ordermgmt.order_lines l
      LEFT JOIN (SELECT sl.order_id, sl.line_no, sum(sl.qty) AS qty
                   FROM ordermgmt.shipment_lines sl GROUP BY sl.order_id, sl.line_no) s
             USING (order_id, line_no)
      LEFT JOIN (SELECT rl.order_id, rl.line_no, sum(rl.qty) AS qty, sum(rl.credited_qty) AS credited
                   FROM ordermgmt.return_lines rl GROUP BY rl.order_id, rl.line_no) r
             USING (order_id, line_no)
      LEFT JOIN (SELECT il.order_id, il.line_no, sum(il.qty) AS qty
                   FROM ordermgmt.invoice_lines il GROUP BY il.order_id, il.line_no) i
             USING (order_id, line_no)
      LEFT JOIN (SELECT rv.order_id, rv.line_no, sum(rv.qty) AS qty FROM ordermgmt.reservations rv
                  GROUP BY rv.order_id, rv.line_no) v USING (order_id, line_no)),

-- Every invoice with the payments, credits and lines it counts.
invoice_sums AS MATERIALIZED (
    SELECT i.invoice_id, i.order_id, i.customer_id, i.currency, i.net, i.tax, i.total,
           i.paid, i.credited, i.due,
           coalesce(p.amount, 0) AS payments, coalesce(c.amount, 0) AS credits,
           il.net AS lines_net, il.tax AS lines_tax
      FROM ordermgmt.invoices i
      LEFT JOIN (SELECT p.invoice_id, sum(p.amount) AS amount
                   FROM ordermgmt.payments p GROUP BY p.invoice_id) p USING (invoice_id)
      LEFT JOIN (SELECT c.invoice_id, sum(c.amount) AS amount
                   FROM ordermgmt.credit_applications c WHERE c.invoice_id IS NOT NULL
                  GROUP BY c.invoice_id) c USING (invoice_id)
      LEFT JOIN (SELECT il.invoice_id, sum(il.net) AS net, sum(il.tax) AS tax
                   FROM ordermgmt.invoice_lines il GROUP BY il.invoice_id) il USING (invoice_id)),

-- Every order's status history, in one pass: how many rows start it, its
-- first and last status, when the last was written, where it breaks.
history AS MATERIALIZED (
    SELECT h.order_id,
           count(*) FILTER (WHERE h.from_status IS NULL) AS starts,
           min(h.to_status) FILTER (WHERE h.prev_id IS NULL) AS first_status,
           min(h.to_status) FILTER (WHERE h.next_id IS NULL) AS last_status,
           min(h.changed_at) FILTER (WHERE h.next_id IS NULL) AS last_changed_at,
           min(h.history_id) FILTER (WHERE h.from_status IS DISTINCT FROM h.prev_status) AS first_break,
           count(*) FILTER (WHERE h.from_status IS DISTINCT FROM h.prev_status) AS breaks
      FROM (SELECT x.order_id, x.history_id, x.from_status, x.to_status, x.changed_at,
                   lag(x.to_status) OVER w AS prev_status, lag(x.history_id) OVER w AS prev_id,
                   lead(x.history_id) OVER w AS next_id
              FROM ordermgmt.order_status_history x
            WINDOW w AS (PARTITION BY x.order_id ORDER BY x.history_id)) h
     GROUP BY h.order_id),

-- Every order with what its lines, shipments, invoices and history say
-- (the lines' figures straight from order_lines, in the order of its key).
orders_seen AS MATERIALIZED (
    SELECT o.order_id, o.customer_id, o.warehouse_id, o.currency, o.status,
           o.created_at, o.status_changed_at, o.confirmed_at, o.promised_at,
           o.delivered_at, o.ordered_net, o.valid_until,
           round(coalesce(l.net, 0), 2) AS lines_net,
           coalesce(l.unshipped, false) AS unshipped, coalesce(l.any_shipped, false) AS any_shipped,
           coalesce(l.unbilled, false) AS unbilled, coalesce(l.backordered, false) AS backordered,
           o.allocation, o.sourcing,
           coalesce(s.shipments, 0) AS shipments, coalesce(s.undelivered, 0) AS undelivered,
           s.last_delivered_at, coalesce(i.open_due, false) AS open_due,
           coalesce(h.starts, 0) AS starts, h.first_status, h.last_status, h.last_changed_at
      FROM ordermgmt.orders o
      LEFT JOIN (SELECT x.order_id, sum(x.qty * x.unit_price) AS net,
                        bool_or(x.shipped_qty < x.qty) AS unshipped,
                        bool_or(x.shipped_qty > 0) AS any_shipped,
                        bool_or(x.shipped_qty - x.returned_qty <> x.invoiced_qty - x.credited_qty) AS unbilled,
                        bool_or(x.backordered_qty > 0) AS backordered
                   FROM ordermgmt.order_lines x GROUP BY x.order_id) l USING (order_id)
      LEFT JOIN (SELECT x.order_id, count(*) AS shipments,
                        count(*) FILTER (WHERE x.delivered_at IS NULL) AS undelivered,
                        max(x.delivered_at) AS last_delivered_at
                   FROM ordermgmt.shipments x GROUP BY x.order_id) s USING (order_id)
      LEFT JOIN (SELECT x.order_id, bool_or(x.due > 0) AS open_due
                   FROM invoice_sums x GROUP BY x.order_id) i USING (order_id)
      LEFT JOIN history h USING (order_id)),

-- Every event, its subject's id read from the payload ("shipment.created"
-- names shipment_id, "alert.raised" alert_id, ...); a malformed id reads
-- as NULL and its event is reported, not fatal.
ev AS MATERIALIZED (
    SELECT e.event_id, e.kind, e.order_id, e.occurred_at,
           CASE WHEN x.id ~ '^[0-9]{1,18}$' THEN x.id::bigint END AS subject_id,
           e.payload ->> 'status' AS status, e.payload ->> 'customer_id' AS customer_id,
           e.payload ->> 'from' AS from_status, e.payload ->> 'to' AS to_status
      FROM ordermgmt.events e
     CROSS JOIN LATERAL (SELECT e.payload ->> (split_part(e.kind, '.', 1) || '_id')) AS x(id)),

-- Debits and credits of every journal entry, per currency.
entry_sums AS MATERIALIZED (
    SELECT p.entry_id, p.currency::text AS currency, sum(p.debit) AS debit, sum(p.credit) AS credit,
           sum(p.company_debit) AS company_debit, sum(p.company_credit) AS company_credit
      FROM ordermgmt.postings p
     GROUP BY p.entry_id, p.currency),
company AS (
    SELECT v.value AS currency FROM ordermgmt.v_settings v WHERE v.key = 'company_currency'),

--------------------------------------------------------------------------
-- The checks: name, then the rows that break the invariant
--------------------------------------------------------------------------
offenders (check_name, k, s) AS (

------------------------------------------------------------------ ledger
-- Every journal entry balances per currency and in the company currency
-- (postings_balanced at commit).
SELECT 'ledger.entries_balance', o.k, o.s FROM always LEFT JOIN (
    SELECT format('entry %s: %s debit %s, credit %s', x.entry_id, x.currency, x.debit, x.credit),
           ARRAY[x.entry_id]
      FROM entry_sums x WHERE x.debit <> x.credit
    UNION ALL
    SELECT format('entry %s: in the company currency debit %s, credit %s', x.entry_id,
                  sum(x.company_debit), sum(x.company_credit)),
           ARRAY[x.entry_id]
      FROM entry_sums x GROUP BY x.entry_id HAVING sum(x.company_debit) <> sum(x.company_credit)) o(k, s) ON true
UNION ALL
-- The trial balance of each currency sums to zero, and so do all its
-- company-currency balances.
SELECT 'ledger.trial_balance_is_zero', o.k, o.s FROM always LEFT JOIN (
    SELECT format('%s: balances sum to %s', t.currency, sum(t.balance)), ARRAY[]::bigint[]
      FROM ordermgmt.v_trial_balance t GROUP BY t.currency HAVING sum(t.balance) <> 0
    UNION ALL
    SELECT format('company currency: balances sum to %s', sum(t.company_balance)), ARRAY[]::bigint[]
      FROM ordermgmt.v_trial_balance t HAVING sum(t.company_balance) <> 0) o(k, s) ON true
UNION ALL
-- A posting in the company currency has its own amounts as company amounts.
SELECT 'ledger.company_amounts', o.k, o.s FROM always LEFT JOIN (
    SELECT format('posting %s of entry %s: %s %s / %s, company %s / %s', p.posting_id, p.entry_id, p.currency,
                  p.debit, p.credit, p.company_debit, p.company_credit),
           ARRAY[p.posting_id]
      FROM ordermgmt.postings p, company c
     WHERE p.currency = c.currency::bpchar
       AND (p.company_debit <> p.debit OR p.company_credit <> p.credit)) o(k, s) ON true
UNION ALL
-- Every invoice, payment and return has exactly one journal entry of its
-- own (source_type, source_id), debiting in its currency what the
-- document says (invoice: total; payment: amount; return: the credit note,
-- plus the cost of the goods taken back when the order is in the company
-- currency, the currency stock is valued in); none when that is zero.  Per
-- document, not per account: manual entries to cash or receivables, a
-- reversal, or a changed posting_accounts map are the accountants' to make.
SELECT 'ledger.documents_posted', o.k, o.s FROM always LEFT JOIN (
    SELECT format('%s %s: %s', coalesce(d.kind, e.kind), coalesce(d.id, e.id),
                  CASE WHEN d.id IS NULL THEN 'journal entry without its document'
                       WHEN e.id IS NULL THEN format('no journal entry for %s %s', d.amount, d.currency)
                       WHEN e.entries > 1 THEN format('%s journal entries', e.entries)
                       ELSE format('posts %s %s, the document says %s %s',
                                   coalesce(e.debits[array_position(e.currencies, d.currency)], 0), d.currency,
                                   d.amount, d.currency) END),
           ARRAY[CASE coalesce(d.kind, e.kind) WHEN 'invoice' THEN 1 WHEN 'payment' THEN 2
                                               WHEN 'return' THEN 3 ELSE 4 END,
                 coalesce(d.id, e.id)]
      FROM (SELECT 'invoice' AS kind, i.invoice_id AS id, i.currency::text AS currency, i.total AS amount
              FROM invoice_sums i
            UNION ALL
            SELECT 'payment', p.payment_id, i.currency::text, p.amount
              FROM ordermgmt.payments p JOIN ordermgmt.invoices i USING (invoice_id)
            UNION ALL
            SELECT 'customer_payment', cp.customer_payment_id, cp.currency::text, cp.amount
              FROM ordermgmt.customer_payments cp
            UNION ALL
            SELECT 'return', r.return_id, o.currency::text,
                   r.credit_net + r.credit_tax
                   + CASE WHEN o.currency = (SELECT k.currency FROM company k)::bpchar THEN coalesce(c.cost, 0) ELSE 0 END
              FROM ordermgmt.returns r
              JOIN ordermgmt.orders o USING (order_id)
              LEFT JOIN (SELECT rl.return_id, sum(round(rl.qty * rl.unit_cost, 2)) AS cost
                           FROM ordermgmt.return_lines rl GROUP BY rl.return_id) c USING (return_id)) d
      FULL JOIN (SELECT j.source_type AS kind, j.source_id AS id, count(DISTINCT j.entry_id) AS entries,
                        array_agg(x.currency ORDER BY x.currency) AS currencies,
                        array_agg(x.debit ORDER BY x.currency) AS debits
                   FROM ordermgmt.journal_entries j JOIN entry_sums x USING (entry_id)
                  WHERE j.source_type IN ('invoice', 'payment', 'return', 'customer_payment')
                  GROUP BY j.source_type, j.source_id) e USING (kind, id)
     WHERE d.id IS NULL
        OR (e.id IS NULL AND d.amount <> 0)
        OR e.entries > 1
        OR coalesce(e.debits[array_position(e.currencies, d.currency)], 0) <> d.amount) o(k, s) ON true

-------------------------------------------------------- customer payments
UNION ALL
-- A receipt allocates at most its amount.
SELECT 'payments.allocations_within_receipt', o.k, o.s FROM always LEFT JOIN (
    SELECT format('receipt %s: %s %s, allocated %s', cp.customer_payment_id, cp.amount, cp.currency, a.amount),
           ARRAY[cp.customer_payment_id]
      FROM ordermgmt.customer_payments cp
      JOIN (SELECT x.customer_payment_id, sum(x.source_amount) AS amount FROM ordermgmt.payment_allocations x
             WHERE x.customer_payment_id IS NOT NULL GROUP BY x.customer_payment_id) a USING (customer_payment_id)
     WHERE cp.kind <> 'receipt' OR a.amount > cp.amount) o(k, s) ON true
UNION ALL
-- An allocation is its payments row, on an invoice of its customer and
-- currency, from a receipt of that customer in its source currency; in
-- the invoice's currency it took what it paid.
SELECT 'payments.allocations_match_their_payments', o.k, o.s FROM always LEFT JOIN (
    SELECT format('allocation of payment %s: %s', a.payment_id,
                  CASE WHEN p.payment_id IS NULL OR p.invoice_id <> a.invoice_id OR p.amount <> a.amount
                       THEN 'not its payment''s invoice and amount'
                       WHEN i.customer_id <> a.customer_id OR i.currency <> a.currency
                       THEN 'not its invoice''s customer and currency'
                       ELSE 'not its receipt''s customer and currency' END),
           ARRAY[a.payment_id]
      FROM ordermgmt.payment_allocations a
      LEFT JOIN ordermgmt.payments p USING (payment_id)
      LEFT JOIN ordermgmt.invoices i ON i.invoice_id = a.invoice_id
      LEFT JOIN ordermgmt.customer_payments cp USING (customer_payment_id)
     WHERE p.payment_id IS NULL OR p.invoice_id <> a.invoice_id OR p.amount <> a.amount
        OR i.customer_id <> a.customer_id OR i.currency <> a.currency
        OR (a.source_currency = a.currency AND a.source_amount <> a.amount)
        OR (cp.customer_payment_id IS NOT NULL
            AND (cp.customer_id <> a.customer_id OR cp.currency <> a.source_currency))) o(k, s) ON true
UNION ALL
-- The unapplied credit is what the receipts left: receipts - allocations
-- - refunds, per customer and currency.
SELECT 'payments.customer_credit_is_recomputed', o.k, o.s FROM always LEFT JOIN (
    SELECT format('customer %s %s: unapplied %s, recomputed %s', customer_id, currency,
                  coalesce(k.unapplied::text, 'no row'), coalesce(r.unapplied, 0)),
           ARRAY[customer_id]
      FROM ordermgmt.customer_credit k
      FULL JOIN (SELECT x.customer_id, x.currency, sum(x.amount) AS unapplied
                   FROM (SELECT cp.customer_id, cp.currency,
                                CASE cp.kind WHEN 'receipt' THEN cp.amount ELSE -cp.amount END AS amount
                           FROM ordermgmt.customer_payments cp
                         UNION ALL
                         SELECT a.customer_id, a.source_currency, -a.source_amount
                           FROM ordermgmt.payment_allocations a) x
                  GROUP BY x.customer_id, x.currency) r USING (customer_id, currency)
     WHERE coalesce(k.unapplied, 0) <> coalesce(r.unapplied, 0)) o(k, s) ON true
UNION ALL
-- No invoice is paid (and credited) beyond its total.
SELECT 'payments.invoices_not_overpaid', o.k, o.s FROM always LEFT JOIN (
    SELECT format('invoice %s: total %s, payments %s, credits %s', x.invoice_id, x.total, x.payments, x.credits),
           ARRAY[x.invoice_id]
      FROM invoice_sums x WHERE x.payments + x.credits > x.total) o(k, s) ON true

------------------------------------------------------------------- stock
UNION ALL
-- on_hand is the sum of the stock moves of its product and warehouse.
SELECT 'stock.on_hand_is_sum_of_moves', o.k, o.s FROM always LEFT JOIN (
    SELECT format('%s in %s: on_hand %s, moves %s', p.sku, w.code,
                  coalesce(trim_scale(s.on_hand)::text, 'no stock row'), coalesce(trim_scale(m.q)::text, 'none')),
           ARRAY[product_id, warehouse_id]
      FROM ordermgmt.stock s
      FULL JOIN (SELECT x.product_id, x.warehouse_id, sum(x.qty) AS q FROM ordermgmt.stock_moves x
                  GROUP BY x.product_id, x.warehouse_id) m USING (product_id, warehouse_id)
      JOIN ordermgmt.products p USING (product_id)
      JOIN ordermgmt.warehouses w USING (warehouse_id)
     WHERE s.on_hand IS DISTINCT FROM m.q) o(k, s) ON true
UNION ALL
-- reserved is the sum of the reservations of its product and warehouse.
SELECT 'stock.reserved_is_sum_of_reservations', o.k, o.s FROM always LEFT JOIN (
    SELECT format('%s in %s: reserved %s, reservations %s', p.sku, w.code,
                  coalesce(trim_scale(s.reserved)::text, 'no stock row'), trim_scale(coalesce(r.q, 0))),
           ARRAY[product_id, warehouse_id]
      FROM ordermgmt.stock s
      FULL JOIN (SELECT x.product_id, x.warehouse_id, sum(x.qty) AS q FROM ordermgmt.reservations x
                  GROUP BY x.product_id, x.warehouse_id) r USING (product_id, warehouse_id)
      JOIN ordermgmt.products p USING (product_id)
      JOIN ordermgmt.warehouses w USING (warehouse_id)
     WHERE s.reserved IS DISTINCT FROM coalesce(r.q, 0)) o(k, s) ON true
UNION ALL
-- 0 <= reserved <= on_hand.
SELECT 'stock.reserved_within_on_hand', o.k, o.s FROM always LEFT JOIN (
    SELECT format('%s in %s: reserved %s, on_hand %s', p.sku, w.code, trim_scale(s.reserved), trim_scale(s.on_hand)),
           ARRAY[s.product_id, s.warehouse_id]
      FROM ordermgmt.stock s
      JOIN ordermgmt.products p USING (product_id)
      JOIN ordermgmt.warehouses w USING (warehouse_id)
     WHERE s.reserved < 0 OR s.reserved > s.on_hand) o(k, s) ON true
UNION ALL
-- A line of an order that may ship holds what it has not shipped yet.
-- What it does not hold it waits for (backordered_qty), only under
-- allocation partial; reserved_qty is its reservation.
SELECT 'stock.reservations_match_lines', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s line %s (%s, %s): qty %s, shipped %s, reservation %s, reserved_qty %s, backordered %s',
                  l.order_id, l.line_no, x.status, x.allocation, trim_scale(l.qty), trim_scale(l.shipped_qty),
                  trim_scale(l.reserved), trim_scale(l.reserved_qty), trim_scale(l.backordered_qty)),
           ARRAY[l.order_id, l.line_no]
      FROM lines l JOIN orders_seen x USING (order_id)
     WHERE l.reserved_qty <> l.reserved
        OR (x.status IN ('confirmed', 'processing', 'partially_shipped')
            AND l.reserved + l.backordered_qty <> l.qty - l.shipped_qty)
        OR (l.backordered_qty > 0
            AND (x.allocation <> 'partial' OR x.status NOT IN ('confirmed', 'processing', 'partially_shipped', 'on_hold'))))
    o(k, s) ON true
UNION ALL
-- A reservation belongs to an order that may still ship (or is held with
-- its stock), to one of its lines, for that line's product, in the
-- order's warehouse (any warehouse for a split order).
SELECT 'stock.reservations_belong_to_open_lines', o.k, o.s FROM always LEFT JOIN (
    SELECT format('reservation of order %s line %s: %s', r.order_id, r.line_no,
                  CASE WHEN x.order_id IS NULL THEN 'no such order'
                       WHEN l.line_no IS NULL THEN 'no such line'
                       WHEN x.status NOT IN ('confirmed', 'processing', 'partially_shipped', 'on_hold')
                         THEN format('the order is %s', x.status)
                       WHEN l.product_id <> r.product_id THEN format('product %s, the line''s is %s', r.product_id, l.product_id)
                       ELSE format('warehouse %s, the order''s is %s', r.warehouse_id, x.warehouse_id) END),
           ARRAY[r.order_id, r.line_no]
      FROM ordermgmt.reservations r
      LEFT JOIN orders_seen x USING (order_id)
      LEFT JOIN lines l USING (order_id, line_no)
     WHERE x.order_id IS NULL OR l.line_no IS NULL
        OR x.status NOT IN ('confirmed', 'processing', 'partially_shipped', 'on_hold')
        OR l.product_id <> r.product_id
        OR (x.warehouse_id <> r.warehouse_id AND x.sourcing <> 'split')) o(k, s) ON true

-------------------------------------------------------------- purchasing
UNION ALL
-- A purchase line's received_qty is what its receipt lines brought.
SELECT 'purchasing.received_is_sum_of_receipts', o.k, o.s FROM always LEFT JOIN (
    SELECT format('purchase order %s line %s: received_qty %s, receipts %s', l.po_id, l.line_no,
                  trim_scale(l.received_qty), coalesce(trim_scale(r.q)::text, 'none')),
           ARRAY[l.po_id, l.line_no]
      FROM ordermgmt.purchase_lines l
      LEFT JOIN (SELECT x.po_id, x.line_no, sum(x.qty) AS q FROM ordermgmt.purchase_receipt_lines x
                  GROUP BY x.po_id, x.line_no) r USING (po_id, line_no)
     WHERE l.received_qty <> coalesce(r.q, 0)) o(k, s) ON true
UNION ALL
-- Each receipt line is a receipt move of its quantity of the line's
-- product, into the order's warehouse, at the line's cost, in a receipt of
-- the line's order.
SELECT 'purchasing.receipt_lines_are_their_moves', o.k, o.s FROM always LEFT JOIN (
    SELECT format('receipt %s line %s (purchase order %s): move %s is a %s of %s of product %s into warehouse %s at %s',
                  x.receipt_id, x.line_no, x.po_id, m.move_id, m.kind, trim_scale(m.qty), m.product_id,
                  m.warehouse_id, coalesce(trim_scale(m.unit_cost)::text, 'no cost')),
           ARRAY[x.receipt_id, x.line_no]
      FROM ordermgmt.purchase_receipt_lines x
      JOIN ordermgmt.purchase_receipts r USING (receipt_id)
      JOIN ordermgmt.purchase_lines l ON l.po_id = x.po_id AND l.line_no = x.line_no
      JOIN ordermgmt.purchase_orders po ON po.po_id = x.po_id
      JOIN ordermgmt.stock_moves m ON m.move_id = x.move_id
     WHERE r.po_id <> x.po_id OR m.kind <> 'receipt' OR m.qty <> x.qty OR m.product_id <> l.product_id
        OR m.warehouse_id <> po.warehouse_id OR m.unit_cost IS DISTINCT FROM l.unit_cost) o(k, s) ON true
UNION ALL
-- A purchase order's status says how much of it arrived: nothing while a
-- draft or ordered, some but not all while partially received, all of
-- every line once received (a cancelled one keeps what it received).
SELECT 'purchasing.status_agrees_with_lines', o.k, o.s FROM always LEFT JOIN (
    SELECT format('purchase order %s is %s: %s lines, %s received in full, %s with something received',
                  po.po_id, po.status, coalesce(l.lines, 0), coalesce(l.full, 0), coalesce(l.started, 0)),
           ARRAY[po.po_id]
      FROM ordermgmt.purchase_orders po
      LEFT JOIN (SELECT x.po_id, count(*) AS lines, count(*) FILTER (WHERE x.received_qty = x.qty) AS full,
                        count(*) FILTER (WHERE x.received_qty > 0) AS started
                   FROM ordermgmt.purchase_lines x GROUP BY x.po_id) l USING (po_id)
     WHERE CASE po.status
             WHEN 'draft' THEN coalesce(l.started, 0) > 0
             WHEN 'ordered' THEN l.lines IS NULL OR l.started > 0
             WHEN 'partially_received' THEN l.lines IS NULL OR l.started = 0 OR l.full = l.lines
             WHEN 'received' THEN l.lines IS NULL OR l.full < l.lines
             ELSE false END) o(k, s) ON true

---------------------------------------------------------------- invoices
UNION ALL
SELECT 'invoices.paid_is_sum_of_payments', o.k, o.s FROM always LEFT JOIN (
    SELECT format('invoice %s: paid %s, payments %s', i.invoice_id, i.paid, i.payments), ARRAY[i.invoice_id]
      FROM invoice_sums i WHERE i.paid <> i.payments) o(k, s) ON true
UNION ALL
SELECT 'invoices.credited_is_sum_of_credits', o.k, o.s FROM always LEFT JOIN (
    SELECT format('invoice %s: credited %s, credits applied %s', i.invoice_id, i.credited, i.credits),
           ARRAY[i.invoice_id]
      FROM invoice_sums i WHERE i.credited <> i.credits) o(k, s) ON true
UNION ALL
SELECT 'invoices.due_is_total_less_payments_and_credits', o.k, o.s FROM always LEFT JOIN (
    SELECT format('invoice %s: due %s, total %s - payments %s - credits %s', i.invoice_id, i.due, i.total,
                  i.payments, i.credits),
           ARRAY[i.invoice_id]
      FROM invoice_sums i WHERE i.due <> i.total - i.payments - i.credits OR i.due < 0) o(k, s) ON true
UNION ALL
SELECT 'invoices.total_is_sum_of_lines', o.k, o.s FROM always LEFT JOIN (
    SELECT format('invoice %s: net %s, tax %s; lines %s, %s', i.invoice_id, i.net, i.tax,
                  coalesce(i.lines_net::text, 'none'), coalesce(i.lines_tax::text, 'none')),
           ARRAY[i.invoice_id]
      FROM invoice_sums i
     WHERE i.net IS DISTINCT FROM i.lines_net OR i.tax IS DISTINCT FROM i.lines_tax) o(k, s) ON true
UNION ALL
-- A return's credit note (credit_net + credit_tax) is what it applied to
-- invoices plus what it left to the customer.
SELECT 'returns.credit_is_sum_of_applications', o.k, o.s FROM always LEFT JOIN (
    SELECT format('return %s: credit %s, applied %s', r.return_id, r.credit_net + r.credit_tax,
                  coalesce(c.amount, 0)),
           ARRAY[r.return_id]
      FROM ordermgmt.returns r
      LEFT JOIN (SELECT x.return_id, sum(x.amount) AS amount FROM ordermgmt.credit_applications x
                  GROUP BY x.return_id) c USING (return_id)
     WHERE r.credit_net + r.credit_tax <> coalesce(c.amount, 0)) o(k, s) ON true

------------------------------------------------------------------- lines
UNION ALL
SELECT 'lines.shipped_qty_is_sum_of_shipments', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s line %s: shipped_qty %s, shipment lines %s', l.order_id, l.line_no,
                  trim_scale(l.shipped_qty), trim_scale(l.doc_shipped)),
           ARRAY[l.order_id, l.line_no]
      FROM lines l WHERE l.shipped_qty <> l.doc_shipped) o(k, s) ON true
UNION ALL
SELECT 'lines.returned_qty_is_sum_of_returns', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s line %s: returned_qty %s, return lines %s', l.order_id, l.line_no,
                  trim_scale(l.returned_qty), trim_scale(l.doc_returned)),
           ARRAY[l.order_id, l.line_no]
      FROM lines l WHERE l.returned_qty <> l.doc_returned) o(k, s) ON true
UNION ALL
SELECT 'lines.invoiced_qty_is_sum_of_invoices', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s line %s: invoiced_qty %s, invoice lines %s', l.order_id, l.line_no,
                  trim_scale(l.invoiced_qty), trim_scale(l.doc_invoiced)),
           ARRAY[l.order_id, l.line_no]
      FROM lines l WHERE l.invoiced_qty <> l.doc_invoiced) o(k, s) ON true
UNION ALL
SELECT 'lines.credited_qty_is_sum_of_credits', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s line %s: credited_qty %s, credited on returns %s', l.order_id, l.line_no,
                  trim_scale(l.credited_qty), trim_scale(l.doc_credited)),
           ARRAY[l.order_id, l.line_no]
      FROM lines l WHERE l.credited_qty <> l.doc_credited) o(k, s) ON true
UNION ALL
-- Never billed beyond what the customer kept.
SELECT 'lines.billed_within_kept', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s line %s: invoiced %s - credited %s > shipped %s - returned %s', l.order_id, l.line_no,
                  trim_scale(l.invoiced_qty), trim_scale(l.credited_qty),
                  trim_scale(l.shipped_qty), trim_scale(l.returned_qty)),
           ARRAY[l.order_id, l.line_no]
      FROM lines l WHERE l.invoiced_qty - l.credited_qty > l.shipped_qty - l.returned_qty) o(k, s) ON true

UNION ALL
-- A line records its product's tax rate as its order leaves draft, and
-- none while it is a draft.
SELECT 'lines.tax_rate_recorded_out_of_draft', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s line %s (%s): tax_rate %s', l.order_id, l.line_no, x.status,
                  coalesce(l.tax_rate::text, 'NULL')),
           ARRAY[l.order_id, l.line_no]
      FROM lines l JOIN orders_seen x USING (order_id)
     WHERE (l.tax_rate IS NULL) <> (x.status = 'draft')) o(k, s) ON true

--------------------------------------------------------------- documents
UNION ALL
-- Lines name their document's order; invoices bill the order's customer
-- in its currency; shipments leave from its warehouse (a split order's
-- from any); a credit note
-- lowers invoices of its own order; feedback records the order's customer.
SELECT 'documents.agree_with_their_order', o.k, o.s FROM always LEFT JOIN (
    SELECT format('shipment %s line %s names order %s, the shipment is of order %s',
                  x.shipment_id, x.line_no, x.order_id, s.order_id), ARRAY[1, x.shipment_id, x.line_no]
      FROM ordermgmt.shipment_lines x JOIN ordermgmt.shipments s USING (shipment_id)
     WHERE x.order_id <> s.order_id
    UNION ALL
    SELECT format('invoice %s line %s names order %s, the invoice is of order %s',
                  x.invoice_id, x.line_no, x.order_id, i.order_id), ARRAY[2, x.invoice_id, x.line_no]
      FROM ordermgmt.invoice_lines x JOIN invoice_sums i USING (invoice_id)
     WHERE x.order_id <> i.order_id
    UNION ALL
    SELECT format('return %s line %s names order %s, the return is of order %s',
                  x.return_id, x.line_no, x.order_id, r.order_id), ARRAY[3, x.return_id, x.line_no]
      FROM ordermgmt.return_lines x JOIN ordermgmt.returns r USING (return_id)
     WHERE x.order_id <> r.order_id
    UNION ALL
    SELECT format('invoice %s: customer %s in %s, order %s is customer %s''s in %s',
                  i.invoice_id, i.customer_id, i.currency, i.order_id, x.customer_id, x.currency),
           ARRAY[4, i.invoice_id]
      FROM invoice_sums i JOIN orders_seen x USING (order_id)
     WHERE i.customer_id <> x.customer_id OR i.currency <> x.currency
    UNION ALL
    SELECT format('shipment %s: from warehouse %s, order %s is in warehouse %s',
                  s.shipment_id, s.warehouse_id, s.order_id, x.warehouse_id), ARRAY[5, s.shipment_id]
      FROM ordermgmt.shipments s JOIN orders_seen x USING (order_id)
     WHERE s.warehouse_id <> x.warehouse_id AND x.sourcing <> 'split'
    UNION ALL
    SELECT format('return %s of order %s credits invoice %s of order %s',
                  c.return_id, r.order_id, c.invoice_id, i.order_id), ARRAY[6, c.return_id, c.invoice_id]
      FROM ordermgmt.credit_applications c
      JOIN ordermgmt.returns r USING (return_id)
      JOIN invoice_sums i USING (invoice_id)
     WHERE i.order_id <> r.order_id
    UNION ALL
    SELECT format('feedback %s: customer %s, order %s is customer %s''s',
                  f.feedback_id, f.customer_id, f.order_id, x.customer_id), ARRAY[7, f.feedback_id]
      FROM ordermgmt.feedback f JOIN orders_seen x USING (order_id)
     WHERE f.customer_id <> x.customer_id) o(k, s) ON true

------------------------------------------------------------------ orders
UNION ALL
SELECT 'orders.shipped_statuses_have_everything_shipped', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s is %s with quantity not shipped', x.order_id, x.status), ARRAY[x.order_id]
      FROM orders_seen x WHERE x.status IN ('shipped', 'delivered', 'completed') AND x.unshipped) o(k, s) ON true
UNION ALL
SELECT 'orders.partially_shipped_have_something_shipped_and_unshipped', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s is partially_shipped with %s shipped', x.order_id,
                  CASE WHEN x.any_shipped THEN 'everything' ELSE 'nothing' END),
           ARRAY[x.order_id]
      FROM orders_seen x
     WHERE x.status = 'partially_shipped' AND NOT (x.unshipped AND x.any_shipped)) o(k, s) ON true
UNION ALL
SELECT 'orders.unshipped_statuses_have_no_shipments', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s is %s with %s shipments', x.order_id, x.status, x.shipments), ARRAY[x.order_id]
      FROM orders_seen x
     WHERE x.status IN ('draft', 'pending', 'on_hold', 'confirmed', 'processing', 'cancelled')
       AND x.shipments > 0) o(k, s) ON true
UNION ALL
SELECT 'orders.delivered_statuses_have_every_shipment_delivered', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s is %s with %s shipments not delivered', x.order_id, x.status, x.undelivered),
           ARRAY[x.order_id]
      FROM orders_seen x WHERE x.status IN ('delivered', 'completed') AND x.undelivered > 0) o(k, s) ON true
UNION ALL
SELECT 'orders.completed_are_billed_and_paid', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s is completed with %s', x.order_id,
                  CASE WHEN x.unbilled THEN 'kept quantity not billed exactly' ELSE 'an invoice still due' END),
           ARRAY[x.order_id]
      FROM orders_seen x WHERE x.status = 'completed' AND (x.unbilled OR x.open_due)) o(k, s) ON true
UNION ALL
-- status and status_changed_at are those of the last history row.
SELECT 'orders.status_is_last_history_row', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s is %s, its history ends with %s', x.order_id, x.status,
                  coalesce(x.last_status::text, 'nothing')
                  || CASE WHEN x.status = x.last_status THEN ' at another time' ELSE '' END),
           ARRAY[x.order_id]
      FROM orders_seen x
     WHERE x.status IS DISTINCT FROM x.last_status
        OR x.status_changed_at IS DISTINCT FROM x.last_changed_at) o(k, s) ON true
UNION ALL
-- An opportunity follows its quotation: linked both ways; open only as a
-- proposal whose quotation is still open; won once its quotation was
-- confirmed; lost with a quotation only if that was cancelled unconfirmed.
SELECT 'opportunities.follow_their_quotation', o.k, o.s FROM always LEFT JOIN (
    SELECT format('opportunity %s is %s, its quotation %s', p.opportunity_id, p.stage,
                  CASE WHEN x.order_id IS NULL THEN 'missing'
                       WHEN x.opportunity_id IS DISTINCT FROM p.opportunity_id
                       THEN format('order %s names opportunity %s', x.order_id, coalesce(x.opportunity_id::text, 'none'))
                       ELSE format('order %s is %s%s', x.order_id, x.status,
                                   CASE WHEN x.confirmed_at IS NOT NULL THEN ' (confirmed once)' ELSE '' END) END),
           ARRAY[p.opportunity_id]
      FROM ordermgmt.opportunities p
      LEFT JOIN ordermgmt.orders x ON x.order_id = p.order_id
     WHERE (p.order_id IS NOT NULL AND x.opportunity_id IS DISTINCT FROM p.opportunity_id)
        OR (p.stage = 'won' AND x.confirmed_at IS NULL)
        OR (p.stage = 'lost' AND p.order_id IS NOT NULL
            AND (x.status IS DISTINCT FROM 'cancelled' OR x.confirmed_at IS NOT NULL))
        OR (p.stage IN ('lead', 'qualified', 'proposal') AND p.order_id IS NOT NULL
            AND (p.stage <> 'proposal' OR x.status NOT IN ('draft', 'pending', 'on_hold')
                 OR x.confirmed_at IS NOT NULL))) o(k, s) ON true
UNION ALL
SELECT 'orders.history_starts_once', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s: %s history rows without a from-status', x.order_id, x.starts), ARRAY[x.order_id]
      FROM orders_seen x WHERE x.starts <> 1) o(k, s) ON true
UNION ALL
-- Each history row leaves the status the one before it reached.
SELECT 'orders.history_is_a_chain', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s: history row %s does not start where the one before ended', h.order_id, h.first_break),
           ARRAY[h.order_id]
      FROM history h WHERE h.breaks > 0) o(k, s) ON true
UNION ALL
-- A customer login's mapping names a role that exists: a dropped role's
-- OID could one day be a new role's, which would then act for the customer.
SELECT 'customers.logins_name_existing_roles', o.k, o.s FROM always LEFT JOIN (
    SELECT format('customer_logins maps role OID %s, which no longer exists, to customer %s',
                  l.role_name::oid, l.customer_id),
           ARRAY[l.customer_id]
      FROM ordermgmt.customer_logins l
     WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.oid = l.role_name::oid)) o(k, s) ON true
UNION ALL
-- Nobody approved an order they entered, and an order that has approvals
-- names its last approver.
SELECT 'orders.approved_by_someone_else', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s: %s', x.order_id,
                  CASE WHEN x.self_approved THEN format('approved by %s, who entered it', x.created_by)
                       ELSE 'has approvals but no approved_by' END),
           ARRAY[x.order_id]
      FROM (SELECT a.order_id, o.created_by, o.approved_by,
                   bool_or(a.approved_by = o.created_by) AS self_approved
              FROM ordermgmt.order_approvals a JOIN ordermgmt.orders o ON o.order_id = a.order_id
             WHERE a.approved_by IS NOT NULL
             GROUP BY a.order_id, o.created_by, o.approved_by) x
     WHERE x.self_approved OR x.approved_by IS NULL) o(k, s) ON true
UNION ALL
-- order_amendments: an order's revisions are numbered 1, 2, ... without a
-- gap, and the latest one says what the order's lines (number, quantity,
-- price) and ordered_net are now: once an order is confirmed only a
-- revision (amend_order, short_close) changes them.
SELECT 'orders.revisions_numbered_from_one', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s: revisions %s', a.order_id, array_agg(a.revision ORDER BY a.revision)::text),
           ARRAY[a.order_id]
      FROM ordermgmt.order_amendments a
     GROUP BY a.order_id
    HAVING min(a.revision) <> 1 OR max(a.revision) <> count(*)) o(k, s) ON true
UNION ALL
SELECT 'orders.latest_revision_is_the_order', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s revision %s: net_after %s, ordered_net %s%s', a.order_id, a.revision, a.net_after,
                  coalesce(x.ordered_net::text, 'NULL'), CASE WHEN c.lines_agree THEN '' ELSE ', lines differ' END),
           ARRAY[a.order_id]
      FROM (SELECT DISTINCT ON (y.order_id) y.order_id, y.revision, y.net_after, y.lines_after
              FROM ordermgmt.order_amendments y ORDER BY y.order_id, y.revision DESC) a
      JOIN orders_seen x USING (order_id)
     CROSS JOIN LATERAL (
            SELECT (SELECT coalesce(jsonb_agg(jsonb_build_array(l.line_no, l.qty, l.unit_price) ORDER BY l.line_no),
                                    '[]')
                      FROM ordermgmt.order_lines l WHERE l.order_id = a.order_id)
                   = (SELECT coalesce(jsonb_agg(jsonb_build_array(e -> 'line_no', e -> 'qty', e -> 'unit_price')
                                                ORDER BY (e ->> 'line_no')::integer), '[]')
                        FROM jsonb_array_elements(a.lines_after) e) AS lines_agree) c
     WHERE a.net_after IS DISTINCT FROM x.ordered_net OR NOT c.lines_agree) o(k, s) ON true

--------------------------------------------------------------- summaries
-- Kept figures equal their recomputation from the rows they summarize.
UNION ALL
-- orders.ordered_net: the lines' net value as the order left draft
-- (lines are fixed from then on, but for a revision, which records it
-- again); NULL for a draft.
SELECT 'summaries.ordered_net', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s (%s): ordered_net %s, lines %s', x.order_id, x.status,
                  coalesce(x.ordered_net::text, 'NULL'),
                  CASE WHEN x.status = 'draft' THEN 'none yet (draft)' ELSE x.lines_net::text END),
           ARRAY[x.order_id]
      FROM orders_seen x
     WHERE x.ordered_net IS DISTINCT FROM CASE WHEN x.status <> 'draft' THEN x.lines_net END) o(k, s) ON true
UNION ALL
-- orders.delivered_at: the last shipment's delivery, once delivered.
SELECT 'summaries.delivered_at', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s (%s): delivered_at %s, last delivery %s', x.order_id, x.status,
                  coalesce(x.delivered_at::text, 'NULL'), coalesce(x.last_delivered_at::text, 'none')),
           ARRAY[x.order_id]
      FROM orders_seen x
     WHERE x.delivered_at IS DISTINCT FROM
           CASE WHEN x.status IN ('delivered', 'completed') THEN x.last_delivered_at END) o(k, s) ON true
UNION ALL
-- delivery_weeks: orders delivered with a promise, per UTC week of
-- delivery and customer, and how many by the promise.  A row counted down
-- to zero (a promise moved) is as good as none.
SELECT 'summaries.delivery_weeks', o.k, o.s FROM always LEFT JOIN (
    SELECT format('week %s customer %s: delivered %s on time %s, orders say %s and %s', week, customer_id,
                  coalesce(w.delivered, 0), coalesce(w.on_time, 0), coalesce(d.delivered, 0), coalesce(d.on_time, 0)),
           ARRAY[customer_id]
      FROM (SELECT x.week, x.customer_id, x.delivered, x.on_time FROM ordermgmt.delivery_weeks x
             WHERE x.delivered <> 0 OR x.on_time <> 0) w
      FULL JOIN (SELECT date_trunc('week', timezone('UTC', x.delivered_at))::date AS week, x.customer_id,
                        count(*) AS delivered, count(*) FILTER (WHERE x.delivered_at <= x.promised_at) AS on_time
                   FROM orders_seen x
                  WHERE x.delivered_at IS NOT NULL AND x.promised_at IS NOT NULL
                  GROUP BY 1, 2) d USING (week, customer_id)
     WHERE w.delivered IS DISTINCT FROM d.delivered OR w.on_time IS DISTINCT FROM d.on_time) o(k, s) ON true
UNION ALL
-- customer_exposure: per customer and currency, what is still to bill on
-- its open orders (confirmed to delivered), at the lines' recorded tax
-- rates, unrounded, and what is due on its invoices.  A customer and
-- currency with nothing open may have a row of zeros or none.
SELECT 'summaries.customer_exposure', o.k, o.s FROM always LEFT JOIN (
    SELECT format('customer %s %s: open orders %s, receivables %s; recomputed %s, %s', customer_id, currency,
                  coalesce(e.open_orders, 0), coalesce(e.receivables, 0),
                  coalesce(r.open_orders, 0), coalesce(r.receivables, 0)),
           ARRAY[customer_id]
      FROM (SELECT x.customer_id, x.currency::text AS currency, x.open_orders, x.receivables
              FROM ordermgmt.customer_exposure x) e
      FULL JOIN (SELECT f.customer_id, f.currency, sum(f.open_orders) AS open_orders,
                        sum(f.receivables) AS receivables
                   FROM (SELECT x.customer_id, x.currency::text AS currency,
                                ((l.qty - l.returned_qty) - (l.invoiced_qty - l.credited_qty))
                                  * l.unit_price * (1 + l.tax_rate) AS open_orders,
                                0 AS receivables
                           FROM lines l JOIN orders_seen x USING (order_id)
                          WHERE x.status IN ('confirmed', 'processing', 'partially_shipped', 'shipped', 'delivered')
                         UNION ALL
                         SELECT i.customer_id, i.currency::text, 0, i.due FROM invoice_sums i) f
                  GROUP BY f.customer_id, f.currency) r USING (customer_id, currency)
     WHERE coalesce(e.open_orders, 0) <> coalesce(r.open_orders, 0)
        OR coalesce(e.receivables, 0) <> coalesce(r.receivables, 0)) o(k, s) ON true
UNION ALL
-- order_day_totals plus the status changes after the roll-up's horizon
-- (report_day_changes): orders out of draft per UTC day of entry,
-- currency and status, and their ordered_net.  Exact with writers
-- running: the horizon only covers committed changes (rollup_reports,
-- src/domain/report_totals.c), and a change and its order are written by
-- one transaction.  A key summed to zero is as good as none.
SELECT 'summaries.order_day_totals', o.k, o.s FROM always LEFT JOIN (
    SELECT format('%s %s %s: totals %s orders, %s; orders say %s, %s', day, currency, status,
                  coalesce(t.orders, 0), coalesce(t.net_amount, 0), coalesce(r.orders, 0), coalesce(r.net_amount, 0)),
           NULL::bigint[]
      FROM (SELECT x.day, x.currency::text AS currency, x.status, sum(x.orders) AS orders,
                   sum(x.net_amount) AS net_amount
              FROM (SELECT y.day, y.currency, y.status, y.orders, y.net_amount FROM ordermgmt.order_day_totals y
                    UNION ALL
                    SELECT c.day, c.currency, c.status, c.orders, c.net_amount
                      FROM ordermgmt.report_day_changes c, report_horizon hz
                     WHERE c.source = 'history' AND c.id > hz.history) x
             GROUP BY 1, 2, 3
            HAVING sum(x.orders) <> 0 OR sum(x.net_amount) <> 0) t
      FULL JOIN (SELECT timezone('UTC', x.created_at)::date AS day, x.currency::text AS currency, x.status,
                        count(*) AS orders, coalesce(sum(x.ordered_net), 0) AS net_amount
                   FROM orders_seen x WHERE x.status <> 'draft' GROUP BY 1, 2, 3) r USING (day, currency, status)
     WHERE (t.orders, t.net_amount) IS DISTINCT FROM (r.orders, r.net_amount)) o(k, s) ON true
UNION ALL
-- invoice_day_totals plus the invoices after the horizon: invoices per
-- UTC day of issue and currency.
SELECT 'summaries.invoice_day_totals', o.k, o.s FROM always LEFT JOIN (
    SELECT format('%s %s: totals %s invoices, %s / %s / %s; invoices say %s, %s / %s / %s', day, currency,
                  coalesce(t.invoices, 0), t.net, t.tax, t.total, coalesce(r.invoices, 0), r.net, r.tax, r.total),
           NULL::bigint[]
      FROM (SELECT x.day, x.currency::text AS currency, sum(x.invoices) AS invoices, sum(x.net) AS net,
                   sum(x.tax) AS tax, sum(x.total) AS total
              FROM (SELECT y.day, y.currency, y.invoices, y.net, y.tax, y.total FROM ordermgmt.invoice_day_totals y
                    UNION ALL
                    SELECT c.day, c.currency, c.invoices, c.invoiced_net, c.invoiced_tax, c.invoiced_total
                      FROM ordermgmt.report_day_changes c, report_horizon hz
                     WHERE c.source = 'invoice' AND c.id > hz.invoice) x
             GROUP BY 1, 2
            HAVING sum(x.invoices) <> 0 OR sum(x.net) <> 0 OR sum(x.tax) <> 0 OR sum(x.total) <> 0) t
      FULL JOIN (SELECT timezone('UTC', x.issued_at)::date AS day, x.currency::text AS currency, count(*) AS invoices,
                        sum(x.net) AS net, sum(x.tax) AS tax, sum(x.total) AS total
                   FROM ordermgmt.invoices x GROUP BY 1, 2) r USING (day, currency)
     WHERE (t.invoices, t.net, t.tax, t.total) IS DISTINCT FROM (r.invoices, r.net, r.tax, r.total)) o(k, s) ON true
UNION ALL
-- customer_totals plus the changes after the horizon: per customer its
-- orders out of draft, open orders, first and last, net invoiced and
-- credited, ratings.  A customer whose figures are all zero or none may
-- have a row or none.
SELECT 'summaries.customer_totals', o.k, o.s FROM always LEFT JOIN (
    SELECT format('customer %s: totals %s; recomputed %s', customer_id,
                  row(t.orders, t.open_orders, t.first_order_at, t.last_order_at, t.invoiced_net, t.credited_net,
                      t.ratings, t.rating_sum, t.negative_ratings, t.positive_ratings, t.last_rated_at,
                      t.delivered, t.on_time),
                  row(r.orders, r.open_orders, r.first_order_at, r.last_order_at, r.invoiced_net, r.credited_net,
                      r.ratings, r.rating_sum, r.negative_ratings, r.positive_ratings, r.last_rated_at,
                      r.delivered, r.on_time)),
           ARRAY[customer_id]
      FROM (SELECT x.customer_id, sum(x.orders) AS orders, sum(x.open_orders) AS open_orders,
                   min(x.first_order_at) AS first_order_at, max(x.last_order_at) AS last_order_at,
                   sum(x.invoiced_net) AS invoiced_net, sum(x.credited_net) AS credited_net,
                   sum(x.ratings) AS ratings, sum(x.rating_sum) AS rating_sum,
                   sum(x.negative_ratings) AS negative_ratings, sum(x.positive_ratings) AS positive_ratings,
                   max(x.last_rated_at) AS last_rated_at, sum(x.delivered) AS delivered, sum(x.on_time) AS on_time
              FROM (SELECT y.customer_id, y.orders, y.open_orders, y.first_order_at, y.last_order_at,
                           y.invoiced_net, y.credited_net, y.ratings, y.rating_sum, y.negative_ratings,
                           y.positive_ratings, y.last_rated_at, y.delivered, y.on_time
                      FROM ordermgmt.customer_totals y
                    UNION ALL
                    SELECT c.customer_id, c.orders, c.open_orders, c.order_at, c.order_at, c.invoiced_net,
                           c.credited_net, c.ratings, c.rating_sum, c.negative_ratings, c.positive_ratings,
                           c.rated_at, c.delivered, c.on_time
                      FROM ordermgmt.report_customer_changes c, report_horizon hz
                     WHERE (c.source = 'history' AND c.id > hz.history)
                        OR (c.source = 'invoice' AND c.id > hz.invoice)
                        OR (c.source = 'return' AND c.id > hz.return)
                        OR (c.source = 'feedback' AND c.id > hz.feedback)
                        OR (c.source = 'delivery' AND c.id > hz.delivery)) x
             GROUP BY x.customer_id
            HAVING sum(x.orders) <> 0 OR sum(x.open_orders) <> 0 OR sum(x.invoiced_net) <> 0
                OR sum(x.credited_net) <> 0 OR sum(x.ratings) <> 0 OR sum(x.delivered) <> 0) t
      FULL JOIN (SELECT x.customer_id, x.orders, x.open_orders, x.first_order_at, x.last_order_at,
                        coalesce(i.net, 0) AS invoiced_net, coalesce(rt.net, 0) AS credited_net,
                        coalesce(f.ratings, 0) AS ratings, coalesce(f.rating_sum, 0) AS rating_sum,
                        coalesce(f.negative, 0) AS negative_ratings, coalesce(f.positive, 0) AS positive_ratings,
                        f.last_rated_at, coalesce(d.delivered, 0) AS delivered, coalesce(d.on_time, 0) AS on_time
                   FROM (SELECT y.customer_id, count(*) AS orders,
                                count(*) FILTER (WHERE y.status NOT IN ('completed', 'cancelled')) AS open_orders,
                                min(y.created_at) AS first_order_at, max(y.created_at) AS last_order_at
                           FROM orders_seen y WHERE y.status <> 'draft' GROUP BY 1) x
                   LEFT JOIN (SELECT y.customer_id, sum(y.net) AS net FROM ordermgmt.invoices y GROUP BY 1) i
                          USING (customer_id)
                   LEFT JOIN (SELECT y.customer_id, sum(z.credit_net) AS net
                                FROM ordermgmt.returns z JOIN orders_seen y USING (order_id) GROUP BY 1) rt
                          USING (customer_id)
                   LEFT JOIN (SELECT y.customer_id, count(*) AS ratings, sum(y.rating) AS rating_sum,
                                     count(*) FILTER (WHERE y.rating <= 2) AS negative,
                                     count(*) FILTER (WHERE y.rating >= 4) AS positive,
                                     max(y.recorded_at) AS last_rated_at
                                FROM ordermgmt.feedback y GROUP BY 1) f USING (customer_id)
                   LEFT JOIN (SELECT y.customer_id, sum(y.delivered) AS delivered, sum(y.on_time) AS on_time
                                FROM ordermgmt.delivery_weeks y GROUP BY 1) d USING (customer_id)) r USING (customer_id)
     WHERE (t.orders, t.open_orders, t.first_order_at, t.last_order_at, t.invoiced_net, t.credited_net,
            t.ratings, t.rating_sum, t.negative_ratings, t.positive_ratings, t.last_rated_at, t.delivered, t.on_time)
           IS DISTINCT FROM
           (r.orders, r.open_orders, r.first_order_at, r.last_order_at, r.invoiced_net, r.credited_net,
            r.ratings, r.rating_sum, r.negative_ratings, r.positive_ratings, r.last_rated_at, r.delivered,
            r.on_time)) o(k, s) ON true
UNION ALL
-- customer_months plus the status changes after the horizon: orders out
-- of draft per customer and UTC month of entry.
SELECT 'summaries.customer_months', o.k, o.s FROM always LEFT JOIN (
    SELECT format('customer %s month %s: totals %s orders, orders say %s', customer_id, month,
                  coalesce(t.orders, 0), coalesce(r.orders, 0)),
           ARRAY[customer_id]
      FROM (SELECT x.customer_id, x.month, sum(x.orders) AS orders
              FROM (SELECT y.customer_id, y.month, y.orders FROM ordermgmt.customer_months y
                    UNION ALL
                    SELECT c.customer_id, c.month, c.orders
                      FROM ordermgmt.report_customer_changes c, report_horizon hz
                     WHERE c.source = 'history' AND c.id > hz.history AND c.orders <> 0) x
             GROUP BY 1, 2 HAVING sum(x.orders) <> 0) t
      FULL JOIN (SELECT x.customer_id, date_trunc('month', timezone('UTC', x.created_at))::date AS month,
                        count(*) AS orders
                   FROM orders_seen x WHERE x.status <> 'draft' GROUP BY 1, 2) r USING (customer_id, month)
     WHERE t.orders IS DISTINCT FROM r.orders) o(k, s) ON true
UNION ALL
-- fulfillment_histogram plus the status changes after the horizon: per
-- UTC week of entry, stage and duration bucket, how many orders took how
-- long, from the orders' milestones (confirmed_at, first and last
-- shipment, delivered_at).
SELECT 'summaries.fulfillment_histogram', o.k, o.s FROM always LEFT JOIN (
    SELECT format('week %s stage %s bucket %s: totals %s orders, %s s; orders say %s, %s s', week, stage, bucket,
                  coalesce(t.orders, 0), round(coalesce(t.seconds, 0)), coalesce(r.orders, 0),
                  round(coalesce(r.seconds, 0))),
           NULL::bigint[]
      FROM (SELECT x.week, x.stage, x.bucket, sum(x.orders) AS orders, sum(x.seconds) AS seconds
              FROM (SELECT y.week, y.stage, y.bucket, y.orders, y.seconds FROM ordermgmt.fulfillment_histogram y
                    UNION ALL
                    SELECT c.week, c.stage, c.bucket, c.orders, c.seconds
                      FROM ordermgmt.report_fulfillment_changes c, report_horizon hz
                     WHERE c.id > hz.history) x
             GROUP BY 1, 2, 3 HAVING sum(x.orders) <> 0 OR sum(x.seconds) <> 0) t
      FULL JOIN (SELECT d.week, d.stage::smallint AS stage,
                        CASE WHEN d.seconds < 1 THEN -1
                             ELSE floor(ln(d.seconds::float8) / ln(1.02::float8))::integer END AS bucket,
                        count(*) AS orders, sum(d.seconds) AS seconds
                   FROM (SELECT date_trunc('week', timezone('UTC', x.created_at))::date AS week, v.stage, v.seconds
                           FROM orders_seen x
                           LEFT JOIN (SELECT y.order_id, min(y.shipped_at) AS first_shipped_at,
                                             max(y.shipped_at) AS last_shipped_at
                                        FROM ordermgmt.shipments y GROUP BY y.order_id) s USING (order_id)
                          CROSS JOIN LATERAL (VALUES (1, extract(epoch FROM x.confirmed_at - x.created_at)),
                                                     (2, extract(epoch FROM s.first_shipped_at - x.confirmed_at)),
                                                     (3, extract(epoch FROM x.delivered_at - s.last_shipped_at)),
                                                     (4, extract(epoch FROM x.delivered_at - x.created_at)))
                                AS v(stage, seconds)
                          WHERE v.seconds IS NOT NULL) d
                  GROUP BY 1, 2, 3) r USING (week, stage, bucket)
     WHERE (t.orders, t.seconds) IS DISTINCT FROM (r.orders, r.seconds)) o(k, s) ON true
UNION ALL
-- fulfillment_weeks: for every week without status changes after the
-- horizon, the rows report_fulfillment_weeks computes from the histogram.
SELECT 'summaries.fulfillment_weeks', o.k, o.s FROM always LEFT JOIN (
    SELECT format('week %s %s: stored %s; computed %s', week, stage,
                  row(t.orders, t.mean_hours, t.median_hours, t.p90_hours),
                  row(r.orders, r.mean_hours, r.median_hours, r.p90_hours)),
           NULL::bigint[]
      FROM (SELECT y.* FROM ordermgmt.fulfillment_weeks y
             WHERE y.week NOT IN (SELECT c.week FROM ordermgmt.report_fulfillment_changes c, report_horizon hz
                                   WHERE c.id > hz.history)) t
      FULL JOIN (SELECT y.* FROM ordermgmt.report_fulfillment_weeks y
                  WHERE y.week NOT IN (SELECT c.week FROM ordermgmt.report_fulfillment_changes c, report_horizon hz
                                        WHERE c.id > hz.history)) r USING (week, stage)
     WHERE (t.orders, t.mean_hours, t.median_hours, t.p90_hours)
           IS DISTINCT FROM (r.orders, r.mean_hours, r.median_hours, r.p90_hours)) o(k, s) ON true
UNION ALL
-- delivery_week_totals plus the delivery changes after the horizon: per
-- UTC week of delivery, delivery_weeks summed over the customers.
SELECT 'summaries.delivery_week_totals', o.k, o.s FROM always LEFT JOIN (
    SELECT format('week %s: totals %s delivered, %s on time; delivery_weeks say %s, %s', week,
                  coalesce(t.delivered, 0), coalesce(t.on_time, 0), coalesce(r.delivered, 0), coalesce(r.on_time, 0)),
           NULL::bigint[]
      FROM (SELECT x.week, sum(x.delivered) AS delivered, sum(x.on_time) AS on_time
              FROM (SELECT y.week, y.delivered, y.on_time FROM ordermgmt.delivery_week_totals y
                    UNION ALL
                    SELECT d.week, d.delivered, d.on_time
                      FROM ordermgmt.delivery_changes d, report_horizon hz WHERE d.change_id > hz.delivery) x
             GROUP BY 1 HAVING sum(x.delivered) <> 0 OR sum(x.on_time) <> 0) t
      FULL JOIN (SELECT y.week, sum(y.delivered) AS delivered, sum(y.on_time) AS on_time
                   FROM ordermgmt.delivery_weeks y GROUP BY 1
                 HAVING sum(y.delivered) <> 0 OR sum(y.on_time) <> 0) r USING (week)
     WHERE (t.delivered, t.on_time) IS DISTINCT FROM (r.delivered, r.on_time)) o(k, s) ON true
UNION ALL
-- order_figures: every order out of draft without events after the
-- horizon has its row, equal to its figures recomputed here from the facts
-- (set-based, not through report_order_figures); no draft has one.
SELECT 'summaries.order_figures', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s: stored %s; the facts say %s', order_id,
                  coalesce(row(t.created_at, t.promised_at, t.status_changed_at, t.confirmed_at, t.delivered_at, t.first_shipped_at,
                               t.last_shipped_at, t.net_amount, t.tax_amount, t.gross_amount, t.shipped_net,
                               t.invoiced_total, t.paid_total, t.due_total, t.open_alerts, t.open_alerts_level1,
                               t.open_alerts_level2, t.open_alerts_level3)::text, 'none'),
                  coalesce(row(r.created_at, r.promised_at, r.status_changed_at, r.confirmed_at, r.delivered_at, r.first_shipped_at,
                               r.last_shipped_at, r.net_amount, r.tax_amount, r.gross_amount, r.shipped_net,
                               r.invoiced_total, r.paid_total, r.due_total, r.open_alerts, r.open_alerts_level1,
                               r.open_alerts_level2, r.open_alerts_level3)::text, 'none')),
           ARRAY[order_id]
      FROM ordermgmt.order_figures t
      FULL JOIN (SELECT x.order_id, x.created_at, x.promised_at, x.status_changed_at, x.confirmed_at,
                        x.delivered_at,
                        s.first_shipped_at, s.last_shipped_at, coalesce(l.net, 0) AS net_amount,
                        coalesce(l.tax, 0) AS tax_amount, coalesce(l.net + l.tax, 0) AS gross_amount,
                        coalesce(l.shipped, 0) AS shipped_net, coalesce(i.total, 0) AS invoiced_total,
                        coalesce(i.paid, 0) AS paid_total, coalesce(i.due, 0) AS due_total,
                        coalesce(a.n, 0) AS open_alerts, coalesce(a.n1, 0) AS open_alerts_level1,
                        coalesce(a.n2, 0) AS open_alerts_level2, coalesce(a.n3, 0) AS open_alerts_level3
                   FROM ordermgmt.orders x
                   LEFT JOIN (SELECT y.order_id, round(sum(y.qty * y.unit_price), 2) AS net,
                                     sum(round(y.qty * y.unit_price * coalesce(y.tax_rate, p.tax_rate), 2)) AS tax,
                                     round(sum((y.shipped_qty - y.returned_qty) * y.unit_price), 2) AS shipped
                                FROM ordermgmt.order_lines y JOIN ordermgmt.products p USING (product_id)
                               GROUP BY y.order_id) l USING (order_id)
                   LEFT JOIN (SELECT y.order_id, sum(y.total) AS total, sum(y.paid) AS paid, sum(y.due) AS due
                                FROM ordermgmt.invoices y GROUP BY y.order_id) i USING (order_id)
                   LEFT JOIN (SELECT y.order_id, min(y.shipped_at) AS first_shipped_at,
                                     max(y.shipped_at) AS last_shipped_at
                                FROM ordermgmt.shipments y GROUP BY y.order_id) s USING (order_id)
                   LEFT JOIN (SELECT y.order_id, count(*) AS n, count(*) FILTER (WHERE y.level = 1) AS n1,
                                     count(*) FILTER (WHERE y.level = 2) AS n2,
                                     count(*) FILTER (WHERE y.level = 3) AS n3
                                FROM ordermgmt.alerts y WHERE y.status <> 'resolved' AND y.order_id IS NOT NULL
                               GROUP BY y.order_id) a USING (order_id)
                  WHERE x.status <> 'draft') r USING (order_id)
     WHERE order_id NOT IN (SELECT e.order_id FROM ordermgmt.events e, report_horizon hz
                             WHERE e.event_id > hz.event AND e.order_id IS NOT NULL)
       AND row(t.created_at, t.promised_at, t.status_changed_at, t.confirmed_at, t.delivered_at, t.first_shipped_at,
               t.last_shipped_at, t.net_amount, t.tax_amount, t.gross_amount, t.shipped_net, t.invoiced_total,
               t.paid_total, t.due_total, t.open_alerts, t.open_alerts_level1, t.open_alerts_level2,
               t.open_alerts_level3)
           IS DISTINCT FROM
           row(r.created_at, r.promised_at, r.status_changed_at, r.confirmed_at, r.delivered_at, r.first_shipped_at,
               r.last_shipped_at, r.net_amount, r.tax_amount, r.gross_amount, r.shipped_net, r.invoiced_total,
               r.paid_total, r.due_total, r.open_alerts, r.open_alerts_level1, r.open_alerts_level2,
               r.open_alerts_level3)) o(k, s) ON true
UNION ALL
-- ledger_totals: the postings up to ledger_rollup.upto_posting_id.
-- Exact with writers running: rollup_ledger advances the horizon only
-- once no transaction that drew a posting id up to it is still running,
-- so every posting up to a committed horizon is committed, in this
-- snapshot as in the roll-up's (see src/domain/ledger_rollup.c).
SELECT 'summaries.ledger_totals', o.k, o.s FROM always LEFT JOIN (
    SELECT format('account %s %s: totals %s / %s (company %s / %s), postings up to %s: %s / %s (company %s / %s)',
                  a.code, currency,
                  coalesce(t.debit::text, 'none'), coalesce(t.credit::text, 'none'),
                  coalesce(t.company_debit::text, 'none'), coalesce(t.company_credit::text, 'none'), u.upto,
                  coalesce(p.debit::text, 'none'), coalesce(p.credit::text, 'none'),
                  coalesce(p.company_debit::text, 'none'), coalesce(p.company_credit::text, 'none')),
           ARRAY[account_id]
      FROM (SELECT x.account_id, x.currency::text AS currency, x.debit, x.credit, x.company_debit, x.company_credit
              FROM ordermgmt.ledger_totals x) t
      FULL JOIN (SELECT x.account_id, x.currency::text AS currency, sum(x.debit) AS debit,
                        sum(x.credit) AS credit, sum(x.company_debit) AS company_debit,
                        sum(x.company_credit) AS company_credit
                   FROM ordermgmt.postings x
                  WHERE x.posting_id <= (SELECT coalesce(max(r.upto_posting_id), 0) FROM ordermgmt.ledger_rollup r)
                  GROUP BY x.account_id, x.currency) p USING (account_id, currency)
      JOIN ordermgmt.accounts a USING (account_id)
     CROSS JOIN (SELECT coalesce(max(r.upto_posting_id), 0) AS upto FROM ordermgmt.ledger_rollup r) u
     WHERE t.debit IS DISTINCT FROM p.debit OR t.credit IS DISTINCT FROM p.credit
        OR t.company_debit IS DISTINCT FROM p.company_debit
        OR t.company_credit IS DISTINCT FROM p.company_credit) o(k, s) ON true
UNION ALL
-- ledger_month_totals: the same postings per UTC month of their entries'
-- dates, rolled up with ledger_totals by the same statement.
SELECT 'summaries.ledger_month_totals', o.k, o.s FROM always LEFT JOIN (
    SELECT format('%s account %s %s: totals %s / %s, postings up to %s: %s / %s', to_char(month, 'YYYY-MM'),
                  a.code, currency, coalesce(t.debit::text, 'none'), coalesce(t.credit::text, 'none'), u.upto,
                  coalesce(p.debit::text, 'none'), coalesce(p.credit::text, 'none')),
           ARRAY[account_id]
      FROM (SELECT x.month, x.account_id, x.currency::text AS currency, x.debit, x.credit,
                   x.company_debit, x.company_credit
              FROM ordermgmt.ledger_month_totals x) t
      FULL JOIN (SELECT date_trunc('month', timezone('UTC', e.posted_at))::date AS month, x.account_id,
                        x.currency::text AS currency, sum(x.debit) AS debit, sum(x.credit) AS credit,
                        sum(x.company_debit) AS company_debit, sum(x.company_credit) AS company_credit
                   FROM ordermgmt.postings x JOIN ordermgmt.journal_entries e USING (entry_id)
                  WHERE x.posting_id <= (SELECT coalesce(max(r.upto_posting_id), 0) FROM ordermgmt.ledger_rollup r)
                  GROUP BY 1, x.account_id, x.currency) p USING (month, account_id, currency)
      JOIN ordermgmt.accounts a USING (account_id)
     CROSS JOIN (SELECT coalesce(max(r.upto_posting_id), 0) AS upto FROM ordermgmt.ledger_rollup r) u
     WHERE t.debit IS DISTINCT FROM p.debit OR t.credit IS DISTINCT FROM p.credit
        OR t.company_debit IS DISTINCT FROM p.company_debit
        OR t.company_credit IS DISTINCT FROM p.company_credit) o(k, s) ON true

------------------------------------------------------------------ events
-- An event is written by the transaction that makes its change, so both
-- are in a snapshot or neither.  purge_history deletes old events (and
-- resolved alerts): a change older than the purge horizon may have lost
-- its event.  Each event's time is its transaction's now(), which the
-- change records too (created_at, changed_at, shipped_at, issued_at,
-- paid_at, returned_at, opened_at, recorded_at, resolved_at, raised_at),
-- so a change at or after events_before must still have its event.
UNION ALL
-- One order.created event per order, in the transaction that created it,
-- with its first status and its customer (a draft's customer may change
-- until it is submitted).
SELECT 'events.order_created', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s: %s', x.order_id,
                  CASE WHEN e.n IS NULL THEN 'no order.created event'
                       WHEN e.n > 1 THEN format('%s order.created events', e.n)
                       ELSE format('order.created says %s for customer %s at %s', e.status, e.customer_id,
                                   e.occurred_at) END),
           ARRAY[x.order_id]
      FROM orders_seen x
     CROSS JOIN horizon hz
      LEFT JOIN (SELECT v.order_id, count(*) AS n, min(v.status) AS status, min(v.customer_id) AS customer_id,
                        min(v.occurred_at) AS occurred_at
                   FROM ev v WHERE v.kind = 'order.created' GROUP BY v.order_id) e USING (order_id)
     WHERE (e.n IS NULL AND x.created_at >= hz.events_before)
        OR e.n > 1
        OR (e.n = 1 AND (e.status IS DISTINCT FROM x.first_status::text
                         OR (e.customer_id IS DISTINCT FROM x.customer_id::text AND e.status <> 'draft')
                         OR e.occurred_at <> x.created_at))) o(k, s) ON true
UNION ALL
-- Status changes and order.status_changed events pair up one to one: same
-- order, same from and to, same transaction (time).
SELECT 'events.status_changes', o.k, o.s FROM always LEFT JOIN (
    SELECT format('order %s %s -> %s at %s: %s history rows, %s events', order_id, from_status, to_status, at,
                  coalesce(h.n, 0), coalesce(e.n, 0)),
           ARRAY[order_id]
      FROM (SELECT x.order_id, x.from_status::text AS from_status, x.to_status::text AS to_status,
                   x.changed_at AS at, count(*) AS n
              FROM ordermgmt.order_status_history x CROSS JOIN horizon hz
             WHERE x.from_status IS NOT NULL
               -- a change before the horizon counts only against events
               -- of its order that are still there
               AND (x.changed_at >= hz.events_before
                    OR x.order_id IN (SELECT v.order_id FROM ev v WHERE v.kind = 'order.status_changed'))
             GROUP BY 1, 2, 3, 4) h
      FULL JOIN (SELECT v.order_id, v.from_status, v.to_status, v.occurred_at AS at, count(*) AS n
                   FROM ev v WHERE v.kind = 'order.status_changed'
                  GROUP BY 1, 2, 3, 4) e USING (order_id, from_status, to_status, at)
     CROSS JOIN horizon hz
     WHERE coalesce(e.n, 0) > coalesce(h.n, 0)
        OR (coalesce(e.n, 0) < coalesce(h.n, 0) AND at >= hz.events_before)) o(k, s) ON true
UNION ALL
-- Every event of an order is of an order that exists; only a draft may
-- be deleted, and it leaves its order.created event behind.
SELECT 'events.of_existing_orders', o.k, o.s FROM always LEFT JOIN (
    SELECT format('event %s (%s) of order %s, which does not exist', v.event_id, v.kind, v.order_id),
           ARRAY[v.event_id]
      FROM ev v LEFT JOIN orders_seen x USING (order_id)
     WHERE v.order_id IS NOT NULL AND x.order_id IS NULL
       AND NOT (v.kind = 'order.created' AND v.status = 'draft')) o(k, s) ON true
UNION ALL
-- One event per document created, delivered or resolved, of the
-- document's order, in its transaction.  shipment.delivered is the one
-- whose time no row records (confirm_delivery takes delivered_at as an
-- argument): once anything was purged, only its other direction holds.
SELECT 'events.documents', o.k, o.s FROM always LEFT JOIN (
    SELECT format('%s %s: %s', kind, id,
                  CASE WHEN e.id IS NULL THEN 'no event'
                       WHEN d.id IS NULL THEN 'an event without its document'
                       WHEN e.copies > 1 THEN format('%s events', e.copies)
                       WHEN e.orders > 1 OR e.order_id IS DISTINCT FROM d.order_id
                         THEN format('event of order %s, document of order %s', e.order_id, d.order_id)
                       ELSE format('event at %s, document at %s', e.at, d.at) END),
           ARRAY[id]
      FROM (SELECT d.* FROM (
            SELECT 'shipment.created' AS kind, s.shipment_id AS id, s.order_id, s.shipped_at AS at
              FROM ordermgmt.shipments s
            UNION ALL
            SELECT 'shipment.delivered', s.shipment_id, s.order_id, NULL
              FROM ordermgmt.shipments s WHERE s.delivered_at IS NOT NULL
            UNION ALL
            SELECT 'invoice.created', i.invoice_id, i.order_id, i.issued_at FROM ordermgmt.invoices i
            UNION ALL
            SELECT 'payment.recorded', p.payment_id, i.order_id, p.paid_at
              FROM ordermgmt.payments p JOIN ordermgmt.invoices i USING (invoice_id)
            UNION ALL
            SELECT 'return.created', r.return_id, r.order_id, r.returned_at FROM ordermgmt.returns r
            UNION ALL
            SELECT 'ticket.opened', t.ticket_id, t.order_id, t.opened_at FROM ordermgmt.tickets t
            UNION ALL
            SELECT 'ticket.resolved', t.ticket_id, t.order_id, t.resolved_at
              FROM ordermgmt.tickets t WHERE t.status = 'resolved'
            UNION ALL
            SELECT 'feedback.recorded', f.feedback_id, f.order_id, f.recorded_at
              FROM ordermgmt.feedback f) d
            -- a document before the horizon counts only if an event names it
     CROSS JOIN horizon hz0
     WHERE d.at >= hz0.events_before OR hz0.events_before = '-infinity'
        OR (d.kind, d.id) IN (SELECT v.kind, v.subject_id FROM ev v)) d
      FULL JOIN (SELECT v.kind, v.subject_id AS id, count(*) AS copies, count(DISTINCT v.order_id) AS orders,
                        min(v.order_id) AS order_id, min(v.occurred_at) AS at
                   FROM ev v
                  WHERE v.kind IN ('shipment.created', 'shipment.delivered', 'invoice.created',
                                   'payment.recorded', 'return.created', 'ticket.opened',
                                   'ticket.resolved', 'feedback.recorded')
                  GROUP BY v.kind, v.subject_id) e USING (kind, id)
     CROSS JOIN horizon hz
     WHERE (e.id IS NULL AND CASE WHEN d.kind = 'shipment.delivered' THEN hz.events_before = '-infinity'
                                  ELSE d.at >= hz.events_before END)
        OR d.id IS NULL
        OR e.copies > 1
        OR (e.id IS NOT NULL AND (e.orders > 1 OR e.order_id IS DISTINCT FROM d.order_id OR e.at <> d.at)))
    o(k, s) ON true
UNION ALL
-- Every alert has its alert.raised event, and its alert.resolved event
-- once resolved (by the rules or by hand), one each, of the alert's order,
-- in the transactions that raised and resolved it.  An event of an alert
-- that no longer exists is one purge_history deleted (alert_id at most
-- alerts_upto), or one too many.
SELECT 'events.alerts', o.k, o.s FROM always LEFT JOIN (
    SELECT format('alert %s: %s', alert_id,
                  CASE WHEN a.alert_id IS NULL THEN 'events of an alert that does not exist'
                       WHEN e.raised > 1 OR e.resolved > 1
                         THEN format('%s alert.raised and %s alert.resolved events', e.raised, e.resolved)
                       WHEN coalesce(e.raised, 0) = 0 AND a.raised_at >= hz.events_before
                         THEN 'no alert.raised event'
                       WHEN e.resolved = 1 AND a.status <> 'resolved'
                         THEN format('an alert.resolved event, the alert is %s', a.status)
                       WHEN coalesce(e.resolved, 0) = 0 AND a.status = 'resolved' THEN 'no alert.resolved event'
                       WHEN e.orders > 1 OR e.order_id IS DISTINCT FROM a.order_id
                         THEN format('events of order %s, the alert''s is %s', e.order_id, a.order_id)
                       ELSE 'events at other times than the alert was raised and resolved' END),
           ARRAY[alert_id]
      FROM (SELECT a.* FROM ordermgmt.alerts a CROSS JOIN horizon hz0
             -- an alert raised and resolved before the horizon counts only
             -- if an event names it
             WHERE a.raised_at >= hz0.events_before OR a.resolved_at >= hz0.events_before
                OR a.alert_id IN (SELECT v.subject_id FROM ev v
                                   WHERE v.kind IN ('alert.raised', 'alert.resolved'))) a
      FULL JOIN (SELECT v.subject_id AS alert_id,
                        count(*) FILTER (WHERE v.kind = 'alert.raised') AS raised,
                        count(*) FILTER (WHERE v.kind = 'alert.resolved') AS resolved,
                        min(v.occurred_at) FILTER (WHERE v.kind = 'alert.raised') AS raised_at,
                        min(v.occurred_at) FILTER (WHERE v.kind = 'alert.resolved') AS resolved_at,
                        count(DISTINCT v.order_id) AS orders, min(v.order_id) AS order_id
                   FROM ev v WHERE v.kind IN ('alert.raised', 'alert.resolved')
                  GROUP BY v.subject_id) e USING (alert_id)
     CROSS JOIN horizon hz
     WHERE (a.alert_id IS NULL AND (e.alert_id IS NULL OR e.alert_id > hz.alerts_upto))
        OR (a.alert_id IS NOT NULL AND (
               e.raised > 1 OR e.resolved > 1
            OR (coalesce(e.raised, 0) = 0 AND a.raised_at >= hz.events_before)
            OR (e.resolved = 1 AND a.status <> 'resolved')
            OR (coalesce(e.resolved, 0) = 0 AND a.status = 'resolved' AND a.resolved_at >= hz.events_before)
            OR e.orders > 1 OR (e.alert_id IS NOT NULL AND e.order_id IS DISTINCT FROM a.order_id)
            OR e.raised_at <> a.raised_at OR e.resolved_at <> a.resolved_at))) o(k, s) ON true
UNION ALL
-- No listener can miss an event: events_since() and the relay rely on the
-- events sequence handing out increasing ids to every backend (increment
-- above zero, CACHE 1) and on every id stored coming from it, so its next
-- id must be past every stored id and the relay's position.  The sequence
-- is read (as a table) after this snapshot was taken and only moves on,
-- so the comparison is exact.
SELECT 'events.ids_come_from_an_increasing_sequence', o.k, o.s FROM always LEFT JOIN (
    SELECT format('events sequence: %s', w.what), ARRAY[]::bigint[]
      FROM (SELECT q.seqincrement, q.seqcache,
                   CASE WHEN c.is_called THEN c.last_value + q.seqincrement ELSE c.last_value END AS next_id
              FROM pg_sequence q, ordermgmt.events_event_id_seq c
             WHERE q.seqrelid = 'ordermgmt.events_event_id_seq'::regclass) sq
     CROSS JOIN LATERAL (
           SELECT format('increment %s', sq.seqincrement) WHERE sq.seqincrement <= 0
           UNION ALL
           SELECT format('cache %s (ids of other backends would arrive out of order)', sq.seqcache)
            WHERE sq.seqcache <> 1
           UNION ALL
           SELECT format('next id %s, not past event %s', sq.next_id, m.event_id)
             FROM (SELECT max(v.event_id) AS event_id FROM ev v) m WHERE m.event_id >= sq.next_id
           UNION ALL
           SELECT format('next id %s, not past the relay''s position %s', sq.next_id, r.last_event_id)
             FROM ordermgmt.relay_state r WHERE r.last_event_id >= sq.next_id) w(what)) o(k, s) ON true

------------------------------------------------------------------ alerts
UNION ALL
-- An alert is about a subject that exists and belongs to the alert's order.
SELECT 'alerts.subject_exists', o.k, o.s FROM always LEFT JOIN (
    SELECT format('alert %s (%s): %s %s %s', a.alert_id, a.rule_code, a.subject_type, a.subject_id,
                  CASE WHEN s.subject_id IS NULL THEN 'does not exist'
                       ELSE format('belongs to order %s, the alert to order %s', s.order_id, a.order_id) END),
           ARRAY[a.alert_id]
      FROM ordermgmt.alerts a
      LEFT JOIN (SELECT 'order' AS subject_type, x.order_id AS subject_id, x.order_id FROM orders_seen x
                 UNION ALL SELECT 'stock', x.stock_id, NULL FROM ordermgmt.stock x
                 UNION ALL SELECT 'invoice', x.invoice_id, x.order_id FROM invoice_sums x
                 UNION ALL SELECT 'ticket', x.ticket_id, x.order_id FROM ordermgmt.tickets x
                 UNION ALL SELECT 'feedback', x.feedback_id, x.order_id FROM ordermgmt.feedback x
                 UNION ALL SELECT 'purchase_order', x.po_id, NULL FROM ordermgmt.purchase_orders x) s
             USING (subject_type, subject_id)
     WHERE s.subject_id IS NULL OR s.order_id IS DISTINCT FROM a.order_id) o(k, s) ON true
UNION ALL
SELECT 'alerts.one_open_per_rule_and_subject', o.k, o.s FROM always LEFT JOIN (
    SELECT format('%s on %s %s: %s open alerts', a.rule_code, a.subject_type, a.subject_id, count(*)),
           ARRAY[min(a.alert_id)]
      FROM ordermgmt.alerts a WHERE a.status <> 'resolved'
     GROUP BY a.rule_code, a.subject_type, a.subject_id HAVING count(*) > 1) o(k, s) ON true
UNION ALL
-- A failed level-1 check's alert stays open only while the order waits
-- for confirmation (pending or on hold).
SELECT 'alerts.level1_only_while_waiting', o.k, o.s FROM always LEFT JOIN (
    SELECT format('alert %s (%s) is %s, order %s is %s', a.alert_id, a.rule_code, a.status, a.order_id, x.status),
           ARRAY[a.alert_id]
      FROM ordermgmt.alerts a JOIN orders_seen x USING (order_id)
     WHERE a.status <> 'resolved' AND a.level = 1 AND a.rule_code <> 'L1_CONFIRMATION_OVERDUE'
       AND x.status NOT IN ('pending', 'on_hold')) o(k, s) ON true
UNION ALL
-- An open alert of a time-based rule has the deadline that fired it: the
-- subject leaving the watched state deletes the deadline and resolves the
-- alert in one transaction.
SELECT 'alerts.time_rules_have_their_fired_deadline', o.k, o.s FROM always LEFT JOIN (
    SELECT format('alert %s (%s on %s %s) is %s without a fired deadline', a.alert_id, a.rule_code,
                  a.subject_type, a.subject_id, a.status),
           ARRAY[a.alert_id]
      FROM ordermgmt.alerts a
      LEFT JOIN ordermgmt.deadlines d USING (rule_code, subject_type, subject_id)
     WHERE a.status <> 'resolved'
       AND a.rule_code IN ('L1_CONFIRMATION_OVERDUE', 'L2_PROCESSING_OVERDUE', 'L2_STALLED',
                           'L3_DELIVERY_LATE', 'L3_PAYMENT_OVERDUE', 'L3_TICKET_OVERDUE', 'L2_BACKORDER_AGED',
                           'L2_PURCHASE_LATE')
       AND d.fired IS NOT TRUE) o(k, s) ON true

--------------------------------------------------------------- deadlines
UNION ALL
-- Exactly one deadline per time-based rule and subject in the state the
-- rule watches, none for anything else.
SELECT 'deadlines.match_watched_subjects', o.k, o.s FROM always LEFT JOIN (
    SELECT format('%s on %s %s: %s', rule_code, subject_type, subject_id,
                  CASE WHEN d.subject_id IS NULL THEN 'no deadline' ELSE 'a deadline, the subject is not watched' END),
           ARRAY[subject_id]
      FROM (SELECT x.rule_code, x.subject_type, x.subject_id FROM ordermgmt.deadlines x) d
      FULL JOIN (SELECT w.rule_code, 'order' AS subject_type, x.order_id AS subject_id
                   FROM orders_seen x
                  CROSS JOIN LATERAL (VALUES
                        ('L1_CONFIRMATION_OVERDUE', x.status IN ('pending', 'on_hold')),
                        ('L2_PROCESSING_OVERDUE', x.confirmed_at IS NOT NULL
                                                  AND x.status NOT IN ('shipped', 'delivered', 'completed', 'cancelled')),
                        ('L2_STALLED', x.status IN ('pending', 'on_hold', 'confirmed', 'processing',
                                                    'partially_shipped', 'shipped')),
                        ('L3_DELIVERY_LATE', x.promised_at IS NOT NULL
                                             AND x.status NOT IN ('draft', 'delivered', 'completed', 'cancelled')),
                        ('L2_BACKORDER_AGED', x.backordered),
                        ('QUOTATION_EXPIRY', x.status = 'draft' AND x.valid_until IS NOT NULL))
                        AS w(rule_code, watched)
                  WHERE w.watched
                 UNION ALL
                 SELECT 'L3_PAYMENT_OVERDUE', 'invoice', x.invoice_id FROM invoice_sums x WHERE x.due > 0
                 UNION ALL
                 SELECT 'L3_TICKET_OVERDUE', 'ticket', x.ticket_id FROM ordermgmt.tickets x
                  WHERE x.status = 'open'
                 UNION ALL
                 SELECT 'L2_PURCHASE_LATE', 'purchase_order', x.po_id FROM ordermgmt.purchase_orders x
                  WHERE x.status IN ('ordered', 'partially_received')) w
             USING (rule_code, subject_type, subject_id)
     WHERE d.subject_id IS NULL OR w.subject_id IS NULL) o(k, s) ON true
UNION ALL
-- An order's deadline runs from the time it watches from.
SELECT 'deadlines.anchored_where_they_watch_from', o.k, o.s FROM always LEFT JOIN (
    SELECT format('%s on order %s: anchored at %s', d.rule_code, d.subject_id, d.anchor_at),
           ARRAY[d.subject_id]
      FROM ordermgmt.deadlines d JOIN orders_seen x ON x.order_id = d.subject_id
     WHERE d.subject_type = 'order'
       AND (d.order_id IS DISTINCT FROM x.order_id
            OR (d.rule_code = 'L2_STALLED' AND d.anchor_at <> x.status_changed_at)
            OR (d.rule_code = 'L3_DELIVERY_LATE' AND d.anchor_at <> x.promised_at)
            OR (d.rule_code = 'L2_PROCESSING_OVERDUE' AND d.anchor_at > x.confirmed_at)
            OR (d.rule_code = 'QUOTATION_EXPIRY'
                AND (d.anchor_at IS DISTINCT FROM x.valid_until OR d.due_at <> d.anchor_at)))) o(k, s) ON true
UNION ALL
-- A purchase order's lateness runs from its expected time.
SELECT 'deadlines.purchase_late_from_expected_at', o.k, o.s FROM always LEFT JOIN (
    SELECT format('%s on purchase order %s: anchored at %s, expected at %s', d.rule_code, d.subject_id,
                  d.anchor_at, po.expected_at),
           ARRAY[d.subject_id]
      FROM ordermgmt.deadlines d JOIN ordermgmt.purchase_orders po ON po.po_id = d.subject_id
     WHERE d.subject_type = 'purchase_order'
       AND (d.anchor_at <> po.expected_at OR d.order_id IS NOT NULL)) o(k, s) ON true
UNION ALL
SELECT 'deadlines.due_is_anchor_plus_delay', o.k, o.s FROM always LEFT JOIN (
    SELECT format('%s on %s %s: due %s, anchor %s + delay %s', d.rule_code, d.subject_type, d.subject_id,
                  d.due_at, d.anchor_at, ordermgmt.rule_delay(r.rule_code, r.thresholds, d.variant)),
           ARRAY[d.subject_id]
      FROM ordermgmt.deadlines d JOIN ordermgmt.monitor_rules r USING (rule_code)
     WHERE d.due_at IS DISTINCT FROM d.anchor_at + ordermgmt.rule_delay(r.rule_code, r.thresholds, d.variant))
    o(k, s) ON true
UNION ALL
-- tickets.due_at, the ticket's copy of its deadline that v_tickets sorts
-- by: the L3_TICKET_OVERDUE deadline's due time while open, NULL once
-- resolved.
SELECT 'deadlines.ticket_due_at_is_its_deadline', o.k, o.s FROM always LEFT JOIN (
    SELECT format('ticket %s (%s): due_at %s, its deadline %s', t.ticket_id, t.status,
                  coalesce(t.due_at::text, 'NULL'), coalesce(d.due_at::text, 'none')),
           ARRAY[t.ticket_id]
      FROM ordermgmt.tickets t
      LEFT JOIN ordermgmt.deadlines d
             ON d.rule_code = 'L3_TICKET_OVERDUE' AND d.subject_type = 'ticket' AND d.subject_id = t.ticket_id
     WHERE t.due_at IS DISTINCT FROM CASE WHEN t.status = 'open' THEN d.due_at END) o(k, s) ON true
)

--------------------------------------------------------------------------
-- One row per check: how many rows break it, the first five of them
--------------------------------------------------------------------------
SELECT c.check_name, c.violations = 0,
       CASE WHEN c.violations = 0 THEN NULL
            WHEN c.violations = 1 THEN '1 row: ' || c.firsts
            WHEN c.violations <= 5 THEN c.violations || ' rows: ' || c.firsts
            ELSE c.violations || ' rows; first: ' || c.firsts END
  FROM (SELECT f.check_name, count(f.k) AS violations,
               string_agg(f.k, '; ' ORDER BY f.n) FILTER (WHERE f.n <= 5) AS firsts
          FROM (SELECT x.check_name, x.k,
                       row_number() OVER (PARTITION BY x.check_name ORDER BY x.s, x.k) AS n
                  FROM offenders x) f
         GROUP BY f.check_name) c
 ORDER BY c.check_name
$verify$;
COMMENT ON FUNCTION ordermgmt.verify() IS
    'Every invariant of the data, one row per check on one snapshot, blocking no writer: ok, or how many rows break it and the first of them (docs/verify.md)';

REVOKE ALL ON FUNCTION ordermgmt.verify() FROM PUBLIC;
-- verify() reads every table as the owner: the admin's alone.
GRANT EXECUTE ON FUNCTION ordermgmt.verify() TO ordermgmt_admin;

--------------------------------------------------------------------------
-- Per-document views: sorted by any figure through an index
--------------------------------------------------------------------------
-- v_order_status and v_order_milestones read order_figures for the orders
-- without events after the roll-up's horizon (see sql/ordermgmt.sql);
-- tax_amount now at each line's recorded rate.  Rebuilt: their columns
-- stay, but their grants and comments go with them.
DROP VIEW ordermgmt.v_order_status, ordermgmt.v_order_milestones;
-- A row per order: order_figures for the orders without events after the
-- roll-up's horizon, report_order_figures (live) for drafts and for the
-- orders with such events.  The WHERE picks each branch's rows; written
-- on the UNION ALL rather than in its branches so that the planner
-- flattens it: ORDER BY any figure LIMIT n then reads n entries of an
-- index of order_figures (plus the live rows, sorted), and a filter on the
-- customer or status joins to each branch by order id.
CREATE VIEW ordermgmt.v_order_status AS
SELECT o.order_id, c.code AS customer, o.status, o.hold_reason, o.currency,
       f.created_at, f.promised_at, f.status_changed_at,
       now() - f.created_at AS age,
       now() - f.status_changed_at AS time_in_status,
       f.net_amount, f.tax_amount, f.gross_amount, f.open_alerts, f.shipped_net,
       f.invoiced_total, f.paid_total, f.due_total,
       f.open_alerts_level1, f.open_alerts_level2, f.open_alerts_level3,
       o.approved_by, o.approved_at,
       CASE WHEN o.status = 'on_hold' THEN
            (SELECT pg_catalog.string_agg(w.role, ', ' ORDER BY w.level, w.role)
               FROM (SELECT r.required_role::text AS role, pg_catalog.min(r.level) AS level
                       FROM ordermgmt.order_approvals a JOIN ordermgmt.approval_rules r ON r.rule_id = a.rule_id
                      WHERE a.order_id = o.order_id AND a.approved_by IS NULL AND r.enabled
                      GROUP BY r.required_role) w)
       END AS awaiting_approval
  FROM (SELECT s.order_id, false AS live, NULL::ordermgmt.order_status AS status, s.created_at,
               s.promised_at, s.status_changed_at, s.net_amount, s.tax_amount, s.gross_amount, s.open_alerts, s.shipped_net,
               s.invoiced_total, s.paid_total, s.due_total, s.open_alerts_level1, s.open_alerts_level2,
               s.open_alerts_level3
          FROM ordermgmt.order_figures s
        UNION ALL
        SELECT l.order_id, true, l.status, l.created_at,
               l.promised_at, l.status_changed_at, l.net_amount, l.tax_amount, l.gross_amount, l.open_alerts, l.shipped_net,
               l.invoiced_total, l.paid_total, l.due_total, l.open_alerts_level1, l.open_alerts_level2,
               l.open_alerts_level3
          FROM ordermgmt.report_order_figures l) f
  JOIN ordermgmt.orders o ON o.order_id = f.order_id
  JOIN ordermgmt.customers c ON c.customer_id = o.customer_id
 WHERE (f.live AND (f.status = 'draft'
                    OR f.order_id = ANY (ARRAY(SELECT e.order_id FROM ordermgmt.events e
                                                WHERE e.event_id > coalesce((SELECT r.upto_event_id
                                                                               FROM ordermgmt.report_rollup r), 0)
                                                  AND e.order_id IS NOT NULL))))
    OR (NOT f.live AND NOT EXISTS (SELECT 1 FROM ordermgmt.events e
                                    WHERE e.order_id = f.order_id AND e.order_id IS NOT NULL
                                      AND e.event_id > coalesce((SELECT r.upto_event_id
                                                                   FROM ordermgmt.report_rollup r), 0)));
COMMENT ON VIEW ordermgmt.v_order_status IS
    'One row per order: status, age, time in status, amounts ordered, shipped, invoiced, paid and due, open alerts by level; current in every snapshot; sort by created_at or status_changed_at rather than age or time_in_status (those two are computed and cannot use an index)';
COMMENT ON COLUMN ordermgmt.v_order_status.order_id IS 'Order id';
COMMENT ON COLUMN ordermgmt.v_order_status.customer IS 'Customer code';
COMMENT ON COLUMN ordermgmt.v_order_status.status IS 'Lifecycle status';
COMMENT ON COLUMN ordermgmt.v_order_status.hold_reason IS
    'Why the order is on hold; NULL unless status is on_hold';
COMMENT ON COLUMN ordermgmt.v_order_status.currency IS
    'Currency of the order (ISO 4217 code); every amount of the row is in it';
COMMENT ON COLUMN ordermgmt.v_order_status.created_at IS
    'When the order was entered; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_order_status.promised_at IS
    'Promised delivery time; NULL if none was given; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_order_status.status_changed_at IS
    'When the status last changed; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_order_status.age IS
    'Time since the order was entered (now() - created_at) (an interval)';
COMMENT ON COLUMN ordermgmt.v_order_status.time_in_status IS
    'Time since the last status change (now() - status_changed_at) (an interval)';
COMMENT ON COLUMN ordermgmt.v_order_status.net_amount IS
    'Ordered net value: qty * unit_price summed over the lines, rounded to cents; 0 without lines, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_order_status.tax_amount IS
    'Ordered tax: qty * unit_price * the line''s tax rate (recorded as the order left draft; the product''s current rate while a draft), rounded to cents per line, summed, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_order_status.gross_amount IS
    'net_amount + tax_amount, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_order_status.open_alerts IS
    'Alerts of the order not resolved (open or acknowledged)';
COMMENT ON COLUMN ordermgmt.v_order_status.shipped_net IS
    'Net value shipped and not returned: (shipped_qty - returned_qty) * unit_price summed, rounded to cents, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_order_status.invoiced_total IS
    'Total (net + tax) of the order''s invoices; 0 without invoices, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_order_status.paid_total IS
    'Paid on the order''s invoices, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_order_status.due_total IS
    'Still due on the order''s invoices (total - paid - credited), in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_order_status.open_alerts_level1 IS
    'Open or acknowledged alerts of level 1 (confirmation checks)';
COMMENT ON COLUMN ordermgmt.v_order_status.open_alerts_level2 IS
    'Open or acknowledged alerts of level 2 (processing and stock)';
COMMENT ON COLUMN ordermgmt.v_order_status.open_alerts_level3 IS
    'Open or acknowledged alerts of level 3 (delivery, payment and after-sales)';
COMMENT ON COLUMN ordermgmt.v_order_status.approved_by IS
    'Who gave the order''s last approval (all of them: order_approvals)';
COMMENT ON COLUMN ordermgmt.v_order_status.approved_at IS
    'When the order''s last approval was given; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_order_status.awaiting_approval IS
    'The roles whose approval a held order still waits for, comma-separated; NULL when none';

-- Built as v_order_status is (see there): order_figures for the orders
-- without events after the roll-up's horizon, computed live for the rest.
CREATE VIEW ordermgmt.v_order_milestones AS
SELECT o.order_id, o.customer_id, f.created_at, f.confirmed_at, f.promised_at,
       f.first_shipped_at, f.last_shipped_at, f.delivered_at
  FROM (SELECT s.order_id, false AS live, NULL::ordermgmt.order_status AS status, s.created_at, s.confirmed_at,
               s.promised_at, s.first_shipped_at, s.last_shipped_at, s.delivered_at
          FROM ordermgmt.order_figures s
        UNION ALL
        SELECT l.order_id, true, l.status, l.created_at, l.confirmed_at,
               l.promised_at, l.first_shipped_at, l.last_shipped_at, l.delivered_at
          FROM ordermgmt.report_order_figures l) f
  JOIN ordermgmt.orders o ON o.order_id = f.order_id
 WHERE (f.live AND (f.status = 'draft'
                    OR f.order_id = ANY (ARRAY(SELECT e.order_id FROM ordermgmt.events e
                                                WHERE e.event_id > coalesce((SELECT r.upto_event_id
                                                                               FROM ordermgmt.report_rollup r), 0)
                                                  AND e.order_id IS NOT NULL))))
    OR (NOT f.live AND NOT EXISTS (SELECT 1 FROM ordermgmt.events e
                                    WHERE e.order_id = f.order_id AND e.order_id IS NOT NULL
                                      AND e.event_id > coalesce((SELECT r.upto_event_id
                                                                   FROM ordermgmt.report_rollup r), 0)));
COMMENT ON VIEW ordermgmt.v_order_milestones IS
    'When each order was entered, confirmed, first and last shipped, and delivered';
COMMENT ON COLUMN ordermgmt.v_order_milestones.order_id IS 'Order id';
COMMENT ON COLUMN ordermgmt.v_order_milestones.customer_id IS 'Customer id (customers.customer_id)';
COMMENT ON COLUMN ordermgmt.v_order_milestones.created_at IS
    'When the order was entered; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_order_milestones.confirmed_at IS
    'When the order last became confirmed; NULL if never; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_order_milestones.promised_at IS
    'Promised delivery time; NULL if none was given; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_order_milestones.first_shipped_at IS
    'When its first shipment left; NULL before the first shipment; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_order_milestones.last_shipped_at IS
    'When its latest shipment left; NULL before the first shipment; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_order_milestones.delivered_at IS
    'When the order became delivered: its last shipment''s delivery time; NULL until then; a timestamp with time zone (an instant), shown in the session''s time zone';
GRANT SELECT ON ordermgmt.v_order_status, ordermgmt.v_order_milestones TO ordermgmt_reader, ordermgmt_app;

-- v_tickets and v_customer_interactions sorted by their times (and the
-- interactions by order) read an index; v_customer_interactions is no
-- longer sorted itself, which made every question of it sort the log.
CREATE INDEX tickets_opened_at_idx ON ordermgmt.tickets (opened_at);
CREATE INDEX tickets_resolved_at_idx ON ordermgmt.tickets (resolved_at);
CREATE INDEX customer_interactions_occurred_at_idx ON ordermgmt.customer_interactions (occurred_at);
CREATE INDEX customer_interactions_order_idx ON ordermgmt.customer_interactions (order_id);
-- due_at is the ticket's copy of its deadline (tickets.due_at), indexed.
CREATE OR REPLACE VIEW ordermgmt.v_tickets AS
SELECT t.ticket_id, t.order_id, c.code AS customer, t.subject, t.priority, t.status,
       t.opened_at, t.due_at, t.resolved_at, t.resolution,
       coalesce(t.resolved_at, now()) - t.opened_at AS age,
       t.status = 'open' AND t.due_at < now() AS overdue
  FROM ordermgmt.tickets t
  JOIN ordermgmt.orders o USING (order_id)
  JOIN ordermgmt.customers c USING (customer_id);
CREATE OR REPLACE VIEW ordermgmt.v_customer_interactions AS
SELECT c.code AS customer, i.occurred_at, i.kind, i.subject, i.notes, cc.name AS contact, i.order_id, i.recorded_by
  FROM ordermgmt.customer_interactions i
  JOIN ordermgmt.customers c USING (customer_id)
  LEFT JOIN ordermgmt.customer_contacts cc USING (contact_id);
COMMENT ON VIEW ordermgmt.v_customer_interactions IS
    'The interaction log (calls, emails, meetings, notes); unordered: ORDER BY customer, occurred_at DESC for newest first per customer';

--------------------------------------------------------------------------
-- Departments: separation of duties
--------------------------------------------------------------------------
-- ordermgmt_app's own grants move to the four departments it is now the
-- union of (as sql/ordermgmt.sql grants them); it approves nothing.
REVOKE ALL ON ALL TABLES IN SCHEMA ordermgmt FROM ordermgmt_app;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ordermgmt FROM ordermgmt_app;
-- (the helpers' grants in the order they are made at install)
REVOKE ALL ON FUNCTION ordermgmt.rule_delay(text, jsonb, text),
                       ordermgmt.rule_thresholds_valid(text, jsonb)
  FROM ordermgmt_reader, ordermgmt_admin;
GRANT EXECUTE ON FUNCTION ordermgmt.rule_delay(text, jsonb, text),
                          ordermgmt.rule_thresholds_valid(text, jsonb),
                          ordermgmt.report_history_horizon()
   TO ordermgmt_reader, ordermgmt_app, ordermgmt_admin;
GRANT USAGE ON SCHEMA ordermgmt TO ordermgmt_sales, ordermgmt_warehouse, ordermgmt_finance;
GRANT ordermgmt_reader TO ordermgmt_sales, ordermgmt_warehouse, ordermgmt_finance,
                          ordermgmt_service, ordermgmt_approver;

-- Every department reads every table of the order's life.
GRANT SELECT ON ordermgmt.customers, ordermgmt.products, ordermgmt.warehouses, ordermgmt.settings,
                ordermgmt.order_transitions, ordermgmt.orders, ordermgmt.order_lines,
                ordermgmt.order_status_history, ordermgmt.delivery_weeks,
                ordermgmt.stock, ordermgmt.stock_moves, ordermgmt.reservations,
                ordermgmt.shipments, ordermgmt.shipment_lines, ordermgmt.invoices, ordermgmt.invoice_lines,
                ordermgmt.payments, ordermgmt.returns, ordermgmt.return_lines, ordermgmt.credit_applications,
                ordermgmt.customer_exposure, ordermgmt.order_day_totals, ordermgmt.invoice_day_totals,
                ordermgmt.customer_totals, ordermgmt.customer_months, ordermgmt.report_rollup,
                ordermgmt.fulfillment_histogram, ordermgmt.fulfillment_weeks,
                ordermgmt.delivery_changes, ordermgmt.delivery_week_totals, ordermgmt.order_figures,
                ordermgmt.accounts, ordermgmt.posting_accounts, ordermgmt.journal_entries, ordermgmt.postings,
                ordermgmt.ledger_totals, ordermgmt.ledger_rollup,
                ordermgmt.monitor_rules, ordermgmt.alerts, ordermgmt.deadlines,
                ordermgmt.events, ordermgmt.relay_state, ordermgmt.purge_horizon,
                ordermgmt.feedback, ordermgmt.tickets, ordermgmt.customer_contacts, ordermgmt.customer_interactions,
                ordermgmt.approval_rules, ordermgmt.order_approvals
   TO ordermgmt_sales, ordermgmt_warehouse, ordermgmt_finance, ordermgmt_service;
-- Listeners catch up and any department may run the monitoring sweep.
GRANT EXECUTE ON FUNCTION ordermgmt.events_since(bigint, int), ordermgmt.monitor_tick(timestamptz)
   TO ordermgmt_sales, ordermgmt_warehouse, ordermgmt_finance, ordermgmt_service;

-- Sales.
GRANT INSERT, UPDATE, DELETE ON ordermgmt.orders, ordermgmt.order_lines TO ordermgmt_sales;
GRANT INSERT, UPDATE ON ordermgmt.customer_contacts, ordermgmt.customer_interactions TO ordermgmt_sales;
GRANT EXECUTE ON FUNCTION
    ordermgmt.create_order(text, jsonb, jsonb),
    ordermgmt.create_orders(jsonb),
    ordermgmt.submit_order(bigint),
    ordermgmt.confirm_order(bigint),
    ordermgmt.hold_order(bigint, text),
    ordermgmt.cancel_order(bigint, text)
   TO ordermgmt_sales;

-- Warehouse.
GRANT EXECUTE ON FUNCTION
    ordermgmt.receive_stock(text, text, numeric, numeric),
    ordermgmt.start_processing(bigint),
    ordermgmt.ship_order(bigint, jsonb, text, text),
    ordermgmt.ship_orders(jsonb),
    ordermgmt.confirm_delivery(bigint, timestamptz)
   TO ordermgmt_warehouse;

-- Finance.
GRANT EXECUTE ON FUNCTION
    ordermgmt.invoice_order(bigint, int),
    ordermgmt.invoice_orders(bigint[], int),
    ordermgmt.record_payment(bigint, numeric, text, text),
    ordermgmt.record_payments(jsonb)
   TO ordermgmt_finance;

-- Service: after-sales and the alerts.
GRANT EXECUTE ON FUNCTION
    ordermgmt.return_items(bigint, jsonb, text),
    ordermgmt.record_feedback(bigint, int, text),
    ordermgmt.open_ticket(bigint, text, text),
    ordermgmt.resolve_ticket(bigint, text)
   TO ordermgmt_service;

-- The approvers: approvals and the alerts.
GRANT SELECT ON ordermgmt.alerts, ordermgmt.approval_rules, ordermgmt.order_approvals TO ordermgmt_approver;
GRANT EXECUTE ON FUNCTION ordermgmt.approve_order(bigint, text) TO ordermgmt_approver;
GRANT EXECUTE ON FUNCTION ordermgmt.acknowledge_alert(bigint, text), ordermgmt.resolve_alert(bigint, text)
   TO ordermgmt_service, ordermgmt_approver;

-- Applications: the four departments (and the views through them).
GRANT ordermgmt_reader TO ordermgmt_app;
GRANT ordermgmt_sales, ordermgmt_warehouse, ordermgmt_finance, ordermgmt_service TO ordermgmt_app;

GRANT INSERT, UPDATE, DELETE ON ordermgmt.approval_rules TO ordermgmt_admin;

--------------------------------------------------------------------------
-- Customers' own access (row-level security)
--------------------------------------------------------------------------
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ordermgmt_customer') THEN
        CREATE ROLE ordermgmt_customer NOLOGIN;
    END IF;
END
$roles$;

-- A customer login is a role that is a member of ordermgmt_customer and
-- that customer_logins maps to its customer (or to several).  Row-level
-- security keeps its reads to its own customers' rows.  On each table a
-- permissive policy lets every role read what its table privileges allow,
-- so nothing changes for staff, and a restrictive policy for
-- ordermgmt_customer adds the customer's condition.  The policies are not
-- forced: the extension's owner, as whom the API functions, the triggers
-- and the BI views run, is not subject to them and pays nothing.  Each
-- condition compares an indexed column with an array that a sub-select
-- builds once per query (an InitPlan), never with a sub-select per row.
CREATE TABLE ordermgmt.customer_logins (
    role_name   regrole NOT NULL,
    customer_id bigint NOT NULL REFERENCES ordermgmt.customers,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (role_name, customer_id)
);
COMMENT ON TABLE ordermgmt.customer_logins IS
    'Which customer a customer login (a member of ordermgmt_customer) acts for; written by admins';
COMMENT ON COLUMN ordermgmt.customer_logins.role_name IS
    'The login role, by name (kept as its OID: a renamed role keeps its customer)';
COMMENT ON COLUMN ordermgmt.customer_logins.customer_id IS 'The customer (customers.customer_id)';

-- Runs as the caller (an admin): it only reads.
CREATE FUNCTION ordermgmt.customer_logins_check() RETURNS trigger
    LANGUAGE C SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_customer_logins_check';
COMMENT ON FUNCTION ordermgmt.customer_logins_check() IS
    'Refuses a login mapping whose role or customer does not exist';
REVOKE ALL ON FUNCTION ordermgmt.customer_logins_check() FROM PUBLIC;
CREATE TRIGGER customer_logins_check
    BEFORE INSERT OR UPDATE ON ordermgmt.customer_logins
    FOR EACH ROW EXECUTE FUNCTION ordermgmt.customer_logins_check();
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.customer_logins', '');

-- A customer login sees its own mappings.
ALTER TABLE ordermgmt.customer_logins ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON ordermgmt.customer_logins USING (true) WITH CHECK (true);
CREATE POLICY customer_own_rows ON ordermgmt.customer_logins AS RESTRICTIVE TO ordermgmt_customer
    USING (role_name = CURRENT_USER::regrole) WITH CHECK (role_name = CURRENT_USER::regrole);

-- Tables that carry the customer: orders_customer_external_ref_key,
-- invoices_customer_idx and feedback_customer_idx lead with customer_id.
ALTER TABLE ordermgmt.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON ordermgmt.orders USING (true) WITH CHECK (true);
CREATE POLICY customer_own_rows ON ordermgmt.orders AS RESTRICTIVE TO ordermgmt_customer
    USING (customer_id = ANY (ARRAY(SELECT l.customer_id FROM ordermgmt.customer_logins l
                                     WHERE l.role_name = CURRENT_USER::regrole)))
    WITH CHECK (customer_id = ANY (ARRAY(SELECT l.customer_id FROM ordermgmt.customer_logins l
                                          WHERE l.role_name = CURRENT_USER::regrole)));
ALTER TABLE ordermgmt.invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON ordermgmt.invoices USING (true) WITH CHECK (true);
CREATE POLICY customer_own_rows ON ordermgmt.invoices AS RESTRICTIVE TO ordermgmt_customer
    USING (customer_id = ANY (ARRAY(SELECT l.customer_id FROM ordermgmt.customer_logins l
                                     WHERE l.role_name = CURRENT_USER::regrole)))
    WITH CHECK (customer_id = ANY (ARRAY(SELECT l.customer_id FROM ordermgmt.customer_logins l
                                          WHERE l.role_name = CURRENT_USER::regrole)));
ALTER TABLE ordermgmt.feedback ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON ordermgmt.feedback USING (true) WITH CHECK (true);
CREATE POLICY customer_own_rows ON ordermgmt.feedback AS RESTRICTIVE TO ordermgmt_customer
    USING (customer_id = ANY (ARRAY(SELECT l.customer_id FROM ordermgmt.customer_logins l
                                     WHERE l.role_name = CURRENT_USER::regrole)))
    WITH CHECK (customer_id = ANY (ARRAY(SELECT l.customer_id FROM ordermgmt.customer_logins l
                                          WHERE l.role_name = CURRENT_USER::regrole)));

-- Tables of an order or a document: the ids of the customer's orders,
-- invoices or shipments, as those tables' own policies choose them, by the
-- index of the id (order_lines' primary key, shipments_order_idx,
-- tickets_order_idx; the first column of invoice_lines' and
-- shipment_lines' primary keys and of payments_invoice_id_reference_key).
ALTER TABLE ordermgmt.order_lines ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON ordermgmt.order_lines USING (true) WITH CHECK (true);
CREATE POLICY customer_own_rows ON ordermgmt.order_lines AS RESTRICTIVE TO ordermgmt_customer
    USING (order_id = ANY (ARRAY(SELECT o.order_id FROM ordermgmt.orders o)))
    WITH CHECK (order_id = ANY (ARRAY(SELECT o.order_id FROM ordermgmt.orders o)));
ALTER TABLE ordermgmt.shipments ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON ordermgmt.shipments USING (true) WITH CHECK (true);
CREATE POLICY customer_own_rows ON ordermgmt.shipments AS RESTRICTIVE TO ordermgmt_customer
    USING (order_id = ANY (ARRAY(SELECT o.order_id FROM ordermgmt.orders o)))
    WITH CHECK (order_id = ANY (ARRAY(SELECT o.order_id FROM ordermgmt.orders o)));
ALTER TABLE ordermgmt.tickets ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON ordermgmt.tickets USING (true) WITH CHECK (true);
CREATE POLICY customer_own_rows ON ordermgmt.tickets AS RESTRICTIVE TO ordermgmt_customer
    USING (order_id = ANY (ARRAY(SELECT o.order_id FROM ordermgmt.orders o)))
    WITH CHECK (order_id = ANY (ARRAY(SELECT o.order_id FROM ordermgmt.orders o)));
ALTER TABLE ordermgmt.invoice_lines ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON ordermgmt.invoice_lines USING (true) WITH CHECK (true);
CREATE POLICY customer_own_rows ON ordermgmt.invoice_lines AS RESTRICTIVE TO ordermgmt_customer
    USING (invoice_id = ANY (ARRAY(SELECT i.invoice_id FROM ordermgmt.invoices i)))
    WITH CHECK (invoice_id = ANY (ARRAY(SELECT i.invoice_id FROM ordermgmt.invoices i)));
ALTER TABLE ordermgmt.payments ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON ordermgmt.payments USING (true) WITH CHECK (true);
CREATE POLICY customer_own_rows ON ordermgmt.payments AS RESTRICTIVE TO ordermgmt_customer
    USING (invoice_id = ANY (ARRAY(SELECT i.invoice_id FROM ordermgmt.invoices i)))
    WITH CHECK (invoice_id = ANY (ARRAY(SELECT i.invoice_id FROM ordermgmt.invoices i)));
ALTER TABLE ordermgmt.shipment_lines ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON ordermgmt.shipment_lines USING (true) WITH CHECK (true);
CREATE POLICY customer_own_rows ON ordermgmt.shipment_lines AS RESTRICTIVE TO ordermgmt_customer
    USING (shipment_id = ANY (ARRAY(SELECT s.shipment_id FROM ordermgmt.shipments s)))
    WITH CHECK (shipment_id = ANY (ARRAY(SELECT s.shipment_id FROM ordermgmt.shipments s)));

-- The customer's own orders, run as the caller (security_invoker), so the
-- policies above choose the rows.  expected_delivery: when it was
-- delivered, else the promised time (none once cancelled); carrier and
-- tracking: of its latest shipment; total: net plus tax at each line's
-- recorded rate (the product's while a draft); due: what its invoices
-- still ask.  Each table is read once for all the customer's orders and
-- joined by order id: a probe per order would re-read the policy's array of
-- order ids in every index scan (over a second for a customer with 1,500
-- orders, where one pass takes 20 ms).
CREATE VIEW ordermgmt.v_my_orders WITH (security_invoker = true) AS
SELECT o.order_id, o.status, o.created_at, o.promised_at,
       CASE WHEN o.status <> 'cancelled' THEN coalesce(o.delivered_at, o.promised_at) END AS expected_delivery,
       s.carrier, s.tracking, coalesce(l.total, 0) AS total, coalesce(i.due, 0) AS due, o.currency
  FROM ordermgmt.orders o
  LEFT JOIN (SELECT DISTINCT ON (s.order_id) s.order_id, s.carrier, s.tracking
               FROM ordermgmt.shipments s
              ORDER BY s.order_id, s.shipped_at DESC, s.shipment_id DESC) s ON s.order_id = o.order_id
  LEFT JOIN (SELECT l.order_id,
                    round(sum(l.qty * l.unit_price), 2)
                    + sum(round(l.qty * l.unit_price * coalesce(l.tax_rate, (SELECT p.tax_rate FROM ordermgmt.products p
                                                                       WHERE p.product_id = l.product_id)), 2)) AS total
               FROM ordermgmt.order_lines l GROUP BY l.order_id) l ON l.order_id = o.order_id
  LEFT JOIN (SELECT i.order_id, sum(i.due) AS due
               FROM ordermgmt.invoices i GROUP BY i.order_id) i ON i.order_id = o.order_id;
COMMENT ON VIEW ordermgmt.v_my_orders IS
    'A customer login''s own orders with the latest tracking (runs as the caller: staff see every order)';
COMMENT ON COLUMN ordermgmt.v_my_orders.order_id IS 'Order id';
COMMENT ON COLUMN ordermgmt.v_my_orders.status IS 'Lifecycle status (draft, pending, on_hold, confirmed, ...)';
COMMENT ON COLUMN ordermgmt.v_my_orders.created_at IS
    'When the order was entered; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_my_orders.promised_at IS
    'Promised delivery time; NULL if none was given; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_my_orders.expected_delivery IS
    'When it was delivered, else the promised time; NULL if cancelled or never promised; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_my_orders.carrier IS 'Carrier of its latest shipment; NULL before the first shipment';
COMMENT ON COLUMN ordermgmt.v_my_orders.tracking IS 'Tracking number of its latest shipment; NULL before the first shipment';
COMMENT ON COLUMN ordermgmt.v_my_orders.total IS
    'Net plus tax at each line''s rate, rounded to cents, in the order''s currency';
COMMENT ON COLUMN ordermgmt.v_my_orders.due IS
    'What its invoices still ask (total less paid and credited), in the order''s currency; 0 before the first invoice';
COMMENT ON COLUMN ordermgmt.v_my_orders.currency IS 'The order''s currency (ISO 4217 code)';

GRANT USAGE ON SCHEMA ordermgmt TO ordermgmt_customer;

-- Customer logins (members of ordermgmt_customer): their own rows of the
-- order tables, as the policies choose them, and v_my_orders; the catalogue
-- columns of products; shipment lines without their cost.  They place
-- orders and submit drafts for their own customer, and record feedback and
-- open tickets on their own orders; the functions check the caller
-- (domain/customer_access.c).  Admins keep the mappings.
GRANT SELECT ON ordermgmt.customer_logins
   TO ordermgmt_sales, ordermgmt_warehouse, ordermgmt_finance, ordermgmt_service;
GRANT INSERT, UPDATE, DELETE ON ordermgmt.customer_logins TO ordermgmt_admin;
GRANT SELECT ON ordermgmt.orders, ordermgmt.order_lines, ordermgmt.shipments, ordermgmt.invoices,
                ordermgmt.invoice_lines, ordermgmt.payments, ordermgmt.feedback, ordermgmt.tickets,
                ordermgmt.customer_logins, ordermgmt.v_my_orders
   TO ordermgmt_customer;
GRANT SELECT (shipment_id, order_id, line_no, qty) ON ordermgmt.shipment_lines TO ordermgmt_customer;
GRANT SELECT (product_id, sku, name, list_price, tax_rate) ON ordermgmt.products TO ordermgmt_customer;
GRANT EXECUTE ON FUNCTION
    ordermgmt.create_order(text, jsonb, jsonb),
    ordermgmt.submit_order(bigint),
    ordermgmt.record_feedback(bigint, int, text),
    ordermgmt.open_ticket(bigint, text, text)
   TO ordermgmt_customer;

--------------------------------------------------------------------------
-- The sales pipeline: opportunities, their quotations, recommendations
--------------------------------------------------------------------------
-- An order quoting an opportunity names it; the orders trigger
-- orders_opportunity_fate fires for such orders only (its WHEN clause).
ALTER TABLE ordermgmt.orders ADD COLUMN opportunity_id bigint;
COMMENT ON COLUMN ordermgmt.orders.opportunity_id IS
    'The opportunity this order quotes (set by quote_opportunity); its fate wins or loses the opportunity';
-- The latest orders of a product (v_recommendations).
CREATE INDEX order_lines_product_idx ON ordermgmt.order_lines (product_id, order_id);

-- The sales pipeline.  Stages in order; probability is each stage's
-- default chance of winning, as a fraction (0.6 = 60 %), which an
-- opportunity takes when it enters the stage without one of its own.
-- Seeded rows only: admins change the probabilities, the stages are fixed
-- (the C rules name them).
CREATE TABLE ordermgmt.opportunity_stages (
    stage       text PRIMARY KEY CHECK (stage IN ('lead', 'qualified', 'proposal', 'won', 'lost')),
    position    smallint NOT NULL UNIQUE,
    is_open     boolean NOT NULL,
    probability numeric(5,4) NOT NULL CHECK (probability BETWEEN 0 AND 1),
    CHECK (stage <> 'won' OR probability = 1),
    CHECK (stage <> 'lost' OR probability = 0)
);
COMMENT ON TABLE ordermgmt.opportunity_stages IS
    'Stages of an opportunity, in pipeline order, with the default probability of each';
COMMENT ON COLUMN ordermgmt.opportunity_stages.is_open IS 'false for won and lost, which are final';
COMMENT ON COLUMN ordermgmt.opportunity_stages.probability IS
    'Chance of winning (a fraction) an opportunity takes as it enters the stage, unless the same change gives one';
INSERT INTO ordermgmt.opportunity_stages (stage, position, is_open, probability) VALUES
    ('lead',      1, true,  0.10),
    ('qualified', 2, true,  0.30),
    ('proposal',  3, true,  0.60),
    ('won',       4, false, 1),
    ('lost',      5, false, 0);

-- Every stage change goes through the C trigger opportunities_guard: lead
-- and qualified are set by hand, proposal by quote_opportunity (which
-- links the quotation), won and lost by the quotation's fate (lost also by
-- hand while no quotation is open); won and lost are final.
CREATE TABLE ordermgmt.opportunities (
    opportunity_id   bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    customer_id      bigint NOT NULL REFERENCES ordermgmt.customers,
    title            text NOT NULL CHECK (title <> ''),
    stage            text NOT NULL DEFAULT 'lead' REFERENCES ordermgmt.opportunity_stages,
    expected_value   numeric(18,2) NOT NULL DEFAULT 0 CHECK (expected_value >= 0),
    currency         char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    probability      numeric(5,4) NOT NULL CHECK (probability BETWEEN 0 AND 1),
    expected_close   date,
    order_id         bigint REFERENCES ordermgmt.orders ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       text NOT NULL DEFAULT session_user,
    stage_changed_at timestamptz NOT NULL DEFAULT now(),
    closed_at        timestamptz,
    CHECK ((stage IN ('won', 'lost')) = (closed_at IS NOT NULL))
);
CREATE INDEX opportunities_customer_idx ON ordermgmt.opportunities (customer_id);
CREATE INDEX opportunities_order_idx ON ordermgmt.opportunities (order_id);
COMMENT ON TABLE ordermgmt.opportunities IS
    'Sales opportunities: a chance of an order from a customer, moved through the stages of opportunity_stages';
COMMENT ON COLUMN ordermgmt.opportunities.stage IS
    'lead, qualified, proposal, won or lost; guarded by the trigger opportunities_guard';
COMMENT ON COLUMN ordermgmt.opportunities.expected_value IS 'Expected net value of the deal, in currency';
COMMENT ON COLUMN ordermgmt.opportunities.currency IS
    'Currency of expected_value and of the quotation; default: the currency setting';
COMMENT ON COLUMN ordermgmt.opportunities.probability IS
    'Chance of winning as a fraction (0.6 = 60 %); left out, the stage''s default (opportunity_stages.probability); 1 once won, 0 once lost';
COMMENT ON COLUMN ordermgmt.opportunities.expected_close IS 'When the deal is expected to close';
COMMENT ON COLUMN ordermgmt.opportunities.order_id IS
    'The draft order quote_opportunity created for it (the quotation); its confirmation wins the opportunity, its cancellation loses it';
COMMENT ON COLUMN ordermgmt.opportunities.stage_changed_at IS 'When the stage last changed';
COMMENT ON COLUMN ordermgmt.opportunities.closed_at IS 'When it was won or lost; NULL while open';

-- The sales pipeline per stage, with every stage listed: the open ones
-- make the forecast (weighted_value = expected_value * probability), won
-- counts in full, lost as nothing.  Amounts of different currencies are
-- never added: a row per stage and currency (a stage without
-- opportunities shows one row, currency NULL).
CREATE VIEW ordermgmt.v_sales_pipeline AS
SELECT s.stage, count(o.opportunity_id) AS opportunities,
       coalesce(sum(o.expected_value), 0) AS expected_value,
       coalesce(round(sum(o.expected_value * o.probability), 2), 0) AS weighted_value,
       o.currency, s.is_open, s.position
  FROM ordermgmt.opportunity_stages s
  LEFT JOIN ordermgmt.opportunities o ON o.stage = s.stage
 GROUP BY s.stage, s.is_open, s.position, o.currency;
COMMENT ON VIEW ordermgmt.v_sales_pipeline IS
    'Opportunities per stage and currency: how many, their expected value and the value weighted by probability (the forecast); ORDER BY position for pipeline order';
COMMENT ON COLUMN ordermgmt.v_sales_pipeline.stage IS 'lead, qualified, proposal, won or lost';
COMMENT ON COLUMN ordermgmt.v_sales_pipeline.opportunities IS 'Number of opportunities in the stage';
COMMENT ON COLUMN ordermgmt.v_sales_pipeline.expected_value IS 'Sum of their expected values, in currency';
COMMENT ON COLUMN ordermgmt.v_sales_pipeline.weighted_value IS
    'Sum of expected_value * probability, in currency, rounded to cents: the forecast (won at 1, lost at 0)';
COMMENT ON COLUMN ordermgmt.v_sales_pipeline.currency IS
    'Currency of the amounts; NULL on the row of a stage without opportunities';
COMMENT ON COLUMN ordermgmt.v_sales_pipeline.is_open IS 'false for won and lost';
COMMENT ON COLUMN ordermgmt.v_sales_pipeline.position IS 'The stage''s place in the pipeline (1 = lead)';

-- What to offer a customer: products bought in the same orders as the
-- customer's products, which the customer has not bought yet.  Computed
-- from the order history for each customer asked about (WHERE customer =
-- ... reads that customer's orders through the index that leads with
-- customer_id, orders_customer_external_ref_key), with a
-- bounded amount of work whatever the history's size: the customer's ten
-- most often ordered products are the seeds, and for each seed the 300
-- latest orders of other customers that hold it (order_lines_product_idx)
-- are the baskets looked into.  A candidate scores one point per seed
-- and other customer who bought both; the reason names its strongest
-- seed.  Drafts and cancelled orders do not count; inactive products are
-- not offered.  The 20 best per customer.
CREATE VIEW ordermgmt.v_recommendations AS
SELECT c.code AS customer, r.sku, r.score, r.reason, r.rank
  FROM ordermgmt.customers c
 CROSS JOIN LATERAL (
    WITH mine AS (
        SELECT l.product_id, count(DISTINCT l.order_id) AS orders, max(o.order_id) AS last_order
          FROM ordermgmt.orders o
          JOIN ordermgmt.order_lines l ON l.order_id = o.order_id
         WHERE o.customer_id = c.customer_id
           AND o.status NOT IN ('draft', 'cancelled')
         GROUP BY l.product_id),
    seeds AS (
        SELECT m.product_id FROM mine m ORDER BY m.orders DESC, m.last_order DESC, m.product_id LIMIT 10),
    baskets AS (
        SELECT s.product_id AS seed, b.order_id, b.customer_id
          FROM seeds s
         CROSS JOIN LATERAL (
            SELECT l.order_id, o.customer_id
              FROM ordermgmt.order_lines l
              JOIN ordermgmt.orders o ON o.order_id = l.order_id
             WHERE l.product_id = s.product_id
               AND o.customer_id <> c.customer_id
               AND o.status NOT IN ('draft', 'cancelled')
             ORDER BY l.order_id DESC
             LIMIT 300) b),
    pairs AS (
        SELECT l.product_id, b.seed, count(DISTINCT b.customer_id) AS customers
          FROM baskets b
          JOIN ordermgmt.order_lines l ON l.order_id = b.order_id
         WHERE l.product_id <> b.seed
           AND l.product_id NOT IN (SELECT m.product_id FROM mine m)
         GROUP BY l.product_id, b.seed),
    scored AS (
        SELECT p.product_id, sum(p.customers)::bigint AS score,
               (array_agg(p.seed ORDER BY p.customers DESC, p.seed))[1] AS best_seed,
               max(p.customers) AS best_customers
          FROM pairs p
         GROUP BY p.product_id)
    SELECT pr.sku, s.score,
           format('bought with %s by %s customer%s', sp.sku, s.best_customers,
                  CASE WHEN s.best_customers = 1 THEN '' ELSE 's' END) AS reason,
           row_number() OVER (ORDER BY s.score DESC, pr.sku) AS rank
      FROM scored s
      JOIN ordermgmt.products pr ON pr.product_id = s.product_id
      JOIN ordermgmt.products sp ON sp.product_id = s.best_seed
     WHERE pr.active
     ORDER BY s.score DESC, pr.sku
     LIMIT 20) r;
COMMENT ON VIEW ordermgmt.v_recommendations IS
    'Products to offer each customer: bought together with what the customer buys, not bought by the customer yet, best first (rank); ask for one customer at a time';
COMMENT ON COLUMN ordermgmt.v_recommendations.customer IS 'Customer code';
COMMENT ON COLUMN ordermgmt.v_recommendations.sku IS 'The product to offer';
COMMENT ON COLUMN ordermgmt.v_recommendations.score IS
    'For each of the customer''s ten most often ordered products, how many other customers bought both in one order (among that product''s 300 latest orders), summed';
COMMENT ON COLUMN ordermgmt.v_recommendations.reason IS
    'Why, in words: the customer''s product it was most often bought with, and by how many customers';
COMMENT ON COLUMN ordermgmt.v_recommendations.rank IS '1 = the best offer for the customer (score, then SKU)';

-- Products a customer orders regularly and is due to order again: for
-- each customer and product ordered in at least three orders (drafts and
-- cancelled orders do not count), the usual interval is the mean gap
-- between those orders ((last - first) / (orders - 1)), and the product
-- is due at the last order plus that interval.  Only what is due now or
-- overdue is shown.  Computed from the customer's orders (a filter on
-- customer reads them through orders_customer_external_ref_key, which
-- leads with customer_id).
CREATE VIEW ordermgmt.v_reorder_due AS
SELECT c.code AS customer, p.sku,
       round(r.gap_seconds / 86400, 1) AS usual_interval_days,
       r.last_at AS last_ordered_at,
       r.last_at + make_interval(secs => r.gap_seconds) AS due_at,
       r.orders,
       round(extract(epoch FROM now() - (r.last_at + make_interval(secs => r.gap_seconds))) / 86400, 1)
           AS overdue_days
  FROM ordermgmt.customers c
 CROSS JOIN LATERAL (
    SELECT l.product_id, count(DISTINCT o.order_id) AS orders, max(o.created_at) AS last_at,
           extract(epoch FROM max(o.created_at) - min(o.created_at))
               / nullif(count(DISTINCT o.order_id) - 1, 0)
               AS gap_seconds
      FROM ordermgmt.orders o
      JOIN ordermgmt.order_lines l ON l.order_id = o.order_id
     WHERE o.customer_id = c.customer_id
       AND o.status NOT IN ('draft', 'cancelled')
     GROUP BY l.product_id
    HAVING count(DISTINCT o.order_id) >= 3) r
  JOIN ordermgmt.products p ON p.product_id = r.product_id
 WHERE r.last_at + make_interval(secs => r.gap_seconds) <= now();
COMMENT ON VIEW ordermgmt.v_reorder_due IS
    'Products each customer orders regularly (in three orders or more) and is due to order again: the usual interval has passed since the last order';
COMMENT ON COLUMN ordermgmt.v_reorder_due.customer IS 'Customer code';
COMMENT ON COLUMN ordermgmt.v_reorder_due.sku IS 'The product';
COMMENT ON COLUMN ordermgmt.v_reorder_due.usual_interval_days IS
    'Mean days between the customer''s orders of it: (last - first) / (orders - 1), to one decimal';
COMMENT ON COLUMN ordermgmt.v_reorder_due.last_ordered_at IS
    'When the customer last ordered it (the order''s entry); a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_reorder_due.due_at IS
    'last_ordered_at plus the usual interval: when the next order is expected, now or earlier; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_reorder_due.orders IS 'How many of the customer''s orders hold it';
COMMENT ON COLUMN ordermgmt.v_reorder_due.overdue_days IS 'Days since due_at, to one decimal';

CREATE FUNCTION ordermgmt.quote_opportunity(opportunity_id bigint, lines jsonb, options jsonb DEFAULT '{}')
    RETURNS bigint
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_quote_opportunity';
COMMENT ON FUNCTION ordermgmt.quote_opportunity(bigint, jsonb, jsonb) IS
    'Creates the draft order (quotation) of an opportunity from a JSON array of {sku, qty, unit_price?}, links it and moves the opportunity to proposal; options: warehouse, promised_at, valid_until (its expiry); returns the order id';

-- The sales pipeline: every stage change of an opportunity, by
-- quote_opportunity, by its quotation's fate or by plain UPDATE, is
-- checked and stamped, and emits an event.
CREATE FUNCTION ordermgmt.opportunities_stage() RETURNS trigger
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_opportunities_stage';
COMMENT ON FUNCTION ordermgmt.opportunities_stage() IS 'Guards, stamps and records every stage change of an opportunity';
CREATE TRIGGER opportunities_stage_guard
    BEFORE INSERT OR UPDATE ON ordermgmt.opportunities
    FOR EACH ROW EXECUTE FUNCTION ordermgmt.opportunities_stage();
CREATE TRIGGER opportunities_stage_record
    AFTER INSERT OR UPDATE OF stage ON ordermgmt.opportunities
    FOR EACH ROW EXECUTE FUNCTION ordermgmt.opportunities_stage();

-- A quotation's fate wins or loses its opportunity.  The WHEN clause keeps
-- every other order free of it: no call, no query.
CREATE FUNCTION ordermgmt.orders_opportunity_fate() RETURNS trigger
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_orders_opportunity_fate';
COMMENT ON FUNCTION ordermgmt.orders_opportunity_fate() IS
    'An order quoting an opportunity wins it as it is confirmed, loses it as it is cancelled';
CREATE TRIGGER orders_opportunity_fate
    AFTER UPDATE OF status ON ordermgmt.orders
    FOR EACH ROW
    WHEN (NEW.opportunity_id IS NOT NULL AND OLD.status IS DISTINCT FROM NEW.status
          AND NEW.status IN ('confirmed', 'cancelled'))
    EXECUTE FUNCTION ordermgmt.orders_opportunity_fate();

-- A restore keeps the stages' probabilities an admin changed.
CREATE TRIGGER opportunity_stages_merge BEFORE INSERT ON ordermgmt.opportunity_stages
    FOR EACH ROW EXECUTE FUNCTION ordermgmt.config_merge('stage');

SELECT pg_catalog.pg_extension_config_dump('ordermgmt.opportunity_stages', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.opportunities', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.opportunities_opportunity_id_seq', '');

REVOKE ALL ON ordermgmt.opportunity_stages, ordermgmt.opportunities, ordermgmt.v_sales_pipeline,
              ordermgmt.v_recommendations, ordermgmt.v_reorder_due FROM PUBLIC;
REVOKE ALL ON FUNCTION ordermgmt.quote_opportunity(bigint, jsonb, jsonb), ordermgmt.opportunities_stage(),
                       ordermgmt.orders_opportunity_fate() FROM PUBLIC;

-- The sales pipeline.  Its views are the readers'; every department reads
-- the stages and the opportunities, sales writes opportunities and quotes
-- them, admins set the stages' probabilities and delete opportunities.
GRANT SELECT ON ordermgmt.v_sales_pipeline, ordermgmt.v_recommendations, ordermgmt.v_reorder_due
   TO ordermgmt_reader;
GRANT SELECT ON ordermgmt.opportunity_stages, ordermgmt.opportunities
   TO ordermgmt_sales, ordermgmt_warehouse, ordermgmt_finance, ordermgmt_service;
GRANT INSERT, UPDATE ON ordermgmt.opportunities TO ordermgmt_sales;
GRANT EXECUTE ON FUNCTION ordermgmt.quote_opportunity(bigint, jsonb, jsonb) TO ordermgmt_sales;
GRANT UPDATE (probability) ON ordermgmt.opportunity_stages TO ordermgmt_admin;
GRANT DELETE ON ordermgmt.opportunities TO ordermgmt_admin;

--------------------------------------------------------------------------
-- Notices to customers
--------------------------------------------------------------------------
-- A template per kind of notice and channel.  The kinds are the business
-- events a customer hears of (src/store/notices.c maps each to the event
-- that causes it): order.confirmed, shipment.created, shipment.delivered,
-- invoice.created, payment.overdue.  A C trigger refuses an unknown kind
-- or placeholder when the template is saved.
CREATE TABLE ordermgmt.notification_templates (
    kind    text NOT NULL,
    channel text NOT NULL DEFAULT 'email' CHECK (channel = 'email'),
    subject text NOT NULL CHECK (subject <> ''),
    body    text NOT NULL CHECK (body <> ''),
    enabled boolean NOT NULL DEFAULT false,
    PRIMARY KEY (kind, channel)
);
COMMENT ON TABLE ordermgmt.notification_templates IS
    'Templates of the notices to customers, one per kind and channel; an enabled template makes its event write a notification';
COMMENT ON COLUMN ordermgmt.notification_templates.kind IS
    'Kind of notice: order.confirmed, shipment.created, shipment.delivered, invoice.created or payment.overdue';
COMMENT ON COLUMN ordermgmt.notification_templates.subject IS
    'One line; {{name}} placeholders are replaced by the event''s values';
COMMENT ON COLUMN ordermgmt.notification_templates.body IS
    'Plain text; {{name}} placeholders are replaced by the event''s values, each on one line';

-- Notices written in the transaction of the event that causes them, sent
-- by ordermgmt-notify (claim_notifications, finish_notification).  No
-- foreign keys, which would cost each notice a lookup: purge_history
-- deletes old events, and the customer is the order's (whose key holds).
CREATE TABLE ordermgmt.notifications (
    notification_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        bigint NOT NULL,
    kind            text NOT NULL,
    customer_id     bigint NOT NULL,
    recipient       text,
    channel         text NOT NULL,
    subject         text NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    CHECK (recipient IS NOT NULL OR status = 'failed'),
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX notifications_due_idx ON ordermgmt.notifications (next_attempt_at)
    WHERE status IN ('queued', 'sending');
CREATE INDEX notifications_customer_idx ON ordermgmt.notifications (customer_id);
COMMENT ON TABLE ordermgmt.notifications IS
    'Notices to customers, written with the event that causes them and sent by ordermgmt-notify';
COMMENT ON COLUMN ordermgmt.notifications.recipient IS
    'E-mail address: the primary contact''s, else the customer''s; NULL (and failed) when there is none';
COMMENT ON COLUMN ordermgmt.notifications.status IS
    'queued (waiting for next_attempt_at), sending (claimed until next_attempt_at), sent or failed';
COMMENT ON COLUMN ordermgmt.notifications.attempts IS 'Times a notifier has claimed it';
COMMENT ON COLUMN ordermgmt.notifications.next_attempt_at IS
    'queued: when it may be sent (retries back off); sending: when the claim lapses and another notifier may take it';
COMMENT ON COLUMN ordermgmt.notifications.last_error IS 'Why the last attempt failed, or why it was never sent';

-- Notices to customers: templates checked when saved, cached by every
-- backend; notifications claimed and marked by ordermgmt-notify.
CREATE FUNCTION ordermgmt.notification_template_check() RETURNS trigger
    LANGUAGE C SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_notification_template_check';
COMMENT ON FUNCTION ordermgmt.notification_template_check() IS
    'Refuses a template of an unknown kind, with an unknown or unterminated placeholder, or a subject of more than one line (22023)';
CREATE TRIGGER notification_templates_check BEFORE INSERT OR UPDATE ON ordermgmt.notification_templates
    FOR EACH ROW EXECUTE FUNCTION ordermgmt.notification_template_check();
CREATE TRIGGER notification_templates_merge BEFORE INSERT ON ordermgmt.notification_templates
    FOR EACH ROW EXECUTE FUNCTION ordermgmt.config_merge('kind', 'channel');
CREATE TRIGGER notification_templates_cache_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON ordermgmt.notification_templates FOR EACH STATEMENT EXECUTE FUNCTION ordermgmt.config_changed();

CREATE FUNCTION ordermgmt.claim_notifications(max_rows int DEFAULT 10, lease interval DEFAULT '5 minutes')
    RETURNS TABLE (notification_id bigint, attempt integer, recipient text, subject text, body text,
                   message_id text)
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_claim_notifications';
COMMENT ON FUNCTION ordermgmt.claim_notifications(int, interval) IS
    'Claims up to max_rows due notifications for lease (FOR UPDATE SKIP LOCKED: concurrent callers get different ones); a claim that lapses is taken again';
CREATE FUNCTION ordermgmt.finish_notification(notification_id bigint, attempt integer, error text DEFAULT NULL,
                                              max_attempts integer DEFAULT 5,
                                              retry_delay interval DEFAULT '1 minute')
    RETURNS text
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_finish_notification';
COMMENT ON FUNCTION ordermgmt.finish_notification(bigint, integer, text, integer, interval) IS
    'Marks a claimed notification sent (error NULL), queued again after retry_delay doubled per attempt, or failed after max_attempts; returns the status, NULL if the claim had lapsed';

-- Disabled: a new installation writes no notification until an admin
-- has read a template and enabled it.
INSERT INTO ordermgmt.notification_templates (kind, subject, body) VALUES
    ('order.confirmed', 'Order {{order_id}} confirmed',
     E'Dear {{contact_name}},\n\nwe have confirmed your order {{order_id}} ({{order_net}} {{currency}} before tax).\n\nThank you for your order.\n'),
    ('shipment.created', 'Order {{order_id}} shipped',
     E'Dear {{contact_name}},\n\nyour order {{order_id}} has left our warehouse.\nCarrier: {{carrier}}\nTracking number: {{tracking}}\n'),
    ('shipment.delivered', 'Order {{order_id}} delivered',
     E'Dear {{contact_name}},\n\nshipment {{shipment_id}} of your order {{order_id}} was delivered on {{delivered_at}}.\n'),
    ('invoice.created', 'Invoice {{invoice_id}} for order {{order_id}}',
     E'Dear {{contact_name}},\n\nour invoice {{invoice_id}} for order {{order_id}} is {{invoice_total}} {{currency}}, due on {{due_at}}.\n'),
    ('payment.overdue', 'Reminder: invoice {{invoice_id}} is overdue',
     E'Dear {{contact_name}},\n\n{{amount_due}} {{currency}} of our invoice {{invoice_id}} (order {{order_id}}) were due on {{due_at}} and are still open.\nPlease disregard this reminder if you have paid in the meantime.\n');

SELECT pg_catalog.pg_extension_config_dump('ordermgmt.notification_templates', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.notifications', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.notifications_notification_id_seq', '');
REVOKE ALL ON ordermgmt.notification_templates, ordermgmt.notifications FROM PUBLIC;
REVOKE ALL ON FUNCTION ordermgmt.claim_notifications(int, interval),
                       ordermgmt.finish_notification(bigint, integer, text, integer, interval),
                       ordermgmt.notification_template_check()
  FROM PUBLIC;
-- Notices to customers: admins write the templates, every department
-- reads them; the notifier (a member of ordermgmt_service) claims and
-- marks the notifications.  Readers see neither.
GRANT SELECT ON ordermgmt.notification_templates
   TO ordermgmt_sales, ordermgmt_warehouse, ordermgmt_finance, ordermgmt_service;
GRANT INSERT, UPDATE, DELETE ON ordermgmt.notification_templates TO ordermgmt_admin;
GRANT SELECT ON ordermgmt.notifications TO ordermgmt_service;
GRANT EXECUTE ON FUNCTION ordermgmt.claim_notifications(int, interval),
                          ordermgmt.finish_notification(bigint, integer, text, integer, interval)
   TO ordermgmt_service;

--------------------------------------------------------------------------
-- Stock operations: transfers between warehouses and stock counts
--------------------------------------------------------------------------
ALTER TABLE ordermgmt.stock_moves DROP CONSTRAINT stock_moves_kind_check;
ALTER TABLE ordermgmt.stock_moves ADD CONSTRAINT stock_moves_kind_check
    CHECK (kind IN ('receipt', 'shipment', 'return', 'adjustment', 'transfer', 'count'));
ALTER TABLE ordermgmt.stock_moves ADD COLUMN note text, ADD COLUMN paired_move_id bigint;
COMMENT ON COLUMN ordermgmt.stock_moves.note IS 'A transfer''s reference or a count''s reason';
COMMENT ON COLUMN ordermgmt.stock_moves.paired_move_id IS 'The other half of a transfer (the move into the receiving warehouse names the one out)';

-- A count's difference is posted against stock adjustments.
INSERT INTO ordermgmt.accounts (code, name, type, builtin) VALUES ('5100', 'Stock adjustments', 'expense', true);
ALTER TABLE ordermgmt.posting_accounts DROP CONSTRAINT posting_accounts_event_check;
ALTER TABLE ordermgmt.posting_accounts ADD CONSTRAINT posting_accounts_event_check
    CHECK (event IN ('receipt', 'shipment', 'invoice', 'payment', 'return', 'count'));
INSERT INTO ordermgmt.posting_accounts (event, role, account_id, builtin)
SELECT m.event, m.role, a.account_id, true
  FROM (VALUES ('count', 'inventory', '1200'), ('count', 'adjustments', '5100')) AS m(event, role, code)
  JOIN ordermgmt.accounts a ON a.code = m.code;
ALTER TABLE ordermgmt.journal_entries DROP CONSTRAINT journal_entries_source_type_check;
ALTER TABLE ordermgmt.journal_entries ADD CONSTRAINT journal_entries_source_type_check
    CHECK (source_type IN ('receipt', 'shipment', 'invoice', 'payment', 'return', 'manual', 'reversal', 'count'));

CREATE FUNCTION ordermgmt.transfer_stock(sku text, from_warehouse text, to_warehouse text, qty numeric,
                                         reference text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_transfer_stock';
COMMENT ON FUNCTION ordermgmt.transfer_stock(text, text, text, numeric, text) IS
    'Moves available (unreserved) stock between warehouses at its average cost: a move out and a move in; returns the move in';

CREATE FUNCTION ordermgmt.count_stock(sku text, warehouse text, counted numeric, reason text)
    RETURNS bigint
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_count_stock';
COMMENT ON FUNCTION ordermgmt.count_stock(text, text, numeric, text) IS
    'A stock count: the difference from on hand becomes a count move and a posting against stock adjustments (never below reserved); returns the move, NULL when nothing differs';
REVOKE ALL ON FUNCTION ordermgmt.transfer_stock(text, text, text, numeric, text),
                       ordermgmt.count_stock(text, text, numeric, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ordermgmt.transfer_stock(text, text, text, numeric, text),
                          ordermgmt.count_stock(text, text, numeric, text)
   TO ordermgmt_warehouse;

--------------------------------------------------------------------------
-- Price lists
--------------------------------------------------------------------------
-- Price lists (customers.price_list_id): a customer's agreed prices in the
-- list's currency, with quantity breaks.  A list and each of its items
-- apply from valid_from (inclusive, NULL: always) to valid_to (exclusive,
-- NULL: for ever).  price_for() and create_order read them; a line keeps
-- the price it was entered with.
CREATE TABLE ordermgmt.price_lists (
    price_list_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    code          text NOT NULL UNIQUE CHECK (code <> ''),
    currency      char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    valid_from    timestamptz,
    valid_to      timestamptz,
    CONSTRAINT price_lists_validity_check CHECK (valid_from < valid_to)
);
COMMENT ON TABLE ordermgmt.price_lists IS
    'Price lists, named by their unique code; customers.price_list_id says whose prices they are';
COMMENT ON COLUMN ordermgmt.price_lists.currency IS
    'Currency of the list''s prices; an order priced from the list is in this currency';
COMMENT ON COLUMN ordermgmt.price_lists.valid_from IS 'First moment the list applies; NULL: since always';
COMMENT ON COLUMN ordermgmt.price_lists.valid_to IS 'The list applies until before this moment; NULL: for ever';

ALTER TABLE ordermgmt.customers ADD COLUMN price_list_id bigint REFERENCES ordermgmt.price_lists;
COMMENT ON COLUMN ordermgmt.customers.price_list_id IS
    'The customer''s price list: lines entered without unit_price take its price (price_for); NULL: the products'' list_price';
-- A list's prices per product and quantity break: a line of qty takes the
-- item of the largest min_qty <= qty in force.  Two items of one list,
-- product and break may not be in force at the same time: the exclusion
-- constraint refuses overlapping validity.  It compares the keys as
-- single-value ranges, which the built-in GiST range operator class
-- indexes with =, so that the extension needs no btree_gist.
CREATE TABLE ordermgmt.price_list_items (
    price_list_id bigint NOT NULL REFERENCES ordermgmt.price_lists ON DELETE CASCADE,
    product_id    bigint NOT NULL REFERENCES ordermgmt.products,
    min_qty       numeric(18,4) NOT NULL CONSTRAINT price_list_items_min_qty_check CHECK (min_qty > 0),
    unit_price    numeric(18,4) NOT NULL CONSTRAINT price_list_items_unit_price_check CHECK (unit_price >= 0),
    valid_from    timestamptz,
    valid_to      timestamptz,
    CONSTRAINT price_list_items_validity_check CHECK (valid_from < valid_to),
    CONSTRAINT price_list_items_no_overlap EXCLUDE USING gist (
        pg_catalog.int8range(price_list_id, price_list_id, '[]') WITH =,
        pg_catalog.int8range(product_id, product_id, '[]') WITH =,
        pg_catalog.numrange(min_qty, min_qty, '[]') WITH =,
        pg_catalog.tstzrange(valid_from, valid_to) WITH &&)
);
-- The best break of a product (price_for, create_order): read backwards.
CREATE INDEX price_list_items_break_idx ON ordermgmt.price_list_items (price_list_id, product_id, min_qty);
CREATE INDEX price_list_items_product_idx ON ordermgmt.price_list_items (product_id);
COMMENT ON TABLE ordermgmt.price_list_items IS
    'Prices of a price list per product and quantity break; overlapping validity of one list, product and break is refused';
COMMENT ON COLUMN ordermgmt.price_list_items.min_qty IS
    'Quantity break: the price applies to a line of at least this quantity (the largest break wins)';
COMMENT ON COLUMN ordermgmt.price_list_items.unit_price IS 'Net price per unit, in the list''s currency';
COMMENT ON COLUMN ordermgmt.price_list_items.valid_from IS
    'First moment the item applies (its list must apply too); NULL: since always';
COMMENT ON COLUMN ordermgmt.price_list_items.valid_to IS 'The item applies until before this moment; NULL: for ever';


-- The price each line is checked against (L1_PRICE_DEVIATION), recorded as
-- it is entered so that later changes of a list or of list_price never
-- touch an open order.  Lines entered before are left NULL: they are
-- checked against the product's list_price, as before.
ALTER TABLE ordermgmt.order_lines ADD COLUMN expected_price numeric(18,4);
COMMENT ON COLUMN ordermgmt.order_lines.expected_price IS
    'The price the line would take without unit_price (price_for), recorded at entry (lines written into a draft by hand: as it is submitted); L1_PRICE_DEVIATION compares unit_price with it; NULL for lines entered before 0.6.0 (the product''s list_price then)';

CREATE FUNCTION ordermgmt.price_for(customer text, sku text, qty numeric, at timestamptz DEFAULT now())
    RETURNS numeric
    LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_price_for';
COMMENT ON FUNCTION ordermgmt.price_for(text, text, numeric, timestamptz) IS
    'The unit price a line of qty gets at the given time when it gives none: the best break of the customer''s price list in force (in the list''s currency), else the product''s list_price';

SELECT pg_catalog.pg_extension_config_dump('ordermgmt.price_lists', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.price_lists_price_list_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.price_list_items', '');
COMMENT ON FUNCTION ordermgmt.create_order(text, jsonb, jsonb) IS
    'Creates an order from a JSON array of {sku, qty, unit_price?} (a line without unit_price takes price_for''s price, less discount_pct); options: warehouse, promised_at, external_ref, submit, auto_confirm, currency, discount_pct, valid_until (a draft''s expiry)';
REVOKE ALL ON ordermgmt.price_lists, ordermgmt.price_list_items FROM PUBLIC;
REVOKE ALL ON FUNCTION ordermgmt.price_for(text, text, numeric, timestamptz) FROM PUBLIC;
-- Price lists: master data, written by admins and read by every
-- department; sales asks price_for what a line would cost.
GRANT SELECT ON ordermgmt.price_lists, ordermgmt.price_list_items
   TO ordermgmt_sales, ordermgmt_warehouse, ordermgmt_finance, ordermgmt_service;
GRANT INSERT, UPDATE, DELETE ON ordermgmt.price_lists, ordermgmt.price_list_items TO ordermgmt_admin;
GRANT EXECUTE ON FUNCTION ordermgmt.price_for(text, text, numeric, timestamptz) TO ordermgmt_sales;

--------------------------------------------------------------------------
-- Statements and period close
--------------------------------------------------------------------------
-- Credit notes record the tax rate they charged back; the returns before
-- this version charged the product's rate, which is what they get.
ALTER TABLE ordermgmt.return_lines ADD COLUMN tax_rate numeric(7,6);
UPDATE ordermgmt.return_lines rl SET tax_rate = p.tax_rate
  FROM ordermgmt.order_lines ol JOIN ordermgmt.products p USING (product_id)
 WHERE ol.order_id = rl.order_id AND ol.line_no = rl.line_no;
ALTER TABLE ordermgmt.return_lines ALTER COLUMN tax_rate SET NOT NULL;
COMMENT ON COLUMN ordermgmt.return_lines.tax_rate IS
    'Tax rate the credit note charged back on the credited units (the product''s rate at the return)';

-- Closed periods, one row per close_period; the latest closed_through is in
-- force.  An entry is dated on the UTC day of its posted_at; an entry or a
-- posting dated on or before closed_through is refused (OM008) by the
-- ledger_period_open triggers (src/domain/ledger_close.c).
CREATE TABLE ordermgmt.ledger_closes (
    close_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    closed_through date NOT NULL UNIQUE,
    closed_by      text NOT NULL,
    closed_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ordermgmt.ledger_closes IS
    'Each close_period: the books closed through closed_through (the latest is in force), by whom and when';
COMMENT ON COLUMN ordermgmt.ledger_closes.closed_through IS
    'Last UTC day of the closed period: entries dated on or before it are refused (OM008)';
COMMENT ON COLUMN ordermgmt.ledger_closes.closed_by IS 'Session user who closed the period';
COMMENT ON COLUMN ordermgmt.ledger_closes.closed_at IS 'When the period was closed';

-- The month totals of what is rolled up already.
INSERT INTO ordermgmt.ledger_month_totals (month, account_id, currency, debit, credit)
SELECT date_trunc('month', timezone('UTC', e.posted_at))::date, x.account_id, x.currency,
       sum(x.debit), sum(x.credit)
  FROM ordermgmt.postings x JOIN ordermgmt.journal_entries e USING (entry_id)
 WHERE x.posting_id <= coalesce((SELECT r.upto_posting_id FROM ordermgmt.ledger_rollup r), 0)
 GROUP BY 1, x.account_id, x.currency;
COMMENT ON FUNCTION ordermgmt.rollup_ledger() IS
    'Adds settled postings to ledger_totals and ledger_month_totals; returns how many it added.  The background worker runs it with each monitor tick';

-- The statements, per currency: there are no exchange rates to convert
-- with, so amounts of different currencies are never added together.
-- The profit and loss per UTC month of the entries' dates: the revenue and
-- expense accounts, amount = credit - debit.  ledger_month_totals up to the
-- roll-up's horizon, the postings after it added as they stand.  The tail
-- is walked id by id (generate_series), each posting and its entry read
-- by key: "posting_id > horizon" is estimated at a third of the postings,
-- for which the planner would hash every entry ever posted.
CREATE VIEW ordermgmt.v_profit_and_loss AS
SELECT t.month AS period, a.code AS account_code, a.name AS account_name,
       sum(t.credit) - sum(t.debit) AS amount, t.currency
  FROM (SELECT mt.month, mt.account_id, mt.currency, mt.debit, mt.credit FROM ordermgmt.ledger_month_totals mt
        UNION ALL
        SELECT date_trunc('month', timezone('UTC', e.posted_at))::date, p.account_id, p.currency, p.debit, p.credit
          FROM generate_series(coalesce((SELECT r.upto_posting_id FROM ordermgmt.ledger_rollup r), 0) + 1,
                               (SELECT max(x.posting_id) FROM ordermgmt.postings x)) AS g(id)
          JOIN ordermgmt.postings p ON p.posting_id = g.id
          JOIN ordermgmt.journal_entries e ON e.entry_id = p.entry_id) AS t
  JOIN ordermgmt.accounts a USING (account_id)
 WHERE a.type IN ('revenue', 'expense')
 GROUP BY t.month, a.code, a.name, t.currency
 ORDER BY t.month, a.code, t.currency;
COMMENT ON VIEW ordermgmt.v_profit_and_loss IS
    'Revenue and expense accounts per UTC month of the entries'' dates and currency; amount = credit - debit, so revenue is positive, expenses negative, and a month''s amounts sum to its result';
COMMENT ON COLUMN ordermgmt.v_profit_and_loss.period IS 'First day of the UTC month the entries are dated in';
COMMENT ON COLUMN ordermgmt.v_profit_and_loss.account_code IS 'Account code in the chart of accounts';
COMMENT ON COLUMN ordermgmt.v_profit_and_loss.account_name IS 'Account name';
COMMENT ON COLUMN ordermgmt.v_profit_and_loss.amount IS
    'Credits - debits of the month: revenue positive, expenses negative, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_profit_and_loss.currency IS
    'Currency of the postings (converted to the company currency once exchange rates exist)';

-- The balance sheet: asset, liability and equity accounts with their
-- balances to date, assets as debit - credit, liabilities and equity as
-- credit - debit, plus one equity row without account code: the result to
-- date (revenue - expenses, not yet closed into an equity account).  So the
-- assets of a currency equal its liabilities and equity.
CREATE VIEW ordermgmt.v_balance_sheet AS
SELECT b.account_type, b.account_code, b.account_name, b.balance, b.currency
  FROM (SELECT t.account_type, t.account_code, t.account_name,
               CASE WHEN t.account_type = 'asset' THEN t.balance ELSE -t.balance END AS balance, t.currency
          FROM ordermgmt.v_trial_balance t
         WHERE t.account_type IN ('asset', 'liability', 'equity')
        UNION ALL
        SELECT 'equity', NULL, 'Result to date', -sum(t.balance), t.currency
          FROM ordermgmt.v_trial_balance t
         WHERE t.account_type IN ('revenue', 'expense')
         GROUP BY t.currency) AS b
 ORDER BY array_position(ARRAY['asset', 'liability', 'equity'], b.account_type), b.account_code NULLS LAST,
          b.currency;
COMMENT ON VIEW ordermgmt.v_balance_sheet IS
    'Asset, liability and equity balances to date per currency, with the result to date as an equity row: assets = liabilities + equity';
COMMENT ON COLUMN ordermgmt.v_balance_sheet.account_type IS 'asset, liability or equity';
COMMENT ON COLUMN ordermgmt.v_balance_sheet.account_code IS
    'Account code in the chart of accounts; NULL on the result-to-date row';
COMMENT ON COLUMN ordermgmt.v_balance_sheet.account_name IS 'Account name, or ''Result to date''';
COMMENT ON COLUMN ordermgmt.v_balance_sheet.balance IS
    'Assets debit - credit, liabilities and equity credit - debit, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_balance_sheet.currency IS
    'Currency of the postings (converted to the company currency once exchange rates exist)';

-- Sales tax per UTC month, currency and rate: what the invoices charged
-- (invoice_lines, by issue date) less what the credit notes gave back
-- (return_lines' credited units at the order line's price, by return
-- date), each line rounded as the invoice or credit note rounded it.
CREATE VIEW ordermgmt.v_tax_report AS
SELECT x.period, x.currency, x.tax_rate,
       sum(x.invoiced_net) AS invoiced_net, sum(x.invoiced_tax) AS invoiced_tax,
       sum(x.credited_net) AS credited_net, sum(x.credited_tax) AS credited_tax,
       sum(x.invoiced_net) - sum(x.credited_net) AS net, sum(x.invoiced_tax) - sum(x.credited_tax) AS tax
  FROM (SELECT date_trunc('month', timezone('UTC', i.issued_at))::date AS period, i.currency, l.tax_rate,
               l.net AS invoiced_net, l.tax AS invoiced_tax, 0 AS credited_net, 0 AS credited_tax
          FROM ordermgmt.invoices i JOIN ordermgmt.invoice_lines l USING (invoice_id)
        UNION ALL
        SELECT date_trunc('month', timezone('UTC', r.returned_at))::date, o.currency, rl.tax_rate, 0, 0,
               round(rl.credited_qty * ol.unit_price, 2),
               round(round(rl.credited_qty * ol.unit_price, 2) * rl.tax_rate, 2)
          FROM ordermgmt.returns r JOIN ordermgmt.return_lines rl USING (return_id)
          JOIN ordermgmt.order_lines ol ON ol.order_id = rl.order_id AND ol.line_no = rl.line_no
          JOIN ordermgmt.orders o ON o.order_id = r.order_id
         WHERE rl.credited_qty > 0) AS x
 GROUP BY x.period, x.currency, x.tax_rate
 ORDER BY x.period, x.currency, x.tax_rate;
COMMENT ON VIEW ordermgmt.v_tax_report IS
    'Sales tax per UTC month, currency and tax rate: invoiced less credited; tax is what the month owes';
COMMENT ON COLUMN ordermgmt.v_tax_report.period IS 'First day of the UTC month of issue (invoices) or return (credit notes)';
COMMENT ON COLUMN ordermgmt.v_tax_report.currency IS 'Currency of the invoices and credit notes';
COMMENT ON COLUMN ordermgmt.v_tax_report.tax_rate IS 'Tax rate as a fraction (0.2 = 20%), the same in every currency';
COMMENT ON COLUMN ordermgmt.v_tax_report.invoiced_net IS 'Net of the invoice lines at this rate, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_tax_report.invoiced_tax IS 'Tax of the invoice lines at this rate, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_tax_report.credited_net IS 'Net of the credit notes'' lines at this rate, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_tax_report.credited_tax IS 'Tax of the credit notes'' lines at this rate, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_tax_report.net IS 'invoiced_net - credited_net, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_tax_report.tax IS 'invoiced_tax - credited_tax: the tax the month owes at this rate, in the row''s currency';

CREATE FUNCTION ordermgmt.close_period(through date) RETURNS date
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_close_period';
COMMENT ON FUNCTION ordermgmt.close_period(date) IS
    'Closes the books through a past UTC day: entries and postings dated on or before it are refused from then on (OM008); never moves back; returns the date';

CREATE FUNCTION ordermgmt.ledger_period_open() RETURNS trigger
    LANGUAGE C SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_ledger_period_open';
COMMENT ON FUNCTION ordermgmt.ledger_period_open() IS
    'Nothing is posted into a closed period: an entry dated on or before the latest close, or a posting to one, is refused (OM008)';
CREATE TRIGGER journal_entries_period_open BEFORE INSERT ON ordermgmt.journal_entries
    FOR EACH ROW EXECUTE FUNCTION ordermgmt.ledger_period_open();
CREATE TRIGGER postings_period_open BEFORE INSERT ON ordermgmt.postings
    FOR EACH ROW EXECUTE FUNCTION ordermgmt.ledger_period_open();

SELECT pg_catalog.pg_extension_config_dump('ordermgmt.ledger_month_totals', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.ledger_closes', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.ledger_closes_close_id_seq', '');
REVOKE ALL ON ordermgmt.ledger_month_totals, ordermgmt.ledger_closes, ordermgmt.v_profit_and_loss,
              ordermgmt.v_balance_sheet, ordermgmt.v_tax_report FROM PUBLIC;
REVOKE ALL ON FUNCTION ordermgmt.close_period(date), ordermgmt.ledger_period_open() FROM PUBLIC;
-- Statements and period close: the statements are the readers', every
-- department reads the month totals and the closes, finance closes the
-- books.
GRANT SELECT ON ordermgmt.v_profit_and_loss, ordermgmt.v_balance_sheet, ordermgmt.v_tax_report
   TO ordermgmt_reader;
GRANT SELECT ON ordermgmt.ledger_month_totals, ordermgmt.ledger_closes
   TO ordermgmt_sales, ordermgmt_warehouse, ordermgmt_finance, ordermgmt_service;
GRANT EXECUTE ON FUNCTION ordermgmt.close_period(date) TO ordermgmt_finance;

--------------------------------------------------------------------------
-- Currencies: exchange rates to the company currency, company amounts on
-- every posting, invoices carried at their issue date's rate, exchange
-- differences, stock valued and statements drawn in the company currency,
-- credit limits converted
--------------------------------------------------------------------------
ALTER TABLE ordermgmt.customers ADD COLUMN credit_currency char(3) CHECK (credit_currency ~ '^[A-Z]{3}$');
COMMENT ON COLUMN ordermgmt.customers.credit_limit IS
    'Maximum open receivables plus open order value (customer_exposure) of every currency, converted with the rates in force into credit_currency; NULL means no limit';
COMMENT ON COLUMN ordermgmt.customers.credit_currency IS
    'Currency of credit_limit; NULL: the company currency (setting company_currency)';

ALTER TABLE ordermgmt.settings DROP CONSTRAINT settings_key_check;
ALTER TABLE ordermgmt.settings ADD CONSTRAINT settings_key_check
    CHECK (key IN ('default_warehouse', 'auto_confirm', 'currency', 'event_retention',
                   'max_text_length', 'max_cost_factor', 'company_currency'));
ALTER TABLE ordermgmt.settings ADD CONSTRAINT settings_company_currency_check
    CHECK (key <> 'company_currency' OR value ~ '^[A-Z]{3}$');
CREATE OR REPLACE VIEW ordermgmt.v_settings AS
SELECT d.key, coalesce(s.value, d.default_value) AS value, d.default_value, d.description
  FROM (VALUES
        ('default_warehouse', NULL, 'Warehouse code used when an order names none (NULL: the only warehouse)'),
        ('auto_confirm', 'true', 'Submitted orders run their level-1 confirmation at once'),
        ('currency', 'EUR', 'Currency of new orders unless options.currency says otherwise'),
        ('event_retention', '30 days', 'How long events and resolved alerts are kept by purge_history'),
        ('max_text_length', '4096', 'Longest free text (reasons, notes, subjects, memos, carrier, tracking) in characters'),
        ('max_cost_factor', '10', 'A receipt''s unit_cost stays within this factor of the product''s cost unless an admin receives it'),
        ('company_currency', 'EUR', 'Currency of the books: every posting''s company amount, the statements, stock values and credit limits; set it before the first posting'))
       AS d(key, default_value, description)
  LEFT JOIN ordermgmt.settings s USING (key);
COMMENT ON VIEW ordermgmt.v_settings IS
    'Effective configuration: the override from settings, else the built-in default; one row per known key';
COMMENT ON COLUMN ordermgmt.v_settings.key IS 'Setting name';
COMMENT ON COLUMN ordermgmt.v_settings.value IS
    'Value in force: the settings row if there is one, else default_value (NULL for an unset default_warehouse: the only warehouse is used)';
COMMENT ON COLUMN ordermgmt.v_settings.default_value IS
    'Built-in default, used while settings has no row for the key';
COMMENT ON COLUMN ordermgmt.v_settings.description IS 'What the setting controls';

-- Invoices issued before exchange rates existed are carried at 1.
ALTER TABLE ordermgmt.invoices ADD COLUMN company_rate numeric(18,10) NOT NULL DEFAULT 1 CHECK (company_rate > 0);
ALTER TABLE ordermgmt.invoices ALTER COLUMN company_rate DROP DEFAULT;
COMMENT ON COLUMN ordermgmt.invoices.company_rate IS
    'Exchange rate of the invoice''s currency on its issue date (1 in the company currency): its receivable is carried, and cleared by payments and credit notes, at this rate';

INSERT INTO ordermgmt.accounts (code, name, type, builtin) VALUES
    ('1900', 'Currency exchange', 'asset', true),
    ('7900', 'Exchange differences', 'expense', true);
INSERT INTO ordermgmt.posting_accounts (event, role, account_id, builtin)
SELECT m.event, m.role, a.account_id, true
  FROM (VALUES ('payment', 'exchange', '7900'), ('payment', 'conversion', '1900'),
               ('return', 'exchange', '7900')) AS m(event, role, code)
  JOIN ordermgmt.accounts a ON a.code = m.code;

-- Postings made before exchange rates existed keep their amounts as their
-- company amounts: the books were kept in one currency.  The rewrite by
-- ALTER COLUMN TYPE fills them without an UPDATE, which the ledger's
-- immutability trigger would refuse.
ALTER TABLE ordermgmt.postings ADD COLUMN company_debit numeric(18,2), ADD COLUMN company_credit numeric(18,2);
ALTER TABLE ordermgmt.postings
    ALTER COLUMN company_debit TYPE numeric(18,2) USING debit,
    ALTER COLUMN company_credit TYPE numeric(18,2) USING credit;
ALTER TABLE ordermgmt.postings
    ALTER COLUMN company_debit SET NOT NULL,
    ALTER COLUMN company_credit SET NOT NULL,
    ADD CONSTRAINT postings_company_debit_check CHECK (company_debit >= 0),
    ADD CONSTRAINT postings_company_credit_check CHECK (company_credit >= 0),
    DROP CONSTRAINT postings_check,
    ADD CONSTRAINT postings_check CHECK ((debit > 0) <> (credit > 0)
                                         OR (debit = 0 AND credit = 0 AND (company_debit > 0) <> (company_credit > 0)));
COMMENT ON TABLE ordermgmt.postings IS
    'Journal lines; at commit each entry balances per currency and in the company currency';
COMMENT ON COLUMN ordermgmt.postings.company_debit IS
    'The debit in the company currency: at the rate of the entry''s date unless the posting fixes it (a receivable cleared at its invoice''s rate); filled in by the trigger postings_company_amounts when left out';
COMMENT ON COLUMN ordermgmt.postings.company_credit IS
    'The credit in the company currency, as company_debit';

ALTER TABLE ordermgmt.ledger_totals
    ADD COLUMN company_debit numeric NOT NULL DEFAULT 0, ADD COLUMN company_credit numeric NOT NULL DEFAULT 0;
UPDATE ordermgmt.ledger_totals SET company_debit = debit, company_credit = credit;
ALTER TABLE ordermgmt.ledger_month_totals
    ADD COLUMN company_debit numeric NOT NULL DEFAULT 0, ADD COLUMN company_credit numeric NOT NULL DEFAULT 0;
UPDATE ordermgmt.ledger_month_totals SET company_debit = debit, company_credit = credit;

-- Exchange rates to the company currency (setting company_currency).  The
-- rate in force on a day is the row with the latest valid_from on or
-- before it.  Postings take the rate of their entry's date; the credit
-- check converts with today's.  A row for the company currency itself is
-- refused: its rate is 1.
CREATE TABLE ordermgmt.exchange_rates (
    currency   char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    valid_from date NOT NULL,
    rate       numeric(18,10) NOT NULL CHECK (rate > 0),
    PRIMARY KEY (currency, valid_from)
);
COMMENT ON TABLE ordermgmt.exchange_rates IS
    'Exchange rates to the company currency; a rate is in force from valid_from (a UTC day) until the currency''s next row';
COMMENT ON COLUMN ordermgmt.exchange_rates.currency IS 'ISO 4217 code of the foreign currency';
COMMENT ON COLUMN ordermgmt.exchange_rates.valid_from IS 'First UTC day the rate is in force';
COMMENT ON COLUMN ordermgmt.exchange_rates.rate IS 'Units of the company currency for one unit of currency';

-- A posting written without its company amounts (plain SQL) gets them at
-- the rate of its entry's date; the API writes them itself.
CREATE FUNCTION ordermgmt.postings_company_amounts() RETURNS trigger
    LANGUAGE C SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_postings_company_amounts';
COMMENT ON FUNCTION ordermgmt.postings_company_amounts() IS
    'Fills in a posting''s company_debit and company_credit, left out, at the exchange rate of its entry''s date';
CREATE TRIGGER postings_company_amounts BEFORE INSERT ON ordermgmt.postings
    FOR EACH ROW EXECUTE FUNCTION ordermgmt.postings_company_amounts();

-- No rate for the company currency: its rate is 1 by definition.
CREATE FUNCTION ordermgmt.exchange_rates_check() RETURNS trigger
    LANGUAGE C SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_exchange_rates_check';
COMMENT ON FUNCTION ordermgmt.exchange_rates_check() IS 'Refuses an exchange rate for the company currency (22023)';
CREATE TRIGGER exchange_rates_check BEFORE INSERT OR UPDATE ON ordermgmt.exchange_rates
    FOR EACH ROW EXECUTE FUNCTION ordermgmt.exchange_rates_check();

-- ledger_totals holds the sums up to ledger_rollup.upto_posting_id; the
-- postings after it are added as they stand, so the view is exact whether
-- or not the roll-up ran.
CREATE OR REPLACE VIEW ordermgmt.v_trial_balance AS
SELECT a.code AS account_code, a.name AS account_name, a.type AS account_type, t.currency,
       sum(t.debit) AS debit, sum(t.credit) AS credit, sum(t.debit) - sum(t.credit) AS balance,
       sum(t.company_debit) AS company_debit, sum(t.company_credit) AS company_credit,
       sum(t.company_debit) - sum(t.company_credit) AS company_balance
  FROM (SELECT lt.account_id, lt.currency, lt.debit, lt.credit, lt.company_debit, lt.company_credit
          FROM ordermgmt.ledger_totals lt
        UNION ALL
        SELECT p.account_id, p.currency, p.debit, p.credit, p.company_debit, p.company_credit
          FROM ordermgmt.postings p
         WHERE p.posting_id > coalesce((SELECT r.upto_posting_id FROM ordermgmt.ledger_rollup r), 0)) AS t
  JOIN ordermgmt.accounts a USING (account_id)
 GROUP BY a.code, a.name, a.type, t.currency
 ORDER BY a.code, t.currency;
COMMENT ON VIEW ordermgmt.v_trial_balance IS
    'Debits, credits and balance per account and currency (accounts with postings only), with their company-currency amounts; the balances of a currency sum to zero, and so do all the company balances';
COMMENT ON COLUMN ordermgmt.v_trial_balance.account_code IS 'Account code in the chart of accounts';
COMMENT ON COLUMN ordermgmt.v_trial_balance.account_name IS 'Account name';
COMMENT ON COLUMN ordermgmt.v_trial_balance.account_type IS 'asset, liability, equity, revenue or expense';
COMMENT ON COLUMN ordermgmt.v_trial_balance.currency IS 'Currency of the postings';
COMMENT ON COLUMN ordermgmt.v_trial_balance.debit IS
    'Sum of the debits posted to the account in the currency';
COMMENT ON COLUMN ordermgmt.v_trial_balance.credit IS
    'Sum of the credits posted to the account in the currency';
COMMENT ON COLUMN ordermgmt.v_trial_balance.balance IS
    'debit - credit, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_trial_balance.company_debit IS
    'The same debits in the company currency, as posted (postings.company_debit)';
COMMENT ON COLUMN ordermgmt.v_trial_balance.company_credit IS
    'The same credits in the company currency, as posted (postings.company_credit)';
COMMENT ON COLUMN ordermgmt.v_trial_balance.company_balance IS
    'company_debit - company_credit, in the company currency';

-- The statements are in the company currency: the postings' company
-- amounts, converted as they were posted, never amounts of different
-- currencies added as they stand.
-- The profit and loss per UTC month of the entries' dates: the revenue and
-- expense accounts, amount = credit - debit.  ledger_month_totals up to the
-- roll-up's horizon, the postings after it added as they stand.  The tail
-- is walked id by id (generate_series), each posting and its entry read
-- by key: "posting_id > horizon" is estimated at a third of the postings,
-- for which the planner would hash every entry ever posted.
CREATE OR REPLACE VIEW ordermgmt.v_profit_and_loss AS
SELECT t.month AS period, a.code AS account_code, a.name AS account_name,
       sum(t.company_credit) - sum(t.company_debit) AS amount,
       (SELECT v.value FROM ordermgmt.v_settings v WHERE v.key = 'company_currency')::char(3) AS currency
  FROM (SELECT mt.month, mt.account_id, mt.company_debit, mt.company_credit FROM ordermgmt.ledger_month_totals mt
        UNION ALL
        SELECT date_trunc('month', timezone('UTC', e.posted_at))::date, p.account_id, p.company_debit, p.company_credit
          FROM generate_series(coalesce((SELECT r.upto_posting_id FROM ordermgmt.ledger_rollup r), 0) + 1,
                               (SELECT max(x.posting_id) FROM ordermgmt.postings x)) AS g(id)
          JOIN ordermgmt.postings p ON p.posting_id = g.id
          JOIN ordermgmt.journal_entries e ON e.entry_id = p.entry_id) AS t
  JOIN ordermgmt.accounts a USING (account_id)
 WHERE a.type IN ('revenue', 'expense')
 GROUP BY t.month, a.code, a.name
 ORDER BY t.month, a.code;
COMMENT ON VIEW ordermgmt.v_profit_and_loss IS
    'Revenue and expense accounts per UTC month of the entries'' dates, in the company currency; amount = credit - debit, so revenue is positive, expenses negative, and a month''s amounts sum to its result';
COMMENT ON COLUMN ordermgmt.v_profit_and_loss.period IS 'First day of the UTC month the entries are dated in';
COMMENT ON COLUMN ordermgmt.v_profit_and_loss.account_code IS 'Account code in the chart of accounts';
COMMENT ON COLUMN ordermgmt.v_profit_and_loss.account_name IS 'Account name';
COMMENT ON COLUMN ordermgmt.v_profit_and_loss.amount IS
    'Credits - debits of the month in the company currency (the postings'' company amounts): revenue positive, expenses negative';
COMMENT ON COLUMN ordermgmt.v_profit_and_loss.currency IS
    'The company currency (setting company_currency)';

-- The balance sheet: asset, liability and equity accounts with their
-- balances to date, assets as debit - credit, liabilities and equity as
-- credit - debit, plus one equity row without account code: the result to
-- date (revenue - expenses, not yet closed into an equity account).  So the
-- assets equal the liabilities and equity.  In the company currency.
CREATE OR REPLACE VIEW ordermgmt.v_balance_sheet AS
SELECT b.account_type, b.account_code, b.account_name, b.balance,
       (SELECT v.value FROM ordermgmt.v_settings v WHERE v.key = 'company_currency')::char(3) AS currency
  FROM (SELECT t.account_type, t.account_code, t.account_name,
               sum(CASE WHEN t.account_type = 'asset' THEN t.company_balance ELSE -t.company_balance END) AS balance
          FROM ordermgmt.v_trial_balance t
         WHERE t.account_type IN ('asset', 'liability', 'equity')
         GROUP BY t.account_type, t.account_code, t.account_name
        UNION ALL
        SELECT 'equity', NULL, 'Result to date', -sum(t.company_balance)
          FROM ordermgmt.v_trial_balance t
         WHERE t.account_type IN ('revenue', 'expense')
        HAVING count(*) > 0) AS b
 ORDER BY array_position(ARRAY['asset', 'liability', 'equity'], b.account_type), b.account_code NULLS LAST;
COMMENT ON VIEW ordermgmt.v_balance_sheet IS
    'Asset, liability and equity balances to date in the company currency, with the result to date as an equity row: assets = liabilities + equity';
COMMENT ON COLUMN ordermgmt.v_balance_sheet.account_type IS 'asset, liability or equity';
COMMENT ON COLUMN ordermgmt.v_balance_sheet.account_code IS
    'Account code in the chart of accounts; NULL on the result-to-date row';
COMMENT ON COLUMN ordermgmt.v_balance_sheet.account_name IS 'Account name, or ''Result to date''';
COMMENT ON COLUMN ordermgmt.v_balance_sheet.balance IS
    'Assets debit - credit, liabilities and equity credit - debit, in the company currency (the postings'' company amounts)';
COMMENT ON COLUMN ordermgmt.v_balance_sheet.currency IS
    'The company currency (setting company_currency)';

COMMENT ON FUNCTION ordermgmt.post_entry(text, jsonb) IS
    'A manual journal entry of [{account, debit?, credit?, currency?}] (currency: the company currency); must balance per currency (OM003); its company amounts are at today''s rates';

SELECT pg_catalog.pg_extension_config_dump('ordermgmt.exchange_rates', '');
REVOKE ALL ON ordermgmt.exchange_rates FROM PUBLIC;
REVOKE ALL ON FUNCTION ordermgmt.postings_company_amounts(), ordermgmt.exchange_rates_check() FROM PUBLIC;
-- Exchange rates: configuration, kept by admins, read by every department.
GRANT SELECT ON ordermgmt.exchange_rates
   TO ordermgmt_sales, ordermgmt_warehouse, ordermgmt_finance, ordermgmt_service;
GRANT INSERT, UPDATE, DELETE ON ordermgmt.exchange_rates TO ordermgmt_admin;

--------------------------------------------------------------------------
-- Partial allocation and backorders: orders.allocation (customers'
-- default), what each line holds and waits for, L2_BACKORDER_AGED
--------------------------------------------------------------------------
ALTER TABLE ordermgmt.customers ADD COLUMN allocation text CHECK (allocation IN ('complete', 'partial'));
COMMENT ON COLUMN ordermgmt.customers.allocation IS
    'The customer''s default allocation of new orders (create_order option allocation): complete or partial; NULL: complete';
ALTER TABLE ordermgmt.orders
    ADD COLUMN allocation text NOT NULL DEFAULT 'complete' CHECK (allocation IN ('complete', 'partial'));
COMMENT ON COLUMN ordermgmt.orders.allocation IS
    'complete: confirmation reserves every line or holds the order (L1_STOCK_SHORTAGE); partial: it reserves what is available and backorders the rest, filled first-in first-out as stock arrives';
-- The lines' reservations become their reserved_qty; nothing waits yet.
ALTER TABLE ordermgmt.order_lines
    ADD COLUMN reserved_qty numeric(18,4) NOT NULL DEFAULT 0 CHECK (reserved_qty >= 0),
    ADD COLUMN backordered_qty numeric(18,4) NOT NULL DEFAULT 0 CHECK (backordered_qty >= 0);
ALTER TABLE ordermgmt.order_lines DISABLE TRIGGER USER;
UPDATE ordermgmt.order_lines l SET reserved_qty = r.qty
  FROM ordermgmt.reservations r WHERE r.order_id = l.order_id AND r.line_no = l.line_no AND r.qty <> 0;
ALTER TABLE ordermgmt.order_lines ENABLE TRIGGER USER;
ALTER TABLE ordermgmt.order_lines
    ADD CONSTRAINT order_lines_allocation_check CHECK (reserved_qty + backordered_qty <= qty - shipped_qty);
CREATE INDEX order_lines_backordered_idx ON ordermgmt.order_lines (product_id, order_id)
    WHERE backordered_qty > 0;
COMMENT ON COLUMN ordermgmt.order_lines.reserved_qty IS
    'What the line holds in its order''s warehouse (its reservation), maintained by confirmation, shipping, backorder fills and cancellation';
COMMENT ON COLUMN ordermgmt.order_lines.backordered_qty IS
    'What the line still waits for (allocation partial): filled first-in first-out, by promised_at then order id, as stock arrives';

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
         WHEN rule_code OPERATOR(pg_catalog.=) 'L2_BACKORDER_AGED'
           THEN (thresholds OPERATOR(pg_catalog.->>) 'age')::pg_catalog.interval
         WHEN rule_code OPERATOR(pg_catalog.=) 'L3_DELIVERY_LATE'
           THEN coalesce((thresholds OPERATOR(pg_catalog.->>) 'grace')::pg_catalog.interval, '0')
         WHEN rule_code OPERATOR(pg_catalog.=) 'L3_PAYMENT_OVERDUE'
           THEN coalesce((thresholds OPERATOR(pg_catalog.->>) 'grace')::pg_catalog.interval, '0')
         WHEN rule_code OPERATOR(pg_catalog.=) 'L3_TICKET_OVERDUE'
           THEN (thresholds OPERATOR(pg_catalog.->>) coalesce(variant, 'normal'))::pg_catalog.interval
       END
$$;

CREATE OR REPLACE FUNCTION ordermgmt.rule_thresholds_valid(rule_code text, thresholds jsonb)
    RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
    AS $$
SELECT coalesce(CASE
         WHEN rule_code = 'L3_TICKET_OVERDUE' THEN
              (SELECT pg_catalog.bool_and(coalesce(ordermgmt.rule_delay(rule_code, thresholds, p) OPERATOR(pg_catalog.>=) '0'::pg_catalog.interval, false))
                 FROM pg_catalog.unnest(ARRAY['low', 'normal', 'high', 'urgent']) AS p)
         WHEN rule_code IN ('L1_CONFIRMATION_OVERDUE', 'L2_PROCESSING_OVERDUE', 'L2_STALLED',
                            'L3_DELIVERY_LATE', 'L3_PAYMENT_OVERDUE', 'L2_BACKORDER_AGED') THEN
              ordermgmt.rule_delay(rule_code, thresholds) OPERATOR(pg_catalog.>=) '0'::pg_catalog.interval
         WHEN rule_code = 'L1_PRICE_DEVIATION' THEN
              (thresholds ->> 'tolerance')::pg_catalog.numeric OPERATOR(pg_catalog.>=) 0
         WHEN rule_code = 'L3_NEGATIVE_FEEDBACK' THEN
              (thresholds ->> 'max_rating')::pg_catalog.int4 BETWEEN 0 AND 5
         ELSE true
       END, false)
$$;

INSERT INTO ordermgmt.monitor_rules (rule_code, level, severity, thresholds, description, builtin) VALUES
    ('L2_BACKORDER_AGED',       2, 'warning',  '{"age": "7 days"}', 'An order has waited for backordered stock longer than age', true);

--------------------------------------------------------------------------
-- Quotations that expire
--------------------------------------------------------------------------
-- A quotation's validity: a draft entered with create_order's option
-- valid_until is cancelled as 'expired' by monitor_tick once it has passed
-- (a QUOTATION_EXPIRY row of deadlines, src/domain/quotation_expiry.c).
ALTER TABLE ordermgmt.orders ADD COLUMN valid_until timestamptz;
COMMENT ON COLUMN ordermgmt.orders.valid_until IS
    'A quotation''s validity (create_order option valid_until, drafts only): a draft not submitted by then is cancelled with cancel_reason ''expired'' by monitor_tick';

--------------------------------------------------------------------------
-- Customer payments: the ledger's part
--------------------------------------------------------------------------
-- Unapplied receipts are a liability to the customer until allocated or
-- refunded; receipts and refunds post as customer_payment entries.
INSERT INTO ordermgmt.accounts (code, name, type, builtin)
VALUES ('2300', 'Customer credit (unapplied receipts)', 'liability', true);
ALTER TABLE ordermgmt.posting_accounts DROP CONSTRAINT posting_accounts_event_check;
ALTER TABLE ordermgmt.posting_accounts ADD CONSTRAINT posting_accounts_event_check
    CHECK (event IN ('receipt', 'shipment', 'invoice', 'payment', 'return', 'count',
                     'customer_payment', 'credit_refund'));
INSERT INTO ordermgmt.posting_accounts (event, role, account_id, builtin)
SELECT m.event, m.role, a.account_id, true
  FROM (VALUES ('payment', 'customer_credit', '2300'),
               ('customer_payment', 'cash', '1000'),
               ('customer_payment', 'customer_credit', '2300'),
               ('credit_refund', 'customer_credit', '2300'),
               ('credit_refund', 'cash', '1000')) AS m(event, role, code)
  JOIN ordermgmt.accounts a ON a.code = m.code;
ALTER TABLE ordermgmt.journal_entries DROP CONSTRAINT journal_entries_source_type_check;
ALTER TABLE ordermgmt.journal_entries ADD CONSTRAINT journal_entries_source_type_check
    CHECK (source_type IN ('receipt', 'shipment', 'invoice', 'payment', 'return', 'manual', 'reversal', 'count',
                           'customer_payment'));

--------------------------------------------------------------------------
-- Customer payments: one receipt for several invoices, unapplied credit
--------------------------------------------------------------------------
-- A receipt (record_customer_payment) or a refund of credit
-- (refund_credit) of a customer, in one currency; reference is unique per
-- customer, so that a retry returns the first row (src/domain/
-- customer_payments.c).  A receipt posts cash against customer credit
-- (account 2300); each of its allocations is a payments row that moves
-- customer credit to the invoice's receivable, as record_payment moves
-- cash; what is not allocated stays in customer_credit.
CREATE TABLE ordermgmt.customer_payments (
    customer_payment_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id         bigint NOT NULL REFERENCES ordermgmt.customers,
    kind                text NOT NULL CHECK (kind IN ('receipt', 'refund')),
    amount              numeric(18,2) NOT NULL CHECK (amount > 0),
    currency            char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    method              text NOT NULL,
    reference           text NOT NULL CHECK (reference <> ''),
    allocations         jsonb,
    received_at         timestamptz NOT NULL DEFAULT now(),
    recorded_by         text NOT NULL,
    UNIQUE (customer_id, reference)
);
COMMENT ON TABLE ordermgmt.customer_payments IS
    'Money received from (receipt) or paid back to (refund) a customer, in one currency; receipts are allocated to invoices in payment_allocations, the rest kept in customer_credit';
COMMENT ON COLUMN ordermgmt.customer_payments.customer_payment_id IS 'The receipt''s or refund''s id (journal_entries.source_id of source_type customer_payment)';
COMMENT ON COLUMN ordermgmt.customer_payments.customer_id IS 'The customer who paid, or was paid back';
COMMENT ON COLUMN ordermgmt.customer_payments.kind IS 'receipt (record_customer_payment) or refund (refund_credit)';
COMMENT ON COLUMN ordermgmt.customer_payments.amount IS 'The whole amount received or paid back';
COMMENT ON COLUMN ordermgmt.customer_payments.currency IS 'Currency of the amount; a receipt pays only invoices in it';
COMMENT ON COLUMN ordermgmt.customer_payments.method IS 'How the money came (bank, card, ...); refund for a refund';
COMMENT ON COLUMN ordermgmt.customer_payments.reference IS
    'The caller''s reference, unique per customer: the same reference with the same arguments returns this row, with others it is refused';
COMMENT ON COLUMN ordermgmt.customer_payments.allocations IS
    'The allocations the receipt asked for, as given ([{invoice_id, amount}]); NULL: oldest due first (and for refunds)';
COMMENT ON COLUMN ordermgmt.customer_payments.received_at IS 'When it was recorded';
COMMENT ON COLUMN ordermgmt.customer_payments.recorded_by IS 'The session user who recorded it';

-- Each allocation of a customer's money to an invoice: the payments row it
-- made (so everything that reads payments sees it), from a receipt or from
-- unapplied credit (apply_credit).
CREATE TABLE ordermgmt.payment_allocations (
    payment_id          bigint PRIMARY KEY REFERENCES ordermgmt.payments,
    customer_payment_id bigint REFERENCES ordermgmt.customer_payments,
    invoice_id          bigint NOT NULL REFERENCES ordermgmt.invoices,
    customer_id         bigint NOT NULL REFERENCES ordermgmt.customers,
    currency            char(3) NOT NULL,
    amount              numeric(18,2) NOT NULL CHECK (amount > 0),
    kind                text NOT NULL CHECK (kind IN ('receipt', 'credit')),
    source_currency     char(3) NOT NULL,
    source_amount       numeric(18,2) NOT NULL CHECK (source_amount > 0),
    CHECK ((kind = 'receipt') = (customer_payment_id IS NOT NULL))
);
CREATE INDEX payment_allocations_receipt_idx ON ordermgmt.payment_allocations (customer_payment_id);
CREATE INDEX payment_allocations_customer_idx ON ordermgmt.payment_allocations (customer_id, currency);
COMMENT ON TABLE ordermgmt.payment_allocations IS
    'What a customer''s receipt or unapplied credit paid on each invoice; each allocation is the payments row payment_id';
COMMENT ON COLUMN ordermgmt.payment_allocations.payment_id IS 'The payments row of the allocation (debiting customer credit)';
COMMENT ON COLUMN ordermgmt.payment_allocations.customer_payment_id IS 'The receipt allocated; NULL for credit applied by apply_credit';
COMMENT ON COLUMN ordermgmt.payment_allocations.invoice_id IS 'The invoice paid';
COMMENT ON COLUMN ordermgmt.payment_allocations.customer_id IS 'The customer, the invoice''s and the receipt''s';
COMMENT ON COLUMN ordermgmt.payment_allocations.currency IS 'The invoice''s currency';
COMMENT ON COLUMN ordermgmt.payment_allocations.amount IS 'What the allocation paid (the payments row''s amount)';
COMMENT ON COLUMN ordermgmt.payment_allocations.kind IS 'receipt (record_customer_payment) or credit (apply_credit)';
COMMENT ON COLUMN ordermgmt.payment_allocations.source_currency IS
    'The currency of the receipt or credit the allocation took from (another than the invoice''s: converted at the day''s rate)';
COMMENT ON COLUMN ordermgmt.payment_allocations.source_amount IS
    'What the allocation took from the receipt or credit, in source_currency (amount when the currencies are the same)';

-- The unapplied credit of each customer per currency, kept by the C code
-- under the customer's row lock: one row to read and change per call.
-- Dumped with its rows, like customer_exposure.
CREATE TABLE ordermgmt.customer_credit (
    customer_id bigint NOT NULL REFERENCES ordermgmt.customers,
    currency    char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    unapplied   numeric(18,2) NOT NULL DEFAULT 0 CHECK (unapplied >= 0),
    PRIMARY KEY (customer_id, currency)
);
COMMENT ON TABLE ordermgmt.customer_credit IS
    'Unapplied credit per customer and currency: receipts less their allocations, apply_credit and refund_credit';
COMMENT ON COLUMN ordermgmt.customer_credit.customer_id IS 'The customer';
COMMENT ON COLUMN ordermgmt.customer_credit.currency IS 'Currency of the credit';
COMMENT ON COLUMN ordermgmt.customer_credit.unapplied IS
    'Received and not yet allocated to an invoice nor refunded (the balance of account 2300 for this customer and currency)';

CREATE FUNCTION ordermgmt.record_customer_payment(customer text, amount numeric, currency text, method text,
                                                    reference text, allocations jsonb DEFAULT NULL)
    RETURNS bigint
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_record_customer_payment';
COMMENT ON FUNCTION ordermgmt.record_customer_payment(text, numeric, text, text, text, jsonb) IS
    'Records one receipt of a customer and allocates it to its invoices ([{invoice_id, amount}], NULL: oldest due first); the rest stays as unapplied credit; over-allocation is refused (OM006); the same reference with the same arguments returns the first receipt';

CREATE FUNCTION ordermgmt.apply_credit(customer text, invoice_id bigint, amount numeric)
    RETURNS bigint
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_apply_credit';
COMMENT ON FUNCTION ordermgmt.apply_credit(text, bigint, numeric) IS
    'Pays an invoice of the customer from its unapplied credit in the invoice''s currency; more than the due or the credit is refused (OM006); returns the payment id';

CREATE FUNCTION ordermgmt.refund_credit(customer text, amount numeric, reference text, currency text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_refund_credit';
COMMENT ON FUNCTION ordermgmt.refund_credit(text, numeric, text, text) IS
    'Pays unapplied credit back to the customer (currency NULL: the only one it has credit in); more than the credit is refused (OM006); the same reference with the same arguments returns the first refund';

-- What each customer owes per currency.  Read with a customer filter it
-- reads that customer's invoices and credit rows only (by index).
CREATE VIEW ordermgmt.v_customer_balance AS
SELECT c.code AS customer, x.currency::text AS currency,
       sum(x.invoiced) AS invoiced, sum(x.paid) AS paid, sum(x.credited) AS credited,
       sum(x.unapplied) AS unapplied,
       sum(x.invoiced) - sum(x.paid) - sum(x.credited) - sum(x.unapplied) AS balance
  FROM ordermgmt.customers c
 CROSS JOIN LATERAL (
        SELECT i.currency, i.total AS invoiced, i.paid, i.credited, 0::numeric(18,2) AS unapplied
          FROM ordermgmt.invoices i WHERE i.customer_id = c.customer_id
        UNION ALL
        SELECT k.currency, 0, 0, 0, k.unapplied
          FROM ordermgmt.customer_credit k WHERE k.customer_id = c.customer_id) x
 GROUP BY c.code, x.currency;
COMMENT ON VIEW ordermgmt.v_customer_balance IS
    'What each customer owes per currency: balance = invoiced - paid - credited - unapplied (negative: the company owes the customer)';
COMMENT ON COLUMN ordermgmt.v_customer_balance.customer IS 'Customer code';
COMMENT ON COLUMN ordermgmt.v_customer_balance.currency IS 'Currency of the invoices and credit';
COMMENT ON COLUMN ordermgmt.v_customer_balance.invoiced IS 'Sum of the invoices'' totals, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_customer_balance.paid IS
    'Sum paid on the invoices (record_payment, allocations of receipts and credit), in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_customer_balance.credited IS 'Sum of credit notes applied to the invoices, in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_customer_balance.unapplied IS
    'Received and not allocated nor refunded (customer_credit), in the row''s currency';
COMMENT ON COLUMN ordermgmt.v_customer_balance.balance IS
    'invoiced - paid - credited - unapplied: the open invoices net of the unapplied credit, in the row''s currency';

SELECT pg_catalog.pg_extension_config_dump('ordermgmt.customer_payments', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.customer_payments_customer_payment_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.payment_allocations', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.customer_credit', '');

-- Customer payments are finance's; every department reads the tables, the
-- readers the balance.
REVOKE ALL ON FUNCTION ordermgmt.record_customer_payment(text, numeric, text, text, text, jsonb),
                       ordermgmt.apply_credit(text, bigint, numeric),
                       ordermgmt.refund_credit(text, numeric, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ordermgmt.record_customer_payment(text, numeric, text, text, text, jsonb),
                          ordermgmt.apply_credit(text, bigint, numeric),
                          ordermgmt.refund_credit(text, numeric, text, text)
   TO ordermgmt_finance;
GRANT SELECT ON ordermgmt.customer_payments, ordermgmt.payment_allocations, ordermgmt.customer_credit
   TO ordermgmt_sales, ordermgmt_warehouse, ordermgmt_finance, ordermgmt_service;
GRANT SELECT ON ordermgmt.v_customer_balance TO ordermgmt_reader;

--------------------------------------------------------------------------
-- Order amendments and short close
--------------------------------------------------------------------------
-- Every revision of an order after its confirmation (amend_order,
-- short_close), numbered from 1 per order: revision 0 is the order as it
-- was confirmed.  The lines before and after are JSON arrays of
-- {"line_no", "sku", "qty", "unit_price", "shipped_qty"}, in line order: a
-- revision reads whole, without the order's later state.  Written by the
-- extension only, like the status history.
CREATE TABLE ordermgmt.order_amendments (
    order_id     bigint NOT NULL,
    revision     integer NOT NULL CHECK (revision > 0),
    kind         text NOT NULL CHECK (kind IN ('amendment', 'short_close')),
    status       ordermgmt.order_status NOT NULL,
    amended_at   timestamptz NOT NULL DEFAULT now(),
    amended_by   text NOT NULL,
    reason       text,
    net_before   numeric NOT NULL,
    net_after    numeric NOT NULL,
    lines_before jsonb NOT NULL CHECK (jsonb_typeof(lines_before) = 'array'),
    lines_after  jsonb NOT NULL CHECK (jsonb_typeof(lines_after) = 'array'),
    PRIMARY KEY (order_id, revision)
);
COMMENT ON TABLE ordermgmt.order_amendments IS
    'Every revision of a confirmed order: amend_order''s changes of its lines and short_close''s giving up of what was not shipped';
COMMENT ON COLUMN ordermgmt.order_amendments.revision IS 'Revision number, 1, 2, ... per order (0: the order as confirmed)';
COMMENT ON COLUMN ordermgmt.order_amendments.kind IS 'amendment (amend_order) or short_close (short_close)';
COMMENT ON COLUMN ordermgmt.order_amendments.status IS 'The order''s status as it was amended';
COMMENT ON COLUMN ordermgmt.order_amendments.amended_by IS 'The session user who amended it';
COMMENT ON COLUMN ordermgmt.order_amendments.reason IS 'short_close''s reason; NULL for amendments';
COMMENT ON COLUMN ordermgmt.order_amendments.net_before IS 'orders.ordered_net before the revision';
COMMENT ON COLUMN ordermgmt.order_amendments.net_after IS 'orders.ordered_net after it';
COMMENT ON COLUMN ordermgmt.order_amendments.lines_before IS
    'The lines before: a JSON array of {"line_no", "sku", "qty", "unit_price", "shipped_qty"} in line order';
COMMENT ON COLUMN ordermgmt.order_amendments.lines_after IS
    'The lines after, as lines_before (a removed line is absent, an added one has a new line_no)';

CREATE FUNCTION ordermgmt.amend_order(order_id bigint, changes jsonb) RETURNS integer
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_amend_order';
COMMENT ON FUNCTION ordermgmt.amend_order(bigint, jsonb) IS
    'Changes the lines of a confirmed or processing order (changes: a JSON array of {sku, qty, unit_price?}, the new quantity per SKU; 0 removes it, a new SKU adds a line), re-reserves and re-runs the level-1 checks; returns the new revision (order_amendments)';

CREATE FUNCTION ordermgmt.short_close(order_id bigint, reason text) RETURNS void
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_short_close';
COMMENT ON FUNCTION ordermgmt.short_close(bigint, text) IS
    'Gives up what a partially shipped order has not shipped (its reservations are released, its lines cut to what was shipped): the order is shipped, and completes once delivered, invoiced and paid';

SELECT pg_catalog.pg_extension_config_dump('ordermgmt.order_amendments', '');
REVOKE ALL ON ordermgmt.order_amendments FROM PUBLIC;
REVOKE ALL ON FUNCTION ordermgmt.amend_order(bigint, jsonb), ordermgmt.short_close(bigint, text) FROM PUBLIC;
-- Amendments: sales amends and short-closes orders, every department
-- reads the revisions.
GRANT SELECT ON ordermgmt.order_amendments
   TO ordermgmt_sales, ordermgmt_warehouse, ordermgmt_finance, ordermgmt_service;
GRANT EXECUTE ON FUNCTION ordermgmt.amend_order(bigint, jsonb), ordermgmt.short_close(bigint, text)
   TO ordermgmt_sales;


--------------------------------------------------------------------------
-- Purchasing: the rule L2_PURCHASE_LATE, alerts about purchase orders
--------------------------------------------------------------------------
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
         WHEN rule_code OPERATOR(pg_catalog.=) 'L2_BACKORDER_AGED'
           THEN (thresholds OPERATOR(pg_catalog.->>) 'age')::pg_catalog.interval
         WHEN rule_code OPERATOR(pg_catalog.=) 'L3_DELIVERY_LATE'
           THEN coalesce((thresholds OPERATOR(pg_catalog.->>) 'grace')::pg_catalog.interval, '0')
         WHEN rule_code OPERATOR(pg_catalog.=) 'L3_PAYMENT_OVERDUE'
           THEN coalesce((thresholds OPERATOR(pg_catalog.->>) 'grace')::pg_catalog.interval, '0')
         WHEN rule_code OPERATOR(pg_catalog.=) 'L3_TICKET_OVERDUE'
           THEN (thresholds OPERATOR(pg_catalog.->>) coalesce(variant, 'normal'))::pg_catalog.interval
         WHEN rule_code OPERATOR(pg_catalog.=) 'L2_PURCHASE_LATE'
           THEN coalesce((thresholds OPERATOR(pg_catalog.->>) 'grace')::pg_catalog.interval, '0')
       END
$$;

CREATE OR REPLACE FUNCTION ordermgmt.rule_thresholds_valid(rule_code text, thresholds jsonb)
    RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
    AS $$
SELECT coalesce(CASE
         WHEN rule_code = 'L3_TICKET_OVERDUE' THEN
              (SELECT pg_catalog.bool_and(coalesce(ordermgmt.rule_delay(rule_code, thresholds, p) OPERATOR(pg_catalog.>=) '0'::pg_catalog.interval, false))
                 FROM pg_catalog.unnest(ARRAY['low', 'normal', 'high', 'urgent']) AS p)
         WHEN rule_code IN ('L1_CONFIRMATION_OVERDUE', 'L2_PROCESSING_OVERDUE', 'L2_STALLED',
                            'L3_DELIVERY_LATE', 'L3_PAYMENT_OVERDUE', 'L2_BACKORDER_AGED',
                            'L2_PURCHASE_LATE') THEN
              ordermgmt.rule_delay(rule_code, thresholds) OPERATOR(pg_catalog.>=) '0'::pg_catalog.interval
         WHEN rule_code = 'L1_PRICE_DEVIATION' THEN
              (thresholds ->> 'tolerance')::pg_catalog.numeric OPERATOR(pg_catalog.>=) 0
         WHEN rule_code = 'L3_NEGATIVE_FEEDBACK' THEN
              (thresholds ->> 'max_rating')::pg_catalog.int4 BETWEEN 0 AND 5
         ELSE true
       END, false)
$$;

INSERT INTO ordermgmt.monitor_rules (rule_code, level, severity, thresholds, description, builtin) VALUES
    ('L2_PURCHASE_LATE',        2, 'warning',  '{"grace": "0"}', 'A purchase order is not fully received by its expected time (plus grace)', true);
ALTER TABLE ordermgmt.alerts DROP CONSTRAINT alerts_subject_type_check;
ALTER TABLE ordermgmt.alerts ADD CONSTRAINT alerts_subject_type_check
    CHECK (subject_type IN ('order', 'stock', 'ticket', 'invoice', 'feedback', 'purchase_order'));

--------------------------------------------------------------------------
-- Purchasing: suppliers, purchase orders, their receipts
--------------------------------------------------------------------------
-- Suppliers: master data, written by admins.  lead_time_days is how long
-- an order takes to arrive: a purchase order without expected_at is
-- expected that many days after it is placed.
CREATE TABLE ordermgmt.suppliers (
    supplier_id    bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    code           text NOT NULL UNIQUE CHECK (code <> ''),
    name           text NOT NULL,
    email          text,
    lead_time_days integer NOT NULL DEFAULT 0 CHECK (lead_time_days >= 0)
);
COMMENT ON TABLE ordermgmt.suppliers IS 'Suppliers, named by their unique code; purchase orders are placed with them';
COMMENT ON COLUMN ordermgmt.suppliers.lead_time_days IS
    'Days from placing a purchase order to its arrival: the default expected_at';

-- Allowed status changes of purchase orders, read (cached) by the
-- purchase_orders trigger as order_transitions is by the orders trigger.
CREATE TABLE ordermgmt.purchase_transitions (
    from_status text NOT NULL CHECK (from_status IN ('draft', 'ordered', 'partially_received', 'received', 'cancelled')),
    to_status   text NOT NULL CHECK (to_status IN ('draft', 'ordered', 'partially_received', 'received', 'cancelled')),
    manual      boolean NOT NULL,
    description text,
    enabled     boolean NOT NULL DEFAULT true,
    builtin     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (from_status, to_status),
    CHECK (from_status <> to_status)
);
COMMENT ON TABLE ordermgmt.purchase_transitions IS
    'Allowed status changes of purchase orders, read by the purchase_orders trigger; manual = false means only the API function that performs the side effects may make it';
COMMENT ON COLUMN ordermgmt.purchase_transitions.enabled IS 'false forbids the transition (built-in rows are disabled, not deleted)';
COMMENT ON COLUMN ordermgmt.purchase_transitions.builtin IS 'Seeded by the extension: cannot be deleted';
INSERT INTO ordermgmt.purchase_transitions (from_status, to_status, manual, description, builtin) VALUES
    ('draft',              'ordered',            true,  'placed with the supplier (UPDATE ... SET status)', true),
    ('draft',              'cancelled',          true,  'cancel_purchase_order', true),
    ('ordered',            'partially_received', false, 'receive_purchase', true),
    ('ordered',            'received',           false, 'receive_purchase', true),
    ('ordered',            'cancelled',          true,  'cancel_purchase_order', true),
    ('partially_received', 'received',           false, 'receive_purchase', true),
    ('partially_received', 'cancelled',          true,  'cancel_purchase_order: the rest is not expected any more', true);

-- A purchase order for one supplier, into one warehouse, in the company
-- currency (stock is valued in it).  reference is the buyer's key:
-- create_purchase_order with a reference the supplier already has returns
-- that order and writes nothing.
CREATE TABLE ordermgmt.purchase_orders (
    po_id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    supplier_id       bigint NOT NULL REFERENCES ordermgmt.suppliers,
    warehouse_id      bigint NOT NULL REFERENCES ordermgmt.warehouses,
    status            text NOT NULL DEFAULT 'draft'
                      CHECK (status IN ('draft', 'ordered', 'partially_received', 'received', 'cancelled')),
    expected_at       timestamptz NOT NULL,
    reference         text CHECK (reference <> ''),
    created_at        timestamptz NOT NULL DEFAULT now(),
    created_by        text NOT NULL DEFAULT SESSION_USER,
    status_changed_at timestamptz NOT NULL DEFAULT now(),
    cancel_reason     text,
    UNIQUE (supplier_id, reference),
    CONSTRAINT purchase_orders_cancel_reason_check CHECK ((status = 'cancelled') = (cancel_reason IS NOT NULL))
);
CREATE INDEX purchase_orders_open_idx ON ordermgmt.purchase_orders (warehouse_id)
    WHERE status IN ('ordered', 'partially_received');
COMMENT ON TABLE ordermgmt.purchase_orders IS
    'Purchase orders; every status change is checked against purchase_transitions by a trigger';
COMMENT ON COLUMN ordermgmt.purchase_orders.expected_at IS
    'When the goods are expected; L2_PURCHASE_LATE fires when an open order is not fully received by then (plus grace)';
COMMENT ON COLUMN ordermgmt.purchase_orders.reference IS
    'The buyer''s key, unique per supplier: a repeated create_purchase_order returns the first order';
COMMENT ON COLUMN ordermgmt.purchase_orders.cancel_reason IS
    'Why it was cancelled (required exactly when cancelled); what was received before stays received';

CREATE TABLE ordermgmt.purchase_lines (
    po_id        bigint NOT NULL REFERENCES ordermgmt.purchase_orders,
    line_no      integer NOT NULL,
    product_id   bigint NOT NULL REFERENCES ordermgmt.products,
    qty          numeric(18,4) NOT NULL CHECK (qty > 0),
    received_qty numeric(18,4) NOT NULL DEFAULT 0,
    unit_cost    numeric(18,4) NOT NULL CHECK (unit_cost >= 0),
    PRIMARY KEY (po_id, line_no),
    UNIQUE (po_id, product_id),
    CONSTRAINT purchase_lines_received_within_qty CHECK (0 <= received_qty AND received_qty <= qty)
);
CREATE INDEX purchase_lines_product_idx ON ordermgmt.purchase_lines (product_id);
COMMENT ON TABLE ordermgmt.purchase_lines IS
    'Lines of a purchase order, one per product; received_qty is the sum of its receipt lines';
COMMENT ON COLUMN ordermgmt.purchase_lines.unit_cost IS
    'Cost per unit in the company currency: the receipt values the stock at it (moving average)';

-- A receipt of goods against a purchase order (receive_purchase); each of
-- its lines is a receipt stock move into the order's warehouse.
CREATE TABLE ordermgmt.purchase_receipts (
    receipt_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    po_id       bigint NOT NULL REFERENCES ordermgmt.purchase_orders,
    received_at timestamptz NOT NULL DEFAULT now(),
    received_by text NOT NULL
);
CREATE INDEX purchase_receipts_po_idx ON ordermgmt.purchase_receipts (po_id);
COMMENT ON TABLE ordermgmt.purchase_receipts IS 'Goods received against a purchase order, one row per receive_purchase';

CREATE TABLE ordermgmt.purchase_receipt_lines (
    receipt_id bigint NOT NULL REFERENCES ordermgmt.purchase_receipts,
    po_id      bigint NOT NULL,
    line_no    integer NOT NULL,
    qty        numeric(18,4) NOT NULL CHECK (qty > 0),
    move_id    bigint NOT NULL UNIQUE REFERENCES ordermgmt.stock_moves,
    PRIMARY KEY (receipt_id, line_no),
    FOREIGN KEY (po_id, line_no) REFERENCES ordermgmt.purchase_lines
);
COMMENT ON TABLE ordermgmt.purchase_receipt_lines IS
    'What a receipt brought per purchase line, and the stock move (kind receipt) that brought it';

-- One row per purchase order for the readers: what it ordered and
-- received, their value in the company currency (the received value as it
-- was posted, each receipt line rounded to the cent) and whether it is
-- late.
CREATE VIEW ordermgmt.v_purchase_orders AS
SELECT po.po_id, s.code AS supplier, w.code AS warehouse, po.status, po.reference,
       po.created_at, po.expected_at,
       coalesce(l.lines, 0) AS lines, coalesce(l.ordered_qty, 0) AS ordered_qty,
       coalesce(l.received_qty, 0) AS received_qty,
       coalesce(l.ordered_value, 0.00) AS ordered_value, coalesce(r.received_value, 0.00) AS received_value,
       po.status IN ('ordered', 'partially_received') AND po.expected_at < now() AS late
  FROM ordermgmt.purchase_orders po
  JOIN ordermgmt.suppliers s ON s.supplier_id = po.supplier_id
  JOIN ordermgmt.warehouses w ON w.warehouse_id = po.warehouse_id
  LEFT JOIN LATERAL (SELECT count(*) AS lines, sum(x.qty) AS ordered_qty, sum(x.received_qty) AS received_qty,
                            round(sum(x.qty * x.unit_cost), 2) AS ordered_value
                       FROM ordermgmt.purchase_lines x WHERE x.po_id = po.po_id) l ON true
  LEFT JOIN LATERAL (SELECT sum(round(x.qty * pl.unit_cost, 2)) AS received_value
                       FROM ordermgmt.purchase_receipt_lines x
                       JOIN ordermgmt.purchase_lines pl ON pl.po_id = x.po_id AND pl.line_no = x.line_no
                      WHERE x.po_id = po.po_id) r ON true;
COMMENT ON VIEW ordermgmt.v_purchase_orders IS
    'Purchase orders: supplier, warehouse, status, what was ordered and received and its value, late or not';
COMMENT ON COLUMN ordermgmt.v_purchase_orders.po_id IS 'The purchase order';
COMMENT ON COLUMN ordermgmt.v_purchase_orders.supplier IS 'Supplier code';
COMMENT ON COLUMN ordermgmt.v_purchase_orders.warehouse IS 'Code of the warehouse it is received into';
COMMENT ON COLUMN ordermgmt.v_purchase_orders.status IS 'draft, ordered, partially_received, received or cancelled';
COMMENT ON COLUMN ordermgmt.v_purchase_orders.reference IS 'The buyer''s reference (unique per supplier), if any';
COMMENT ON COLUMN ordermgmt.v_purchase_orders.created_at IS
    'When it was entered; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_purchase_orders.expected_at IS
    'When the goods are expected; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_purchase_orders.lines IS 'Number of lines (one per product)';
COMMENT ON COLUMN ordermgmt.v_purchase_orders.ordered_qty IS 'Units ordered, all lines together';
COMMENT ON COLUMN ordermgmt.v_purchase_orders.received_qty IS 'Units received so far, all lines together';
COMMENT ON COLUMN ordermgmt.v_purchase_orders.ordered_value IS
    'Sum of quantity times unit cost over the lines, in the company currency, rounded to the cent';
COMMENT ON COLUMN ordermgmt.v_purchase_orders.received_value IS
    'Value received so far as posted to inventory (each receipt line rounded to the cent), in the company currency';
COMMENT ON COLUMN ordermgmt.v_purchase_orders.late IS
    'Ordered or partially received, and past expected_at (L2_PURCHASE_LATE adds its grace)';

CREATE FUNCTION ordermgmt.create_purchase_order(supplier text, warehouse text, lines jsonb, options jsonb DEFAULT '{}')
    RETURNS bigint
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_create_purchase_order';
COMMENT ON FUNCTION ordermgmt.create_purchase_order(text, text, jsonb, jsonb) IS
    'Places a purchase order from a JSON array of {sku, qty, unit_cost?} (cost: the product''s); options: expected_at (default now + the supplier''s lead time), reference, submit (false: a draft); returns its id, the first order''s for a repeated reference';

CREATE FUNCTION ordermgmt.receive_purchase(po_id bigint, lines jsonb DEFAULT NULL)
    RETURNS bigint
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_receive_purchase';
COMMENT ON FUNCTION ordermgmt.receive_purchase(bigint, jsonb) IS
    'Receives goods of a purchase order ([{sku, qty}], NULL: everything still open) at its lines'' costs: stock moves, postings to inventory and goods received; returns the receipt id';

CREATE FUNCTION ordermgmt.cancel_purchase_order(po_id bigint, reason text) RETURNS void
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_cancel_purchase_order';
COMMENT ON FUNCTION ordermgmt.cancel_purchase_order(bigint, text) IS
    'Cancels what a purchase order has not received yet (what was received stays); a reason is required';

-- The purchase order lifecycle: every status change, by an API function or
-- by plain UPDATE, is checked against purchase_transitions; the AFTER
-- trigger writes the events and keeps the L2_PURCHASE_LATE deadline.
CREATE FUNCTION ordermgmt.purchase_orders_lifecycle() RETURNS trigger
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_purchase_orders_lifecycle';
COMMENT ON FUNCTION ordermgmt.purchase_orders_lifecycle() IS 'Guards every purchase order status change; events and the lateness deadline';
CREATE TRIGGER purchase_orders_lifecycle_guard
    BEFORE INSERT OR UPDATE OR DELETE ON ordermgmt.purchase_orders
    FOR EACH ROW EXECUTE FUNCTION ordermgmt.purchase_orders_lifecycle();
CREATE TRIGGER purchase_orders_lifecycle_record
    AFTER INSERT OR UPDATE OF status, expected_at ON ordermgmt.purchase_orders
    FOR EACH ROW EXECUTE FUNCTION ordermgmt.purchase_orders_lifecycle();
CREATE TRIGGER purchase_transitions_keep_builtin BEFORE DELETE ON ordermgmt.purchase_transitions
    FOR EACH ROW WHEN (OLD.builtin) EXECUTE FUNCTION ordermgmt.config_keep_builtin();
CREATE TRIGGER purchase_transitions_merge BEFORE INSERT ON ordermgmt.purchase_transitions
    FOR EACH ROW EXECUTE FUNCTION ordermgmt.config_merge('from_status', 'to_status');
CREATE TRIGGER purchase_transitions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON ordermgmt.purchase_transitions FOR EACH STATEMENT EXECUTE FUNCTION ordermgmt.config_changed();

SELECT pg_catalog.pg_extension_config_dump('ordermgmt.suppliers', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.purchase_transitions', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.purchase_orders', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.purchase_lines', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.purchase_receipts', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.purchase_receipt_lines', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.suppliers_supplier_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.purchase_orders_po_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ordermgmt.purchase_receipts_receipt_id_seq', '');

-- Purchasing is the warehouse's work: it places, receives and cancels
-- purchase orders, and may place a draft or move expected_at by UPDATE
-- (the trigger guards it).  Every department reads the tables, the
-- readers v_purchase_orders; admins keep the suppliers and the transitions.
REVOKE ALL ON FUNCTION ordermgmt.create_purchase_order(text, text, jsonb, jsonb),
                       ordermgmt.receive_purchase(bigint, jsonb),
                       ordermgmt.cancel_purchase_order(bigint, text),
                       ordermgmt.purchase_orders_lifecycle() FROM PUBLIC;
GRANT SELECT ON ordermgmt.suppliers, ordermgmt.purchase_transitions, ordermgmt.purchase_orders,
                ordermgmt.purchase_lines, ordermgmt.purchase_receipts, ordermgmt.purchase_receipt_lines
   TO ordermgmt_sales, ordermgmt_warehouse, ordermgmt_finance, ordermgmt_service;
GRANT UPDATE (status, expected_at, cancel_reason) ON ordermgmt.purchase_orders TO ordermgmt_warehouse;
GRANT EXECUTE ON FUNCTION ordermgmt.create_purchase_order(text, text, jsonb, jsonb),
                          ordermgmt.receive_purchase(bigint, jsonb),
                          ordermgmt.cancel_purchase_order(bigint, text)
   TO ordermgmt_warehouse;
GRANT INSERT, UPDATE, DELETE ON ordermgmt.suppliers, ordermgmt.purchase_transitions TO ordermgmt_admin;
GRANT SELECT ON ordermgmt.v_purchase_orders TO ordermgmt_reader;

--------------------------------------------------------------------------
-- Available to promise, replenishment, and when backorders will be filled
--------------------------------------------------------------------------
-- What the warehouse has, owes and expects, per product and warehouse:
-- every stock row, and any product that is waited for or incoming there
-- without one.  Backordered: the lines of orders that may still ship
-- (the partial index order_lines_backordered_idx); incoming: what open
-- purchase orders (ordered, partially received) still have to deliver
-- (purchase_orders_open_idx).  Neither grows with history.
CREATE VIEW ordermgmt.v_available_to_promise AS
WITH waiting AS (
    SELECT l.product_id, o.warehouse_id, sum(l.backordered_qty) AS backordered
      FROM ordermgmt.order_lines l JOIN ordermgmt.orders o ON o.order_id = l.order_id
     WHERE l.backordered_qty > 0 AND o.status IN ('confirmed', 'processing', 'partially_shipped')
     GROUP BY l.product_id, o.warehouse_id),
incoming AS (
    SELECT pl.product_id, po.warehouse_id, sum(pl.qty - pl.received_qty) AS incoming,
           min(po.expected_at) AS next_expected_at
      FROM ordermgmt.purchase_orders po JOIN ordermgmt.purchase_lines pl ON pl.po_id = po.po_id
     WHERE po.status IN ('ordered', 'partially_received') AND pl.received_qty < pl.qty
     GROUP BY pl.product_id, po.warehouse_id)
SELECT p.sku, w.code AS warehouse, coalesce(s.on_hand, 0) AS on_hand, coalesce(s.reserved, 0) AS reserved,
       coalesce(x.backordered, 0) AS backordered, coalesce(i.incoming, 0) AS incoming,
       coalesce(s.on_hand - s.reserved, 0) AS available_now,
       coalesce(s.on_hand - s.reserved, 0) - coalesce(x.backordered, 0) + coalesce(i.incoming, 0)
           AS available_to_promise,
       i.next_expected_at,
       sum(coalesce(s.on_hand, 0)) OVER (PARTITION BY product_id) AS total_on_hand,
       sum(coalesce(s.on_hand - s.reserved, 0)) OVER (PARTITION BY product_id) AS total_available
  FROM ordermgmt.stock s
  FULL JOIN waiting x USING (product_id, warehouse_id)
  FULL JOIN incoming i USING (product_id, warehouse_id)
  JOIN ordermgmt.products p USING (product_id)
  JOIN ordermgmt.warehouses w USING (warehouse_id);
COMMENT ON VIEW ordermgmt.v_available_to_promise IS
    'Per SKU and warehouse: on hand, reserved, backordered, incoming from open purchase orders; available now and available to promise';
COMMENT ON COLUMN ordermgmt.v_available_to_promise.sku IS 'Product SKU';
COMMENT ON COLUMN ordermgmt.v_available_to_promise.warehouse IS 'Warehouse code';
COMMENT ON COLUMN ordermgmt.v_available_to_promise.on_hand IS 'Quantity in the warehouse';
COMMENT ON COLUMN ordermgmt.v_available_to_promise.reserved IS 'Quantity held for order lines';
COMMENT ON COLUMN ordermgmt.v_available_to_promise.backordered IS
    'Quantity order lines still wait for (allocation partial), of orders that may still ship';
COMMENT ON COLUMN ordermgmt.v_available_to_promise.incoming IS
    'Quantity open purchase orders (ordered, partially received) still have to deliver here';
COMMENT ON COLUMN ordermgmt.v_available_to_promise.available_now IS 'on_hand - reserved: what an order can reserve now';
COMMENT ON COLUMN ordermgmt.v_available_to_promise.available_to_promise IS
    'on_hand - reserved - backordered + incoming: what can still be promised once what is on order arrives (negative: short)';
COMMENT ON COLUMN ordermgmt.v_available_to_promise.next_expected_at IS
    'When the earliest open purchase order of it is expected, NULL if nothing is incoming; a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_available_to_promise.total_on_hand IS 'on_hand of the SKU over every warehouse';
COMMENT ON COLUMN ordermgmt.v_available_to_promise.total_available IS
    'available_now of the SKU over every warehouse: what a split order can reserve now';

-- What to buy: every SKU and warehouse whose available to promise is under
-- the product's reorder point, or negative (more waited for than will
-- come).  The suggestion brings it back to twice the reorder point, the
-- reorder point serving as both the trigger and the lot; without a
-- reorder point, it covers the shortfall.  The supplier is the one the
-- product was last bought from (its latest purchase line), with its lead
-- time; NULL for a product never bought.
CREATE VIEW ordermgmt.v_replenishment AS
SELECT a.sku, a.warehouse, a.available_to_promise, p.reorder_point,
       greatest(2 * p.reorder_point - a.available_to_promise, -a.available_to_promise, 0) AS suggested_qty,
       s.code AS supplier, s.lead_time_days,
       now() + make_interval(days => s.lead_time_days) AS expected_if_ordered_now
  FROM ordermgmt.v_available_to_promise a
  JOIN ordermgmt.products p ON p.sku = a.sku
  LEFT JOIN LATERAL (SELECT po.supplier_id FROM ordermgmt.purchase_lines pl
                       JOIN ordermgmt.purchase_orders po ON po.po_id = pl.po_id
                      WHERE pl.product_id = p.product_id
                      ORDER BY pl.po_id DESC LIMIT 1) last ON true
  LEFT JOIN ordermgmt.suppliers s ON s.supplier_id = last.supplier_id
 WHERE p.active AND (a.available_to_promise < p.reorder_point OR a.available_to_promise < 0);
COMMENT ON VIEW ordermgmt.v_replenishment IS
    'What to buy per SKU and warehouse: available to promise under the reorder point (or negative), the suggested quantity and the supplier last bought from';
COMMENT ON COLUMN ordermgmt.v_replenishment.sku IS 'Product SKU';
COMMENT ON COLUMN ordermgmt.v_replenishment.warehouse IS 'Warehouse code';
COMMENT ON COLUMN ordermgmt.v_replenishment.available_to_promise IS 'As v_available_to_promise';
COMMENT ON COLUMN ordermgmt.v_replenishment.reorder_point IS 'The product''s reorder point';
COMMENT ON COLUMN ordermgmt.v_replenishment.suggested_qty IS
    'To buy: up to twice the reorder point (2 * reorder_point - available_to_promise), at least the shortfall below zero';
COMMENT ON COLUMN ordermgmt.v_replenishment.supplier IS 'Code of the supplier of the product''s latest purchase line; NULL if never bought';
COMMENT ON COLUMN ordermgmt.v_replenishment.lead_time_days IS 'That supplier''s lead time in days';
COMMENT ON COLUMN ordermgmt.v_replenishment.expected_if_ordered_now IS
    'now() plus the lead time: when an order placed now would arrive; a timestamp with time zone (an instant), shown in the session''s time zone';

-- When each waiting line can expect its stock, the rule that derives a
-- promise for a backorder without one: the waiting lines of a product and
-- warehouse are filled first-in first-out (backorders.c), so a line is
-- filled once the free stock plus the open purchase orders, taken by
-- expected_at, cover every line ahead of it and itself; it expects the
-- stock at the expected_at of the purchase order that completes that
-- cover (now, if the free stock already does; NULL if what is on order
-- never does).
CREATE VIEW ordermgmt.v_backorders AS
WITH waiting AS (
    SELECT l.order_id, l.line_no, l.product_id, o.warehouse_id, o.customer_id, o.promised_at,
           l.backordered_qty,
           sum(l.backordered_qty) OVER (PARTITION BY l.product_id, o.warehouse_id
                                        ORDER BY o.promised_at NULLS LAST, l.order_id, l.line_no) AS cover_needed
      FROM ordermgmt.order_lines l JOIN ordermgmt.orders o ON o.order_id = l.order_id
     WHERE l.backordered_qty > 0 AND o.status IN ('confirmed', 'processing', 'partially_shipped')),
incoming AS (
    SELECT pl.product_id, po.warehouse_id, po.expected_at,
           sum(pl.qty - pl.received_qty) OVER (PARTITION BY pl.product_id, po.warehouse_id
                                               ORDER BY po.expected_at, po.po_id) AS cover
      FROM ordermgmt.purchase_orders po JOIN ordermgmt.purchase_lines pl ON pl.po_id = po.po_id
     WHERE po.status IN ('ordered', 'partially_received') AND pl.received_qty < pl.qty)
SELECT w.order_id, w.line_no, c.code AS customer, p.sku, wh.code AS warehouse,
       w.backordered_qty AS backordered, w.promised_at,
       CASE WHEN w.cover_needed <= coalesce(s.on_hand - s.reserved, 0) THEN now()
            ELSE (SELECT min(i.expected_at) FROM incoming i
                   WHERE i.product_id = w.product_id AND i.warehouse_id = w.warehouse_id
                     AND i.cover >= w.cover_needed - coalesce(s.on_hand - s.reserved, 0)) END AS expected_fill_at
  FROM waiting w
  JOIN ordermgmt.customers c ON c.customer_id = w.customer_id
  JOIN ordermgmt.products p ON p.product_id = w.product_id
  JOIN ordermgmt.warehouses wh ON wh.warehouse_id = w.warehouse_id
  LEFT JOIN ordermgmt.stock s ON s.product_id = w.product_id AND s.warehouse_id = w.warehouse_id;
COMMENT ON VIEW ordermgmt.v_backorders IS
    'Every line waiting for stock, first-in first-out per product and warehouse, with when the open purchase orders will fill it';
COMMENT ON COLUMN ordermgmt.v_backorders.order_id IS 'The order';
COMMENT ON COLUMN ordermgmt.v_backorders.line_no IS 'Its line';
COMMENT ON COLUMN ordermgmt.v_backorders.customer IS 'Customer code';
COMMENT ON COLUMN ordermgmt.v_backorders.sku IS 'Product SKU';
COMMENT ON COLUMN ordermgmt.v_backorders.warehouse IS 'The order''s warehouse';
COMMENT ON COLUMN ordermgmt.v_backorders.backordered IS 'What the line waits for';
COMMENT ON COLUMN ordermgmt.v_backorders.promised_at IS
    'The order''s promise, NULL if none (its place in line: promised first); a timestamp with time zone (an instant), shown in the session''s time zone';
COMMENT ON COLUMN ordermgmt.v_backorders.expected_fill_at IS
    'When the line can expect its stock: the expected_at of the open purchase order that, with the free stock, covers it and every line ahead; now() if the free stock does; NULL if nothing on order does: the promise to give a backorder without one; a timestamp with time zone (an instant), shown in the session''s time zone';

REVOKE ALL ON ordermgmt.v_available_to_promise, ordermgmt.v_replenishment, ordermgmt.v_backorders FROM PUBLIC;
GRANT SELECT ON ordermgmt.v_available_to_promise, ordermgmt.v_replenishment, ordermgmt.v_backorders
   TO ordermgmt_reader;

--------------------------------------------------------------------------
-- Several warehouses: split sourcing
--------------------------------------------------------------------------
-- With setting sourcing = split an order that names no warehouse reserves
-- each line from the warehouses in priority order (docs/warehouses.md):
-- a reservation is per order line and warehouse.
ALTER TABLE ordermgmt.warehouses ADD COLUMN priority integer NOT NULL DEFAULT 100;
COMMENT ON COLUMN ordermgmt.warehouses.priority IS
    'Sourcing order of split orders (setting sourcing = split): lower first, ties by code; the first is a split order''s home warehouse';

ALTER TABLE ordermgmt.settings DROP CONSTRAINT settings_key_check;
ALTER TABLE ordermgmt.settings ADD CONSTRAINT settings_key_check
    CHECK (key IN ('default_warehouse', 'auto_confirm', 'currency', 'event_retention',
                   'max_text_length', 'max_cost_factor', 'company_currency', 'sourcing'));
ALTER TABLE ordermgmt.settings ADD CONSTRAINT settings_sourcing_check
    CHECK (key <> 'sourcing' OR value IN ('single', 'split'));
CREATE OR REPLACE VIEW ordermgmt.v_settings AS
SELECT d.key, coalesce(s.value, d.default_value) AS value, d.default_value, d.description
  FROM (VALUES
        ('default_warehouse', NULL, 'Warehouse code used when an order names none (NULL: the only warehouse)'),
        ('auto_confirm', 'true', 'Submitted orders run their level-1 confirmation at once'),
        ('currency', 'EUR', 'Currency of new orders unless options.currency says otherwise'),
        ('event_retention', '30 days', 'How long events and resolved alerts are kept by purge_history'),
        ('max_text_length', '4096', 'Longest free text (reasons, notes, subjects, memos, carrier, tracking) in characters'),
        ('max_cost_factor', '10', 'A receipt''s unit_cost stays within this factor of the product''s cost unless an admin receives it'),
        ('company_currency', 'EUR', 'Currency of the books: every posting''s company amount, the statements, stock values and credit limits; set it before the first posting'),
        ('sourcing', 'single', 'single: an order reserves and ships from one warehouse; split: an order that names no warehouse reserves each line from the warehouses in priority order'))
       AS d(key, default_value, description)
  LEFT JOIN ordermgmt.settings s USING (key);

ALTER TABLE ordermgmt.orders ADD COLUMN sourcing text NOT NULL DEFAULT 'single' CHECK (sourcing IN ('single', 'split'));
COMMENT ON COLUMN ordermgmt.orders.sourcing IS
    'single: the order reserves and ships from warehouse_id alone; split (setting sourcing = split, no options.warehouse): each line reserves from the warehouses in priority order, warehouse_id being its home (where its backorders wait)';

ALTER TABLE ordermgmt.reservations DROP CONSTRAINT reservations_pkey;
ALTER TABLE ordermgmt.reservations ADD CONSTRAINT reservations_pkey PRIMARY KEY (order_id, line_no, warehouse_id);
COMMENT ON TABLE ordermgmt.reservations IS 'Stock held for an order line, per warehouse (a split order''s line may hold stock in several); stock.reserved is their sum per product and warehouse';

CREATE OR REPLACE VIEW ordermgmt.v_stock_availability AS
SELECT p.sku, w.code AS warehouse, s.on_hand, s.reserved, s.on_hand - s.reserved AS available,
       p.reorder_point,
       sum(s.on_hand) OVER (PARTITION BY s.product_id) AS total_on_hand,
       sum(s.on_hand - s.reserved) OVER (PARTITION BY s.product_id) AS total_available
  FROM ordermgmt.stock s
  JOIN ordermgmt.products p USING (product_id)
  JOIN ordermgmt.warehouses w USING (warehouse_id);
COMMENT ON COLUMN ordermgmt.v_stock_availability.total_on_hand IS
    'on_hand of the SKU over every warehouse, in the product''s unit of measure';
COMMENT ON COLUMN ordermgmt.v_stock_availability.total_available IS
    'available of the SKU over every warehouse (what a split order can reserve), in the product''s unit of measure';

--------------------------------------------------------------------------
-- Foreign keys to order_lines and orders served by an index
--------------------------------------------------------------------------
-- The documents of an order line, by line: what the foreign keys to
-- order_lines look up when a line is removed (amend_order, a draft's line
-- deleted), so that the check reads the line's own rows instead of every
-- shipment, invoice and return ever written.  The same for stock moves and
-- orders, whose drafts sales may delete.
CREATE INDEX shipment_lines_order_line_idx ON ordermgmt.shipment_lines (order_id, line_no);
CREATE INDEX invoice_lines_order_line_idx ON ordermgmt.invoice_lines (order_id, line_no);
CREATE INDEX return_lines_order_line_idx ON ordermgmt.return_lines (order_id, line_no);
CREATE INDEX stock_moves_order_idx ON ordermgmt.stock_moves (order_id) WHERE order_id IS NOT NULL;

--------------------------------------------------------------------------
-- Ownership of what this update adds
--------------------------------------------------------------------------
-- As at install: ordermgmt_owner owns every table, view, sequence and
-- function of the extension (the role exists since 0.5.0 and was checked
-- then).  Objects already owned by it are left as they are.
DO $owner$
DECLARE
    member record;
BEGIN
    FOR member IN
        SELECT d.classid, d.objid, c.relkind
          FROM pg_catalog.pg_depend d
          LEFT JOIN pg_catalog.pg_class c ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND c.oid = d.objid
          LEFT JOIN pg_catalog.pg_proc p ON d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.oid = d.objid
         WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e'
           AND d.refobjid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'ordermgmt')
           AND coalesce(c.relowner, p.proowner) IS DISTINCT FROM 'ordermgmt_owner'::pg_catalog.regrole
    LOOP
        IF member.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass THEN
            EXECUTE pg_catalog.format('ALTER ROUTINE %s OWNER TO ordermgmt_owner',
                                      member.objid::pg_catalog.regprocedure);
        ELSIF member.relkind IN ('r', 'p') THEN
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
