/*
 * pricing.c
 *		price_for (domain/pricing.c).
 */
#include "api/api.h"

#include "utils/timestamp.h"

/*
 * price_for(customer text, sku text, qty numeric, at timestamptz) returns
 * numeric
 */
PG_FUNCTION_INFO_V1(ordermgmt_price_for);
Datum
ordermgmt_price_for(PG_FUNCTION_ARGS)
{
	char	   *customer = om_text_arg(fcinfo, 0, "customer");
	char	   *sku = om_text_arg(fcinfo, 1, "sku");
	Numeric		qty = om_numeric_arg(fcinfo, 2, "qty", false);
	TimestampTz at;

	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("at must not be NULL")));
	at = PG_GETARG_TIMESTAMPTZ(3);
	PG_RETURN_NUMERIC(om_price_for(customer, sku, qty, at));
}
