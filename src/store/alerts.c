/*
 * alerts.c
 *		Alerts of the monitoring rules: raise, resolve, acknowledge.
 *
 * At most one alert per rule and subject is open at a time; the partial
 * unique index alerts_one_open_per_subject enforces it, also between
 * concurrent transactions (INSERT ... ON CONFLICT waits for the other).
 * Each alert raised or resolved writes an event and, in immediate mode,
 * queues a NOTIFY on ordermgmt_alerts, delivered only on commit.
 */
#include "store/store.h"

#include "alert_payload.h"

#include "fmgr.h"
#include "utils/builtins.h"

void
om_alert_announce(int64 alert_id, const char *rule_code, int level, const char *severity,
			   int64 order_id, const char *state)
{
	StringInfoData event;
	char		order_buf[32];

	if (order_id > 0)
		snprintf(order_buf, sizeof(order_buf), INT64_FORMAT, order_id);
	else
		strlcpy(order_buf, "null", sizeof(order_buf));

	/* The event row carries order_id itself; the alert channel repeats it. */
	initStringInfo(&event);
	appendStringInfo(&event,
					 "{\"alert_id\": " INT64_FORMAT ", \"rule_code\": %s, \"level\": %d, "
					 "\"severity\": %s, \"state\": \"%s\"}",
					 alert_id, om_json_quote(rule_code), level, om_json_quote(severity), state);
	om_emit_event(strcmp(state, "raised") == 0 ? "alert.raised" : "alert.resolved",
				  order_id, event.data);

	if (om_notify_mode == OM_NOTIFY_IMMEDIATE)
		om_notify("ordermgmt_alerts",
				  psprintf(OM_ALERT_PAYLOAD_FORMAT, psprintf(INT64_FORMAT, alert_id),
						   om_json_quote(rule_code), psprintf("%d", level), om_json_quote(severity),
						   order_buf, om_json_quote(state)));
}

/*
 * Raise the rule's alert for a subject unless one is already open (then
 * its details are refreshed).  A disabled rule raises nothing.
 */
bool
om_raise_alert(const char *rule_code, const char *subject_type, int64 subject_id,
			   int64 order_id, const char *details_json)
{
	static OmPlan upsert_alert = OM_PLAN(
		"INSERT INTO ordermgmt.alerts "
		"  (rule_code, level, severity, subject_type, subject_id, order_id, details) "
		"SELECT r.rule_code, r.level, r.severity, $2, $3, $4, coalesce($5::jsonb, '{}') "
		"  FROM ordermgmt.monitor_rules r WHERE r.rule_code = $1 AND r.enabled "
		"ON CONFLICT (rule_code, subject_type, subject_id) WHERE status <> 'resolved' "
		"DO UPDATE SET details = EXCLUDED.details "
		"RETURNING alert_id, level, severity, (xmax = 0) AS inserted",
		TEXTOID, TEXTOID, INT8OID, INT8OID, TEXTOID);
	/* Result columns of upsert_alert. */
	enum
	{
		UPSERT_ALERT_ID = 1,
		UPSERT_ALERT_LEVEL,
		UPSERT_ALERT_SEVERITY,
		UPSERT_ALERT_INSERTED
	};
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	int64		alert_id;
	int			level;
	char	   *severity;

	values[0] = om_text_datum(rule_code);
	values[1] = om_text_datum(subject_type);
	values[2] = Int64GetDatum(subject_id);
	values[3] = Int64GetDatum(order_id);
	if (order_id <= 0)
		nulls[3] = 'n';
	if (details_json)
		values[4] = om_text_datum(details_json);
	else
		nulls[4] = 'n';

	if (om_exec(&upsert_alert, values, nulls, false, 0) == 0)
		return false;			/* rule disabled */
	if (!om_getbool(0, UPSERT_ALERT_INSERTED))
		return false;			/* already open */

	alert_id = om_getint64(0, UPSERT_ALERT_ID);
	level = DatumGetInt16(om_getdatum(0, UPSERT_ALERT_LEVEL, &(bool){false}));
	severity = om_gettext(0, UPSERT_ALERT_SEVERITY);
	om_alert_announce(alert_id, rule_code, level, severity, order_id, "raised");
	return true;
}

/*
 * Announce alerts that a statement just resolved: its rows are in
 * SPI_tuptable, with the OM_RESOLVED_* columns (store.h).
 */
int
om_announce_resolved(void)
{
	int			n = (int) SPI_processed;
	int64	   *ids;
	char	  **rules;
	int		   *levels;
	char	  **severities;
	int64	   *orders;
	int			i;

	if (n == 0)
		return 0;
	/* Copy the rows out: announcing runs queries that replace SPI_tuptable. */
	ids = palloc(n * sizeof(int64));
	rules = palloc(n * sizeof(char *));
	levels = palloc(n * sizeof(int));
	severities = palloc(n * sizeof(char *));
	orders = palloc(n * sizeof(int64));
	for (i = 0; i < n; i++)
	{
		ids[i] = om_getint64(i, OM_RESOLVED_ALERT_ID);
		rules[i] = om_gettext(i, OM_RESOLVED_RULE_CODE);
		levels[i] = DatumGetInt16(om_getdatum(i, OM_RESOLVED_LEVEL, &(bool){false}));
		severities[i] = om_gettext(i, OM_RESOLVED_SEVERITY);
		orders[i] = om_getint64(i, OM_RESOLVED_ORDER_ID);
	}
	for (i = 0; i < n; i++)
		om_alert_announce(ids[i], rules[i], levels[i], severities[i], orders[i], "resolved");
	return n;
}

/*
 * Resolve the order's open alerts of one level (0: every level) whose rule
 * is not in keep_rules_csv, because their condition has cleared.
 */
int
om_resolve_alerts_for_order(int64 order_id, int level, const char *keep_rules_csv,
							const char *note)
{
	/* Returns the OM_RESOLVED_* columns, for om_announce_resolved. */
	static OmPlan resolve_alerts = OM_PLAN(
		"UPDATE ordermgmt.alerts SET status = 'resolved', resolved_at = now(), "
		"       resolved_by = $4, note = coalesce(note, $3) "
		" WHERE order_id = $1 AND status <> 'resolved' AND ($2 = 0 OR level = $2) "
		"   AND rule_code <> ALL (string_to_array(coalesce($5, ''), ',')) "
		"RETURNING alert_id, rule_code, level, severity, order_id",
		INT8OID, INT4OID, TEXTOID, TEXTOID, TEXTOID);
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};

	values[0] = Int64GetDatum(order_id);
	values[1] = Int32GetDatum(level);
	values[2] = om_text_datum(note);
	values[3] = om_text_datum(om_session_user());
	if (keep_rules_csv)
		values[4] = om_text_datum(keep_rules_csv);
	else
		nulls[4] = 'n';
	om_exec(&resolve_alerts, values, nulls, false, 0);
	return om_announce_resolved();
}

/*
 * Change one alert's state by hand (acknowledge_alert, resolve_alert):
 * resolving twice is a no-op, acknowledging a resolved alert is refused.
 */
void
om_alert_set_state(int64 alert_id, const char *note, bool resolve)
{
	static OmPlan lock_alert = OM_PLAN(
		"SELECT status, rule_code, level, severity, order_id "
		"  FROM ordermgmt.alerts WHERE alert_id = $1 FOR UPDATE",
		INT8OID);
	/* Result columns of lock_alert. */
	enum
	{
		LOCK_ALERT_STATUS = 1,
		LOCK_ALERT_RULE_CODE,
		LOCK_ALERT_LEVEL,
		LOCK_ALERT_SEVERITY,
		LOCK_ALERT_ORDER_ID
	};
	static OmPlan ack_alert = OM_PLAN(
		"UPDATE ordermgmt.alerts SET status = 'acknowledged', acknowledged_at = now(), "
		"       acknowledged_by = $2, note = coalesce($3, note) WHERE alert_id = $1",
		INT8OID, TEXTOID, TEXTOID);
	static OmPlan resolve_alert = OM_PLAN(
		"UPDATE ordermgmt.alerts SET status = 'resolved', resolved_at = now(), "
		"       resolved_by = $2, note = coalesce($3, note) WHERE alert_id = $1",
		INT8OID, TEXTOID, TEXTOID);
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	char	   *status;
	char	   *rule_code;
	char	   *severity;
	int			level;
	int64		order_id;

	SPI_connect();
	values[0] = Int64GetDatum(alert_id);
	if (om_exec(&lock_alert, values, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("alert " INT64_FORMAT " does not exist", alert_id)));
	status = om_gettext(0, LOCK_ALERT_STATUS);
	rule_code = om_gettext(0, LOCK_ALERT_RULE_CODE);
	level = DatumGetInt16(om_getdatum(0, LOCK_ALERT_LEVEL, &(bool){false}));
	severity = om_gettext(0, LOCK_ALERT_SEVERITY);
	order_id = om_getint64(0, LOCK_ALERT_ORDER_ID);

	if (strcmp(status, "resolved") == 0)
	{
		/* Resolving twice is a no-op; acknowledging a closed alert is not. */
		if (!resolve)
			ereport(ERROR,
					(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
					 errmsg("alert " INT64_FORMAT " is already resolved", alert_id)));
		SPI_finish();
		return;
	}
	if (!resolve && strcmp(status, "acknowledged") == 0)
	{
		SPI_finish();
		return;
	}

	values[1] = om_text_datum(om_session_user());
	if (note)
		values[2] = om_text_datum(note);
	else
		nulls[2] = 'n';
	om_exec(resolve ? &resolve_alert : &ack_alert, values, nulls, false, 0);
	if (resolve)
		om_alert_announce(alert_id, rule_code, level, severity, order_id, "resolved");
	SPI_finish();
}

