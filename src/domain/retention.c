/*
 * retention.c
 *		purge_history: drop old events and resolved alerts.
 *
 * An event is removed only when it is older than the retention window (so
 * a listener that was away for less than the window can still catch up
 * with events_since), is settled (no running transaction can still commit
 * an id below it), and, when the background worker relays NOTIFYs, has
 * been relayed.  Resolved alerts older than the window go too; open and
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
		"       (SELECT last_event_id FROM ordermgmt.relay_state WHERE singleton) "
		"  FROM (SELECT coalesce($1, (SELECT value::interval FROM ordermgmt.settings "
		"                              WHERE key = 'event_retention'), interval '30 days') AS keep) w",
		INTERVALOID);
	/* Result columns of window. */
	enum
	{
		WINDOW_CUTOFF = 1,
		WINDOW_RELAYED_UPTO
	};
	static OmPlan purge_events = OM_PLAN(
		"DELETE FROM ordermgmt.events WHERE event_id IN ("
		"  SELECT event_id FROM ordermgmt.events "
		"   WHERE event_id <= $2 AND occurred_at < $1 ORDER BY event_id LIMIT $3)",
		TIMESTAMPTZOID, INT8OID, INT4OID);
	static OmPlan purge_alerts = OM_PLAN(
		"WITH gone AS (DELETE FROM ordermgmt.alerts WHERE alert_id IN ("
		"  SELECT alert_id FROM ordermgmt.alerts "
		"   WHERE status = 'resolved' AND resolved_at < $1 LIMIT $2) RETURNING alert_id) "
		"SELECT count(*)::int4, max(alert_id) FROM gone",
		TIMESTAMPTZOID, INT4OID);
	/* Result columns of purge_alerts. */
	enum
	{
		PURGE_ALERTS_COUNT = 1,
		PURGE_ALERTS_MAX_ID
	};
	/* Only ever moves forward: a narrower purge after a wider one keeps it. */
	static OmPlan record_horizon = OM_PLAN(
		"INSERT INTO ordermgmt.purge_horizon AS h (singleton, events_before, alerts_upto, purged_at) "
		"VALUES (true, CASE WHEN $3 THEN $1 ELSE '-infinity' END, coalesce($2, 0), now()) "
		"ON CONFLICT (singleton) DO UPDATE "
		"   SET events_before = greatest(h.events_before, excluded.events_before), "
		"       alerts_upto = greatest(h.alerts_upto, excluded.alerts_upto), "
		"       purged_at = excluded.purged_at",
		TIMESTAMPTZOID, INT8OID, BOOLOID);
	Datum		v[3];
	char		nulls[3] = {' ', ' ', ' '};
	Datum		cutoff_time;
	int64		upto;
	int64		alerts_upto = 0;
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

	do
	{
		CHECK_FOR_INTERRUPTS();
		v[0] = cutoff_time;
		v[1] = Int64GetDatum(upto);
		v[2] = Int32GetDatum(PURGE_BATCH);
		n = om_exec(&purge_events, v, NULL, false, 0);
		*events += n;
	} while (n == PURGE_BATCH);

	do
	{
		CHECK_FOR_INTERRUPTS();
		v[0] = cutoff_time;
		v[1] = Int32GetDatum(PURGE_BATCH);
		om_exec(&purge_alerts, v, NULL, false, 1);
		n = DatumGetInt32(om_getdatum(0, PURGE_ALERTS_COUNT, &isnull));
		if (n > 0)
			alerts_upto = Max(alerts_upto, om_getint64(0, PURGE_ALERTS_MAX_ID));
		*alerts += n;
	} while (n == PURGE_BATCH);

	if (*events > 0 || *alerts > 0)
	{
		char		hnulls[3] = {' ', ' ', ' '};

		v[0] = cutoff_time;
		v[1] = Int64GetDatum(alerts_upto);
		if (*alerts == 0)
			hnulls[1] = 'n';
		v[2] = BoolGetDatum(*events > 0);
		om_exec(&record_horizon, v, hnulls, false, 0);
	}
	SPI_finish();
}
