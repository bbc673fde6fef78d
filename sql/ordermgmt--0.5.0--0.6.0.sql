\echo Use "ALTER EXTENSION ordermgmt UPDATE TO '0.6.0'" to load this file. \quit

-- ordermgmt 0.6.0: cost that stays flat as history grows, batch entry
-- points and a self-audit (verify).

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
-- recomputed (test/invariants.sql, check 901).  No CHECK (>= 0): the
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
