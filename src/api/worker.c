/*
 * worker.c
 *		The background worker: runs monitor_tick on a schedule and, in relay
 *		mode, sends the NOTIFYs of committed events in batches.
 *
 * Registered only when the library is in shared_preload_libraries.  It
 * connects to the database named by ordermgmt.database; each unit of work
 * runs in its own transaction, and an error in one is logged and the worker
 * goes on.  SIGHUP reloads the settings; SIGTERM ends it promptly; the
 * postmaster restarts it after a crash.
 *
 * Why relay: a NOTIFY takes a cluster-wide lock at commit that serializes
 * every notifying transaction.  With relay, order transactions only write
 * the outbox and this worker notifies for many of them in one commit.  Its
 * position is stored in relay_state in the same transaction as the NOTIFYs,
 * so each event is sent exactly once, in event order, and never before its
 * own transaction has committed (events_since only returns settled ids).
 */
#include "api/api.h"

#include "alert_payload.h"

#include "access/xact.h"
#include "commands/async.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

/* Events sent per relay transaction. */
#define RELAY_BATCH 1000

/* How often the reporting summaries are rolled up (rollup_reports). */
#define REPORT_ROLLUP_INTERVAL_MS 1000

static char *om_database = NULL;
static int	om_monitor_interval = 60;	/* seconds; 0 disables the ticks */
static int	om_notify_delay = 100;		/* milliseconds */

PGDLLEXPORT void ordermgmt_worker_main(Datum arg);

void
om_worker_init(void)
{
	BackgroundWorker worker;

	DefineCustomStringVariable("ordermgmt.database",
							   "Database in which the ordermgmt background worker runs.",
							   NULL, &om_database, "postgres", PGC_POSTMASTER, 0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("ordermgmt.monitor_interval",
							"Seconds between two runs of monitor_tick by the background worker (0: never).",
							NULL, &om_monitor_interval, 60, 0, 86400, PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("ordermgmt.notify_delay",
							"Longest time a committed event waits for the relay to notify it.",
							NULL, &om_notify_delay, 100, 10, 60000, PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "ordermgmt");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "ordermgmt_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "ordermgmt worker");
	snprintf(worker.bgw_type, BGW_MAXLEN, "ordermgmt worker");
	RegisterBackgroundWorker(&worker);
}

/* Is the extension installed in this database?  (inside a transaction) */
static bool
extension_installed(void)
{
	int			rc = SPI_execute("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'ordermgmt'",
								 true, 1);

	return rc == SPI_OK_SELECT && SPI_processed == 1;
}

static void
run_tick(void)
{
	int			raised;
	bool		isnull;

	if (SPI_execute("SELECT ordermgmt.monitor_tick(now())", false, 1) != SPI_OK_SELECT)
		elog(ERROR, "ordermgmt worker: monitor_tick failed");
	raised = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (raised > 0)
		elog(DEBUG1, "ordermgmt worker: monitor_tick raised %d alerts", raised);
}

/* Roll the ledger totals forward. */
static void
run_rollup(void)
{
	if (SPI_execute("SELECT ordermgmt.rollup_ledger()", false, 1) != SPI_OK_SELECT)
		elog(ERROR, "ordermgmt worker: rollup_ledger failed");
}

/* Roll the reporting summaries forward. */
static void
run_report_rollup(void)
{
	if (SPI_execute("SELECT ordermgmt.rollup_reports()", false, 1) != SPI_OK_SELECT)
		elog(ERROR, "ordermgmt worker: rollup_reports failed");
}

static void
run_relay(void)
{
	static OmPlan read_position = OM_PLAN0(
		"SELECT last_event_id FROM ordermgmt.relay_state WHERE singleton FOR UPDATE");
	/* Result column of read_position. */
	enum
	{
		POSITION_LAST_EVENT_ID = 1
	};
	static OmPlan start_position = OM_PLAN(
		"INSERT INTO ordermgmt.relay_state (last_event_id) VALUES ($1) ON CONFLICT DO NOTHING",
		INT8OID);
	static OmPlan next_events = OM_PLAN(
		"SELECT e.event_id, e.kind, coalesce(e.order_id, 0), e.payload::text, "
		"       e.kind OPERATOR(pg_catalog.=) ANY ('{alert.raised,alert.resolved}'), "
		OM_ALERT_PAYLOAD_COLUMNS
		"  FROM ordermgmt.events_since($1, $2) AS e",
		INT8OID, INT4OID);
	/* Result columns of next_events: the event, then the alert payload's members. */
	enum
	{
		NEXT_EVENT_ID = 1,
		NEXT_EVENT_KIND,
		NEXT_EVENT_ORDER_ID,
		NEXT_EVENT_PAYLOAD,
		NEXT_EVENT_IS_ALERT,
		NEXT_ALERT_ID,
		NEXT_ALERT_RULE_CODE,
		NEXT_ALERT_LEVEL,
		NEXT_ALERT_SEVERITY,
		NEXT_ALERT_ORDER_ID,
		NEXT_ALERT_STATE
	};
	static OmPlan save_position = OM_PLAN(
		"UPDATE ordermgmt.relay_state SET last_event_id = $1, relayed_at = now() WHERE singleton",
		INT8OID);
	Datum		v[2];
	int64		last;
	int			n;
	int			i;

	if (om_exec(&read_position, NULL, NULL, false, 1) == 0)
	{
		/* First start: relay what commits from now on, not the history. */
		v[0] = Int64GetDatum(om_events_settled_upto());
		om_exec(&start_position, v, NULL, false, 0);
		return;
	}
	last = om_getint64(0, POSITION_LAST_EVENT_ID);

	v[0] = Int64GetDatum(last);
	v[1] = Int32GetDatum(RELAY_BATCH);
	n = om_exec(&next_events, v, NULL, true, 0);
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		last = om_getint64(i, NEXT_EVENT_ID);
		om_event_notify(last, om_gettext(i, NEXT_EVENT_KIND), om_getint64(i, NEXT_EVENT_ORDER_ID),
						om_gettext(i, NEXT_EVENT_PAYLOAD));
		if (om_getbool(i, NEXT_EVENT_IS_ALERT))
			Async_Notify("ordermgmt_alerts",
						 psprintf(OM_ALERT_PAYLOAD_FORMAT, om_gettext(i, NEXT_ALERT_ID),
								  om_gettext(i, NEXT_ALERT_RULE_CODE), om_gettext(i, NEXT_ALERT_LEVEL),
								  om_gettext(i, NEXT_ALERT_SEVERITY), om_gettext(i, NEXT_ALERT_ORDER_ID),
								  om_gettext(i, NEXT_ALERT_STATE)));
	}
	if (n > 0)
	{
		v[0] = Int64GetDatum(last);
		om_exec(&save_position, v, NULL, false, 0);
	}
}

/*
 * The worker connects as the bootstrap superuser (a background worker
 * cannot connect as a NOLOGIN role on PostgreSQL 15) and does its work as
 * ordermgmt_owner, which owns the extension's tables and nothing else.
 * run_unit switches back after the unit's transaction, commit or abort.
 * Before an install that made the role, it stays the superuser.
 */
static void
drop_to_owner(void)
{
	Oid			owner = get_role_oid("ordermgmt_owner", true);

	if (OidIsValid(owner))
		SetUserIdAndSecContext(owner, SECURITY_LOCAL_USERID_CHANGE);
}

/*
 * Run one unit of work in its own transaction.  An error is logged and
 * rolled back; the worker goes on with the next unit.
 */
static void
run_unit(void (*work) (void), const char *what)
{
	MemoryContext unit_context = CurrentMemoryContext;
	Oid			session_user;
	int			session_context;

	GetUserIdAndSecContext(&session_user, &session_context);
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PG_TRY();
	{
		drop_to_owner();
		SPI_connect();
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, what);
		if (extension_installed())
			work();
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(unit_context);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
	}
	PG_END_TRY();
	SetUserIdAndSecContext(session_user, session_context);
	pgstat_report_activity(STATE_IDLE, NULL);
}

void
ordermgmt_worker_main(Datum arg pg_attribute_unused())
{
	MemoryContext loop_context;
	TimestampTz next_tick = 0;
	TimestampTz next_report_rollup = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(om_database, NULL, 0);
	/*
	 * The worker is a superuser session: a name its statements look up in a
	 * schema that others can create in would run their code with its rights.
	 * The pin overrides any ALTER DATABASE/ROLE ... SET search_path.
	 */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	pgstat_report_appname("ordermgmt worker");
	elog(LOG, "ordermgmt worker started in database \"%s\"", om_database);

	loop_context = AllocSetContextCreate(TopMemoryContext, "ordermgmt worker loop",
										 ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		TimestampTz now;

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 om_notify_delay, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		MemoryContextReset(loop_context);
		MemoryContextSwitchTo(loop_context);

		if (om_notify_mode == OM_NOTIFY_RELAY)
			run_unit(run_relay, "ordermgmt: relaying events");

		now = GetCurrentTimestamp();
		if (om_monitor_interval > 0 && now >= next_tick)
		{
			run_unit(run_tick, "ordermgmt: monitor_tick");
			run_unit(run_rollup, "ordermgmt: rolling up the ledger");
			next_tick = TimestampTzPlusMilliseconds(now, om_monitor_interval * 1000);
		}
		/*
		 * The reporting views add the changes after the roll-up's horizon
		 * to the summaries: rolled up every second, that tail stays a
		 * second or two of business whatever the monitoring interval.
		 */
		if (now >= next_report_rollup)
		{
			run_unit(run_report_rollup, "ordermgmt: rolling up the reports");
			next_report_rollup = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), REPORT_ROLLUP_INTERVAL_MS);
		}
		MemoryContextSwitchTo(TopMemoryContext);
	}
}
