/*
 * alerts.c
 *		acknowledge_alert and resolve_alert: a person's handling of an alert.
 */
#include "api/api.h"

PG_FUNCTION_INFO_V1(ordermgmt_acknowledge_alert);
Datum
ordermgmt_acknowledge_alert(PG_FUNCTION_ARGS)
{
	om_alert_set_state(om_int64_arg(fcinfo, 0, "alert_id"), om_text_arg_or_null(fcinfo, 1, "note"), false);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(ordermgmt_resolve_alert);
Datum
ordermgmt_resolve_alert(PG_FUNCTION_ARGS)
{
	om_alert_set_state(om_int64_arg(fcinfo, 0, "alert_id"), om_text_arg_or_null(fcinfo, 1, "note"), true);
	PG_RETURN_VOID();
}
