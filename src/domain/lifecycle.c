/*
 * lifecycle.c
 *		The order lifecycle: the trigger that guards and records every status
 *		change, the guard on order lines, and the simple API transitions.
 *
 * ordermgmt.orders carries one C function as two triggers:
 *	- BEFORE INSERT/UPDATE/DELETE checks the change against the data in
 *	  order_transitions and stamps the row (status_changed_at, hold_reason);
 *	- AFTER INSERT/UPDATE OF status records it in order_status_history,
 *	  writes the event and performs side effects that any path to the new
 *	  status needs (a cancellation releases stock, cleared checks resolve
 *	  their alerts).
 * So a plain UPDATE ... SET status obeys exactly the rules the API does.
 */
#include "domain/domain.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

/* The label of the order_status value in a tuple's status column. */
static char *
tuple_status(HeapTuple tuple, TupleDesc desc)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, SPI_fnumber(desc, "status"), desc, &isnull);

	if (isnull)
		return NULL;
	return DatumGetCString(DirectFunctionCall1(enum_out, d));
}

static int64
tuple_int64(HeapTuple tuple, TupleDesc desc, const char *attname)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, SPI_fnumber(desc, attname), desc, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

static char *
tuple_text(HeapTuple tuple, TupleDesc desc, const char *attname)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, SPI_fnumber(desc, attname), desc, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static bool
tuple_has_value(HeapTuple tuple, TupleDesc desc, int attnum)
{
	bool		isnull;

	(void) heap_getattr(tuple, attnum, desc, &isnull);
	return !isnull;
}

static TimestampTz
tuple_timestamptz(HeapTuple tuple, TupleDesc desc, int attnum)
{
	bool		isnull;

	return DatumGetTimestampTz(heap_getattr(tuple, attnum, desc, &isnull));
}

static bool
tuple_col_changed(HeapTuple a, HeapTuple b, TupleDesc desc, const char *attname)
{
	char	   *va = SPI_getvalue(a, desc, SPI_fnumber(desc, attname));
	char	   *vb = SPI_getvalue(b, desc, SPI_fnumber(desc, attname));

	if (va == NULL || vb == NULL)
		return va != vb;
	return strcmp(va, vb) != 0;
}

/*
 * The net value of an order's lines, as it leaves draft: from then on its
 * lines are fixed, so v_daily_sales reads it from the order row instead of
 * summing the lines of every order in its window.
 */
static Datum
order_lines_net(int64 order_id)
{
	static OmPlan lines_net = OM_PLAN(
		"SELECT round(coalesce(sum(qty * unit_price), 0), 2) FROM ordermgmt.order_lines WHERE order_id = $1",
		INT8OID);
	/* Result column of lines_net. */
	enum
	{
		LINES_NET_VALUE = 1
	};
	Datum		v[1];
	bool		isnull;

	v[0] = Int64GetDatum(order_id);
	om_exec(&lines_net, v, NULL, false, 1);
	return om_getdatum(0, LINES_NET_VALUE, &isnull);
}

/*
 * Record each line's tax rate, the product's, as the order leaves draft:
 * from then on the order's value (its credit exposure, exposure.c) no
 * longer follows the product's rate.  A line written into the draft by
 * hand has no expected price yet (create_order's lines have theirs): it
 * gets the one in force now, as price_for gives it, from the customer's
 * list only when that is in the order's currency.
 */
static void
stamp_line_tax_rates(int64 order_id)
{
	static OmPlan stamp = OM_PLAN(
		"UPDATE ordermgmt.order_lines l SET tax_rate = p.tax_rate, "
		"       expected_price = coalesce(l.expected_price, "
		"         (SELECT " OM_BEST_BREAK("pl.price_list_id", "l.product_id", "l.qty", "now()")
		"            FROM ordermgmt.orders o "
		"            JOIN ordermgmt.customers c ON c.customer_id = o.customer_id "
		"            JOIN ordermgmt.price_lists pl ON pl.price_list_id = c.price_list_id "
		"                 AND pl.currency = o.currency AND " OM_IN_FORCE("pl", "now()")
		"           WHERE o.order_id = $1), "
		"         p.list_price) "
		"  FROM ordermgmt.products p WHERE l.order_id = $1 AND p.product_id = l.product_id",
		INT8OID);
	Datum		v[1];

	v[0] = Int64GetDatum(order_id);
	OM_API_BEGIN();
	om_exec(&stamp, v, NULL, false, 0);
	OM_API_END();
}

/* A client's hold or cancel reason is free text, bounded like the API's. */
static void
check_reasons(HeapTuple tuple, TupleDesc desc)
{
	char	   *hold_reason = tuple_text(tuple, desc, "hold_reason");
	char	   *cancel_reason = tuple_text(tuple, desc, "cancel_reason");

	if (hold_reason)
		om_check_text_length(hold_reason, "hold_reason");
	if (cancel_reason)
		om_check_text_length(cancel_reason, "cancel_reason");
}

static HeapTuple
lifecycle_before(TriggerData *trigdata)
{
	TupleDesc	desc = trigdata->tg_relation->rd_att;
	HeapTuple	oldtup = trigdata->tg_trigtuple;
	HeapTuple	newtup = trigdata->tg_newtuple;
	char	   *old_status;
	char	   *new_status;
	bool		manual;
	int			delivered_col = SPI_fnumber(desc, "delivered_at");
	int			net_col = SPI_fnumber(desc, "ordered_net");
	int			cols[5];
	Datum		repl[5];
	bool		replnull[5];
	int			ncols = 0;

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		new_status = tuple_status(oldtup, desc);
		/* No status: the NOT NULL constraint, checked after this trigger, refuses the row. */
		if (new_status == NULL)
			return oldtup;
		/* Only create_order, after the level-1 checks, inserts an order confirmed. */
		if (strcmp(new_status, "draft") != 0 && strcmp(new_status, "pending") != 0 &&
			!(om_api_depth > 0 && strcmp(new_status, "confirmed") == 0))
			ereport(ERROR,
					(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
					 errmsg("a new order must start as draft or pending, not %s", new_status),
					 errhint("Insert it as pending and call ordermgmt.confirm_order().")));
		if (tuple_has_value(oldtup, desc, delivered_col))
			ereport(ERROR,
					(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
					 errmsg("a new order cannot be delivered already"),
					 errhint("delivered_at is recorded by ordermgmt.confirm_delivery().")));
		if (om_api_depth == 0)
		{
			if (tuple_has_value(oldtup, desc, net_col))
				ereport(ERROR,
						(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
						 errmsg("a new order's ordered net value cannot be given"),
						 errhint("ordered_net is recorded from the lines as the order leaves draft.")));
			om_check_system_columns("orders", desc, NULL, oldtup, NULL);
			check_reasons(oldtup, desc);
			/* Lines are added to drafts only: a plain pending order has none. */
			if (strcmp(new_status, "draft") != 0)
			{
				cols[0] = net_col;
				repl[0] = NumericGetDatum(om_numeric_from_cstring("0.00"));
				replnull[0] = false;
				return heap_modify_tuple_by_cols(oldtup, desc, 1, cols, repl, replnull);
			}
		}
		return oldtup;
	}

	old_status = tuple_status(oldtup, desc);

	if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
	{
		if (strcmp(old_status, "draft") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
					 errmsg("order " INT64_FORMAT " is %s and cannot be deleted",
							tuple_int64(oldtup, desc, "order_id"), old_status),
					 errhint("Only drafts can be deleted; cancel the order instead.")));
		/* A deleted quotation's expiry goes with it. */
		if (tuple_has_value(oldtup, desc, SPI_fnumber(desc, "valid_until")))
			om_quotation_expiry_clear(tuple_int64(oldtup, desc, "order_id"));
		return oldtup;
	}

	/* UPDATE */
	new_status = tuple_status(newtup, desc);
	if (new_status == NULL)
		return newtup;			/* refused by the NOT NULL constraint, as above */

	if (tuple_int64(oldtup, desc, "order_id") != tuple_int64(newtup, desc, "order_id"))
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("an order's id cannot change")));
	if (strcmp(old_status, "draft") != 0 &&
		(tuple_col_changed(oldtup, newtup, desc, "customer_id") ||
		 tuple_col_changed(oldtup, newtup, desc, "warehouse_id") ||
		 tuple_col_changed(oldtup, newtup, desc, "currency") ||
		 tuple_col_changed(oldtup, newtup, desc, "sourcing")))
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("order " INT64_FORMAT " is %s: its customer, warehouse, sourcing and currency are fixed",
						tuple_int64(oldtup, desc, "order_id"), old_status)));

	/* delivered_at is a fact recorded as the order becomes delivered. */
	if (!(strcmp(new_status, "delivered") == 0 && strcmp(old_status, new_status) != 0) &&
		tuple_col_changed(oldtup, newtup, desc, "delivered_at"))
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("the delivery time of order " INT64_FORMAT " cannot be changed",
						tuple_int64(oldtup, desc, "order_id")),
				 errhint("delivered_at is recorded by ordermgmt.confirm_delivery().")));

	/* ordered_net is a fact recorded as the order leaves draft. */
	if (om_api_depth == 0 &&
		!(strcmp(old_status, "draft") == 0 && strcmp(new_status, "draft") != 0) &&
		tuple_col_changed(oldtup, newtup, desc, "ordered_net"))
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("the ordered net value of order " INT64_FORMAT " cannot be changed",
						tuple_int64(oldtup, desc, "order_id")),
				 errhint("ordered_net is recorded from the lines as the order leaves draft.")));

	if (om_api_depth == 0)
	{
		/* Leaving draft, the values given for these are replaced below: accepted. */
		static const char *const leaving_draft[] = {"status_changed_at", "ordered_net", NULL};

		om_check_system_columns("orders", desc, oldtup, newtup,
								strcmp(old_status, "draft") == 0 && strcmp(new_status, "draft") != 0 ?
								leaving_draft : NULL);
		check_reasons(newtup, desc);
	}

	if (strcmp(old_status, new_status) == 0)
		return newtup;

	if (!om_transition_allowed(old_status, new_status, &manual))
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("illegal status transition from %s to %s for order " INT64_FORMAT,
						old_status, new_status, tuple_int64(oldtup, desc, "order_id")),
				 errdetail("Allowed from %s: %s.", old_status, om_allowed_targets(old_status))));
	if (!manual && om_api_depth == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("status transition from %s to %s for order " INT64_FORMAT " needs its API function",
						old_status, new_status, tuple_int64(oldtup, desc, "order_id")),
				 errdetail("This change has side effects (stock, shipments) that a plain UPDATE cannot perform."),
				 errhint("Use ordermgmt.%s().",
						 strcmp(new_status, "confirmed") == 0 ? "confirm_order" :
						 strcmp(new_status, "delivered") == 0 ? "confirm_delivery" :
						 strcmp(new_status, "completed") == 0 ? "record_payment" : "ship_order")));

	/* Stamp the row: when the status changed, and a reason exactly while on hold. */
	cols[ncols] = SPI_fnumber(desc, "status_changed_at");
	repl[ncols] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	replnull[ncols++] = false;
	if (strcmp(new_status, "on_hold") == 0)
	{
		if (tuple_text(newtup, desc, "hold_reason") == NULL)
		{
			cols[ncols] = SPI_fnumber(desc, "hold_reason");
			repl[ncols] = om_text_datum("held by hand");
			replnull[ncols++] = false;
		}
	}
	else
	{
		cols[ncols] = SPI_fnumber(desc, "hold_reason");
		repl[ncols] = (Datum) 0;
		replnull[ncols++] = true;
	}
	if (strcmp(new_status, "confirmed") == 0)
	{
		cols[ncols] = SPI_fnumber(desc, "confirmed_at");
		repl[ncols] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
		replnull[ncols++] = false;
	}
	if (strcmp(old_status, "draft") == 0)
	{
		cols[ncols] = net_col;
		repl[ncols] = order_lines_net(tuple_int64(oldtup, desc, "order_id"));
		replnull[ncols++] = false;
	}
	if (strcmp(new_status, "delivered") == 0)
	{
		TimestampTz last = 0;

		cols[ncols] = delivered_col;
		replnull[ncols] = !om_last_delivery(tuple_int64(oldtup, desc, "order_id"), &last);
		repl[ncols++] = TimestampTzGetDatum(last);
	}
	return heap_modify_tuple_by_cols(newtup, desc, ncols, cols, repl, replnull);
}

static void
lifecycle_after(TriggerData *trigdata)
{
	TupleDesc	desc = trigdata->tg_relation->rd_att;
	bool		is_insert = TRIGGER_FIRED_BY_INSERT(trigdata->tg_event);
	HeapTuple	newtup = is_insert ? trigdata->tg_trigtuple : trigdata->tg_newtuple;
	char	   *old_status = is_insert ? NULL : tuple_status(trigdata->tg_trigtuple, desc);
	char	   *new_status = tuple_status(newtup, desc);
	int64		order_id = tuple_int64(newtup, desc, "order_id");
	int64		customer_id = tuple_int64(newtup, desc, "customer_id");
	int			exposure_sign;
	char	   *reason = NULL;
	StringInfoData payload;
	bool		isnull;
	Datum		promised_at = heap_getattr(newtup, SPI_fnumber(desc, "promised_at"), desc, &isnull);
	int			delivered_col = SPI_fnumber(desc, "delivered_at");

	if (old_status != NULL && strcmp(old_status, new_status) == 0)
	{
		/* Only the promised time changed: move the delivery deadline. */
		bool		old_isnull;
		Datum		old_promised = heap_getattr(trigdata->tg_trigtuple, SPI_fnumber(desc, "promised_at"),
												desc, &old_isnull);

		if (isnull != old_isnull ||
			(!isnull && DatumGetTimestampTz(promised_at) != DatumGetTimestampTz(old_promised)))
		{
			om_order_monitor(order_id, old_status, new_status, !isnull, promised_at, true, NULL);
			/* An event as for every change the order's reports show. */
			initStringInfo(&payload);
			appendStringInfo(&payload, "{\"promised_at\": %s}",
							 isnull ? "null" :
							 om_json_quote(DatumGetCString(DirectFunctionCall1(timestamptz_out, promised_at))));
			om_emit_event("order.promise_changed", order_id, payload.data);
			/* A delivered order is counted against its new promise instead. */
			if (tuple_has_value(newtup, desc, delivered_col))
			{
				TimestampTz delivered_at = tuple_timestamptz(newtup, desc, delivered_col);

				if (!old_isnull)
					om_count_delivery(customer_id, delivered_at, DatumGetTimestampTz(old_promised), -1);
				if (!isnull)
					om_count_delivery(customer_id, delivered_at, DatumGetTimestampTz(promised_at), 1);
			}
		}
		return;
	}

	if (strcmp(new_status, "on_hold") == 0)
		reason = tuple_text(newtup, desc, "hold_reason");
	else if (strcmp(new_status, "cancelled") == 0)
		reason = tuple_text(newtup, desc, "cancel_reason");

	/*
	 * A new order records its history, deadlines and events in one
	 * statement (new_orders.c); create_order inserts an order that passed
	 * its checks as confirmed, recorded as created pending, then confirmed.
	 * Nothing else applies to a new order: it has no lines yet (create_order
	 * adds its exposure once they are stored) and nothing to clear.
	 */
	if (is_insert)
	{
		OmNewOrderRecord record;

		record.order_id = order_id;
		record.customer_id = customer_id;
		record.status = new_status;
		record.via_pending = strcmp(new_status, "draft") != 0 && strcmp(new_status, "pending") != 0;
		record.has_promised_at = !isnull;
		record.promised_at = promised_at;
		record.ordered_net = heap_getattr(newtup, SPI_fnumber(desc, "ordered_net"), desc, &record.net_null);
		om_record_new_orders(1, &record);
		return;
	}

	initStringInfo(&payload);
	appendStringInfo(&payload, "{\"from\": %s, \"to\": %s", om_json_quote(old_status),
					 om_json_quote(new_status));
	if (reason)
		appendStringInfo(&payload, ", \"reason\": %s", om_json_quote(reason));
	appendStringInfoChar(&payload, '}');
	om_emit_event("order.status_changed", order_id, payload.data);

	/* Side effects every path to the new status needs. */
	if (old_status != NULL && strcmp(old_status, "draft") == 0)
		stamp_line_tax_rates(order_id);
	/*
	 * Entering or leaving the open statuses moves the order's value in or
	 * out of its customer's exposure.  The customer row is locked before
	 * the stock rows a cancellation releases
	 * (the lock order of exposure.c), the exposure row after them.
	 */
	exposure_sign = (int) om_status_open(new_status) - (int) om_status_open(old_status);
	if (exposure_sign != 0 && strcmp(new_status, "cancelled") == 0)
		om_lock_customer(customer_id);
	if (strcmp(new_status, "cancelled") == 0)
		om_release_reservations(order_id);
	if (strcmp(new_status, "delivered") == 0 && !isnull &&
		tuple_has_value(newtup, desc, delivered_col))
		om_count_delivery(customer_id,
						  tuple_timestamptz(newtup, desc, delivered_col),
						  DatumGetTimestampTz(promised_at), 1);
	om_order_monitor(order_id, old_status, new_status, !isnull, promised_at, false, reason);
	if (exposure_sign != 0)
		om_exposure_order_moved(order_id, customer_id, tuple_text(newtup, desc, "currency"), exposure_sign);
}

/*
 * The lifecycle trigger on orders (row, INSERT/UPDATE/DELETE, BEFORE and
 * AFTER): returns the row to store (BEFORE) or NULL (AFTER).
 */
HeapTuple
om_orders_lifecycle(TriggerData *trigdata)
{
	HeapTuple	result = NULL;

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) && om_raw_load())
		return trigdata->tg_trigtuple;
	/* create_orders' set-based path records its new orders itself (bulk_entry.c). */
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) && TRIGGER_FIRED_AFTER(trigdata->tg_event) &&
		om_bulk_entry_writing)
		return NULL;

	SPI_connect();
	if (TRIGGER_FIRED_BEFORE(trigdata->tg_event))
		result = lifecycle_before(trigdata);
	else
		lifecycle_after(trigdata);
	/* The modified tuple must outlive SPI's memory. */
	if (result != NULL && result != trigdata->tg_trigtuple && result != trigdata->tg_newtuple)
		result = SPI_copytuple(result);
	SPI_finish();
	return result;
}

/*
 * A line a client changes loses its expected price: the submission prices
 * it again (stamp_line_tax_rates) for what it has become.
 */
static HeapTuple
forget_expected_price(HeapTuple tuple, TupleDesc desc)
{
	int			cols[1];
	Datum		repl[1] = {(Datum) 0};
	bool		replnull[1] = {true};

	cols[0] = SPI_fnumber(desc, "expected_price");
	if (cols[0] <= 0)
		elog(ERROR, "ordermgmt: column order_lines.expected_price is missing");
	return heap_modify_tuple_by_cols(tuple, desc, 1, cols, repl, replnull);
}

/*
 * order_lines_guard: lines change only while their order is a draft (or
 * from inside an API function building the order).  Locking the order row
 * FOR SHARE makes an edit wait for, and then see, a concurrent submission.
 */
HeapTuple
om_order_lines_guard(TriggerData *trigdata)
{
	static const char *const repriced[] = {"expected_price", NULL};

	static OmPlan order_status = OM_PLAN(
		"SELECT status::text FROM ordermgmt.orders WHERE order_id = $1 FOR SHARE",
		INT8OID);
	/* Result column of order_status. */
	enum
	{
		ORDER_STATUS_VALUE = 1
	};
	TupleDesc	desc;
	HeapTuple	rettuple;
	int64		ids[2];
	int			nids = 0;
	int			i;

	desc = trigdata->tg_relation->rd_att;
	rettuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	if (om_api_depth > 0 || (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) && om_raw_load()))
		return rettuple;
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		om_check_system_columns("order_lines", desc, NULL, rettuple, NULL);
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		om_check_system_columns("order_lines", desc, trigdata->tg_trigtuple, rettuple, repriced);
		rettuple = forget_expected_price(rettuple, desc);
	}

	ids[nids++] = tuple_int64(trigdata->tg_trigtuple, desc, "order_id");
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) &&
		tuple_int64(trigdata->tg_newtuple, desc, "order_id") != ids[0])
		ids[nids++] = tuple_int64(trigdata->tg_newtuple, desc, "order_id");

	SPI_connect();
	for (i = 0; i < nids; i++)
	{
		Datum		v[1];
		char	   *status;

		v[0] = Int64GetDatum(ids[i]);
		/* No order: a cascade from deleting the draft, or the FK will refuse. */
		if (om_exec(&order_status, v, NULL, false, 1) == 0)
			continue;
		status = om_gettext(0, ORDER_STATUS_VALUE);
		if (strcmp(status, "draft") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
					 errmsg("order " INT64_FORMAT " is %s: its lines can no longer change", ids[i], status),
					 errhint("Only a draft's lines can be edited.")));
	}
	SPI_finish();
	return rettuple;
}

