/*
 * status.c
 *		hold_order, cancel_order, start_processing (domain/order_status.c).
 */
#include "api/api.h"

PG_FUNCTION_INFO_V1(ordermgmt_hold_order);
Datum
ordermgmt_hold_order(PG_FUNCTION_ARGS)
{
	int64		order_id = om_int64_arg(fcinfo, 0, "order_id");
	char	   *reason = om_text_arg(fcinfo, 1, "reason");

	om_hold_order(order_id, reason);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(ordermgmt_cancel_order);
Datum
ordermgmt_cancel_order(PG_FUNCTION_ARGS)
{
	int64		order_id = om_int64_arg(fcinfo, 0, "order_id");
	char	   *reason = om_text_arg(fcinfo, 1, "reason");

	om_cancel_order(order_id, reason);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(ordermgmt_start_processing);
Datum
ordermgmt_start_processing(PG_FUNCTION_ARGS)
{
	int64		order_id = om_int64_arg(fcinfo, 0, "order_id");

	om_start_processing(order_id);
	PG_RETURN_VOID();
}
