/*
 * customer_payments.c
 *		record_customer_payment, apply_credit and refund_credit
 *		(domain/customer_payments.c, domain/customer_credit.c).
 */
#include "api/api.h"

#include "utils/jsonb.h"

/*
 * record_customer_payment(customer text, amount numeric, currency text,
 *		method text, reference text, allocations jsonb DEFAULT NULL) returns bigint
 */
PG_FUNCTION_INFO_V1(ordermgmt_record_customer_payment);
Datum
ordermgmt_record_customer_payment(PG_FUNCTION_ARGS)
{
	char	   *customer = om_text_arg(fcinfo, 0, "customer");
	Numeric		amount = om_numeric_arg(fcinfo, 1, "amount", false);
	char	   *currency = om_text_arg(fcinfo, 2, "currency");
	char	   *method = om_text_arg(fcinfo, 3, "method");
	char	   *reference = om_text_arg(fcinfo, 4, "reference");
	Jsonb	   *allocations = NULL;

	if (PG_NARGS() > 5 && !PG_ARGISNULL(5))
		allocations = PG_GETARG_JSONB_P(5);
	PG_RETURN_INT64(om_record_customer_payment(customer, amount, currency, method, reference, allocations));
}

/*
 * apply_credit(customer text, invoice_id bigint, amount numeric) returns bigint
 */
PG_FUNCTION_INFO_V1(ordermgmt_apply_credit);
Datum
ordermgmt_apply_credit(PG_FUNCTION_ARGS)
{
	char	   *customer = om_text_arg(fcinfo, 0, "customer");
	int64		invoice_id = om_int64_arg(fcinfo, 1, "invoice_id");
	Numeric		amount = om_numeric_arg(fcinfo, 2, "amount", false);

	PG_RETURN_INT64(om_apply_credit(customer, invoice_id, amount));
}

/*
 * refund_credit(customer text, amount numeric, reference text,
 *		currency text DEFAULT NULL) returns bigint
 */
PG_FUNCTION_INFO_V1(ordermgmt_refund_credit);
Datum
ordermgmt_refund_credit(PG_FUNCTION_ARGS)
{
	char	   *customer = om_text_arg(fcinfo, 0, "customer");
	Numeric		amount = om_numeric_arg(fcinfo, 1, "amount", false);
	char	   *reference = om_text_arg(fcinfo, 2, "reference");
	char	   *currency = PG_NARGS() > 3 ? om_text_arg_or_null(fcinfo, 3, "currency") : NULL;

	PG_RETURN_INT64(om_refund_credit(customer, amount, reference, currency));
}
