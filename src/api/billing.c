/*
 * billing.c
 *		invoice_order and record_payment (domain/billing.c).
 */
#include "api/api.h"

/*
 * invoice_order(order_id bigint, due_days int) returns bigint
 */
PG_FUNCTION_INFO_V1(ordermgmt_invoice_order);
Datum
ordermgmt_invoice_order(PG_FUNCTION_ARGS)
{
	int64		order_id = om_int64_arg(fcinfo, 0, "order_id");

	if (PG_NARGS() < 2 || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("due_days must not be NULL")));
	PG_RETURN_INT64(om_invoice_order(order_id, PG_GETARG_INT32(1)));
}

/*
 * record_payment(invoice_id bigint, amount numeric, method text, reference text) returns bigint
 */
PG_FUNCTION_INFO_V1(ordermgmt_record_payment);
Datum
ordermgmt_record_payment(PG_FUNCTION_ARGS)
{
	int64		invoice_id = om_int64_arg(fcinfo, 0, "invoice_id");
	Numeric		amount = om_numeric_arg(fcinfo, 1, "amount", false);
	char	   *method = om_text_arg(fcinfo, 2, "method");
	char	   *reference = om_text_arg_or_null(fcinfo, 3, "reference");

	PG_RETURN_INT64(om_record_payment(invoice_id, amount, method, reference));
}
