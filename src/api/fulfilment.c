/*
 * fulfilment.c
 *		ship_order and confirm_delivery (domain/fulfilment.c).
 */
#include "api/api.h"

#include "utils/jsonb.h"
#include "utils/timestamp.h"

/*
 * ship_order(order_id bigint, lines jsonb, carrier text, tracking text) returns bigint
 */
PG_FUNCTION_INFO_V1(ordermgmt_ship_order);
Datum
ordermgmt_ship_order(PG_FUNCTION_ARGS)
{
	int64		order_id = om_int64_arg(fcinfo, 0, "order_id");
	Jsonb	   *request = (PG_NARGS() > 1 && !PG_ARGISNULL(1)) ? PG_GETARG_JSONB_P(1) : NULL;
	char	   *carrier = om_text_arg_or_null(fcinfo, 2, "carrier");
	char	   *tracking = om_text_arg_or_null(fcinfo, 3, "tracking");

	PG_RETURN_INT64(om_ship_order(order_id, request, carrier, tracking));
}

/*
 * confirm_delivery(shipment_id bigint, delivered_at timestamptz) returns void
 */
PG_FUNCTION_INFO_V1(ordermgmt_confirm_delivery);
Datum
ordermgmt_confirm_delivery(PG_FUNCTION_ARGS)
{
	int64		shipment_id = om_int64_arg(fcinfo, 0, "shipment_id");

	if (PG_NARGS() < 2 || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("delivered_at must not be NULL")));
	om_confirm_delivery(shipment_id, PG_GETARG_TIMESTAMPTZ(1));
	PG_RETURN_VOID();
}
