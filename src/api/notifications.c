/*
 * notifications.c
 *		Notices to customers: the check of a template as it is saved
 *		(store/notices.c), and claim_notifications / finish_notification,
 *		which ordermgmt-notify calls (domain/notice_queue.c).
 */
#include "api/api.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

/* The most rows one claim takes. */
#define CLAIM_MAX_ROWS	1000
/* Bounds that keep every next_attempt_at a timestamp (backoff: 1024 times the delay at most). */
#define LEASE_MAX_DAYS			7
#define RETRY_DELAY_MAX_DAYS	1

/* notification_template_check: BEFORE INSERT OR UPDATE ... FOR EACH ROW */
PG_FUNCTION_INFO_V1(ordermgmt_notification_template_check);
Datum
ordermgmt_notification_template_check(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	HeapTuple	tuple;
	TupleDesc	desc;
	char	   *kind;
	char	   *subject;
	char	   *body;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) || TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("notification_template_check must be fired BEFORE INSERT OR UPDATE FOR EACH ROW")));
	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	desc = trigdata->tg_relation->rd_att;
	kind = SPI_getvalue(tuple, desc, SPI_fnumber(desc, "kind"));
	subject = SPI_getvalue(tuple, desc, SPI_fnumber(desc, "subject"));
	body = SPI_getvalue(tuple, desc, SPI_fnumber(desc, "body"));
	/* NULLs are the columns' NOT NULL constraints' to refuse. */
	if (kind != NULL && subject != NULL && body != NULL)
		om_notice_template_check(kind, subject, body);
	return PointerGetDatum(tuple);
}

/* An interval argument, at least zero (or above it), at most max_days. */
static Interval *
interval_arg(FunctionCallInfo fcinfo, int argno, const char *what, bool allow_zero, int max_days)
{
	Interval   *i;
	Interval	zero = {0};
	Interval	max = {0};

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be NULL", what)));
	i = PG_GETARG_INTERVAL_P(argno);
	max.day = max_days;
	if (DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(i),
										  IntervalPGetDatum(&zero))) < (allow_zero ? 0 : 1) ||
		DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(i),
										  IntervalPGetDatum(&max))) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be %s and at most %s", what, allow_zero ? "zero or more" : "positive",
						max_days == 1 ? "1 day" : psprintf("%d days", max_days))));
	return i;
}

static int32
int32_arg(FunctionCallInfo fcinfo, int argno, const char *what, int32 min, int32 max)
{
	if (PG_ARGISNULL(argno) || PG_GETARG_INT32(argno) < min || PG_GETARG_INT32(argno) > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be an integer from %d to %d", what, min, max)));
	return PG_GETARG_INT32(argno);
}

/*
 * claim_notifications(max_rows int, lease interval)
 *   returns table(notification_id, attempt, recipient, subject, body, message_id)
 */
PG_FUNCTION_INFO_V1(ordermgmt_claim_notifications);
Datum
ordermgmt_claim_notifications(PG_FUNCTION_ARGS)
{
	int32		max_rows = int32_arg(fcinfo, 0, "max_rows", 1, CLAIM_MAX_ROWS);
	Interval   *lease = interval_arg(fcinfo, 1, "lease", false, LEASE_MAX_DAYS);

	InitMaterializedSRF(fcinfo, 0);
	om_claim_notifications(max_rows, lease, (ReturnSetInfo *) fcinfo->resultinfo);
	PG_RETURN_NULL();
}

/*
 * finish_notification(notification_id bigint, attempt int, error text,
 *					   max_attempts int, retry_delay interval) returns text
 */
PG_FUNCTION_INFO_V1(ordermgmt_finish_notification);
Datum
ordermgmt_finish_notification(PG_FUNCTION_ARGS)
{
	int64		notification_id = om_int64_arg(fcinfo, 0, "notification_id");
	int32		attempt = int32_arg(fcinfo, 1, "attempt", 1, PG_INT32_MAX);
	char	   *error = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	int32		max_attempts = int32_arg(fcinfo, 3, "max_attempts", 1, 1000);
	Interval   *retry_delay = interval_arg(fcinfo, 4, "retry_delay", true, RETRY_DELAY_MAX_DAYS);
	char	   *status;

	status = om_finish_notification(notification_id, attempt, error, max_attempts, retry_delay);
	if (status == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(status));
}
