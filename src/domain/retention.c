/*
 * retention.c
 *		purge_history: drop old events and resolved alerts.
 *
 * An event is removed only when it is older than the retention window (so
 * a listener that was away for less than the window can still catch up
 * with events_since), is settled (no running transaction can still commit
 * an id below it), and, when the background worker relays NOTIFYs, has
 * been relayed, and has been rolled up into the reports (rollup_reports:
 * the per-document views tell the orders changed since by their events).
 * Resolved alerts older than the window go too; open and
 * acknowledged alerts always stay.
 *
 * What a purge deleted is recorded in ordermgmt.purge_horizon, in the same
 * transaction: events that occurred before events_before, and alerts up to
 * alerts_upto, may be gone; everything after is kept.  verify() reads it to
 * tell an event that was purged from one that is missing.
 */
#include "domain/domain.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

/* Rows deleted per statement, so a large purge holds locks briefly. */
#define PURGE_BATCH 10000

/*
 * Delete events and resolved alerts older than keep (NULL: the
 * event_retention setting, default 30 days); counts what went into
 * *events and *alerts.
 */
void
om_purge_history(Interval *keep, int64 *events, int64 *alerts)
{
	/*
	 * A window longer than now() can go back in the calendar (some 6700
	 * years) keeps everything, rather than failing with "timestamp out of
	 * range".
	 */
	static OmPlan window = OM_PLAN(
		"SELECT CASE WHEN w.keep > interval '5000 years' THEN '-infinity' ELSE now() - w.keep END, "
		"       (SELECT last_event_id FROM ordermgmt.relay_state WHERE singleton), "
		"       coalesce((SELECT upto_event_id FROM ordermgmt.report_rollup WHERE singleton), 0) "
		"  FROM (SELECT coalesce($1, (SELECT value::interval FROM ordermgmt.settings "
		"                              WHERE key = 'event_retention'), interval '30 days') AS keep) w",
		INTERVALOID);
	/* Result columns of window. */
	enum
	{
		WINDOW_CUTOFF = 1,
		WINDOW_RELAYED_UPTO,
		WINDOW_REPORTED_UPTO
	};
	/*
	 * Each batch goes on from the last id the one before deleted ($4): every
	 * row up to that id was deleted or does not qualify, and starting over
	 * from the first id would step again over the entries of every row
	 * deleted so far in this transaction (quadratic in a large purge).
	 */
	static OmPlan purge_events = OM_PLAN(
		"WITH gone AS (DELETE FROM ordermgmt.events WHERE event_id IN ("
		"  SELECT event_id FROM ordermgmt.events "
		"   WHERE event_id > $4 AND event_id <= $2 AND occurred_at < $1 ORDER BY event_id LIMIT $3) "
		"  RETURNING event_id) "
		"SELECT count(*)::int4, coalesce(max(event_id), $4) FROM gone",
		TIMESTAMPTZOID, INT8OID, INT4OID, INT8OID);
	/* The same, in alert id order, which an index scan reads once in all. */
	static OmPlan purge_alerts = OM_PLAN(
		"WITH gone AS (DELETE FROM ordermgmt.alerts WHERE alert_id IN ("
		"  SELECT alert_id FROM ordermgmt.alerts "
		"   WHERE alert_id > $3 AND status = 'resolved' AND resolved_at < $1 ORDER BY alert_id LIMIT $2) "
		"  RETURNING alert_id) "
		"SELECT count(*)::int4, coalesce(max(alert_id), $3) FROM gone",
		TIMESTAMPTZOID, INT4OID, INT8OID);
	/* Result columns of purge_events and purge_alerts. */
	enum
	{
		PURGED_ROWS = 1,
		PURGED_UPTO_ID
	};
	/* Only ever moves forward: a narrower purge after a wider one keeps it. */
	static OmPlan record_horizon = OM_PLAN(
		"INSERT INTO ordermgmt.purge_horizon AS h (singleton, events_before, alerts_upto, purged_at) "
		"VALUES (true, CASE WHEN $3 THEN $1 ELSE '-infinity' END, $2, now()) "
		"ON CONFLICT (singleton) DO UPDATE "
		"   SET events_before = greatest(h.events_before, excluded.events_before), "
		"       alerts_upto = greatest(h.alerts_upto, excluded.alerts_upto), "
		"       purged_at = excluded.purged_at",
		TIMESTAMPTZOID, INT8OID, BOOLOID);
	Datum		v[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	Datum		cutoff_time;
	int64		upto;
	int64		after;
	bool		isnull;
	int			n;

	*events = 0;
	*alerts = 0;
	if (keep == NULL)
		nulls[0] = 'n';
	else
	{
		if (keep->month < 0 || keep->day < 0 || keep->time < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("older_than must not be negative")));
		v[0] = IntervalPGetDatum(keep);
	}
	SPI_connect();
	om_exec(&window, v, nulls, true, 1);
	cutoff_time = om_getdatum(0, WINDOW_CUTOFF, &isnull);
	/* Never past what a running transaction may still add to, nor the relay. */
	upto = om_events_settled_upto();
	{
		Datum		relayed = om_getdatum(0, WINDOW_RELAYED_UPTO, &isnull);

		if (!isnull && om_notify_mode == OM_NOTIFY_RELAY && DatumGetInt64(relayed) < upto)
			upto = DatumGetInt64(relayed);
	}
	/*
	 * Nor past the reports' roll-up: v_order_status tells the orders whose
	 * stored figures are stale by their events after its horizon.
	 */
	if (om_getint64(0, WINDOW_REPORTED_UPTO) < upto)
		upto = om_getint64(0, WINDOW_REPORTED_UPTO);

	after = 0;
	do
	{
		CHECK_FOR_INTERRUPTS();
		v[0] = cutoff_time;
		v[1] = Int64GetDatum(upto);
		v[2] = Int32GetDatum(PURGE_BATCH);
		v[3] = Int64GetDatum(after);
		om_exec(&purge_events, v, NULL, false, 1);
		n = DatumGetInt32(om_getdatum(0, PURGED_ROWS, &isnull));
		after = om_getint64(0, PURGED_UPTO_ID);
		*events += n;
	} while (n == PURGE_BATCH);

	after = 0;
	do
	{
		CHECK_FOR_INTERRUPTS();
		v[0] = cutoff_time;
		v[1] = Int32GetDatum(PURGE_BATCH);
		v[2] = Int64GetDatum(after);
		om_exec(&purge_alerts, v, NULL, false, 1);
		n = DatumGetInt32(om_getdatum(0, PURGED_ROWS, &isnull));
		after = om_getint64(0, PURGED_UPTO_ID);
		*alerts += n;
	} while (n == PURGE_BATCH);

	/* The alerts go in id order: after is the highest id deleted (0: none). */
	if (*events > 0 || *alerts > 0)
	{
		v[0] = cutoff_time;
		v[1] = Int64GetDatum(after);
		v[2] = BoolGetDatum(*events > 0);
		om_exec(&record_horizon, v, NULL, false, 0);
	}
	SPI_finish();
}
