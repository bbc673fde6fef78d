/*
 * pricing.c
 *		price_for: the price a line gets when it gives none.
 *
 * The customer's price list, if it is in force at the given time, gives
 * the item of the largest quantity break not above the line's quantity
 * among its items in force then; without such an item (or list) the
 * product's list_price applies.  The price is in the list's currency:
 * price_for takes no currency, create_order refuses an order in another
 * currency than the customer's list in force (order_entry.c).
 *
 * create_order and the submission of a draft (lifecycle.c) price their
 * lines set-based with the same fragments (OM_IN_FORCE, OM_BEST_BREAK in
 * domain.h) instead of calling this once per line.
 */
#include "domain/domain.h"

#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/memutils.h"

Numeric
om_price_for(const char *customer, const char *sku, Numeric qty, TimestampTz at)
{
	static OmPlan price = OM_PLAN(
		"SELECT c.customer_id, p.product_id, "
		"       coalesce((SELECT " OM_BEST_BREAK("l.price_list_id", "p.product_id", "$3", "$4")
		"                   FROM ordermgmt.price_lists l "
		"                  WHERE l.price_list_id = c.price_list_id AND " OM_IN_FORCE("l", "$4") "), "
		"                p.list_price) "
		"  FROM (SELECT) AS s "
		"  LEFT JOIN ordermgmt.customers c ON c.code = $1 "
		"  LEFT JOIN ordermgmt.products p ON p.sku = $2",
		TEXTOID, TEXTOID, NUMERICOID, TIMESTAMPTZOID);
	/* Result columns of price. */
	enum
	{
		PRICE_CUSTOMER_ID = 1,
		PRICE_PRODUCT_ID,
		PRICE_VALUE
	};
	Datum		v[4];
	bool		isnull;
	Numeric		result;
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext spi;

	SPI_connect();
	v[0] = om_text_datum(customer);
	v[1] = om_text_datum(sku);
	v[2] = NumericGetDatum(qty);
	v[3] = TimestampTzGetDatum(at);
	om_exec(&price, v, NULL, true, 1);
	(void) om_getdatum(0, PRICE_CUSTOMER_ID, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("unknown customer \"%s\"", customer)));
	(void) om_getdatum(0, PRICE_PRODUCT_ID, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("unknown product \"%s\"", sku)));
	/* The price outlives SPI: copied into the caller's context. */
	spi = MemoryContextSwitchTo(caller);
	result = DatumGetNumericCopy(om_getdatum(0, PRICE_VALUE, &isnull));
	MemoryContextSwitchTo(spi);
	SPI_finish();
	return result;
}
