/*
 * ledger_close.c
 *		close_period and the guard that keeps closed periods closed.
 *
 * An entry is dated on the UTC day of its posted_at; postings belong to the
 * date of their entry.  ledger_closes keeps one row per close, the latest
 * closed_through in force.  The guard is a BEFORE INSERT trigger on
 * journal_entries and on postings, so every path is held to it: the API's
 * automatic postings, post_entry, reverse_entry and plain SQL alike.
 *
 * Serialization.  Every writer of the ledger holds ROW EXCLUSIVE on
 * journal_entries from before its check until it ends: an INSERT into
 * journal_entries takes that lock as it starts, and the guard on postings
 * takes it before checking.  close_period takes SHARE ROW EXCLUSIVE on
 * journal_entries, which conflicts with it: it waits for the writers in
 * progress (their entries, checked against the old close, commit before
 * the new one), and a writer starting meanwhile waits for the close to end.
 * The guard reads the close with the latest snapshot, not the transaction's
 * (under REPEATABLE READ that could predate the close), so a writer that
 * waited sees it.  The hot path pays one lookup per (sub)transaction: while
 * the lock is held, no close can commit.
 */
#include "domain/domain.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

/*
 * The close in force, read once per (sub)transaction: a subtransaction that
 * took the lock and aborted released it, and subtransaction ids are never
 * reused.  closed_none: no period is closed.
 */
static LocalTransactionId close_lxid = InvalidLocalTransactionId;
static SubTransactionId close_subid = InvalidSubTransactionId;
static bool closed_none;
static DateADT closed_through;

/* The last entry the guard passed in that (sub)transaction. */
static int64 open_entry_id;

static void
read_close(void)
{
	static OmPlan latest_close = OM_PLAN0(
		"SELECT max(closed_through) FROM ordermgmt.ledger_closes");
	/* Result column of latest_close. */
	enum
	{
		LATEST_CLOSE_THROUGH = 1
	};
	bool		isnull;
	Datum		d;

	if (close_lxid == MyProc->lxid && close_subid == GetCurrentSubTransactionId())
		return;
	SPI_connect();
	om_exec_latest(&latest_close, NULL, NULL, 1);
	d = om_getdatum(0, LATEST_CLOSE_THROUGH, &isnull);
	closed_none = isnull;
	closed_through = isnull ? 0 : DatumGetDateADT(d);
	SPI_finish();
	close_lxid = MyProc->lxid;
	close_subid = GetCurrentSubTransactionId();
	open_entry_id = 0;
}

/* The UTC date of a timestamp, as a date's day number. */
static int64
utc_day(TimestampTz ts)
{
	int64		day = ts / USECS_PER_DAY;

	if (ts < 0 && ts % USECS_PER_DAY != 0)
		day--;
	return day;
}

static void
refuse_closed(int64 entry_id, TimestampTz posted_at)
{
	ereport(ERROR,
			(errcode(ERRCODE_OM_PERIOD_CLOSED),
			 errmsg("journal entry " INT64_FORMAT " is dated in a closed period", entry_id),
			 errdetail("It is dated %s; the books are closed through %s.",
					   timestamptz_to_str(posted_at),
					   DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(closed_through)))),
			 errhint("Post it in the open period; a correction of a closed period is a reversing entry, dated today.")));
}

/*
 * The guard on a new journal entry: refused with OM008 if dated on or
 * before the closed date.  The caller's INSERT holds the lock.
 */
void
om_check_entry_open(int64 entry_id, TimestampTz posted_at)
{
	if (om_raw_load())
		return;
	read_close();
	if (!closed_none && utc_day(posted_at) <= (int64) closed_through)
		refuse_closed(entry_id, posted_at);
	open_entry_id = entry_id;
}

/*
 * The guard on a new posting: its entry must be dated in the open period.
 * The entry just passed by the guard above needs no lookup, nor does any
 * entry while no period is closed.
 */
void
om_check_posting_open(int64 entry_id)
{
	static OmPlan entry_date = OM_PLAN(
		"SELECT posted_at FROM ordermgmt.journal_entries WHERE entry_id = $1",
		INT8OID);
	/* Result column of entry_date. */
	enum
	{
		ENTRY_DATE_POSTED_AT = 1
	};
	Oid			journal_entries;
	Datum		v[1];
	TimestampTz posted_at;
	bool		isnull;

	if (om_raw_load())
		return;
	/* Held from here to the end, so that no close commits in between. */
	journal_entries = get_relname_relid("journal_entries", get_namespace_oid("ordermgmt", false));
	if (!OidIsValid(journal_entries))
		elog(ERROR, "ordermgmt: relation journal_entries not found");
	LockRelationOid(journal_entries, RowExclusiveLock);
	read_close();
	if (closed_none || entry_id == open_entry_id)
		return;

	SPI_connect();
	v[0] = Int64GetDatum(entry_id);
	if (om_exec_latest(&entry_date, v, NULL, 1) == 0)
	{
		/* The foreign key refuses it. */
		SPI_finish();
		return;
	}
	posted_at = DatumGetTimestampTz(om_getdatum(0, ENTRY_DATE_POSTED_AT, &isnull));
	SPI_finish();
	if (utc_day(posted_at) <= (int64) closed_through)
		refuse_closed(entry_id, posted_at);
	open_entry_id = entry_id;
}

/*
 * close_period: postings dated on or before through are refused from now
 * on.  A period that has not ended (today, UTC, or later) cannot be closed,
 * and a close never moves back.  Closing the date already closed changes
 * nothing.  Returns the date the books are closed through.
 */
DateADT
om_close_period(DateADT through)
{
	static OmPlan lock_writers = OM_PLAN0(
		"LOCK TABLE ordermgmt.journal_entries IN SHARE ROW EXCLUSIVE MODE");
	static OmPlan latest_close = OM_PLAN0(
		"SELECT max(closed_through) FROM ordermgmt.ledger_closes");
	/* Result column of latest_close. */
	enum
	{
		CLOSE_THROUGH = 1
	};
	static OmPlan insert_close = OM_PLAN(
		"INSERT INTO ordermgmt.ledger_closes (closed_through, closed_by) VALUES ($1, $2)",
		DATEOID, TEXTOID);
	DateADT		today = (DateADT) utc_day(GetCurrentTransactionStartTimestamp());
	Datum		v[2];
	Datum		d;
	bool		isnull;

	if (DATE_NOT_FINITE(through) || through >= today)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a period can be closed only once it has ended"),
				 errdetail("through is %s; the latest date that can be closed is yesterday (UTC).",
						   DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(through))))));

	SPI_connect();
	om_exec(&lock_writers, NULL, NULL, false, 0);
	/* Under the lock, the latest close, whatever the transaction's snapshot. */
	om_exec_latest(&latest_close, NULL, NULL, 1);
	d = om_getdatum(0, CLOSE_THROUGH, &isnull);
	if (!isnull && DatumGetDateADT(d) > through)
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("the books are already closed through %s",
						DatumGetCString(DirectFunctionCall1(date_out, d))),
				 errdetail("A closed period is never reopened."),
				 errhint("Correct a closed period with a reversing entry in the open one.")));
	if (isnull || DatumGetDateADT(d) < through)
	{
		/* This transaction's guard must read the new close. */
		close_lxid = InvalidLocalTransactionId;
		v[0] = DateADTGetDatum(through);
		v[1] = om_text_datum(om_session_user());
		om_exec(&insert_close, v, NULL, false, 0);
		om_emit_event("ledger.period_closed", 0,
					  psprintf("{\"closed_through\": \"%s\"}",
							   DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(through)))));
	}
	SPI_finish();
	return through;
}
