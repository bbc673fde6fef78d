/*
 * crm.c
 *		The sales pipeline: quote_opportunity (domain/quotation.c) and the
 *		triggers of the stage rules (domain/opportunities.c).
 */
#include "api/api.h"

#include "commands/trigger.h"
#include "utils/jsonb.h"

/*
 * quote_opportunity(opportunity_id bigint, lines jsonb, options jsonb)
 * returns bigint: the draft order
 */
PG_FUNCTION_INFO_V1(ordermgmt_quote_opportunity);
Datum
ordermgmt_quote_opportunity(PG_FUNCTION_ARGS)
{
	int64		opportunity_id = om_int64_arg(fcinfo, 0, "opportunity_id");

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lines must not be NULL")));
	PG_RETURN_INT64(om_quote_opportunity(opportunity_id, PG_GETARG_JSONB_P(1),
										 (PG_NARGS() > 2 && !PG_ARGISNULL(2)) ? PG_GETARG_JSONB_P(2) : NULL));
}

/*
 * opportunities_stage: BEFORE and AFTER row trigger on opportunities, for
 * INSERT and UPDATE; every stage change goes through it.
 */
PG_FUNCTION_INFO_V1(ordermgmt_opportunities_stage);
Datum
ordermgmt_opportunities_stage(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) || TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("opportunities_stage must be fired as a row trigger on insert or update")));
	return PointerGetDatum(om_opportunities_stage(trigdata));
}

/*
 * orders_opportunity_fate: AFTER UPDATE OF status row trigger on orders,
 * fired (WHEN clause) only for an order that quotes an opportunity and
 * becomes confirmed or cancelled.
 */
PG_FUNCTION_INFO_V1(ordermgmt_orders_opportunity_fate);
Datum
ordermgmt_orders_opportunity_fate(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_AFTER(trigdata->tg_event) || !TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("orders_opportunity_fate must be fired as an AFTER UPDATE row trigger")));
	om_opportunity_order_fate(trigdata);
	return PointerGetDatum(NULL);
}
