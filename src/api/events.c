/*
 * events.c
 *		events_since: catch-up for listeners (store/outbox.c explains why it
 *		never skips an event).
 */
#include "api/api.h"

#include "funcapi.h"

/*
 * events_since(after_id bigint, max_rows int) returns setof events
 */
PG_FUNCTION_INFO_V1(ordermgmt_events_since);
Datum
ordermgmt_events_since(PG_FUNCTION_ARGS)
{
	int64		after_id = om_int64_arg(fcinfo, 0, "after_id");

	if (PG_ARGISNULL(1) || PG_GETARG_INT32(1) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_rows must be a positive integer")));
	InitMaterializedSRF(fcinfo, 0);
	om_events_since(after_id, PG_GETARG_INT32(1), (ReturnSetInfo *) fcinfo->resultinfo);
	PG_RETURN_NULL();
}
