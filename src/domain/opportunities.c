/*
 * opportunities.c
 *		The sales pipeline's rules: the trigger that guards and records every
 *		stage change of an opportunity, and the quotation's fate that wins or
 *		loses it.
 *
 * Stages (opportunity_stages, in pipeline order): lead, qualified,
 * proposal, won, lost.
 *	- lead and qualified are set by hand, either way;
 *	- proposal only by quote_opportunity (quotation.c), which links the
 *	  draft order it creates (opportunities.order_id, orders.opportunity_id);
 *	  a quoted opportunity does not go back;
 *	- won only while the linked order is confirmed or further: the orders
 *	  trigger orders_opportunity_fate moves it as the order is confirmed;
 *	- lost as the linked order is cancelled (the same trigger), or by hand
 *	  while no linked order is open;
 *	- won and lost are final: stage, customer, value, currency,
 *	  probability and order no longer change.
 * Entering a stage sets the probability to the stage's default unless the
 * same change gives one; won and lost always take theirs (1 and 0).  So a
 * plain UPDATE ... SET stage obeys exactly the rules the API does; a
 * refused move raises OM001 and changes nothing.
 *
 * Lock order: an opportunity row comes last, after everything an order's
 * status change locks (the fate trigger runs at the end of it).
 * quote_opportunity locks the opportunity first and then only creates a
 * new draft, which nobody else can see yet, and reads (without locking)
 * the order it may already have.
 */
#include "domain/domain.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"

static bool
stage_is(const char *stage, const char *name)
{
	return stage != NULL && strcmp(stage, name) == 0;
}

static bool
stage_closed(const char *stage)
{
	return stage_is(stage, "won") || stage_is(stage, "lost");
}

/* A quotation still waiting for its fate: not yet confirmed, not cancelled. */
static bool
quotation_open(const char *status)
{
	return strcmp(status, "draft") == 0 || strcmp(status, "pending") == 0 ||
		strcmp(status, "on_hold") == 0;
}

static Datum
col_datum(HeapTuple tuple, TupleDesc desc, const char *name, bool *isnull)
{
	return heap_getattr(tuple, SPI_fnumber(desc, name), desc, isnull);
}

static int64
col_int64(HeapTuple tuple, TupleDesc desc, const char *name)
{
	bool		isnull;
	Datum		d = col_datum(tuple, desc, name, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

static char *
col_text(HeapTuple tuple, TupleDesc desc, const char *name)
{
	bool		isnull;
	Datum		d = col_datum(tuple, desc, name, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static bool
col_null(HeapTuple tuple, TupleDesc desc, const char *name)
{
	bool		isnull;

	(void) col_datum(tuple, desc, name, &isnull);
	return isnull;
}

static bool
col_changed(HeapTuple a, HeapTuple b, TupleDesc desc, const char *name)
{
	int			attnum = SPI_fnumber(desc, name);
	Form_pg_attribute att = TupleDescAttr(desc, attnum - 1);
	bool		anull;
	bool		bnull;
	Datum		av = heap_getattr(a, attnum, desc, &anull);
	Datum		bv = heap_getattr(b, attnum, desc, &bnull);

	if (anull || bnull)
		return anull != bnull;
	return !datum_image_eq(av, bv, att->attbyval, att->attlen);
}

/*
 * The status of order_id, or NULL when it does not exist (a deleted
 * draft).  Read without a lock: the order's own status change decides
 * the opportunity's fate.
 */
static char *
order_status(int64 order_id)
{
	static OmPlan status_of = OM_PLAN(
		"SELECT status::text FROM ordermgmt.orders WHERE order_id = $1",
		INT8OID);
	/* Result column of status_of. */
	enum
	{
		STATUS_OF_STATUS = 1
	};
	Datum		v[1];

	v[0] = Int64GetDatum(order_id);
	if (om_exec(&status_of, v, NULL, false, 1) == 0)
		return NULL;
	return om_gettext(0, STATUS_OF_STATUS);
}

/*
 * The stage's default probability, and the currency setting (the default
 * currency of a new opportunity); an unknown stage is refused.
 */
static void
stage_defaults(const char *stage, Datum *probability, Datum *currency)
{
	static OmPlan defaults = OM_PLAN(
		"SELECT s.probability, "
		"       coalesce((SELECT value FROM ordermgmt.settings WHERE key = 'currency'), 'EUR') "
		"  FROM ordermgmt.opportunity_stages s WHERE s.stage = $1",
		TEXTOID);
	/* Result columns of defaults. */
	enum
	{
		DEFAULTS_PROBABILITY = 1,
		DEFAULTS_CURRENCY
	};
	Datum		v[1];
	bool		isnull;

	v[0] = om_text_datum(stage);
	if (om_exec(&defaults, v, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown opportunity stage \"%s\"", stage),
				 errhint("The stages are lead, qualified, proposal, won and lost.")));
	*probability = SPI_datumTransfer(om_getdatum(0, DEFAULTS_PROBABILITY, &isnull), false, -1);
	*currency = SPI_datumTransfer(om_getdatum(0, DEFAULTS_CURRENCY, &isnull), false, -1);
}

static HeapTuple
guard_insert(TupleDesc desc, HeapTuple tuple)
{
	char	   *stage = col_text(tuple, desc, "stage");
	char	   *title = col_text(tuple, desc, "title");
	Datum		probability;
	Datum		currency;
	int			cols[2];
	Datum		repl[2];
	bool		replnull[2] = {false, false};
	int			ncols = 0;

	if (stage == NULL)
		return tuple;			/* refused by the NOT NULL constraint */
	if (!stage_is(stage, "lead") && !stage_is(stage, "qualified"))
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("a new opportunity starts as lead or qualified, not %s", stage),
				 errhint("proposal comes with ordermgmt.quote_opportunity(), won and lost with the quotation's fate.")));
	if (!col_null(tuple, desc, "order_id"))
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("a new opportunity has no order yet"),
				 errhint("ordermgmt.quote_opportunity() creates its quotation and links it.")));
	if (title != NULL)
		om_check_text_length(title, "title");

	stage_defaults(stage, &probability, &currency);
	if (col_null(tuple, desc, "probability"))
	{
		cols[ncols] = SPI_fnumber(desc, "probability");
		repl[ncols++] = probability;
	}
	if (col_null(tuple, desc, "currency"))
	{
		cols[ncols] = SPI_fnumber(desc, "currency");
		repl[ncols++] = DirectFunctionCall3(bpcharin, CStringGetDatum(TextDatumGetCString(currency)),
											ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	}
	if (ncols == 0)
		return tuple;
	return heap_modify_tuple_by_cols(tuple, desc, ncols, cols, repl, replnull);
}

/*
 * A change of the linked order: set only by quote_opportunity; cleared
 * only by the deletion of the draft (the foreign key's ON DELETE SET NULL).
 */
static void
check_order_link(int64 id, int64 old_order, int64 new_order)
{
	if (new_order != 0 && om_api_depth == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("the order of opportunity " INT64_FORMAT " is set by quote_opportunity", id),
				 errhint("Call ordermgmt.quote_opportunity() to create and link its quotation.")));
	if (new_order == 0 && order_status(old_order) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("opportunity " INT64_FORMAT " keeps its quotation, order " INT64_FORMAT, id, old_order),
				 errhint("Cancel the order with ordermgmt.cancel_order(): that loses the opportunity.")));
}

/* May the stage move from -> to?  order_id is the linked order (0: none). */
static void
check_move(int64 id, const char *from, const char *to, int64 order_id)
{
	char	   *status = order_id != 0 ? order_status(order_id) : NULL;

	if (stage_is(to, "proposal"))
	{
		if (om_api_depth == 0 || order_id == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
					 errmsg("opportunity " INT64_FORMAT " enters proposal with its quotation", id),
					 errhint("Call ordermgmt.quote_opportunity().")));
	}
	else if (stage_is(to, "lead") || stage_is(to, "qualified"))
	{
		if (!stage_is(from, "lead") && !stage_is(from, "qualified"))
			ereport(ERROR,
					(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
					 errmsg("illegal stage change from %s to %s for opportunity " INT64_FORMAT, from, to, id),
					 errdetail("A quoted opportunity does not go back; its quotation's fate wins or loses it.")));
	}
	else if (stage_is(to, "won"))
	{
		if (status == NULL || quotation_open(status) || strcmp(status, "cancelled") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
					 errmsg("opportunity " INT64_FORMAT " is won when its quotation is confirmed", id),
					 status ? errdetail("Its quotation, order " INT64_FORMAT ", is %s.", order_id, status)
					 : errdetail("It has no quotation."),
					 errhint("Quote it with ordermgmt.quote_opportunity() and confirm the order.")));
	}
	else if (stage_is(to, "lost"))
	{
		if (status != NULL && quotation_open(status))
			ereport(ERROR,
					(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
					 errmsg("opportunity " INT64_FORMAT " has an open quotation, order " INT64_FORMAT " (%s)",
							id, order_id, status),
					 errhint("Cancel the order with ordermgmt.cancel_order(): that loses the opportunity.")));
	}
}

/* Columns of a won or lost opportunity that no longer change. */
static const char *const closed_columns[] = {
	"stage", "customer_id", "expected_value", "currency", "probability", "order_id",
	"stage_changed_at", "closed_at", NULL
};

/* Columns only this trigger stamps: a client's write of them is refused. */
static const char *const stamped_columns[] = {"stage_changed_at", "closed_at", "created_at", NULL};

static HeapTuple
guard_update(TupleDesc desc, HeapTuple oldtup, HeapTuple newtup)
{
	int64		id = col_int64(oldtup, desc, "opportunity_id");
	char	   *from = col_text(oldtup, desc, "stage");
	char	   *to = col_text(newtup, desc, "stage");
	char	   *title = col_text(newtup, desc, "title");
	int64		old_order = col_int64(oldtup, desc, "order_id");
	int64		new_order = col_int64(newtup, desc, "order_id");
	const char *const *c;
	Datum		probability;
	Datum		currency;
	int			cols[3];
	Datum		repl[3];
	bool		replnull[3] = {false, false, false};
	int			ncols = 0;

	if (to == NULL)
		return newtup;			/* refused by the NOT NULL constraint */
	if (col_changed(oldtup, newtup, desc, "opportunity_id"))
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("an opportunity's id cannot change")));
	if (stage_closed(from))
	{
		for (c = closed_columns; *c != NULL; c++)
			if (col_changed(oldtup, newtup, desc, *c))
				ereport(ERROR,
						(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
						 errmsg("opportunity " INT64_FORMAT " is %s: its %s can no longer change", id, from, *c),
						 errdetail("Won and lost are final.")));
		return newtup;
	}
	for (c = stamped_columns; *c != NULL; c++)
		if (om_api_depth == 0 && col_changed(oldtup, newtup, desc, *c))
			ereport(ERROR,
					(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
					 errmsg("column %s of ordermgmt.opportunities is maintained by the extension and cannot be changed",
							*c),
					 errhint("Leave %s out of the UPDATE.", *c)));
	if (title != NULL && col_changed(oldtup, newtup, desc, "title"))
		om_check_text_length(title, "title");
	if (new_order != old_order)
		check_order_link(id, old_order, new_order);
	if (new_order != 0 &&
		(col_changed(oldtup, newtup, desc, "customer_id") || col_changed(oldtup, newtup, desc, "currency")))
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("opportunity " INT64_FORMAT " has a quotation: its customer and currency are fixed", id)));
	if (strcmp(from, to) == 0)
		return newtup;

	check_move(id, from, to, new_order);

	/* Stamp the move: when, whether closed, the stage's probability. */
	stage_defaults(to, &probability, &currency);
	cols[ncols] = SPI_fnumber(desc, "stage_changed_at");
	repl[ncols++] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	cols[ncols] = SPI_fnumber(desc, "closed_at");
	replnull[ncols] = !stage_closed(to);
	repl[ncols++] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	if (stage_closed(to) || !col_changed(oldtup, newtup, desc, "probability"))
	{
		cols[ncols] = SPI_fnumber(desc, "probability");
		repl[ncols++] = probability;
	}
	return heap_modify_tuple_by_cols(newtup, desc, ncols, cols, repl, replnull);
}

/* The event of a new opportunity, or of a stage change. */
static void
record_change(TupleDesc desc, HeapTuple oldtup, HeapTuple newtup)
{
	int64		id = col_int64(newtup, desc, "opportunity_id");
	int64		order_id = col_int64(newtup, desc, "order_id");
	char	   *to = col_text(newtup, desc, "stage");
	StringInfoData payload;

	initStringInfo(&payload);
	/* No order_id of its own: a quotation may be a draft that is deleted. */
	if (oldtup == NULL)
	{
		appendStringInfo(&payload, "{\"opportunity_id\": " INT64_FORMAT ", \"customer_id\": " INT64_FORMAT
						 ", \"stage\": %s}",
						 id, col_int64(newtup, desc, "customer_id"), om_json_quote(to));
		om_emit_event("opportunity.created", 0, payload.data);
		return;
	}
	appendStringInfo(&payload, "{\"opportunity_id\": " INT64_FORMAT ", \"from\": %s, \"to\": %s",
					 id, om_json_quote(col_text(oldtup, desc, "stage")), om_json_quote(to));
	if (order_id != 0)
		appendStringInfo(&payload, ", \"quotation\": " INT64_FORMAT, order_id);
	appendStringInfoChar(&payload, '}');
	om_emit_event("opportunity.stage_changed", 0, payload.data);
}

/*
 * The trigger on opportunities (row; BEFORE INSERT/UPDATE guards and
 * stamps, AFTER INSERT/UPDATE OF stage records): returns the row to store
 * (BEFORE) or NULL (AFTER).
 */
HeapTuple
om_opportunities_stage(TriggerData *trigdata)
{
	TupleDesc	desc = trigdata->tg_relation->rd_att;
	bool		is_insert = TRIGGER_FIRED_BY_INSERT(trigdata->tg_event);
	HeapTuple	oldtup = is_insert ? NULL : trigdata->tg_trigtuple;
	HeapTuple	newtup = is_insert ? trigdata->tg_trigtuple : trigdata->tg_newtuple;
	HeapTuple	result = NULL;

	if (is_insert && om_raw_load())
		return newtup;

	SPI_connect();
	if (TRIGGER_FIRED_BEFORE(trigdata->tg_event))
		result = is_insert ? guard_insert(desc, newtup) : guard_update(desc, oldtup, newtup);
	else if (is_insert || col_changed(oldtup, newtup, desc, "stage"))
		record_change(desc, oldtup, newtup);
	/* The modified tuple must outlive SPI's memory. */
	if (result != NULL && result != newtup)
		result = SPI_copytuple(result);
	SPI_finish();
	return result;
}

/*
 * The fate of a quotation: the orders trigger orders_opportunity_fate
 * calls this as an order that quotes an opportunity is confirmed or
 * cancelled.  Confirmed wins the opportunity, cancelled loses it, unless
 * it is no longer this order's (a later quotation) or already closed.
 */
void
om_opportunity_order_fate(TriggerData *trigdata)
{
	static OmPlan settle = OM_PLAN(
		"UPDATE ordermgmt.opportunities SET stage = $3 "
		" WHERE opportunity_id = $1 AND order_id = $2 AND stage NOT IN ('won', 'lost')",
		INT8OID, INT8OID, TEXTOID);
	TupleDesc	desc = trigdata->tg_relation->rd_att;
	HeapTuple	tuple = trigdata->tg_newtuple;
	bool		isnull;
	char	   *status = DatumGetCString(DirectFunctionCall1(enum_out,
															 col_datum(tuple, desc, "status", &isnull)));
	Datum		v[3];

	v[0] = Int64GetDatum(col_int64(tuple, desc, "opportunity_id"));
	v[1] = Int64GetDatum(col_int64(tuple, desc, "order_id"));
	if (strcmp(status, "cancelled") == 0)
		v[2] = om_text_datum("lost");
	else if (!quotation_open(status))
		v[2] = om_text_datum("won");
	else
		return;
	SPI_connect();
	om_exec(&settle, v, NULL, false, 0);
	SPI_finish();
}
