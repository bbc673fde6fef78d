/*
 * purchasing.c
 *		create_purchase_order, receive_purchase, cancel_purchase_order and
 *		the purchase_orders lifecycle trigger (domain/purchasing.c,
 *		domain/purchase_lifecycle.c).
 */
#include "api/api.h"

#include "commands/trigger.h"
#include "utils/jsonb.h"

/*
 * create_purchase_order(supplier text, warehouse text, lines jsonb,
 *                       options jsonb DEFAULT '{}') returns bigint
 */
PG_FUNCTION_INFO_V1(ordermgmt_create_purchase_order);
Datum
ordermgmt_create_purchase_order(PG_FUNCTION_ARGS)
{
	char	   *supplier = om_text_arg(fcinfo, 0, "supplier");
	char	   *warehouse = om_text_arg(fcinfo, 1, "warehouse");

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lines must not be NULL")));
	PG_RETURN_INT64(om_create_purchase_order(supplier, warehouse, PG_GETARG_JSONB_P(2),
											 (PG_NARGS() > 3 && !PG_ARGISNULL(3)) ?
											 PG_GETARG_JSONB_P(3) : NULL));
}

/*
 * receive_purchase(po_id bigint, lines jsonb DEFAULT NULL) returns bigint:
 * the receipt id; NULL lines receive everything still open
 */
PG_FUNCTION_INFO_V1(ordermgmt_receive_purchase);
Datum
ordermgmt_receive_purchase(PG_FUNCTION_ARGS)
{
	int64		po_id = om_int64_arg(fcinfo, 0, "po_id");

	PG_RETURN_INT64(om_receive_purchase(po_id, (PG_NARGS() > 1 && !PG_ARGISNULL(1)) ?
										PG_GETARG_JSONB_P(1) : NULL));
}

/* cancel_purchase_order(po_id bigint, reason text) returns void */
PG_FUNCTION_INFO_V1(ordermgmt_cancel_purchase_order);
Datum
ordermgmt_cancel_purchase_order(PG_FUNCTION_ARGS)
{
	int64		po_id = om_int64_arg(fcinfo, 0, "po_id");
	char	   *reason = om_text_arg(fcinfo, 1, "reason");

	om_cancel_purchase_order(po_id, reason);
	PG_RETURN_VOID();
}

/*
 * purchase_orders_lifecycle: BEFORE and AFTER row trigger on
 * purchase_orders; every status change goes through it.
 */
PG_FUNCTION_INFO_V1(ordermgmt_purchase_orders_lifecycle);
Datum
ordermgmt_purchase_orders_lifecycle(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("purchase_orders_lifecycle must be fired as a row trigger on insert, update or delete")));
	return PointerGetDatum(om_purchase_orders_lifecycle(trigdata));
}
