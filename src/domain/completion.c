/*
 * completion.c
 *		An order completes by itself: delivered, every kept unit invoiced,
 *		every invoice paid.  Called by whatever can settle the last of these
 *		(delivery, invoicing, payment, a return's credit note).
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"

/* A delivered order that is fully invoiced and fully paid becomes completed. */
void
om_maybe_complete(int64 order_id)
{
	static OmPlan settled = OM_PLAN(
		"SELECT o.status = 'delivered' "
		"   AND NOT EXISTS (SELECT 1 FROM ordermgmt.order_lines l WHERE l.order_id = o.order_id "
		"                      AND l.shipped_qty - l.returned_qty <> l.invoiced_qty - l.credited_qty) "
		"   AND NOT EXISTS (SELECT 1 FROM ordermgmt.invoices i WHERE i.order_id = o.order_id AND i.due > 0) "
		"  FROM ordermgmt.orders o WHERE o.order_id = $1",
		INT8OID);
	/* Result column of settled. */
	enum
	{
		SETTLED_CAN_COMPLETE = 1
	};
	Datum		v[1];

	v[0] = Int64GetDatum(order_id);
	if (om_exec(&settled, v, NULL, false, 1) > 0 && om_getbool(0, SETTLED_CAN_COMPLETE))
		om_set_status(order_id, "completed", NULL);
}
