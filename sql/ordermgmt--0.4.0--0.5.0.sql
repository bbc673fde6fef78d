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
