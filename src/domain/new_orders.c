/*
 * new_orders.c
 *		What a new order records as it is inserted: its status history, the
 *		deadlines its status starts and its events, written by one
 *		statement, for one order (the lifecycle trigger) or for a run of
 *		them (bulk_entry.c).
 *
 * An order inserted confirmed (create_order, after its level-1 checks)
 * records that it was created pending and then confirmed: two history
 * rows and two events, order.created and order.status_changed.  Any other
 * new order (a draft, a pending order) records its creation once.  The
 * deadlines are those om_order_monitor starts for a new order in its
 * status (om_new_order_deadlines); a new order has nothing to clear,
 * move or resolve.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

/* Growable parallel arrays of the rows the statement writes. */
typedef struct Rows
{
	Datum	   *order_ids;
	Datum	   *a;
	bool	   *a_null;
	Datum	   *b;
	Datum	   *c;
	int			n;
} Rows;

static void
rows_init(Rows *r, int max)
{
	r->order_ids = palloc(max * sizeof(Datum));
	r->a = palloc(max * sizeof(Datum));
	r->a_null = palloc0(max * sizeof(bool));
	r->b = palloc(max * sizeof(Datum));
	r->c = palloc(max * sizeof(Datum));
	r->n = 0;
}

/*
 * Record n new orders, in the order given: history, deadlines and events
 * in one statement; then each event is notified (immediate mode) and may
 * cause a notice, as om_emit_event does for one.
 */
void
om_record_new_orders(int n, const OmNewOrderRecord *orders)
{
	static OmPlan record = OM_PLAN(
		"WITH hist AS ("
		"  INSERT INTO ordermgmt.order_status_history "
		"    (order_id, from_status, to_status, changed_by, reason, ordered_net) "
		"  SELECT h.o, h.f::ordermgmt.order_status, h.t::ordermgmt.order_status, $1, NULL, h.net "
		"    FROM unnest($2::bigint[], $3::text[], $4::text[], $5::numeric[]) "
		"         WITH ORDINALITY AS h(o, f, t, net, n) "
		"   ORDER BY h.n), "
		"dl AS ("
		"  INSERT INTO ordermgmt.deadlines (rule_code, subject_type, subject_id, order_id, anchor_at, due_at) "
		"  SELECT r.rule_code, 'order', u.o, u.o, u.a, u.a + ordermgmt.rule_delay(r.rule_code, r.thresholds) "
		"    FROM unnest($6::bigint[], $7::text[], $8::timestamptz[]) AS u(o, rule, a) "
		"    JOIN ordermgmt.monitor_rules r ON r.rule_code = u.rule) "
		"INSERT INTO ordermgmt.events (kind, order_id, payload) "
		"SELECT e.kind, e.o, e.payload::jsonb "
		"  FROM unnest($9::bigint[], $10::text[], $11::text[]) WITH ORDINALITY AS e(o, kind, payload, n) "
		" ORDER BY e.n "
		"RETURNING event_id, payload::text",
		TEXTOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, NUMERICARRAYOID, INT8ARRAYOID, TEXTARRAYOID,
		TIMESTAMPTZARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID);
	/* Result columns of record. */
	enum
	{
		RECORD_EVENT_ID = 1,
		RECORD_PAYLOAD
	};
	Rows		hist;			/* order, from (a), to (b), net (c) */
	Rows		dl;				/* order, rule (a), anchor (b) */
	Rows		ev;				/* order, kind (a), payload (b) */
	bool	   *net_null = palloc0(2 * Max(n, 1) * sizeof(bool));
	int64	   *event_orders;
	const char **kinds;
	int64	   *event_ids;
	char	  **stored;
	Datum		pending = om_text_datum("pending");
	Datum		v[11];
	int			rows;
	int			i;
	int			j;

	if (n == 0)
		return;
	rows_init(&hist, 2 * n);
	rows_init(&dl, OM_MAX_NEW_DEADLINES * n);
	rows_init(&ev, 2 * n);
	kinds = palloc(2 * n * sizeof(char *));
	event_orders = palloc(2 * n * sizeof(int64));
	for (i = 0; i < n; i++)
	{
		const OmNewOrderRecord *o = &orders[i];
		Datum		id = Int64GetDatum(o->order_id);
		Datum		status = om_text_datum(o->status);
		const char *rules[OM_MAX_NEW_DEADLINES];
		Datum		ats[OM_MAX_NEW_DEADLINES];
		int			m;

		CHECK_FOR_INTERRUPTS();
		/* History: created (pending, when it went through), then its status. */
		if (o->via_pending)
		{
			hist.order_ids[hist.n] = id;
			hist.a_null[hist.n] = true;
			hist.b[hist.n] = pending;
			net_null[hist.n] = o->net_null;
			hist.c[hist.n++] = o->ordered_net;
		}
		hist.order_ids[hist.n] = id;
		hist.a_null[hist.n] = !o->via_pending;
		hist.a[hist.n] = o->via_pending ? pending : (Datum) 0;
		hist.b[hist.n] = status;
		net_null[hist.n] = o->net_null;
		hist.c[hist.n++] = o->ordered_net;

		m = om_new_order_deadlines(o->status, o->has_promised_at, o->promised_at, rules, ats);
		for (j = 0; j < m; j++)
		{
			dl.order_ids[dl.n] = id;
			dl.a[dl.n] = om_text_datum(rules[j]);
			dl.b[dl.n++] = ats[j];
		}

		/* Events: created, then (through pending) the status change. */
		event_orders[ev.n] = o->order_id;
		kinds[ev.n] = "order.created";
		ev.order_ids[ev.n] = id;
		ev.b[ev.n++] = om_text_datum(psprintf("{\"status\": %s, \"customer_id\": " INT64_FORMAT "}",
											  om_json_quote(o->via_pending ? "pending" : o->status),
											  o->customer_id));
		if (o->via_pending)
		{
			event_orders[ev.n] = o->order_id;
			kinds[ev.n] = "order.status_changed";
			ev.order_ids[ev.n] = id;
			ev.b[ev.n++] = om_text_datum(psprintf("{\"from\": \"pending\", \"to\": %s}",
												  om_json_quote(o->status)));
		}
	}
	for (i = 0; i < ev.n; i++)
		ev.a[i] = om_text_datum(kinds[i]);

	v[0] = om_text_datum(om_session_user());
	v[1] = om_array(hist.order_ids, hist.n, INT8OID);
	v[2] = om_array_with_nulls(hist.a, hist.a_null, hist.n, TEXTOID);
	v[3] = om_array(hist.b, hist.n, TEXTOID);
	v[4] = om_array_with_nulls(hist.c, net_null, hist.n, NUMERICOID);
	v[5] = om_array(dl.order_ids, dl.n, INT8OID);
	v[6] = om_array(dl.a, dl.n, TEXTOID);
	v[7] = om_array(dl.b, dl.n, TIMESTAMPTZOID);
	v[8] = om_array(ev.order_ids, ev.n, INT8OID);
	v[9] = om_array(ev.a, ev.n, TEXTOID);
	v[10] = om_array(ev.b, ev.n, TEXTOID);
	om_events_lock();
	rows = om_exec(&record, v, NULL, false, 0);
	if (rows != ev.n)
		elog(ERROR, "ordermgmt: %d of %d events written", rows, ev.n);
	/* Copied out: a notice's queries replace SPI_tuptable. */
	event_ids = palloc(rows * sizeof(int64));
	stored = palloc(rows * sizeof(char *));
	for (i = 0; i < rows; i++)
	{
		event_ids[i] = om_getint64(i, RECORD_EVENT_ID);
		stored[i] = om_gettext(i, RECORD_PAYLOAD);
	}
	om_events_announce(rows, event_ids, kinds, event_orders, stored);
}
