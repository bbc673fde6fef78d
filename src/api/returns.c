/*
 * returns.c
 *		return_items (domain/returns.c).
 */
#include "api/api.h"

#include "utils/jsonb.h"

/*
 * return_items(order_id bigint, lines jsonb, reason text) returns bigint
 */
PG_FUNCTION_INFO_V1(ordermgmt_return_items);
Datum
ordermgmt_return_items(PG_FUNCTION_ARGS)
{
	int64		order_id = om_int64_arg(fcinfo, 0, "order_id");
	char	   *reason = om_text_arg(fcinfo, 2, "reason");

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lines must not be NULL")));
	PG_RETURN_INT64(om_return_items(order_id, PG_GETARG_JSONB_P(1), reason));
}
