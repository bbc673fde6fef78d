\echo Use "ALTER EXTENSION ordermgmt UPDATE TO '0.6.0'" to load this file. \quit

-- ordermgmt 0.6.0: cost that stays flat as history grows, batch entry
-- points and a self-audit (verify).

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
