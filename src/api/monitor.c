/*
 * monitor.c
 *		monitor_tick (domain/monitoring.c).
 */
#include "api/api.h"

#include "utils/timestamp.h"

/*
 * monitor_tick(at timestamptz) returns integer: alerts raised
 */
PG_FUNCTION_INFO_V1(ordermgmt_monitor_tick);
Datum
ordermgmt_monitor_tick(PG_FUNCTION_ARGS)
{
	if (PG_NARGS() < 1 || PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("at must not be NULL")));
	PG_RETURN_INT32(om_monitor_tick(PG_GETARG_TIMESTAMPTZ(0)));
}
