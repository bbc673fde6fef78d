/*
 * confirm.c
 *		confirm_order (domain/level1.c) and approve_order (domain/approvals.c).
 */
#include "api/api.h"

#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(ordermgmt_confirm_order);
Datum
ordermgmt_confirm_order(PG_FUNCTION_ARGS)
{
	int64		order_id = om_int64_arg(fcinfo, 0, "order_id");

	PG_RETURN_TEXT_P(cstring_to_text(om_confirm_order(order_id)));
}

PG_FUNCTION_INFO_V1(ordermgmt_approve_order);
Datum
ordermgmt_approve_order(PG_FUNCTION_ARGS)
{
	int64		order_id = om_int64_arg(fcinfo, 0, "order_id");
	char	   *note = PG_ARGISNULL(1) ? NULL : om_text_arg(fcinfo, 1, "note");

	PG_RETURN_TEXT_P(cstring_to_text(om_approve_order(order_id, note)));
}
