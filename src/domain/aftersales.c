/*
 * aftersales.c
 *		Level 3 after delivery: customer feedback and service tickets.
 *
 * A low rating raises L3_NEGATIVE_FEEDBACK at once; a ticket starts an
 * L3_TICKET_OVERDUE deadline whose length depends on its priority, and
 * resolving the ticket clears it.  The ticket keeps a copy of its due time
 * (tickets.due_at, NULL once resolved), so that v_tickets sorts by it
 * through an index; om_reschedule_rule moves both.
 */
#include "domain/domain.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

static const char *const priorities[] = {"low", "normal", "high", "urgent", NULL};

/* A customer's rating (1 to 5) of a submitted order; returns the feedback id. */
int64
om_record_feedback(int64 order_id, int32 rating, const char *comment)
{
	/* The feedback row carries its customer for the reports. */
	static OmPlan insert_feedback = OM_PLAN(
		"WITH f AS (INSERT INTO ordermgmt.feedback (order_id, customer_id, rating, comment, recorded_by) "
		"           SELECT $1, o.customer_id, $2, $3, $4 FROM ordermgmt.orders o WHERE o.order_id = $1 "
		"           RETURNING feedback_id) "
		"SELECT f.feedback_id, $2 <= coalesce((r.thresholds ->> 'max_rating')::int, 2) "
		"  FROM f, ordermgmt.monitor_rules r WHERE r.rule_code = 'L3_NEGATIVE_FEEDBACK'",
		INT8OID, INT2OID, TEXTOID, TEXTOID);
	/* Result columns of insert_feedback. */
	enum
	{
		FEEDBACK_ID = 1,
		FEEDBACK_NEGATIVE
	};
	char	   *status;
	int64		feedback_id;
	bool		negative;
	Datum		v[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};

	if (rating < 1 || rating > 5)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rating must be between 1 and 5, got %d", rating)));

	SPI_connect();
	status = om_lock_order(order_id);
	if (strcmp(status, "draft") == 0 || strcmp(status, "cancelled") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("cannot record feedback for order " INT64_FORMAT ": it is %s", order_id, status)));

	v[0] = Int64GetDatum(order_id);
	v[1] = Int16GetDatum((int16) rating);
	if (comment)
		v[2] = om_text_datum(comment);
	else
		nulls[2] = 'n';
	v[3] = om_text_datum(om_session_user());
	om_exec(&insert_feedback, v, nulls, false, 1);
	feedback_id = om_getint64(0, FEEDBACK_ID);
	negative = om_getbool(0, FEEDBACK_NEGATIVE);

	om_emit_event("feedback.recorded", order_id,
				  psprintf("{\"feedback_id\": " INT64_FORMAT ", \"rating\": %d}", feedback_id, rating));
	if (negative)
		om_raise_alert("L3_NEGATIVE_FEEDBACK", "feedback", feedback_id, order_id,
					   psprintf("{\"rating\": %d, \"comment\": %s}", rating,
								comment ? om_json_quote(comment) : "null"));
	SPI_finish();
	return feedback_id;
}

/* An after-sales case about an order; returns the ticket id. */
int64
om_open_ticket(int64 order_id, const char *subject, const char *priority)
{
	static OmPlan insert_ticket = OM_PLAN(
		"INSERT INTO ordermgmt.tickets (order_id, subject, priority, opened_by, due_at) "
		"VALUES ($1, $2, $3, $4, now() + (SELECT ordermgmt.rule_delay(r.rule_code, r.thresholds, $3) "
		"                                   FROM ordermgmt.monitor_rules r "
		"                                  WHERE r.rule_code = 'L3_TICKET_OVERDUE')) "
		"RETURNING ticket_id, opened_at",
		INT8OID, TEXTOID, TEXTOID, TEXTOID);
	/* Result columns of insert_ticket. */
	enum
	{
		INSERT_TICKET_ID = 1,
		INSERT_TICKET_OPENED_AT
	};
	const char *const *p;
	bool		known = false;
	int64		ticket_id;
	Datum		opened_at;
	bool		isnull;
	Datum		v[4];

	for (p = priorities; *p; p++)
		if (strcmp(*p, priority) == 0)
			known = true;
	if (!known)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("priority must be low, normal, high or urgent, got \"%s\"", priority)));

	SPI_connect();
	(void) om_lock_order(order_id);
	v[0] = Int64GetDatum(order_id);
	v[1] = om_text_datum(subject);
	v[2] = om_text_datum(priority);
	v[3] = om_text_datum(om_session_user());
	om_exec(&insert_ticket, v, NULL, false, 1);
	ticket_id = om_getint64(0, INSERT_TICKET_ID);
	opened_at = om_getdatum(0, INSERT_TICKET_OPENED_AT, &isnull);

	om_deadline_set("L3_TICKET_OVERDUE", "ticket", ticket_id, order_id, priority, opened_at);
	om_emit_event("ticket.opened", order_id,
				  psprintf("{\"ticket_id\": " INT64_FORMAT ", \"priority\": %s, \"subject\": %s}",
						   ticket_id, om_json_quote(priority), om_json_quote(subject)));
	SPI_finish();
	return ticket_id;
}

void
om_resolve_ticket(int64 ticket_id, const char *resolution)
{
	static OmPlan lock_ticket = OM_PLAN(
		"SELECT order_id, status FROM ordermgmt.tickets WHERE ticket_id = $1 FOR UPDATE",
		INT8OID);
	/* Result columns of lock_ticket. */
	enum
	{
		LOCK_TICKET_ORDER_ID = 1,
		LOCK_TICKET_STATUS
	};
	static OmPlan close_ticket = OM_PLAN(
		"UPDATE ordermgmt.tickets SET status = 'resolved', resolved_at = now(), resolved_by = $2, "
		"       resolution = $3, due_at = NULL WHERE ticket_id = $1",
		INT8OID, TEXTOID, TEXTOID);
	int64		order_id;
	Datum		v[3];

	SPI_connect();
	v[0] = Int64GetDatum(ticket_id);
	if (om_exec(&lock_ticket, v, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("ticket " INT64_FORMAT " does not exist", ticket_id)));
	order_id = om_getint64(0, LOCK_TICKET_ORDER_ID);
	if (strcmp(om_gettext(0, LOCK_TICKET_STATUS), "resolved") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("ticket " INT64_FORMAT " is already resolved", ticket_id)));

	v[1] = om_text_datum(om_session_user());
	v[2] = om_text_datum(resolution);
	om_exec(&close_ticket, v, NULL, false, 0);
	om_deadline_clear("L3_TICKET_OVERDUE", "ticket", ticket_id, "ticket resolved");
	om_emit_event("ticket.resolved", order_id,
				  psprintf("{\"ticket_id\": " INT64_FORMAT "}", ticket_id));
	SPI_finish();
}
