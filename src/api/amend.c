/*
 * amend.c
 *		amend_order and short_close (domain/amendment.c).
 */
#include "api/api.h"

#include "utils/jsonb.h"

/*
 * amend_order(order_id bigint, changes jsonb) returns integer: the new revision
 */
PG_FUNCTION_INFO_V1(ordermgmt_amend_order);
Datum
ordermgmt_amend_order(PG_FUNCTION_ARGS)
{
	int64		order_id = om_int64_arg(fcinfo, 0, "order_id");

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("changes must not be NULL")));
	PG_RETURN_INT32(om_amend_order(order_id, PG_GETARG_JSONB_P(1)));
}

/*
 * short_close(order_id bigint, reason text) returns void
 */
PG_FUNCTION_INFO_V1(ordermgmt_short_close);
Datum
ordermgmt_short_close(PG_FUNCTION_ARGS)
{
	int64		order_id = om_int64_arg(fcinfo, 0, "order_id");
	char	   *reason = om_text_arg(fcinfo, 1, "reason");

	om_short_close(order_id, reason);
	PG_RETURN_VOID();
}
