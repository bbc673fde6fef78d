/*
 * spi.c
 *		Kept SPI plans and small accessors for SPI results.
 *
 * Every query the extension runs on a hot path is an OmPlan: prepared on
 * first use, kept for the life of the backend, and run with $n parameters.
 * Plans are generic unless marked custom: the statements are written so a
 * generic plan reaches the rows through indexes (a LATERAL probe per array
 * element rather than "= ANY"), which a small table's statistics would
 * otherwise talk the planner out of.
 * Callers are inside SPI_connect()/SPI_finish().
 */
#include "store/store.h"
#include "catalog/namespace.h"

#include "commands/trigger.h"
#include "miscadmin.h"
#include "tcop/pquery.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

/*
 * The kept plan of p, prepared on first use.  Errors from SPI become
 * elog(ERROR): they mean a bug in the extension's own SQL.
 */
static SPIPlanPtr
om_plan(OmPlan *p)
{
	if (p->plan == NULL)
	{
		/*
		 * A generic plan unless marked custom: the statements are written so
		 * that it uses the indexes whatever the parameters, and a custom plan
		 * per call would cost more to make than to run.
		 */
		SPIPlanPtr	plan = SPI_prepare_cursor(p->sql, p->nargs, p->argtypes,
											  p->custom ? CURSOR_OPT_CUSTOM_PLAN : CURSOR_OPT_GENERIC_PLAN);

		if (plan == NULL)
			elog(ERROR, "ordermgmt: SPI_prepare failed (%s) for: %s",
				 SPI_result_code_string(SPI_result), p->sql);
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "ordermgmt: SPI_keepplan failed");
		p->plan = plan;
	}
	return p->plan;
}

/* Run a kept plan; returns the number of rows processed. */
int
om_exec(OmPlan *p, Datum *values, const char *nulls, bool read_only, long tcount)
{
	int			rc;

	if (p->by_tid)
	{
		/*
		 * The plan is made (and remade after an invalidation) as it runs:
		 * sequential scans are off for both, as a function's SET clause
		 * would set them, and restored at once (or by the abort).
		 */
		int			nest = NewGUCNestLevel();

		(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		rc = SPI_execute_plan(om_plan(p), values, nulls, read_only, tcount);
		AtEOXact_GUC(true, nest);
	}
	else
		rc = SPI_execute_plan(om_plan(p), values, nulls, read_only, tcount);

	if (rc < 0)
		elog(ERROR, "ordermgmt: SPI_execute_plan failed (%s) for: %s",
			 SPI_result_code_string(rc), p->sql);
	return (int) SPI_processed;
}

/*
 * Run a kept read-only plan with the latest snapshot instead of the
 * transaction's: for a check that must see what committed while it waited
 * for a lock, whatever the isolation level.
 */
int
om_exec_latest(OmPlan *p, Datum *values, const char *nulls, long tcount)
{
	int			rc = SPI_execute_snapshot(om_plan(p), values, nulls, GetLatestSnapshot(),
										  InvalidSnapshot, true, false, tcount);

	if (rc < 0)
		elog(ERROR, "ordermgmt: SPI_execute_snapshot failed (%s) for: %s",
			 SPI_result_code_string(rc), p->sql);
	return (int) SPI_processed;
}

/*
 * Open a cursor on a kept plan, to read a long result in batches with
 * SPI_cursor_fetch: one scan, instead of a LIMIT query that starts over.
 */
Portal
om_cursor_open(OmPlan *p, Datum *values, const char *nulls)
{
	Portal		portal = SPI_cursor_open(NULL, om_plan(p), values, nulls, false);

	if (portal == NULL)
		elog(ERROR, "ordermgmt: SPI_cursor_open failed (%s) for: %s",
			 SPI_result_code_string(SPI_result), p->sql);
	return portal;
}

Datum
om_getdatum(int row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}

int64
om_getint64(int row, int col)
{
	bool		isnull;
	Datum		d = om_getdatum(row, col, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

bool
om_getbool(int row, int col)
{
	bool		isnull;
	Datum		d = om_getdatum(row, col, &isnull);

	return isnull ? false : DatumGetBool(d);
}

/* Text value of a column, palloc'd in the caller's context, or NULL. */
char *
om_gettext(int row, int col)
{
	bool		isnull;
	Datum		d = om_getdatum(row, col, &isnull);

	if (isnull)
		return NULL;
	return text_to_cstring(DatumGetTextPP(d));
}

Datum
om_text_datum(const char *s)
{
	return PointerGetDatum(cstring_to_text(s));
}

/*
 * The role on whose behalf the work is done.  SECURITY DEFINER functions
 * run as the owner; the outer user is the caller (after SET ROLE).
 */
char *
om_session_user(void)
{
	return GetUserNameFromId(GetOuterUserId(), false);
}

/*
 * Is the caller (see om_session_user) an ordermgmt_admin, or a superuser?
 * For what only an admin may ask of an API function.
 */
bool
om_caller_is_admin(void)
{
	Oid			admin = get_role_oid("ordermgmt_admin", true);

	return superuser_arg(GetOuterUserId()) ||
		(OidIsValid(admin) && has_privs_of_role(GetOuterUserId(), admin));
}

/*
 * Is this row part of a raw load of saved rows, i.e. pg_restore?  That is a
 * superuser's COPY (pg_restore loads data with COPY, and its rows already
 * carry their history and events), or the replica replication role.  The
 * lifecycle triggers then pass rows through untouched instead of checking
 * them as new business and writing their side effects a second time.
 */
bool
om_raw_load(void)
{
	if (SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA)
		return true;
	/* The session's user: inside our triggers the current one is their owner. */
	return ActivePortal != NULL && ActivePortal->commandTag == CMDTAG_COPY &&
		superuser_arg(GetOuterUserId());
}

/* A one-dimensional SQL array of n Datums of the given element type. */
Datum
om_array(Datum *elems, int n, Oid elemtype)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_array(elems, n, elemtype, typlen, typbyval, typalign));
}

/* The same with NULL elements where isnull says. */
Datum
om_array_with_nulls(Datum *elems, bool *isnull, int n, Oid elemtype)
{
	int			dims[1];
	int			lbs[1] = {1};
	int16		typlen;
	bool		typbyval;
	char		typalign;

	dims[0] = n;
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(elems, isnull, 1, dims, lbs, elemtype, typlen, typbyval,
											  typalign));
}

/* A text[] of n C strings. */
Datum
om_cstring_array(const char **elems, int n)
{
	Datum	   *d = palloc(Max(n, 1) * sizeof(Datum));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = om_text_datum(elems[i]);
	return om_array(d, n, TEXTOID);
}
