-- Look-alikes, owned by the attacker, of every pg_catalog operator,
-- function and aggregate over the types the extension's SQL uses: each
-- raises "hijacked" when called.
DO $do$
DECLARE
  types regtype[] := ARRAY['int2', 'int4', 'int8', 'numeric', 'text', 'bool', 'timestamptz',
                           'timestamp', 'date', 'interval', 'jsonb', 'json', 'name', 'oid',
                           '"char"', 'bpchar', 'varchar', 'ordermgmt.order_status',
                           'int8[]', 'text[]', 'int4[]', 'numeric[]']::regtype[];
  r record;
  n int := 0;
BEGIN
  -- operators, and for the enum the operators PostgreSQL defines on anyenum
  FOR r IN
    SELECT o.oid, o.oprname, o.oprleft::regtype AS l, o.oprright::regtype AS rt, o.oprresult::regtype AS res
      FROM pg_operator o
     WHERE o.oprnamespace = 'pg_catalog'::regnamespace
       AND (o.oprleft = 0 OR o.oprleft = ANY (types)) AND o.oprright = ANY (types)
       AND (SELECT typtype FROM pg_type WHERE oid = o.oprresult) <> 'p'
    UNION ALL
    SELECT o.oid, o.oprname, 'ordermgmt.order_status'::regtype, 'ordermgmt.order_status'::regtype,
           o.oprresult::regtype
      FROM pg_operator o
     WHERE o.oprnamespace = 'pg_catalog'::regnamespace AND o.oprleft = 'anyenum'::regtype
       AND o.oprright = 'anyenum'::regtype AND o.oprresult = 'bool'::regtype
  LOOP
    EXECUTE format('CREATE FUNCTION evil.op_%s(%s) RETURNS %s LANGUAGE plpgsql AS %L',
                   r.oid || '_' || n, concat_ws(', ', CASE WHEN r.l::oid <> 0 THEN r.l::text END, r.rt), r.res,
                   format('BEGIN RAISE EXCEPTION USING MESSAGE = %L; END', 'hijacked: operator ' || r.oprname));
    EXECUTE format('CREATE OPERATOR evil.%s (%s RIGHTARG = %s, FUNCTION = evil.op_%s)',
                   r.oprname, CASE WHEN r.l::oid <> 0 THEN format('LEFTARG = %s,', r.l) END, r.rt,
                   r.oid || '_' || n);
    n := n + 1;
  END LOOP;
  -- plain functions
  FOR r IN
    SELECT p.oid, p.proname, array_to_string(p.proargtypes::regtype[], ', ') AS args,
           concat(CASE WHEN p.proretset THEN 'SETOF ' END, p.prorettype::regtype) AS res
      FROM pg_proc p
     WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.prokind = 'f'
       AND p.proargtypes::oid[] <@ types::oid[] AND p.provariadic = 0 AND p.proallargtypes IS NULL
       AND (p.prorettype IN ('record'::regtype, 'void'::regtype)
            OR (SELECT typtype FROM pg_type WHERE oid = p.prorettype) <> 'p')
  LOOP
    EXECUTE format('CREATE FUNCTION evil.%I(%s) RETURNS %s LANGUAGE plpgsql AS %L',
                   r.proname, r.args, r.res,
                   format('BEGIN RAISE EXCEPTION USING MESSAGE = %L; END', 'hijacked: function ' || r.proname));
    n := n + 1;
  END LOOP;
  -- aggregates: the final function raises, even over no rows
  FOR r IN
    SELECT p.oid, p.proname, array_to_string(p.proargtypes::regtype[], ', ') AS args,
           p.prorettype::regtype AS res
      FROM pg_proc p
     WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.prokind = 'a'
       AND p.proargtypes::oid[] <@ types::oid[] AND p.prorettype = ANY (types)
  LOOP
    EXECUTE format('CREATE FUNCTION evil.aggsf_%s(%s) RETURNS %s LANGUAGE sql AS ''SELECT $1''',
                   r.oid, concat_ws(', ', r.res::text, nullif(r.args, '')), r.res);
    EXECUTE format('CREATE FUNCTION evil.aggff_%s(%s) RETURNS %s LANGUAGE plpgsql AS %L',
                   r.oid, r.res, r.res,
                   format('BEGIN RAISE EXCEPTION USING MESSAGE = %L; END', 'hijacked: aggregate ' || r.proname));
    EXECUTE format('CREATE AGGREGATE evil.%I(%s) (SFUNC = evil.aggsf_%s, STYPE = %s, FINALFUNC = evil.aggff_%s)',
                   r.proname, coalesce(nullif(r.args, ''), '*'), r.oid, r.res, r.oid);
    n := n + 1;
  END LOOP;
  RAISE NOTICE 'look-alikes: %', n;
END
$do$;
