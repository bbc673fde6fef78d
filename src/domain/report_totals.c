/*
 * report_totals.c
 *		rollup_reports: keep the reporting summaries the BI views read
 *		instead of the history (orders per UTC day of entry, currency and
 *		status; invoices per UTC day; per customer its orders, open orders,
 *		first and last order, net invoiced and credited, ratings; orders per
 *		customer and month; the histogram of fulfilment times per week), by
 *		summing the changes logged since the last roll-up.
 *
 * The changes are rows the business transactions write anyway and never
 * change once committed: order_status_history (every status change of
 * every order), invoices, returns (their credit note), feedback and
 * delivery_changes (each count the orders trigger makes in delivery_weeks).  The
 * views report_day_changes, report_customer_changes and
 * report_fulfillment_changes say what each such
 * row adds to which summary row (sql/ordermgmt.sql).  The reporting views
 * read the summaries plus the changes after the roll-up's horizon, through
 * the same views, so they are exact whether or not the roll-up ran,
 * and a writer pays nothing for them: no statement, no row that writers
 * of different customers would share.
 *
 * order_figures, each order's row of v_order_status and v_order_milestones
 * (its amounts, open alerts and milestones, indexed so that a BI tool can
 * sort every order by any of them), is stored again for each order with
 * an event in the range rolled up: every change of those figures writes
 * an event of the order (events, the outbox) in its transaction.  The two
 * views compute live the orders with events after the horizon.
 *
 * The horizon is armed and settled as the ledger roll-up's is
 * (ledger_rollup.c): a run reads each log's last id, then the next
 * transaction id to be assigned; the next run advances to those ids only
 * once every transaction below that one has ended, so no row below the
 * horizon can still commit.  Every writer of these logs has its
 * transaction id before it draws the row's id (it has locked or written
 * the order row first), which is what makes that sound.
 */
#include "domain/domain.h"

#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/xid8.h"

/*
 * The logs rolled up, in the order of report_rollup's columns: status
 * history, invoices, returns, feedback, delivery changes, events.
 */
#define NLOGS 6
#define LOG_DELIVERY 4
#define LOG_EVENT 5

/* Roll the reporting summaries forward; returns how many changes were added. */
int64
om_rollup_reports(void)
{
	static OmPlan ensure_state = OM_PLAN0(
		"INSERT INTO ordermgmt.report_rollup (singleton) VALUES (true) ON CONFLICT DO NOTHING");
	/* Serializes concurrent runs; tells whether the armed horizon is settled. */
	static OmPlan lock_state = OM_PLAN0(
		"SELECT upto_history_id, upto_invoice_id, upto_return_id, upto_feedback_id, upto_delivery_id, "
		"       upto_event_id, "
		"       next_history_id, next_invoice_id, next_return_id, next_feedback_id, next_delivery_id, "
		"       next_event_id, "
		"       next_xmax IS NOT NULL, "
		"       coalesce(pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()) >= next_xmax, false) "
		"  FROM ordermgmt.report_rollup WHERE singleton FOR UPDATE");
	/* Result columns of lock_state. */
	enum
	{
		LOCK_STATE_UPTO_HISTORY = 1,
		LOCK_STATE_UPTO_INVOICE,
		LOCK_STATE_UPTO_RETURN,
		LOCK_STATE_UPTO_FEEDBACK,
		LOCK_STATE_UPTO_DELIVERY,
		LOCK_STATE_UPTO_EVENT,
		LOCK_STATE_NEXT_HISTORY,
		LOCK_STATE_NEXT_INVOICE,
		LOCK_STATE_NEXT_RETURN,
		LOCK_STATE_NEXT_FEEDBACK,
		LOCK_STATE_NEXT_DELIVERY,
		LOCK_STATE_NEXT_EVENT,
		LOCK_STATE_ARMED,
		LOCK_STATE_SETTLED
	};
	/*
	 * The statements below take (upto, next] of each log as $1..$12, in the
	 * order of NLOGS; each declares only the ranges it reads.  Planned for
	 * each run (OM_PLAN_CUSTOM): a plan kept from the first runs, on the
	 * nearly empty tables of a new database, scans whole tables, and the
	 * worker would keep it while they grow.  Planning once a second is
	 * nothing beside that.
	 */
	static OmPlan add_days = OM_PLAN_CUSTOM(
		"WITH c AS MATERIALIZED ("
		"  SELECT * FROM ordermgmt.report_day_changes "
		"   WHERE (source = 'history' AND id > $1 AND id <= $2) "
		"      OR (source = 'invoice' AND id > $3 AND id <= $4)), "
		"o AS ("
		"  INSERT INTO ordermgmt.order_day_totals AS t (day, currency, status, orders, net_amount) "
		"  SELECT day, currency, status, sum(orders), sum(net_amount) FROM c "
		"   WHERE source = 'history' GROUP BY 1, 2, 3 "
		"  ON CONFLICT (day, currency, status) DO UPDATE "
		"     SET orders = t.orders + excluded.orders, net_amount = t.net_amount + excluded.net_amount), "
		"i AS ("
		"  INSERT INTO ordermgmt.invoice_day_totals AS t (day, currency, invoices, net, tax, total) "
		"  SELECT day, currency, sum(invoices), sum(invoiced_net), sum(invoiced_tax), sum(invoiced_total) FROM c "
		"   WHERE source = 'invoice' GROUP BY 1, 2 "
		"  ON CONFLICT (day, currency) DO UPDATE "
		"     SET invoices = t.invoices + excluded.invoices, net = t.net + excluded.net, "
		"         tax = t.tax + excluded.tax, total = t.total + excluded.total) "
		"SELECT count(*) FROM c",
		INT8OID, INT8OID, INT8OID, INT8OID);
	static OmPlan add_customers = OM_PLAN_CUSTOM(
		"WITH c AS MATERIALIZED ("
		"  SELECT * FROM ordermgmt.report_customer_changes "
		"   WHERE (source = 'history' AND id > $1 AND id <= $2) "
		"      OR (source = 'invoice' AND id > $3 AND id <= $4) "
		"      OR (source = 'return' AND id > $5 AND id <= $6) "
		"      OR (source = 'feedback' AND id > $7 AND id <= $8) "
		"      OR (source = 'delivery' AND id > $9 AND id <= $10)), "
		"m AS ("
		"  INSERT INTO ordermgmt.customer_months AS t (customer_id, month, orders) "
		"  SELECT customer_id, month, sum(orders) FROM c WHERE orders <> 0 GROUP BY 1, 2 "
		"  ON CONFLICT (customer_id, month) DO UPDATE SET orders = t.orders + excluded.orders), "
		"s AS ("
		"  INSERT INTO ordermgmt.customer_totals AS t "
		"    (customer_id, orders, open_orders, first_order_at, last_order_at, invoiced_net, credited_net, "
		"     ratings, rating_sum, negative_ratings, positive_ratings, last_rated_at, delivered, on_time) "
		"  SELECT customer_id, sum(orders), sum(open_orders), min(order_at), max(order_at), sum(invoiced_net), "
		"         sum(credited_net), sum(ratings), sum(rating_sum), sum(negative_ratings), "
		"         sum(positive_ratings), max(rated_at), sum(delivered), sum(on_time) "
		"    FROM c GROUP BY customer_id "
		"  ON CONFLICT (customer_id) DO UPDATE "
		"     SET orders = t.orders + excluded.orders, open_orders = t.open_orders + excluded.open_orders, "
		"         first_order_at = least(t.first_order_at, excluded.first_order_at), "
		"         last_order_at = greatest(t.last_order_at, excluded.last_order_at), "
		"         invoiced_net = t.invoiced_net + excluded.invoiced_net, "
		"         credited_net = t.credited_net + excluded.credited_net, "
		"         ratings = t.ratings + excluded.ratings, rating_sum = t.rating_sum + excluded.rating_sum, "
		"         negative_ratings = t.negative_ratings + excluded.negative_ratings, "
		"         positive_ratings = t.positive_ratings + excluded.positive_ratings, "
		"         last_rated_at = greatest(t.last_rated_at, excluded.last_rated_at), "
		"         delivered = t.delivered + excluded.delivered, on_time = t.on_time + excluded.on_time) "
		"SELECT count(*) FROM c",
		INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID);
	static OmPlan add_deliveries = OM_PLAN_CUSTOM(
		"WITH c AS MATERIALIZED ("
		"  SELECT week, sum(delivered) AS delivered, sum(on_time) AS on_time "
		"    FROM ordermgmt.delivery_changes WHERE change_id > $1 AND change_id <= $2 GROUP BY week) "
		"INSERT INTO ordermgmt.delivery_week_totals AS t (week, delivered, on_time) "
		"SELECT week, delivered, on_time FROM c "
		"ON CONFLICT (week) DO UPDATE "
		"   SET delivered = t.delivered + excluded.delivered, on_time = t.on_time + excluded.on_time",
		INT8OID, INT8OID);
	static OmPlan add_fulfillment = OM_PLAN_CUSTOM(
		"WITH c AS MATERIALIZED ("
		"  SELECT week, stage, bucket, sum(orders) AS orders, sum(seconds) AS seconds "
		"    FROM ordermgmt.report_fulfillment_changes WHERE id > $1 AND id <= $2 GROUP BY 1, 2, 3), "
		"f AS ("
		"  INSERT INTO ordermgmt.fulfillment_histogram AS t (week, stage, bucket, orders, seconds) "
		"  SELECT week, stage, bucket, orders, seconds FROM c "
		"  ON CONFLICT (week, stage, bucket) DO UPDATE "
		"     SET orders = t.orders + excluded.orders, seconds = t.seconds + excluded.seconds) "
		"SELECT count(*), array_agg(DISTINCT week) FROM c",
		INT8OID, INT8OID);
	/*
	 * Each order with an event in the range, stored again as it is now
	 * (drafts are never stored: their lines change without events).  The
	 * figures as report_order_figures defines them, computed here with one
	 * probe per source table and order instead of one per figure (the
	 * view's form, which the reporting views need): half the work for a
	 * batch.  Rows that did not change are not written: every index of the
	 * table would get a new entry.
	 */
	static OmPlan store_figures = OM_PLAN_CUSTOM(
		"INSERT INTO ordermgmt.order_figures AS t "
		"  (order_id, created_at, promised_at, status_changed_at, confirmed_at, delivered_at, first_shipped_at, "
		"   last_shipped_at, net_amount, tax_amount, gross_amount, shipped_net, invoiced_total, paid_total, "
		"   due_total, open_alerts, open_alerts_level1, open_alerts_level2, open_alerts_level3) "
		"SELECT o.order_id, o.created_at, o.promised_at, o.status_changed_at, o.confirmed_at, o.delivered_at, "
		"       s.first_shipped_at, s.last_shipped_at, coalesce(l.net, 0), coalesce(l.tax, 0), "
		"       coalesce(l.net + l.tax, 0), coalesce(l.shipped, 0), coalesce(i.total, 0), coalesce(i.paid, 0), "
		"       coalesce(i.due, 0), a.n, a.n1, a.n2, a.n3 "
		"  FROM ordermgmt.orders o "
		"  LEFT JOIN LATERAL ("
		"       SELECT round(sum(y.qty * y.unit_price), 2) AS net, "
		"              sum(round(y.qty * y.unit_price * coalesce(y.tax_rate, "
		"                  (SELECT p.tax_rate FROM ordermgmt.products p WHERE p.product_id = y.product_id)), 2)) AS tax, "
		"              round(sum((y.shipped_qty - y.returned_qty) * y.unit_price), 2) AS shipped "
		"         FROM ordermgmt.order_lines y WHERE y.order_id = o.order_id) l ON true "
		"  LEFT JOIN LATERAL ("
		"       SELECT sum(y.total) AS total, sum(y.paid) AS paid, sum(y.due) AS due "
		"         FROM ordermgmt.invoices y WHERE y.order_id = o.order_id) i ON true "
		"  LEFT JOIN LATERAL ("
		"       SELECT min(y.shipped_at) AS first_shipped_at, max(y.shipped_at) AS last_shipped_at "
		"         FROM ordermgmt.shipments y WHERE y.order_id = o.order_id) s ON true "
		"  CROSS JOIN LATERAL ("
		"       SELECT count(*) AS n, count(*) FILTER (WHERE y.level = 1) AS n1, "
		"              count(*) FILTER (WHERE y.level = 2) AS n2, count(*) FILTER (WHERE y.level = 3) AS n3 "
		"         FROM ordermgmt.alerts y WHERE y.order_id = o.order_id AND y.status <> 'resolved') a "
		" WHERE o.order_id = ANY (ARRAY(SELECT DISTINCT e.order_id FROM ordermgmt.events e "
		"                               WHERE e.event_id > $1 AND e.event_id <= $2 AND e.order_id IS NOT NULL)) "
		"   AND o.status <> 'draft' "
		"ON CONFLICT (order_id) DO UPDATE "
		"   SET created_at = excluded.created_at, promised_at = excluded.promised_at, "
		"       status_changed_at = excluded.status_changed_at, "
		"       confirmed_at = excluded.confirmed_at, delivered_at = excluded.delivered_at, "
		"       first_shipped_at = excluded.first_shipped_at, last_shipped_at = excluded.last_shipped_at, "
		"       net_amount = excluded.net_amount, tax_amount = excluded.tax_amount, "
		"       gross_amount = excluded.gross_amount, shipped_net = excluded.shipped_net, "
		"       invoiced_total = excluded.invoiced_total, paid_total = excluded.paid_total, "
		"       due_total = excluded.due_total, open_alerts = excluded.open_alerts, "
		"       open_alerts_level1 = excluded.open_alerts_level1, "
		"       open_alerts_level2 = excluded.open_alerts_level2, "
		"       open_alerts_level3 = excluded.open_alerts_level3 "
		" WHERE (t.*) IS DISTINCT FROM (excluded.*)",
		INT8OID, INT8OID);
	/* Result columns of add_days, add_customers and add_fulfillment. */
	enum
	{
		ADD_CHANGES = 1,
		ADD_FULFILLMENT_WEEKS
	};
	/*
	 * The stored rows of v_fulfillment_times for the weeks just changed,
	 * once the horizon has moved past their changes (so that the view
	 * behind them does not count those twice).
	 */
	static OmPlan forget_weeks = OM_PLAN_CUSTOM(
		"DELETE FROM ordermgmt.fulfillment_weeks WHERE week = ANY ($1)",
		DATEARRAYOID);
	static OmPlan store_weeks = OM_PLAN_CUSTOM(
		"INSERT INTO ordermgmt.fulfillment_weeks (week, stage, orders, mean_hours, median_hours, p90_hours) "
		"SELECT week, stage, orders, mean_hours, median_hours, p90_hours "
		"  FROM ordermgmt.report_fulfillment_weeks WHERE week = ANY ($1)",
		DATEARRAYOID);
	static OmPlan last_ids = OM_PLAN0(
		"SELECT coalesce(pg_catalog.pg_sequence_last_value(pg_catalog.pg_get_serial_sequence("
		"           'ordermgmt.order_status_history', 'history_id')::regclass), 0), "
		"       coalesce(pg_catalog.pg_sequence_last_value(pg_catalog.pg_get_serial_sequence("
		"           'ordermgmt.invoices', 'invoice_id')::regclass), 0), "
		"       coalesce(pg_catalog.pg_sequence_last_value(pg_catalog.pg_get_serial_sequence("
		"           'ordermgmt.returns', 'return_id')::regclass), 0), "
		"       coalesce(pg_catalog.pg_sequence_last_value(pg_catalog.pg_get_serial_sequence("
		"           'ordermgmt.feedback', 'feedback_id')::regclass), 0), "
		"       coalesce(pg_catalog.pg_sequence_last_value(pg_catalog.pg_get_serial_sequence("
		"           'ordermgmt.delivery_changes', 'change_id')::regclass), 0), "
		"       coalesce(pg_catalog.pg_sequence_last_value(pg_catalog.pg_get_serial_sequence("
		"           'ordermgmt.events', 'event_id')::regclass), 0)");
	/* $14: the next transaction id, read after last_ids (see above). */
	static OmPlan arm_next = OM_PLAN(
		"UPDATE ordermgmt.report_rollup "
		"   SET upto_history_id = $1, upto_invoice_id = $2, upto_return_id = $3, upto_feedback_id = $4, "
		"       upto_delivery_id = $5, upto_event_id = $6, "
		"       next_history_id = $7, next_invoice_id = $8, next_return_id = $9, next_feedback_id = $10, "
		"       next_delivery_id = $11, next_event_id = $12, next_xmax = $14, "
		"       rolled_at = CASE WHEN $13 THEN now() ELSE rolled_at END "
		" WHERE singleton",
		INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID,
		INT8OID, INT8OID, BOOLOID, XID8OID);
	int64		upto[NLOGS];
	int64		next[NLOGS];
	int64		rolled = 0;
	bool		armed;
	Datum		weeks = (Datum) 0;
	bool		weeks_null = true;
	Datum		v[2 * NLOGS + 2];
	int			i;

	/* Both steps need snapshots newer than the transaction's start. */
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("rollup_reports must run at the READ COMMITTED isolation level"),
				 errhint("Call it in its own transaction, as the background worker does.")));

	SPI_connect();
	om_exec(&ensure_state, NULL, NULL, false, 0);
	om_exec(&lock_state, NULL, NULL, false, 1);
	armed = om_getbool(0, LOCK_STATE_ARMED);
	for (i = 0; i < NLOGS; i++)
	{
		bool		isnull;
		Datum		d = om_getdatum(0, LOCK_STATE_NEXT_HISTORY + i, &isnull);

		upto[i] = om_getint64(0, LOCK_STATE_UPTO_HISTORY + i);
		next[i] = isnull ? upto[i] : DatumGetInt64(d);
	}

	/*
	 * An armed horizon that has not settled yet stays as it is: arming a
	 * newer one would only push the roll-up further away under load.
	 */
	if (armed && !om_getbool(0, LOCK_STATE_SETTLED))
	{
		SPI_finish();
		return 0;
	}
	if (armed)
	{
		for (i = 0; i < NLOGS; i++)
		{
			v[2 * i] = Int64GetDatum(upto[i]);
			v[2 * i + 1] = Int64GetDatum(next[i]);
		}
		om_exec(&add_customers, v, NULL, false, 1);
		rolled += om_getint64(0, ADD_CHANGES);
		om_exec(&add_deliveries, &v[2 * LOG_DELIVERY], NULL, false, 0);
		om_exec(&store_figures, &v[2 * LOG_EVENT], NULL, false, 0);
		rolled += SPI_processed;
		om_exec(&add_fulfillment, v, NULL, false, 1);
		weeks = om_getdatum(0, ADD_FULFILLMENT_WEEKS, &weeks_null);
		if (!weeks_null)
			weeks = PointerGetDatum(PG_DETOAST_DATUM_COPY(weeks));

		/*
		 * The day totals last: amend_order and short_close update the
		 * order's row of order_day_totals themselves and wait for this
		 * transaction once it has written that row; written last, the row
		 * is held for the end of the roll-up, not for all of it.
		 */
		om_exec(&add_days, v, NULL, false, 1);
		rolled += om_getint64(0, ADD_CHANGES);
		for (i = 0; i < NLOGS; i++)
			upto[i] = next[i];
	}

	om_exec(&last_ids, NULL, NULL, false, 1);
	for (i = 0; i < NLOGS; i++)
	{
		v[i] = Int64GetDatum(upto[i]);
		/*
		 * Never behind the horizon: a logical replication subscriber's
		 * sequences do not advance with the rows it applies.
		 */
		v[NLOGS + i] = Int64GetDatum(Max(om_getint64(0, 1 + i), upto[i]));
	}
	v[2 * NLOGS] = BoolGetDatum(armed);
	v[2 * NLOGS + 1] = FullTransactionIdGetDatum(ReadNextFullTransactionId());
	om_exec(&arm_next, v, NULL, false, 0);
	if (!weeks_null)
	{
		om_exec(&forget_weeks, &weeks, NULL, false, 0);
		om_exec(&store_weeks, &weeks, NULL, false, 0);
	}
	SPI_finish();
	return rolled;
}
