/*
 * orders.c
 *		create_order and submit_order (domain/order_entry.c); a customer
 *		login's call is checked first (domain/customer_access.c).
 */
#include "api/api.h"

#include "utils/builtins.h"
#include "utils/jsonb.h"

/*
 * create_order(customer text, lines jsonb, options jsonb) returns bigint
 */
PG_FUNCTION_INFO_V1(ordermgmt_create_order);
Datum
ordermgmt_create_order(PG_FUNCTION_ARGS)
{
	char	   *customer = om_text_arg(fcinfo, 0, "customer");
	bool		by_customer;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lines must not be NULL")));
	by_customer = om_customer_check_code(customer);
	PG_RETURN_INT64(om_create_order(customer, PG_GETARG_JSONB_P(1),
									(PG_NARGS() > 2 && !PG_ARGISNULL(2)) ? PG_GETARG_JSONB_P(2) : NULL,
									by_customer));
}

/*
 * submit_order(order_id bigint) returns text: the new status
 */
PG_FUNCTION_INFO_V1(ordermgmt_submit_order);
Datum
ordermgmt_submit_order(PG_FUNCTION_ARGS)
{
	int64		order_id = om_int64_arg(fcinfo, 0, "order_id");
	bool		by_customer = om_customer_check_order(order_id);

	PG_RETURN_TEXT_P(cstring_to_text(om_submit_order(order_id, by_customer)));
}
