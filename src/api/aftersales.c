/*
 * aftersales.c
 *		record_feedback, open_ticket, resolve_ticket (domain/aftersales.c);
 *		a customer login may record feedback and open tickets on its own
 *		orders only (domain/customer_access.c).
 */
#include "api/api.h"

/*
 * record_feedback(order_id bigint, rating int, comment text) returns bigint
 */
PG_FUNCTION_INFO_V1(ordermgmt_record_feedback);
Datum
ordermgmt_record_feedback(PG_FUNCTION_ARGS)
{
	int64		order_id = om_int64_arg(fcinfo, 0, "order_id");
	char	   *comment = om_text_arg_or_null(fcinfo, 2, "comment");

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rating must not be NULL")));
	(void) om_customer_check_order(order_id);
	PG_RETURN_INT64(om_record_feedback(order_id, PG_GETARG_INT32(1), comment));
}

/*
 * open_ticket(order_id bigint, subject text, priority text) returns bigint
 */
PG_FUNCTION_INFO_V1(ordermgmt_open_ticket);
Datum
ordermgmt_open_ticket(PG_FUNCTION_ARGS)
{
	int64		order_id = om_int64_arg(fcinfo, 0, "order_id");
	char	   *subject = om_text_arg(fcinfo, 1, "subject");
	char	   *priority = om_text_arg(fcinfo, 2, "priority");

	(void) om_customer_check_order(order_id);
	PG_RETURN_INT64(om_open_ticket(order_id, subject, priority));
}

/*
 * resolve_ticket(ticket_id bigint, resolution text) returns void
 */
PG_FUNCTION_INFO_V1(ordermgmt_resolve_ticket);
Datum
ordermgmt_resolve_ticket(PG_FUNCTION_ARGS)
{
	int64		ticket_id = om_int64_arg(fcinfo, 0, "ticket_id");
	char	   *resolution = om_text_arg(fcinfo, 1, "resolution");

	om_resolve_ticket(ticket_id, resolution);
	PG_RETURN_VOID();
}
