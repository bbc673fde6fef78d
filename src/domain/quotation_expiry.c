/*
 * quotation_expiry.c
 *		Quotations that expire: a draft created with options.valid_until is
 *		cancelled with cancel_reason 'expired' by monitor_tick once that
 *		time has passed.
 *
 * The expiry is a row of ordermgmt.deadlines (rule_code QUOTATION_EXPIRY,
 * subject the order, anchor_at = due_at = valid_until), so the sweep reads
 * only what is due, never the drafts.  It is an action, not an alert: no
 * monitor_rules row, so the alert sweep of monitor_tick (which joins
 * monitor_rules) never sees it.  The draft leaving draft (submitted or
 * cancelled, by any path) deletes the row (om_order_monitor), and so does
 * deleting the draft (the lifecycle trigger).
 *
 * Lock order: the sweep reads the due rows without locking them, then
 * locks each order row (as submit_order and cancel_order do first) and
 * re-reads its status and deadline under that lock: a draft submitted or
 * cancelled meanwhile is left alone.  Holding no deadline lock while it
 * waits for an order row, it never deadlocks with a submission, which
 * locks the order and then deletes the deadline.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/timestamp.h"

/* Drafts expired per statement of the sweep: bounds memory. */
#define EXPIRY_BATCH 500

/* The draft's expiry, written as create_order stores it. */
void
om_quotation_expiry_set(int64 order_id, Datum valid_until)
{
	static OmPlan insert_expiry = OM_PLAN(
		"INSERT INTO ordermgmt.deadlines (rule_code, subject_type, subject_id, order_id, anchor_at, due_at) "
		"VALUES ('" OM_QUOTATION_EXPIRY "', 'order', $1, $1, $2, $2)",
		INT8OID, TIMESTAMPTZOID);
	Datum		v[2];

	v[0] = Int64GetDatum(order_id);
	v[1] = valid_until;
	om_exec(&insert_expiry, v, NULL, false, 0);
}

/* A draft with a validity is deleted: its expiry goes with it. */
void
om_quotation_expiry_clear(int64 order_id)
{
	static OmPlan delete_expiry = OM_PLAN(
		"DELETE FROM ordermgmt.deadlines "
		" WHERE rule_code = '" OM_QUOTATION_EXPIRY "' AND subject_type = 'order' AND subject_id = $1",
		INT8OID);
	Datum		v[1];

	v[0] = Int64GetDatum(order_id);
	om_exec(&delete_expiry, v, NULL, false, 0);
}

/*
 * Expire one draft whose deadline was seen due at "at": under the order
 * row lock, re-read.  Returns true if it was cancelled.  A draft that may
 * not be cancelled (an admin disabled draft -> cancelled) keeps its
 * deadline, marked fired so that the sweep does not read it again.
 */
static bool
expire_one(int64 order_id, TimestampTz at)
{
	static OmPlan lock_draft = OM_PLAN(
		"SELECT o.status::text, d.due_at <= $2 AND NOT d.fired "
		"  FROM ordermgmt.orders o "
		"  LEFT JOIN ordermgmt.deadlines d "
		"    ON d.rule_code = '" OM_QUOTATION_EXPIRY "' AND d.subject_type = 'order' AND d.subject_id = o.order_id "
		" WHERE o.order_id = $1 FOR NO KEY UPDATE OF o",
		INT8OID, TIMESTAMPTZOID);
	/* Result columns of lock_draft. */
	enum
	{
		LOCK_DRAFT_STATUS = 1,
		LOCK_DRAFT_DUE
	};
	static OmPlan mark_fired = OM_PLAN(
		"UPDATE ordermgmt.deadlines SET fired = true "
		" WHERE rule_code = '" OM_QUOTATION_EXPIRY "' AND subject_type = 'order' AND subject_id = $1",
		INT8OID);
	Datum		v[2];
	bool		isnull;
	bool		due;
	bool		manual;

	v[0] = Int64GetDatum(order_id);
	v[1] = TimestampTzGetDatum(at);
	if (om_exec(&lock_draft, v, NULL, false, 1) == 0)
	{
		/* The draft is gone: so is its deadline, unless left behind. */
		om_quotation_expiry_clear(order_id);
		return false;
	}
	due = DatumGetBool(om_getdatum(0, LOCK_DRAFT_DUE, &isnull));
	if (isnull || !due)
		return false;			/* submitted, cancelled or moved meanwhile */
	if (strcmp(om_gettext(0, LOCK_DRAFT_STATUS), "draft") != 0)
	{
		om_quotation_expiry_clear(order_id);
		return false;
	}
	if (!om_transition_allowed("draft", "cancelled", &manual))
	{
		om_exec(&mark_fired, v, NULL, false, 0);
		return false;
	}
	/* The normal cancellation: history, event, deadline cleared. */
	om_set_status(order_id, "cancelled", "expired");
	return true;
}

/*
 * Cancel every draft whose validity ended at or before "at"; returns how
 * many.  Called by monitor_tick inside its SPI connection.
 */
int
om_expire_quotations(TimestampTz at)
{
	static OmPlan due_drafts = OM_PLAN(
		"SELECT d.subject_id FROM ordermgmt.deadlines d "
		" WHERE d.rule_code = '" OM_QUOTATION_EXPIRY "' AND NOT d.fired AND d.due_at <= $1 "
		" ORDER BY d.due_at, d.subject_id LIMIT " CppAsString2(EXPIRY_BATCH),
		TIMESTAMPTZOID);
	/* Result column of due_drafts. */
	enum
	{
		DUE_ORDER_ID = 1
	};
	int			expired = 0;
	int			n;

	do
	{
		int64	   *ids;
		int			i;
		Datum		v[1];

		CHECK_FOR_INTERRUPTS();
		v[0] = TimestampTzGetDatum(at);
		n = om_exec(&due_drafts, v, NULL, false, 0);
		ids = palloc(n * sizeof(int64) + 1);
		for (i = 0; i < n; i++)
			ids[i] = om_getint64(i, DUE_ORDER_ID);
		SPI_freetuptable(SPI_tuptable);
		SPI_connect();
		for (i = 0; i < n; i++)
		{
			CHECK_FOR_INTERRUPTS();
			if (expire_one(ids[i], at))
				expired++;
		}
		SPI_finish();
		pfree(ids);
		/* Every row read has left the due set: cancelled, cleared or fired. */
	} while (n == EXPIRY_BATCH);
	return expired;
}
