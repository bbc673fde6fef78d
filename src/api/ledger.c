/*
 * ledger.c
 *		post_entry and reverse_entry (domain/ledger.c), close_period
 *		(domain/ledger_close.c); the ledger's triggers are in triggers.c.
 */
#include "api/api.h"

#include "utils/date.h"

#include "utils/jsonb.h"

/*
 * post_entry(memo text, lines jsonb) returns bigint
 */
PG_FUNCTION_INFO_V1(ordermgmt_post_entry);
Datum
ordermgmt_post_entry(PG_FUNCTION_ARGS)
{
	char	   *memo = om_text_arg(fcinfo, 0, "memo");

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lines must not be NULL")));
	PG_RETURN_INT64(om_post_entry(memo, PG_GETARG_JSONB_P(1)));
}

/*
 * reverse_entry(entry_id bigint, memo text) returns bigint
 */
PG_FUNCTION_INFO_V1(ordermgmt_reverse_entry);
Datum
ordermgmt_reverse_entry(PG_FUNCTION_ARGS)
{
	int64		entry_id = om_int64_arg(fcinfo, 0, "entry_id");
	char	   *memo = om_text_arg_or_null(fcinfo, 1, "memo");

	PG_RETURN_INT64(om_reverse_entry(entry_id, memo));
}

/*
 * close_period(through date) returns date
 */
PG_FUNCTION_INFO_V1(ordermgmt_close_period);
Datum
ordermgmt_close_period(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("through must not be NULL")));
	PG_RETURN_DATEADT(om_close_period(PG_GETARG_DATEADT(0)));
}
