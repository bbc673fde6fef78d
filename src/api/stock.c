/*
 * stock.c
 *		receive_stock (domain/stock.c), transfer_stock and count_stock
 *		(domain/stock_ops.c).
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

/*
 * transfer_stock(sku text, from_warehouse text, to_warehouse text, qty numeric,
 *                reference text DEFAULT NULL) returns bigint
 */
PG_FUNCTION_INFO_V1(ordermgmt_transfer_stock);
Datum
ordermgmt_transfer_stock(PG_FUNCTION_ARGS)
{
	char	   *sku = om_text_arg(fcinfo, 0, "sku");
	char	   *from = om_text_arg(fcinfo, 1, "from_warehouse");
	char	   *to = om_text_arg(fcinfo, 2, "to_warehouse");
	Numeric		qty = om_numeric_arg(fcinfo, 3, "qty", false);
	char	   *reference = om_text_arg_or_null(fcinfo, 4, "reference");

	PG_RETURN_INT64(om_transfer_stock(sku, from, to, qty, reference));
}

/*
 * count_stock(sku text, warehouse text, counted numeric, reason text) returns
 * bigint: the move, NULL when the count agrees with the stock
 */
PG_FUNCTION_INFO_V1(ordermgmt_count_stock);
Datum
ordermgmt_count_stock(PG_FUNCTION_ARGS)
{
	char	   *sku = om_text_arg(fcinfo, 0, "sku");
	char	   *warehouse = om_text_arg(fcinfo, 1, "warehouse");
	Numeric		counted = om_numeric_arg(fcinfo, 2, "counted", true);
	char	   *reason = om_text_arg(fcinfo, 3, "reason");
	int64		move_id = om_count_stock(sku, warehouse, counted, reason);

	if (move_id == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT64(move_id);
}
