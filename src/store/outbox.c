/*
 * outbox.c
 *		The transactional outbox (ordermgmt.events), NOTIFY, and catch-up.
 *
 * Every business event is a row of ordermgmt.events written in the caller's
 * transaction, so a rollback leaves no trace.  In "immediate" mode the same
 * transaction queues a NOTIFY, which PostgreSQL delivers only at commit.
 * An event that causes a notice to a customer writes its notification in
 * the same transaction too (notices.c).
 *
 * Catch-up without gaps.  Event ids come from a sequence before commit, so
 * transactions commit out of id order and a reader must never return an id
 * beyond one that a running transaction may still commit.  Each writing
 * transaction therefore takes, before drawing its first id, a shared
 * transaction-level lock whose key is the sequence's last value at that
 * moment (so every id it draws is larger than the key).  events_since()
 * reads the sequence's last value L, then the smallest key K of the locks
 * held by other backends, then takes a fresh snapshot, and returns only ids
 * up to min(L, K):
 *	- a writer holding its lock during the scan has ids > K;
 *	- a writer that takes its lock after the scan draws ids > L;
 *	- a writer that released its lock before the scan has ended, so its
 *	  committed rows are in the fresh snapshot.
 * This relies on the sequence handing out increasing values across
 * backends, i.e. CACHE 1 (the default).
 */
#include "store/store.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "commands/async.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"

/* field4 of our advisory lock tags, shown as objsubid in pg_locks ("OM") */
#define OM_EVENT_LOCK_FIELD4	0x4F4D

/* NOTIFY payloads must stay under 8000 bytes; keep a wide margin. */
#define OM_NOTIFY_PAYLOAD_MAX	7000

/* GUC ordermgmt.notify (defined in _PG_init). */
int			om_notify_mode = OM_NOTIFY_IMMEDIATE;

/* The local transaction (and subtransaction) that holds our writer lock. */
static LocalTransactionId writer_lock_lxid = InvalidLocalTransactionId;
static SubTransactionId writer_lock_subid = InvalidSubTransactionId;

static void
events_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg pg_attribute_unused())
{
	if (writer_lock_lxid == InvalidLocalTransactionId || mySubid != writer_lock_subid)
		return;
	/* A subtransaction's locks go with its abort, or pass to its parent. */
	if (event == SUBXACT_EVENT_ABORT_SUB)
		writer_lock_lxid = InvalidLocalTransactionId;
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
		writer_lock_subid = parentSubid;
}

void
om_events_init(void)
{
	RegisterSubXactCallback(events_subxact_callback, NULL);
}

static Oid
events_sequence_oid(void)
{
	Oid			nsp = get_namespace_oid("ordermgmt", false);
	Oid			seq = get_relname_relid("events_event_id_seq", nsp);

	if (!OidIsValid(seq))
		elog(ERROR, "ordermgmt: sequence events_event_id_seq is missing");
	return seq;
}

/* The last id the events sequence handed out to anyone, 0 if none yet. */
static int64
events_sequence_last_value(void)
{
	LOCAL_FCINFO(fcinfo, 1);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = ObjectIdGetDatum(events_sequence_oid());
	fcinfo->args[0].isnull = false;
	result = pg_sequence_last_value(fcinfo);
	return fcinfo->isnull ? 0 : DatumGetInt64(result);
}

static void
take_writer_lock(void)
{
	LOCKTAG		tag;
	int64		key;

	if (writer_lock_lxid == MyProc->lxid)
		return;
	key = events_sequence_last_value();
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) (key >> 32), (uint32) key,
						 OM_EVENT_LOCK_FIELD4);
	(void) LockAcquire(&tag, ShareLock, false, false);
	writer_lock_lxid = MyProc->lxid;
	writer_lock_subid = GetCurrentSubTransactionId();
}

/*
 * A NOTIFY queued in a subtransaction stays in that subtransaction's memory
 * until the top-level commit: at least one 8 kB block for each.  A batch
 * (api/batch.c) runs every item in a subtransaction of its own, so there
 * it holds an item's notifications back in memory of its own and queues
 * them when the item's subtransaction has ended well (om_notify_release):
 * the same notifications, in the same order, delivered at the same commit,
 * in the memory of the transaction that sends them.
 */
static MemoryContext held_cxt = NULL;	/* non-NULL while holding */
static List *held_notifies = NIL;		/* channel, payload, channel, ... */

/* Queue a NOTIFY now, or hold it back for the running batch item. */
void
om_notify(const char *channel, const char *payload)
{
	MemoryContext old;

	if (held_cxt == NULL)
	{
		Async_Notify(channel, payload);
		return;
	}
	old = MemoryContextSwitchTo(held_cxt);
	held_notifies = lappend(held_notifies, pstrdup(channel));
	held_notifies = lappend(held_notifies, pstrdup(payload));
	MemoryContextSwitchTo(old);
}

/* From now on hold notifications back, in cxt, which lives past the item. */
void
om_notify_hold(MemoryContext cxt)
{
	held_cxt = cxt;
	held_notifies = NIL;
}

/* Stop holding; queue what was held (the item's subtransaction ended well) or drop it. */
void
om_notify_release(bool send)
{
	List	   *held = held_notifies;
	int			i;

	held_cxt = NULL;
	held_notifies = NIL;
	if (!send)
		return;
	for (i = 0; i + 1 < list_length(held); i += 2)
		Async_Notify(list_nth(held, i), list_nth(held, i + 1));
}

/* s as a JSON string literal (with quotes), palloc'd. */
const char *
om_json_quote(const char *s)
{
	StringInfoData buf;

	initStringInfo(&buf);
	escape_json(&buf, s);
	return buf.data;
}

/*
 * Does a notification repeat this payload member?  Every role may LISTEN,
 * so a notification carries ids and codes only, never free text (reasons,
 * subjects, carriers, approvers) or amounts: those stay in the outbox,
 * which only the API roles read.
 */
static bool
notify_member(const char *key, int keylen, const JsonbValue *value)
{
	static const char *const codes[] = {"rule_code", "severity", "state", "status", "from", "to", "priority"};
	int			i;

	/* The notification's own first members are not repeated. */
	if ((keylen == 8 && strncmp(key, "order_id", 8) == 0) ||
		(keylen == 8 && strncmp(key, "event_id", 8) == 0) ||
		(keylen == 4 && strncmp(key, "kind", 4) == 0))
		return false;

	if (value->type == jbvNumeric)
		return (keylen > 3 && strncmp(key + keylen - 3, "_id", 3) == 0) ||
			(keylen == 5 && strncmp(key, "level", 5) == 0);
	if (value->type != jbvString)
		return false;
	for (i = 0; i < (int) lengthof(codes); i++)
		if ((int) strlen(codes[i]) == keylen && strncmp(key, codes[i], keylen) == 0)
			return true;
	return false;
}

/*
 * Queue the NOTIFY of one event on ordermgmt_events: its id, kind and order
 * followed by the ids and codes of its payload (as stored, so "immediate"
 * and "relay" send the same text).
 */
void
om_event_notify(int64 event_id, const char *kind, int64 order_id, const char *payload_text)
{
	StringInfoData msg;

	initStringInfo(&msg);
	appendStringInfo(&msg, "{\"event_id\": " INT64_FORMAT ", \"kind\": %s, \"order_id\": ",
					 event_id, om_json_quote(kind));
	if (order_id > 0)
		appendStringInfo(&msg, INT64_FORMAT, order_id);
	else
		appendStringInfoString(&msg, "null");
	if (payload_text != NULL)
	{
		Jsonb	   *payload = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(payload_text)));
		JsonbIterator *it = JsonbIteratorInit(&payload->root);
		JsonbValue	v;
		JsonbIteratorToken tok;
		JsonbValue	key = {0};
		int			depth = 0;

		while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
		{
			if (tok == WJB_BEGIN_OBJECT || tok == WJB_BEGIN_ARRAY)
				depth++;
			else if (tok == WJB_END_OBJECT || tok == WJB_END_ARRAY)
				depth--;
			else if (tok == WJB_KEY && depth == 1)
				key = v;
			else if (tok == WJB_VALUE && depth == 1 &&
					 notify_member(key.val.string.val, key.val.string.len, &v))
			{
				StringInfoData member;

				initStringInfo(&member);
				appendStringInfoString(&member, ", ");
				escape_json(&member, pnstrdup(key.val.string.val, key.val.string.len));
				appendStringInfoString(&member, ": ");
				if (v.type == jbvNumeric)
					appendStringInfoString(&member, om_numeric_out(v.val.numeric));
				else
					escape_json(&member, pnstrdup(v.val.string.val, v.val.string.len));
				/* Whole members only, and never past NOTIFY's limit. */
				if (msg.len + member.len < OM_NOTIFY_PAYLOAD_MAX)
					appendBinaryStringInfo(&msg, member.data, member.len);
			}
		}
	}
	appendStringInfoChar(&msg, '}');
	om_notify("ordermgmt_events", msg.data);
}

/*
 * Write one event and, in immediate mode, queue its NOTIFY.  payload_json
 * is a JSON object built by the caller (or NULL).  Returns the event id.
 */
int64
om_emit_event(const char *kind, int64 order_id, const char *payload_json)
{
	static OmPlan insert_event = OM_PLAN(
		"INSERT INTO ordermgmt.events (kind, order_id, payload) "
		"VALUES ($1, $2, coalesce($3::jsonb, '{}')) RETURNING event_id, payload::text",
		TEXTOID, INT8OID, TEXTOID);
	/* Result columns of insert_event. */
	enum
	{
		INSERT_EVENT_ID = 1,
		INSERT_EVENT_PAYLOAD
	};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	int64		event_id;
	char	   *stored_payload;

	take_writer_lock();

	values[0] = om_text_datum(kind);
	values[1] = Int64GetDatum(order_id);
	if (order_id <= 0)
		nulls[1] = 'n';
	if (payload_json != NULL)
		values[2] = om_text_datum(payload_json);
	else
		nulls[2] = 'n';

	om_exec(&insert_event, values, nulls, false, 1);
	event_id = om_getint64(0, INSERT_EVENT_ID);
	stored_payload = om_gettext(0, INSERT_EVENT_PAYLOAD);
	if (om_notify_mode == OM_NOTIFY_IMMEDIATE)
		om_event_notify(event_id, kind, order_id, stored_payload);
	om_notices_for_event(event_id, kind, order_id, stored_payload);
	return event_id;
}

/*
 * For a writer of events by a statement of its own (new_orders.c): take
 * the writer lock before its statement, as om_emit_event does, then
 * announce what it wrote (om_events_announce).
 */
void
om_events_lock(void)
{
	take_writer_lock();
}

/*
 * The n events just written (ids in id order): each is notified in
 * immediate mode and may cause a notice, as om_emit_event does for one.
 */
void
om_events_announce(int n, const int64 *event_ids, const char *const *kinds, const int64 *order_ids,
				   char *const *payloads)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (om_notify_mode == OM_NOTIFY_IMMEDIATE)
			om_event_notify(event_ids[i], kinds[i], order_ids[i], payloads[i]);
		om_notices_for_event(event_ids[i], kinds[i], order_ids[i], payloads[i]);
	}
}

/*
 * The id up to which every event is settled: committed and visible to a
 * snapshot taken from now on, or never to be committed (see above).
 */
int64
om_events_settled_upto(void)
{
	int64		cutoff = events_sequence_last_value();
	LockData   *locks = GetLockStatusData();
	int			i;

	for (i = 0; i < locks->nelements; i++)
	{
		LockInstanceData *l = &locks->locks[i];
		int64		key;

		if (l->locktag.locktag_type != LOCKTAG_ADVISORY ||
			l->locktag.locktag_field4 != OM_EVENT_LOCK_FIELD4 ||
			l->locktag.locktag_field1 != MyDatabaseId ||
			l->pid == MyProcPid ||
			l->holdMask == 0)
			continue;
		key = (int64) (((uint64) l->locktag.locktag_field2 << 32) | l->locktag.locktag_field3);
		if (key < cutoff)
			cutoff = key;
	}
	return cutoff;
}

/*
 * The settled events after after_id, at most max_rows, in id order, into
 * rsinfo's tuplestore (see the top of this file).
 */
void
om_events_since(int64 after_id, int32 max_rows, ReturnSetInfo *rsinfo)
{
	static OmPlan select_events = OM_PLAN(
		"SELECT * FROM ordermgmt.events "
		"WHERE event_id > $1 AND event_id <= $2 ORDER BY event_id LIMIT $3",
		INT8OID, INT8OID, INT4OID);
	int64		cutoff;
	Datum		values[3];
	int			i;
	int			n;

	/*
	 * A standby sees neither the writers still running on the primary nor
	 * their locks, and its sequence runs ahead of what was drawn: nothing
	 * it could return is known to be settled.
	 */
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("events_since() cannot run on a standby"),
				 errdetail("A standby cannot tell which events are settled: it does not see the transactions still running on the primary."),
				 errhint("Catch up from the primary (target_session_attrs=read-write in the connection string).")));

	/* 1: the last id handed out; 2: the smallest key another writer holds. */
	cutoff = om_events_settled_upto();

	if (cutoff <= after_id)
		return;

	/* 3: a snapshot taken after the scan, even under REPEATABLE READ. */
	SPI_connect();
	values[0] = Int64GetDatum(after_id);
	values[1] = Int64GetDatum(cutoff);
	values[2] = Int32GetDatum(max_rows);
	if (select_events.plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(select_events.sql, select_events.nargs,
									   select_events.argtypes);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "ordermgmt: could not prepare events_since query");
		select_events.plan = plan;
	}
	if (SPI_execute_snapshot(select_events.plan, values, NULL, GetLatestSnapshot(),
							 InvalidSnapshot, true, false, max_rows) != SPI_OK_SELECT)
		elog(ERROR, "ordermgmt: events_since query failed");

	n = (int) SPI_processed;
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		tuplestore_puttuple(rsinfo->setResult, SPI_tuptable->vals[i]);
	}
	SPI_finish();
}
