\echo Use "ALTER EXTENSION ordermgmt UPDATE TO '0.2.0'" to load this file. \quit

-- ordermgmt 0.2.0: retention of old events and resolved alerts.

ALTER TABLE @extschema@.settings DROP CONSTRAINT settings_key_check;
ALTER TABLE @extschema@.settings ADD CONSTRAINT settings_key_check
    CHECK (key IN ('default_warehouse', 'auto_confirm', 'currency', 'event_retention'));
ALTER TABLE @extschema@.settings ADD CONSTRAINT settings_event_retention_check
    CHECK (key <> 'event_retention' OR value::interval >= interval '1 hour');

CREATE OR REPLACE VIEW @extschema@.v_settings AS
SELECT d.key, coalesce(s.value, d.default_value) AS value, d.default_value, d.description
  FROM (VALUES
        ('default_warehouse', NULL, 'Warehouse code used when an order names none (NULL: the only warehouse)'),
        ('auto_confirm', 'true', 'Submitted orders run their level-1 confirmation at once'),
        ('currency', 'EUR', 'Currency of new orders unless options.currency says otherwise'),
        ('event_retention', '30 days', 'How long events and resolved alerts are kept by purge_history'))
       AS d(key, default_value, description)
  LEFT JOIN @extschema@.settings s USING (key);

CREATE FUNCTION @extschema@.purge_history(older_than interval DEFAULT NULL,
                                          OUT events bigint, OUT alerts bigint)
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'ordermgmt_purge_history';
COMMENT ON FUNCTION @extschema@.purge_history(interval) IS
    'Deletes events and resolved alerts older than the window (default: event_retention), never an event a listener or the relay could still need';
REVOKE ALL ON FUNCTION @extschema@.purge_history(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.purge_history(interval) TO ordermgmt_admin;
