/*
 * order_status.c
 *		Status changes the extension makes itself, and the one test of
 *		whether a change is allowed: the data in ordermgmt.order_transitions.
 *
 * The lifecycle trigger (lifecycle.c) guards every change of
 * orders.status, whoever makes it.  A change with side effects that plain
 * SQL cannot perform (reserving or shipping stock) is marked manual =
 * false and made only by an API function: om_set_status writes it inside
 * OM_API_BEGIN/OM_API_END, which the trigger recognises by om_api_depth.
 * An API function first asks om_require_transition, so that it refuses
 * with the same rule the trigger applies, before it has done any work.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

int			om_api_depth = 0;

/*
 * Set an order's status through the trigger.  reason becomes hold_reason
 * (on_hold) or cancel_reason (cancelled).
 */
void
om_set_status(int64 order_id, const char *to_status, const char *reason)
{
	static OmPlan update_status = OM_PLAN(
		"UPDATE ordermgmt.orders SET status = $2::ordermgmt.order_status, "
		"       hold_reason = CASE WHEN $2 = 'on_hold' THEN coalesce($3, 'held by hand') END, "
		"       cancel_reason = CASE WHEN $2 = 'cancelled' THEN $3 ELSE cancel_reason END "
		" WHERE order_id = $1",
		INT8OID, TEXTOID, TEXTOID);
	Datum		v[3];
	char		nulls[3] = {' ', ' ', ' '};

	v[0] = Int64GetDatum(order_id);
	v[1] = om_text_datum(to_status);
	if (reason)
		v[2] = om_text_datum(reason);
	else
		nulls[2] = 'n';
	OM_API_BEGIN();
	om_exec(&update_status, v, nulls, false, 0);
	OM_API_END();
}

/*
 * Lock an order row and return its status (palloc'd), or raise OM005.
 */
char *
om_lock_order(int64 order_id)
{
	OmOrder		order;

	om_load_order(order_id, &order);
	return order.status;
}

/*
 * Lock an order row (FOR NO KEY UPDATE: the first lock of every path that
 * changes an order, see the lock order in exposure.c) and load what the
 * operations on it need, or raise OM005.
 */
void
om_load_order(int64 order_id, OmOrder *order)
{
	static OmPlan lock_order = OM_PLAN(
		"SELECT status::text, customer_id, warehouse_id, currency::text, sourcing = 'split' "
		"  FROM ordermgmt.orders WHERE order_id = $1 FOR NO KEY UPDATE",
		INT8OID);
	/* Result columns of lock_order. */
	enum
	{
		LOCK_ORDER_STATUS = 1,
		LOCK_ORDER_CUSTOMER_ID,
		LOCK_ORDER_WAREHOUSE_ID,
		LOCK_ORDER_CURRENCY,
		LOCK_ORDER_SPLIT
	};
	Datum		v[1];

	v[0] = Int64GetDatum(order_id);
	if (om_exec(&lock_order, v, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("order " INT64_FORMAT " does not exist", order_id)));
	order->order_id = order_id;
	order->status = om_gettext(0, LOCK_ORDER_STATUS);
	order->customer_id = om_getint64(0, LOCK_ORDER_CUSTOMER_ID);
	order->warehouse_id = om_getint64(0, LOCK_ORDER_WAREHOUSE_ID);
	order->currency = om_gettext(0, LOCK_ORDER_CURRENCY);
	order->split = om_getbool(0, LOCK_ORDER_SPLIT);
}

/* Comma-separated statuses an order may move to from "from", for hints. */
char *
om_allowed_targets(const char *from)
{
	static OmPlan targets = OM_PLAN(
		"SELECT string_agg(to_status::text, ', ' ORDER BY to_status) "
		"  FROM ordermgmt.order_transitions WHERE from_status = $1::ordermgmt.order_status AND enabled",
		TEXTOID);
	/* Result column of targets. */
	enum
	{
		TARGETS_LIST = 1
	};
	Datum		v[1];
	char	   *s;

	v[0] = om_text_datum(from);
	om_exec(&targets, v, NULL, true, 1);
	s = om_gettext(0, TARGETS_LIST);
	return s ? s : "none";
}

/*
 * Refuse (OM001) unless order_id, now in status, may move to to_status.
 * action names the refused operation in the message ("hold", "cancel").
 */
void
om_require_transition(int64 order_id, const char *status, const char *to_status, const char *action)
{
	bool		manual;

	if (!om_transition_allowed(status, to_status, &manual))
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("cannot %s order " INT64_FORMAT ": it is %s", action, order_id, status),
				 errdetail("Allowed from %s: %s.", status, om_allowed_targets(status))));
}

/* hold_order: by hand, with a reason; reservations are kept. */
void
om_hold_order(int64 order_id, const char *reason)
{
	SPI_connect();
	om_require_transition(order_id, om_lock_order(order_id), "on_hold", "hold");
	om_set_status(order_id, "on_hold", reason);
	SPI_finish();
}

/*
 * cancel_order: until the first shipment; the trigger locks the customer
 * row (an order leaving the open statuses), then releases reservations.
 */
void
om_cancel_order(int64 order_id, const char *reason)
{
	SPI_connect();
	om_require_transition(order_id, om_lock_order(order_id), "cancelled", "cancel");
	om_set_status(order_id, "cancelled", reason);
	SPI_finish();
}

void
om_start_processing(int64 order_id)
{
	SPI_connect();
	om_require_transition(order_id, om_lock_order(order_id), "processing", "start processing");
	om_set_status(order_id, "processing", NULL);
	SPI_finish();
}
