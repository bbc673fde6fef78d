/*
 * notice_queue.c
 *		The queue of notices to customers as notifiers work it: claim the
 *		due notifications, then mark each sent, due again later, or failed.
 *
 * Several notifiers claim at once without sending one notification twice:
 * the claim locks the rows it takes with FOR UPDATE SKIP LOCKED, so a
 * concurrent claim passes over them, and marks them 'sending' until a
 * lease ends (next_attempt_at).  A notifier that dies after claiming
 * leaves rows that the next claim takes again once the lease has ended:
 * a message may then go out twice (at-least-once; its Message-ID stays
 * the same, docs/notifications.md).  Each claim counts an attempt, and
 * finishing needs the attempt the claim returned, so a notifier whose
 * lease lapsed cannot mark a row that another one has claimed since.
 */
#include "domain/domain.h"

#include "access/xlog.h"
#include "catalog/pg_type_d.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

/* The longest error text kept, in bytes. */
#define NOTICE_ERROR_MAX	2000

/* Claim up to max_rows due notifications for lease; the rows into rsinfo. */
void
om_claim_notifications(int32 max_rows, Interval *lease, ReturnSetInfo *rsinfo)
{
	static OmPlan claim = OM_PLAN(
		"UPDATE ordermgmt.notifications n "
		"   SET status = 'sending', attempts = n.attempts + 1, next_attempt_at = now() + $2 "
		" WHERE n.notification_id IN (SELECT d.notification_id FROM ordermgmt.notifications d "
		"                              WHERE d.status IN ('queued', 'sending') AND d.next_attempt_at <= now() "
		"                              ORDER BY d.next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) "
		"RETURNING n.notification_id, n.attempts, n.recipient, n.subject, n.body, "
		"          '<notification-' || n.notification_id || '.' || $3 || '@ordermgmt>'",
		INT4OID, INTERVALOID, TEXTOID);
	Datum		v[3];
	int			n;
	int			i;

	SPI_connect();
	v[0] = Int32GetDatum(max_rows);
	v[1] = IntervalPGetDatum(lease);
	/* Message-ID: the same for every attempt, unique across databases. */
	v[2] = om_text_datum(psprintf("%u." UINT64_FORMAT, MyDatabaseId, GetSystemIdentifier()));
	n = om_exec(&claim, v, NULL, false, 0);
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		tuplestore_puttuple(rsinfo->setResult, SPI_tuptable->vals[i]);
	}
	SPI_finish();
}

/*
 * The claimed attempt's outcome: sent (error NULL), queued again after
 * retry_delay doubled for each earlier attempt (at most 1024 times), or
 * failed once max_attempts are spent.  Returns the new status, or NULL
 * if the claim had lapsed.
 */
char *
om_finish_notification(int64 notification_id, int32 attempt, const char *error,
					   int32 max_attempts, Interval *retry_delay)
{
	static OmPlan finish = OM_PLAN(
		"UPDATE ordermgmt.notifications "
		"   SET status = CASE WHEN $3 IS NULL THEN 'sent' WHEN attempts >= $4 THEN 'failed' ELSE 'queued' END, "
		"       next_attempt_at = CASE WHEN $3 IS NULL OR attempts >= $4 THEN now() "
		"                              ELSE now() + $5 * power(2, least(attempts - 1, 10)) END, "
		"       last_error = $3, "
		"       sent_at = CASE WHEN $3 IS NULL THEN now() END "
		" WHERE notification_id = $1 AND attempts = $2 AND status = 'sending' "
		"RETURNING status",
		INT8OID, INT4OID, TEXTOID, INT4OID, INTERVALOID);
	Datum		v[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	char	   *status = NULL;
	MemoryContext outer = CurrentMemoryContext;

	if (error != NULL)
	{
		int			len = strlen(error);

		if (len > NOTICE_ERROR_MAX)
			error = pnstrdup(error, pg_mbcliplen(error, len, NOTICE_ERROR_MAX));
		v[2] = om_text_datum(error);
	}
	else
		nulls[2] = 'n';
	SPI_connect();
	v[0] = Int64GetDatum(notification_id);
	v[1] = Int32GetDatum(attempt);
	v[3] = Int32GetDatum(max_attempts);
	v[4] = IntervalPGetDatum(retry_delay);
	if (om_exec(&finish, v, nulls, false, 1) == 1)
		status = MemoryContextStrdup(outer, om_gettext(0, 1));
	SPI_finish();
	return status;
}
