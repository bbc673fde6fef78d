/*
 * retention.c
 *		purge_history (domain/retention.c).
 */
#include "api/api.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/timestamp.h"

/*
 * purge_history(older_than interval DEFAULT NULL) returns table(events bigint, alerts bigint)
 */
PG_FUNCTION_INFO_V1(ordermgmt_purge_history);
Datum
ordermgmt_purge_history(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	int64		events;
	int64		alerts;
	Datum		result[2];
	bool		result_nulls[2] = {false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "purge_history must return a row");
	om_purge_history(PG_ARGISNULL(0) ? NULL : PG_GETARG_INTERVAL_P(0), &events, &alerts);
	result[0] = Int64GetDatum(events);
	result[1] = Int64GetDatum(alerts);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, result, result_nulls)));
}
