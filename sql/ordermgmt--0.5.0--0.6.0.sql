\echo Use "ALTER EXTENSION ordermgmt UPDATE TO '0.6.0'" to load this file. \quit

-- ordermgmt 0.6.0: cost that stays flat as history grows, batch entry
-- points and a self-audit (verify).

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
