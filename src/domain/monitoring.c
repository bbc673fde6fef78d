/*
 * monitoring.c
 *		Time-based monitoring rules, low stock, and monitor_tick.
 *
 * A time-based rule is a row of ordermgmt.deadlines per subject, written
 * when the subject enters the watched state (anchor_at) and deleted when it
 * leaves; due_at = anchor_at + the rule's delay from its thresholds.  So a
 * deadline that is due and not yet fired always means its condition holds,
 * and monitor_tick only reads the due rows.  Leaving the state also
 * resolves the rule's open alert in the same statement.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

/* Rows monitor_tick handles per statement: bounds memory, keeps locks short. */
#define TICK_BATCH 500

static bool
in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/*
 * The order deadlines that follow its status, declared once.  A deadline
 * starts as the order enters one of starts_in (or starts again at every
 * change within them, with restart) and is cleared as the order reaches
 * one of stops_in (NULL: any status not in starts_in).  resolve_on_stop
 * resolves the rule's open alert as the deadline is cleared,
 * resolve_on_change at every status change.  L3_DELIVERY_LATE follows the
 * promised time instead, until the order is closed.
 */
typedef struct OmStatusDeadline
{
	const char *rule_code;
	const char *const *starts_in;
	bool		restart;
	const char *const *stops_in;
	bool		resolve_on_stop;
	bool		resolve_on_change;
} OmStatusDeadline;

static const char *const waiting[] = {"pending", "on_hold", NULL};
static const char *const confirmed[] = {"confirmed", NULL};
static const char *const open_states[] = {"pending", "on_hold", "confirmed", "processing",
										  "partially_shipped", "shipped", NULL};
static const char *const shipped_states[] = {"shipped", "delivered", "completed", "cancelled", NULL};
static const char *const closed_states[] = {"draft", "delivered", "completed", "cancelled", NULL};

static const OmStatusDeadline status_deadlines[] = {
	/* from entering pending or on hold until the order leaves both */
	{"L1_CONFIRMATION_OVERDUE", waiting, false, NULL, false, false},
	/* from confirmation until fully shipped */
	{"L2_PROCESSING_OVERDUE", confirmed, false, shipped_states, true, false},
	/* restarts at every status change of an open order */
	{"L2_STALLED", open_states, true, NULL, false, true},
};

#define OM_DELIVERY_RULE "L3_DELIVERY_LATE"

/*
 * The deadlines a new order inserted in status starts, as om_order_monitor
 * writes them for it (the deadlines it keeps, then those it moves; all
 * anchored now, the delivery deadline at the promise): for writers of many
 * new orders at once (bulk_entry.c).  rules and ats have room for
 * OM_MAX_NEW_DEADLINES; returns how many.
 */
int
om_new_order_deadlines(const char *status, bool has_promised_at, Datum promised_at,
					   const char **rules, Datum *ats)
{
	Datum		now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	int			n = 0;
	int			pass;
	int			i;

	StaticAssertStmt(lengthof(status_deadlines) + 1 <= OM_MAX_NEW_DEADLINES, "room for every deadline");
	for (pass = 0; pass < 2; pass++)
	{
		for (i = 0; i < (int) lengthof(status_deadlines); i++)
		{
			const OmStatusDeadline *d = &status_deadlines[i];

			if (d->restart == (pass == 1) && in_list(status, d->starts_in))
			{
				rules[n] = d->rule_code;
				ats[n++] = now;
			}
		}
		if (pass == 0 && has_promised_at && !in_list(status, closed_states))
		{
			rules[n] = OM_DELIVERY_RULE;
			ats[n++] = promised_at;
		}
	}
	return n;
}

/*
 * After an order's status (or promised time) changed: record the change in
 * the status history (with the ordered_net it moves in the reports, which
 * an amendment may change later: report_day_changes) and clear, start or move its deadlines in one
 * statement, then resolve the alerts whose condition has cleared in
 * another.  history_reason goes with the history row.  A new order records
 * itself instead (om_record_new_orders, new_orders.c): it has nothing to
 * clear, move or resolve.
 *
 * Why two statements: a monitor_tick running at the same time may have
 * locked one of these deadlines and raised its alert.  Clearing or moving
 * the deadline waits for that tick to commit; only a statement started
 * after the wait sees the tick's alert (in READ COMMITTED, each statement
 * takes a new snapshot), so the alerts are resolved after the deadlines
 * are written, never in the same statement.  The same holds for
 * om_deadline_clear.
 */
void
om_order_monitor(int64 order_id, const char *old_status, const char *new_status,
				 bool has_promised_at, Datum promised_at, bool promised_changed,
				 const char *history_reason)
{
	static OmPlan monitor_order = OM_PLAN(
		"WITH hist AS ("
		"  INSERT INTO ordermgmt.order_status_history "
		"    (order_id, from_status, to_status, changed_by, reason, ordered_net) "
		"  SELECT $1, h.f::ordermgmt.order_status, h.t::ordermgmt.order_status, $7, $10, "
		"         (SELECT o.ordered_net FROM ordermgmt.orders o WHERE o.order_id = $1) "
		"    FROM unnest($8::text[], $9::text[]) WITH ORDINALITY AS h(f, t, n) WHERE $11 ORDER BY h.n), "
		"clr AS ("
		"  DELETE FROM ordermgmt.deadlines WHERE subject_type = 'order' AND subject_id = $1 "
		"     AND rule_code = ANY ($2::text[])), "
		"keep AS ("
		"  INSERT INTO ordermgmt.deadlines (rule_code, subject_type, subject_id, order_id, anchor_at, due_at) "
		"  SELECT r.rule_code, 'order', $1, $1, u.a, u.a + ordermgmt.rule_delay(r.rule_code, r.thresholds) "
		"    FROM unnest($3::text[], $4::timestamptz[]) AS u(rule, a) "
		"    JOIN ordermgmt.monitor_rules r ON r.rule_code = u.rule "
		"  ON CONFLICT (rule_code, subject_type, subject_id) DO NOTHING) "
		"INSERT INTO ordermgmt.deadlines (rule_code, subject_type, subject_id, order_id, anchor_at, due_at) "
		"SELECT r.rule_code, 'order', $1, $1, u.a, u.a + ordermgmt.rule_delay(r.rule_code, r.thresholds) "
		"  FROM unnest($5::text[], $6::timestamptz[]) AS u(rule, a) "
		"  JOIN ordermgmt.monitor_rules r ON r.rule_code = u.rule "
		"ON CONFLICT (rule_code, subject_type, subject_id) "
		"DO UPDATE SET anchor_at = EXCLUDED.anchor_at, due_at = EXCLUDED.due_at, fired = false",
		INT8OID, TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID, TEXTARRAYOID,
		TIMESTAMPTZARRAYOID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID, TEXTOID, BOOLOID);
	/*
	 * $2 NULL (a cancellation) resolves every alert about the order itself,
	 * not those about its tickets or invoices: an open ticket still waits.
	 * Returns the OM_RESOLVED_* columns, for om_announce_resolved.
	 */
	static OmPlan resolve_cleared = OM_PLAN(
		"UPDATE ordermgmt.alerts SET status = 'resolved', resolved_at = now(), resolved_by = $3, "
		"       note = coalesce(note, $4) "
		" WHERE order_id = $1 AND status <> 'resolved' "
		"   AND (($2::text[] IS NULL AND subject_type = 'order') OR rule_code = ANY ($2::text[]) OR level = $5) "
		"RETURNING alert_id, rule_code, level, severity, order_id",
		INT8OID, TEXTARRAYOID, TEXTOID, TEXTOID, INT4OID);
	const char *clear[8];
	const char *keep[8];
	const char *move[8];
	const char *resolve[8];
	Datum		keep_at[8];
	Datum		move_at[8];
	int			nclear = 0;
	int			nkeep = 0;
	int			nmove = 0;
	int			nresolve = 0;
	int			level = 0;
	bool		resolve_all = false;
	bool		changed = strcmp(old_status, new_status) != 0;
	Datum		now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	Datum		v[11];
	char		nulls[11] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	const char *note = "condition cleared";

	if (changed)
	{
		int			i;

		for (i = 0; i < (int) lengthof(status_deadlines); i++)
		{
			const OmStatusDeadline *d = &status_deadlines[i];

			if (in_list(new_status, d->starts_in))
			{
				if (d->restart)
				{
					move[nmove] = d->rule_code;
					move_at[nmove++] = now;
				}
				else
				{
					keep[nkeep] = d->rule_code;
					keep_at[nkeep++] = now;
				}
			}
			else if (d->stops_in == NULL || in_list(new_status, d->stops_in))
			{
				clear[nclear++] = d->rule_code;
				if (d->resolve_on_stop)
					resolve[nresolve++] = d->rule_code;
			}
			if (d->resolve_on_change)
				resolve[nresolve++] = d->rule_code;
		}

		/* A quotation submitted or cancelled no longer expires. */
		if (strcmp(old_status, "draft") == 0)
			clear[nclear++] = OM_QUOTATION_EXPIRY;

		if (strcmp(new_status, "confirmed") == 0 && in_list(old_status, waiting))
		{
			level = 1;			/* every level-1 check has passed */
			note = "order confirmed";
		}
		if (strcmp(new_status, "cancelled") == 0)
		{
			resolve_all = true;
			note = "order cancelled";
		}
	}

	/* The delivery deadline: from the promise until the order is closed. */
	if (in_list(new_status, closed_states))
	{
		if (changed)
		{
			clear[nclear++] = OM_DELIVERY_RULE;
			resolve[nresolve++] = OM_DELIVERY_RULE;
		}
	}
	else if (promised_changed && !has_promised_at)
	{
		clear[nclear++] = OM_DELIVERY_RULE;
		resolve[nresolve++] = OM_DELIVERY_RULE;
	}
	else if (has_promised_at && promised_changed)
	{
		move[nmove] = OM_DELIVERY_RULE;
		move_at[nmove++] = promised_at;
		resolve[nresolve++] = OM_DELIVERY_RULE;
	}
	else if (has_promised_at && changed)
	{
		keep[nkeep] = OM_DELIVERY_RULE;
		keep_at[nkeep++] = promised_at;
	}

	v[0] = Int64GetDatum(order_id);
	v[1] = om_cstring_array(clear, nclear);
	v[2] = om_cstring_array(keep, nkeep);
	v[3] = om_array(keep_at, nkeep, TIMESTAMPTZOID);
	v[4] = om_cstring_array(move, nmove);
	v[5] = om_array(move_at, nmove, TIMESTAMPTZOID);
	v[6] = om_text_datum(om_session_user());
	/* The status history, written by the same statement. */
	{
		Datum		from = om_text_datum(old_status);
		Datum		to = om_text_datum(new_status);

		v[7] = om_array(&from, 1, TEXTOID);
		v[8] = om_array(&to, 1, TEXTOID);
	}
	if (history_reason)
		v[9] = om_text_datum(history_reason);
	else
		nulls[9] = 'n';
	v[10] = BoolGetDatum(changed);
	om_exec(&monitor_order, v, nulls, false, 0);

	v[1] = om_cstring_array(resolve, nresolve);
	nulls[1] = resolve_all ? 'n' : ' ';
	v[2] = v[6];
	v[3] = om_text_datum(note);
	v[4] = Int32GetDatum(level);
	om_exec(&resolve_cleared, v, nulls, false, 0);
	om_announce_resolved();
}

/* Start (or restart) a deadline for a ticket, an invoice... */
void
om_deadline_set(const char *rule_code, const char *subject_type, int64 subject_id,
				int64 order_id, const char *variant, Datum anchor_at)
{
	static OmPlan upsert_deadline = OM_PLAN(
		"INSERT INTO ordermgmt.deadlines "
		"  (rule_code, subject_type, subject_id, order_id, variant, anchor_at, due_at) "
		"SELECT r.rule_code, $2, $3, $4, $5, $6, $6 + ordermgmt.rule_delay(r.rule_code, r.thresholds, $5) "
		"  FROM ordermgmt.monitor_rules r WHERE r.rule_code = $1 "
		"ON CONFLICT (rule_code, subject_type, subject_id) "
		"DO UPDATE SET anchor_at = EXCLUDED.anchor_at, due_at = EXCLUDED.due_at, fired = false",
		TEXTOID, TEXTOID, INT8OID, INT8OID, TEXTOID, TIMESTAMPTZOID);
	Datum		v[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};

	v[0] = om_text_datum(rule_code);
	v[1] = om_text_datum(subject_type);
	v[2] = Int64GetDatum(subject_id);
	v[3] = Int64GetDatum(order_id);
	if (order_id <= 0)
		nulls[3] = 'n';
	if (variant)
		v[4] = om_text_datum(variant);
	else
		nulls[4] = 'n';
	v[5] = anchor_at;
	om_exec(&upsert_deadline, v, nulls, false, 0);
}

/* The subject left the watched state: drop its deadline, resolve its alert. */
int
om_deadline_clear(const char *rule_code, const char *subject_type, int64 subject_id,
				  const char *note)
{
	static OmPlan clear_deadline = OM_PLAN(
		"DELETE FROM ordermgmt.deadlines WHERE rule_code = $1 AND subject_type = $2 AND subject_id = $3",
		TEXTOID, TEXTOID, INT8OID);
	/*
	 * A separate statement, after the wait for a tick: see om_order_monitor.
	 * Returns the OM_RESOLVED_* columns, for om_announce_resolved.
	 */
	static OmPlan resolve_alert = OM_PLAN(
		"UPDATE ordermgmt.alerts SET status = 'resolved', resolved_at = now(), resolved_by = $4, "
		"       note = coalesce(note, $5) "
		" WHERE rule_code = $1 AND subject_type = $2 AND subject_id = $3 AND status <> 'resolved' "
		"RETURNING alert_id, rule_code, level, severity, order_id",
		TEXTOID, TEXTOID, INT8OID, TEXTOID, TEXTOID);
	Datum		v[5];

	v[0] = om_text_datum(rule_code);
	v[1] = om_text_datum(subject_type);
	v[2] = Int64GetDatum(subject_id);
	v[3] = om_text_datum(om_session_user());
	v[4] = om_text_datum(note);
	om_exec(&clear_deadline, v, NULL, false, 0);
	om_exec(&resolve_alert, v, NULL, false, 0);
	return om_announce_resolved();
}

/*
 * L2_LOW_STOCK for the given products of a warehouse: raise where available
 * stock is now under the reorder point, resolve where it no longer is.  The
 * query returns only the rows whose alert state must change.
 */
void
om_low_stock_check(int64 warehouse_id, Datum *product_ids, int n)
{
	/*
	 * A probe per product of each table, the alert's included: a join to
	 * products (or an EXISTS on alerts) lets the generic plan hash the whole
	 * catalogue (or every open low-stock alert) on each call.
	 */
	static OmPlan changed_levels = OM_PLAN(
		"SELECT s.stock_id, s.available < p.reorder_point, p.sku, s.available::text, p.reorder_point::text "
		"  FROM unnest($2::bigint[]) AS u(p) "
		" CROSS JOIN LATERAL (SELECT stock_id, on_hand - reserved AS available FROM ordermgmt.stock "
		"                      WHERE product_id = u.p AND warehouse_id = $1 LIMIT 1) s "
		" CROSS JOIN LATERAL (SELECT sku, reorder_point FROM ordermgmt.products "
		"                      WHERE product_id = u.p LIMIT 1) p "
		"  LEFT JOIN LATERAL (SELECT true AS alerted FROM ordermgmt.alerts a "
		"                      WHERE a.rule_code = 'L2_LOW_STOCK' AND a.subject_type = 'stock' "
		"                        AND a.subject_id = s.stock_id AND a.status <> 'resolved' LIMIT 1) a ON true "
		" WHERE (s.available < p.reorder_point) <> (a.alerted IS NOT NULL)",
		INT8OID, INT8ARRAYOID);
	/* Result columns of changed_levels. */
	enum
	{
		CHANGED_STOCK_ID = 1,
		CHANGED_LOW,
		CHANGED_SKU,
		CHANGED_AVAILABLE,
		CHANGED_REORDER_POINT
	};
	Datum		v[2];
	int			rows;
	int			i;
	int64	   *stock_ids;
	bool	   *low;
	char	  **details;

	if (n == 0)
		return;
	v[0] = Int64GetDatum(warehouse_id);
	v[1] = om_array(product_ids, n, INT8OID);
	rows = om_exec(&changed_levels, v, NULL, false, 0);
	if (rows == 0)
		return;
	stock_ids = palloc(rows * sizeof(int64));
	low = palloc(rows * sizeof(bool));
	details = palloc(rows * sizeof(char *));
	for (i = 0; i < rows; i++)
	{
		stock_ids[i] = om_getint64(i, CHANGED_STOCK_ID);
		low[i] = om_getbool(i, CHANGED_LOW);
		details[i] = psprintf("{\"sku\": %s, \"warehouse_id\": " INT64_FORMAT ", \"available\": %s, "
							  "\"reorder_point\": %s}",
							  om_json_quote(om_gettext(i, CHANGED_SKU)), warehouse_id,
							  om_gettext(i, CHANGED_AVAILABLE), om_gettext(i, CHANGED_REORDER_POINT));
	}
	for (i = 0; i < rows; i++)
	{
		if (low[i])
			om_raise_alert("L2_LOW_STOCK", "stock", stock_ids[i], 0, details[i]);
		else
			om_deadline_clear("L2_LOW_STOCK", "stock", stock_ids[i], "stock replenished");
	}
}

/*
 * monitor_tick(at timestamptz) returns integer: cancel the quotations expired
 * at "at", then raise the alerts of every deadline due at "at" that has not
 * fired yet; returns how many alerts were raised.
 * Rows locked by a transaction that is clearing them are skipped: that
 * transaction is about to make them moot.
 */
int
om_monitor_tick(TimestampTz at)
{
	static OmPlan due_rows = OM_PLAN(
		"SELECT d.rule_code, d.subject_type, d.subject_id, coalesce(d.order_id, 0), r.enabled, "
		"       jsonb_build_object('due_at', d.due_at, 'anchor_at', d.anchor_at)::text "
		"  FROM ordermgmt.deadlines d JOIN ordermgmt.monitor_rules r ON r.rule_code = d.rule_code "
		" WHERE NOT d.fired AND d.due_at <= $1 "
		" ORDER BY d.due_at FOR UPDATE OF d SKIP LOCKED",
		TIMESTAMPTZOID);
	/* Result columns of due_rows. */
	enum
	{
		DUE_RULE_CODE = 1,
		DUE_SUBJECT_TYPE,
		DUE_SUBJECT_ID,
		DUE_ORDER_ID,
		DUE_ENABLED,
		DUE_DETAILS
	};
	static OmPlan mark_fired = OM_PLAN(
		"UPDATE ordermgmt.deadlines d SET fired = true "
		"  FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(r, t, i) "
		" WHERE d.rule_code = u.r AND d.subject_type = u.t AND d.subject_id = u.i",
		TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID);
	int			raised = 0;
	int			n;
	Portal		due;
	Datum		v[3];
	MemoryContext batch_cxt;

	if (TIMESTAMP_NOT_FINITE(at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("at must be a finite timestamp")));
	/* A tick in the future raises every time-based alert early: tests and admins only. */
	if (at > GetCurrentTimestamp() && !om_caller_is_admin())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only an ordermgmt_admin may run monitor_tick at a time in the future"),
				 errdetail("at is %s, the time now is %s.", timestamptz_to_str(at),
						   timestamptz_to_str(GetCurrentTimestamp())),
				 errhint("Call ordermgmt.monitor_tick() without an argument.")));

	SPI_connect();
	/*
	 * Expired quotations first, while this transaction holds no deadline
	 * lock: the expiry waits for order rows (quotation_expiry.c).
	 */
	(void) om_expire_quotations(at);
	batch_cxt = AllocSetContextCreate(CurrentMemoryContext, "monitor_tick batch",
									  ALLOCSET_DEFAULT_SIZES);
	/*
	 * One scan of the due deadlines, read in batches: a query per batch would
	 * start over each time and step again over the entries already fired.
	 */
	v[0] = TimestampTzGetDatum(at);
	due = om_cursor_open(&due_rows, v, NULL);
	do
	{
		Datum	   *rules;
		Datum	   *types;
		Datum	   *ids;
		int			i;
		MemoryContext outer_cxt;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(due, true, TICK_BATCH);
		n = (int) SPI_processed;
		if (n == 0)
			break;

		/* Copy the batch out: raising alerts runs queries of its own. */
		outer_cxt = MemoryContextSwitchTo(batch_cxt);
		{
			SPITupleTable *batch = SPI_tuptable;
			char	  **rule = palloc(n * sizeof(char *));
			char	  **type = palloc(n * sizeof(char *));
			int64	   *subject = palloc(n * sizeof(int64));
			int64	   *order = palloc(n * sizeof(int64));
			bool	   *enabled = palloc(n * sizeof(bool));
			char	  **details = palloc(n * sizeof(char *));

			rules = palloc(n * sizeof(Datum));
			types = palloc(n * sizeof(Datum));
			ids = palloc(n * sizeof(Datum));
			for (i = 0; i < n; i++)
			{
				rule[i] = om_gettext(i, DUE_RULE_CODE);
				type[i] = om_gettext(i, DUE_SUBJECT_TYPE);
				subject[i] = om_getint64(i, DUE_SUBJECT_ID);
				order[i] = om_getint64(i, DUE_ORDER_ID);
				enabled[i] = om_getbool(i, DUE_ENABLED);
				details[i] = om_gettext(i, DUE_DETAILS);
				rules[i] = om_text_datum(rule[i]);
				types[i] = om_text_datum(type[i]);
				ids[i] = Int64GetDatum(subject[i]);
			}
			MemoryContextSwitchTo(outer_cxt);
			SPI_freetuptable(batch);

			/*
			 * The batch's queries run at an SPI level of their own: SPI keeps
			 * every result set until SPI_finish, so this frees them, with the
			 * copies above, at the end of each batch.  A tick's memory stays
			 * that of one batch however many items are due.
			 */
			SPI_connect();
			for (i = 0; i < n; i++)
			{
				CHECK_FOR_INTERRUPTS();
				/* A disabled rule's deadline passes silently. */
				if (enabled[i] &&
					om_raise_alert(rule[i], type[i], subject[i], order[i], details[i]))
					raised++;
			}
		}
		v[0] = om_array(rules, n, TEXTOID);
		v[1] = om_array(types, n, TEXTOID);
		v[2] = om_array(ids, n, INT8OID);
		om_exec(&mark_fired, v, NULL, false, 0);
		SPI_finish();
		MemoryContextReset(batch_cxt);
	} while (n == TICK_BATCH);
	SPI_cursor_close(due);
	SPI_finish();
	return raised;
}

/*
 * A rule's thresholds changed (monitor_rules_changed): they apply to the
 * items already waiting, whose due_at moves.
 */
void
om_reschedule_rule(const char *rule)
{
	static OmPlan reschedule = OM_PLAN(
		"UPDATE ordermgmt.deadlines d "
		"   SET due_at = d.anchor_at + ordermgmt.rule_delay(r.rule_code, r.thresholds, d.variant) "
		"  FROM ordermgmt.monitor_rules r "
		" WHERE r.rule_code = $1 AND d.rule_code = r.rule_code",
		TEXTOID);
	/* An open ticket's copy of its due time (see aftersales.c). */
	static OmPlan reschedule_tickets = OM_PLAN(
		"UPDATE ordermgmt.tickets t SET due_at = d.due_at "
		"  FROM ordermgmt.deadlines d "
		" WHERE $1 = 'L3_TICKET_OVERDUE' AND d.rule_code = $1 AND d.subject_type = 'ticket' "
		"   AND d.subject_id = t.ticket_id AND t.status = 'open' AND t.due_at IS DISTINCT FROM d.due_at",
		TEXTOID);
	Datum		v[1];

	SPI_connect();
	v[0] = om_text_datum(rule);
	om_exec(&reschedule, v, NULL, false, 0);
	if (strcmp(rule, "L3_TICKET_OVERDUE") == 0)
		om_exec(&reschedule_tickets, v, NULL, false, 0);
	SPI_finish();
}
