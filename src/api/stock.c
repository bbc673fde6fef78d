/*
 * stock.c
 *		receive_stock (domain/stock.c).
 */
#include "api/api.h"

/*
 * receive_stock(sku text, warehouse text, qty numeric, unit_cost numeric) returns bigint
 */
PG_FUNCTION_INFO_V1(ordermgmt_receive_stock);
Datum
ordermgmt_receive_stock(PG_FUNCTION_ARGS)
{
	char	   *sku = om_text_arg(fcinfo, 0, "sku");
	char	   *warehouse = om_text_arg(fcinfo, 1, "warehouse");
	Numeric		qty = om_numeric_arg(fcinfo, 2, "qty", false);
	Numeric		unit_cost = NULL;

	if (PG_NARGS() > 3 && !PG_ARGISNULL(3))
		unit_cost = om_check_quantity(PG_GETARG_NUMERIC(3), "unit_cost", true);
	PG_RETURN_INT64(om_receive_stock(sku, warehouse, qty, unit_cost));
}
