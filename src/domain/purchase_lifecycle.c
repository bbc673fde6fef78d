/*
 * purchase_lifecycle.c
 *		The purchase order lifecycle: one C function as two triggers on
 *		ordermgmt.purchase_orders, like the orders' (lifecycle.c).
 *
 *	- BEFORE INSERT/UPDATE/DELETE checks the change against the data in
 *	  purchase_transitions (cached, config_cache.c) and stamps
 *	  status_changed_at;
 *	- AFTER INSERT/UPDATE OF status, expected_at writes the event and keeps
 *	  the L2_PURCHASE_LATE deadline: set while the order is open (ordered or
 *	  partially received) at its expected_at, moved with it, dropped with
 *	  its alert resolved when the order is received or cancelled.
 * So a plain UPDATE ... SET status obeys exactly the rules the API does.
 */
#include "domain/domain.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

static char *
col_text(HeapTuple tuple, TupleDesc desc, const char *attname)
{
	return SPI_getvalue(tuple, desc, SPI_fnumber(desc, attname));
}

static int64
col_int64(HeapTuple tuple, TupleDesc desc, const char *attname)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, SPI_fnumber(desc, attname), desc, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

static bool
col_changed(HeapTuple a, HeapTuple b, TupleDesc desc, const char *attname)
{
	char	   *va = col_text(a, desc, attname);
	char	   *vb = col_text(b, desc, attname);

	if (va == NULL || vb == NULL)
		return va != vb;
	return strcmp(va, vb) != 0;
}

/* Ordered or partially received: goods are still expected. */
static bool
status_open(const char *status)
{
	return strcmp(status, "ordered") == 0 || strcmp(status, "partially_received") == 0;
}

static HeapTuple
purchase_before(TriggerData *trigdata)
{
	static const char *const fixed[] = {"po_id", "supplier_id", "warehouse_id", "reference",
										"created_at", "created_by", NULL};
	TupleDesc	desc = trigdata->tg_relation->rd_att;
	HeapTuple	oldtup = trigdata->tg_trigtuple;
	HeapTuple	newtup = trigdata->tg_newtuple;
	int64		po_id = col_int64(oldtup, desc, "po_id");
	char	   *old_status;
	char	   *new_status;
	char	   *reason;
	bool		manual;
	int			cols[1];
	Datum		repl[1];
	bool		replnull[1] = {false};
	int			i;

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		new_status = col_text(oldtup, desc, "status");
		/* No status: the NOT NULL constraint, checked after this trigger, refuses the row. */
		if (new_status != NULL && strcmp(new_status, "draft") != 0 && strcmp(new_status, "ordered") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
					 errmsg("a new purchase order must start as draft or ordered, not %s", new_status),
					 errhint("Use ordermgmt.create_purchase_order().")));
		return oldtup;
	}

	old_status = col_text(oldtup, desc, "status");
	if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
	{
		if (strcmp(old_status, "draft") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
					 errmsg("purchase order " INT64_FORMAT " is %s and cannot be deleted", po_id, old_status),
					 errhint("Only drafts can be deleted; cancel the purchase order instead.")));
		return oldtup;
	}

	/* UPDATE */
	new_status = col_text(newtup, desc, "status");
	if (new_status == NULL)
		return newtup;			/* refused by the NOT NULL constraint */
	for (i = 0; fixed[i] != NULL; i++)
		if (col_changed(oldtup, newtup, desc, fixed[i]))
			ereport(ERROR,
					(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
					 errmsg("the %s of purchase order " INT64_FORMAT " cannot change", fixed[i], po_id)));
	if (col_changed(oldtup, newtup, desc, "expected_at") &&
		!(strcmp(old_status, "draft") == 0 || status_open(old_status)))
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("purchase order " INT64_FORMAT " is %s: its expected time is final", po_id, old_status)));
	if ((reason = col_text(newtup, desc, "cancel_reason")) != NULL)
		om_check_text_length(reason, "cancel_reason");

	if (strcmp(old_status, new_status) == 0)
	{
		if (col_changed(oldtup, newtup, desc, "status_changed_at"))
			ereport(ERROR,
					(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
					 errmsg("the status time of purchase order " INT64_FORMAT " cannot be changed", po_id),
					 errhint("status_changed_at is recorded as the status changes.")));
		return newtup;
	}
	if (!om_purchase_transition_allowed(old_status, new_status, &manual))
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("illegal status transition from %s to %s for purchase order " INT64_FORMAT,
						old_status, new_status, po_id),
				 errdetail("See ordermgmt.purchase_transitions for the allowed changes.")));
	if (!manual && om_api_depth == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("status transition from %s to %s for purchase order " INT64_FORMAT " needs its API function",
						old_status, new_status, po_id),
				 errdetail("Receiving brings stock and postings that a plain UPDATE cannot perform."),
				 errhint("Use ordermgmt.receive_purchase().")));

	cols[0] = SPI_fnumber(desc, "status_changed_at");
	repl[0] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	return heap_modify_tuple_by_cols(newtup, desc, 1, cols, repl, replnull);
}

static void
purchase_after(TriggerData *trigdata)
{
	TupleDesc	desc = trigdata->tg_relation->rd_att;
	bool		is_insert = TRIGGER_FIRED_BY_INSERT(trigdata->tg_event);
	HeapTuple	newtup = is_insert ? trigdata->tg_trigtuple : trigdata->tg_newtuple;
	char	   *old_status = is_insert ? NULL : col_text(trigdata->tg_trigtuple, desc, "status");
	char	   *new_status = col_text(newtup, desc, "status");
	int64		po_id = col_int64(newtup, desc, "po_id");
	char	   *expected_at = col_text(newtup, desc, "expected_at");
	bool		isnull;
	Datum		expected = heap_getattr(newtup, SPI_fnumber(desc, "expected_at"), desc, &isnull);
	bool		status_changed = is_insert || strcmp(old_status, new_status) != 0;

	if (is_insert)
		om_emit_event("purchase.created", 0,
					  psprintf("{\"po_id\": " INT64_FORMAT ", \"supplier_id\": " INT64_FORMAT ", "
							   "\"warehouse_id\": " INT64_FORMAT ", \"status\": %s, \"expected_at\": %s}",
							   po_id, col_int64(newtup, desc, "supplier_id"),
							   col_int64(newtup, desc, "warehouse_id"), om_json_quote(new_status),
							   om_json_quote(expected_at)));
	if (status_changed && !(is_insert && strcmp(new_status, "draft") == 0))
	{
		char	   *reason = col_text(newtup, desc, "cancel_reason");

		om_emit_event(psprintf("purchase.%s", new_status), 0,
					  psprintf("{\"po_id\": " INT64_FORMAT ", \"from\": %s, \"to\": %s%s%s}",
							   po_id, old_status ? om_json_quote(old_status) : "null", om_json_quote(new_status),
							   reason ? ", \"reason\": " : "", reason ? om_json_quote(reason) : ""));
	}
	else if (!status_changed && col_changed(trigdata->tg_trigtuple, newtup, desc, "expected_at"))
		om_emit_event("purchase.expected_changed", 0,
					  psprintf("{\"po_id\": " INT64_FORMAT ", \"expected_at\": %s}",
							   po_id, om_json_quote(expected_at)));

	/* The lateness deadline: while open, at expected_at. */
	if (status_open(new_status))
	{
		bool		was_open = !is_insert && status_open(old_status);

		if (!was_open)
			om_deadline_set("L2_PURCHASE_LATE", "purchase_order", po_id, 0, NULL, expected);
		else if (col_changed(trigdata->tg_trigtuple, newtup, desc, "expected_at"))
		{
			/* A new expected time: lateness is judged afresh against it. */
			om_deadline_clear("L2_PURCHASE_LATE", "purchase_order", po_id, "expected time moved");
			om_deadline_set("L2_PURCHASE_LATE", "purchase_order", po_id, 0, NULL, expected);
		}
	}
	else if (!is_insert && status_open(old_status))
		om_deadline_clear("L2_PURCHASE_LATE", "purchase_order", po_id,
						  strcmp(new_status, "received") == 0 ? "purchase order received" :
						  "purchase order cancelled");
}

/*
 * The lifecycle trigger on purchase_orders (row, INSERT/UPDATE/DELETE,
 * BEFORE and AFTER): returns the row to store (BEFORE) or NULL (AFTER).
 * A restore's rows (om_raw_load) pass untouched: their events and
 * deadlines are restored with them.
 */
HeapTuple
om_purchase_orders_lifecycle(TriggerData *trigdata)
{
	HeapTuple	result = NULL;

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) && om_raw_load())
		return trigdata->tg_trigtuple;

	SPI_connect();
	if (TRIGGER_FIRED_BEFORE(trigdata->tg_event))
		result = purchase_before(trigdata);
	else
		purchase_after(trigdata);
	/* The modified tuple must outlive SPI's memory. */
	if (result != NULL && result != trigdata->tg_trigtuple && result != trigdata->tg_newtuple)
		result = SPI_copytuple(result);
	SPI_finish();
	return result;
}
