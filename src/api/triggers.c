/*
 * triggers.c
 *		The trigger functions: each checks how it was fired and hands the
 *		row to the domain (domain/lifecycle.c, ledger.c, ledger_close.c,
 *		config_rows.c, monitoring.c, customer_access.c) or the
 *		configuration cache.
 */
#include "api/api.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

/*
 * orders_lifecycle: BEFORE and AFTER row trigger on orders; every status
 * change goes through it (domain/lifecycle.c).
 */
PG_FUNCTION_INFO_V1(ordermgmt_orders_lifecycle);
Datum
ordermgmt_orders_lifecycle(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("orders_lifecycle must be fired as a row trigger on insert, update or delete")));
	return PointerGetDatum(om_orders_lifecycle(trigdata));
}

/*
 * order_lines_guard: lines change only while their order is a draft (or
 * from inside an API function building the order).
 */
PG_FUNCTION_INFO_V1(ordermgmt_order_lines_guard);
Datum
ordermgmt_order_lines_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("order_lines_guard must be fired as a BEFORE row trigger")));
	return PointerGetDatum(om_order_lines_guard(trigdata));
}

PG_FUNCTION_INFO_V1(ordermgmt_postings_balanced);
Datum
ordermgmt_postings_balanced(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	bool		isnull;
	int64		entry_id;
	int64		posting_id;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || !TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("postings_balanced must be fired as an AFTER INSERT row trigger")));

	desc = trigdata->tg_relation->rd_att;
	entry_id = DatumGetInt64(heap_getattr(trigdata->tg_trigtuple, SPI_fnumber(desc, "entry_id"),
										  desc, &isnull));
	posting_id = DatumGetInt64(heap_getattr(trigdata->tg_trigtuple, SPI_fnumber(desc, "posting_id"),
											desc, &isnull));
	om_check_entry_balanced(entry_id, posting_id);
	return PointerGetDatum(NULL);
}

/*
 * ledger_period_open: BEFORE INSERT row trigger on journal_entries and on
 * postings; nothing is posted into a closed period (OM008).
 */
PG_FUNCTION_INFO_V1(ordermgmt_ledger_period_open);
Datum
ordermgmt_ledger_period_open(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	const char *relname;
	bool		isnull;
	Datum		entry_id;
	Datum		posted_at;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || !TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ledger_period_open must be fired as a BEFORE INSERT row trigger")));

	desc = trigdata->tg_relation->rd_att;
	relname = RelationGetRelationName(trigdata->tg_relation);
	entry_id = heap_getattr(trigdata->tg_trigtuple, SPI_fnumber(desc, "entry_id"), desc, &isnull);
	/* A NULL is the NOT NULL constraint's to refuse. */
	if (isnull)
		return PointerGetDatum(trigdata->tg_trigtuple);
	if (strcmp(relname, "journal_entries") == 0)
	{
		posted_at = heap_getattr(trigdata->tg_trigtuple, SPI_fnumber(desc, "posted_at"), desc, &isnull);
		if (!isnull)
			om_check_entry_open(DatumGetInt64(entry_id), DatumGetTimestampTz(posted_at));
	}
	else if (strcmp(relname, "postings") == 0)
		om_check_posting_open(DatumGetInt64(entry_id));
	else
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ledger_period_open must be fired on journal_entries or postings")));
	return PointerGetDatum(trigdata->tg_trigtuple);
}

PG_FUNCTION_INFO_V1(ordermgmt_ledger_immutable);
Datum
ordermgmt_ledger_immutable(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ledger_immutable must be fired as a BEFORE trigger")));
	om_refuse_ledger_change(RelationGetRelationName(trigdata->tg_relation));
	PG_RETURN_NULL();
}

/*
 * monitor_rules_changed: AFTER UPDATE trigger on monitor_rules.
 */
PG_FUNCTION_INFO_V1(ordermgmt_monitor_rules_changed);
Datum
ordermgmt_monitor_rules_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || !TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("monitor_rules_changed must be fired as an AFTER UPDATE row trigger")));
	desc = trigdata->tg_relation->rd_att;
	om_reschedule_rule(SPI_getvalue(trigdata->tg_newtuple, desc, SPI_fnumber(desc, "rule_code")));
	return PointerGetDatum(NULL);
}

/* config_merge: BEFORE INSERT row trigger; arguments name the key columns. */
PG_FUNCTION_INFO_V1(ordermgmt_config_merge);
Datum
ordermgmt_config_merge(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || !TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("config_merge must be fired as a BEFORE INSERT row trigger")));
	return PointerGetDatum(om_config_merge(trigdata));
}

/* config_keep_builtin: BEFORE DELETE ... WHEN (OLD.builtin) */
PG_FUNCTION_INFO_V1(ordermgmt_config_keep_builtin);
Datum
ordermgmt_config_keep_builtin(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("config_keep_builtin must be fired as a BEFORE DELETE trigger")));
	om_refuse_builtin_delete(RelationGetRelationName(trigdata->tg_relation));
	PG_RETURN_NULL();
}

/*
 * config_changed: AFTER ... FOR EACH STATEMENT on the cached tables; makes
 * every backend reload them.
 */
PG_FUNCTION_INFO_V1(ordermgmt_config_changed);
Datum
ordermgmt_config_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("config_changed must be fired as an AFTER trigger")));
	om_config_changed(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}

/*
 * customer_logins_check: BEFORE INSERT OR UPDATE row trigger on
 * customer_logins; a mapping names an existing role and customer
 * (domain/customer_access.c).
 */
PG_FUNCTION_INFO_V1(ordermgmt_customer_logins_check);
Datum
ordermgmt_customer_logins_check(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	HeapTuple	tuple;
	TupleDesc	desc;
	bool		role_null;
	bool		customer_null;
	Datum		role;
	Datum		customer_id;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) || TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("customer_logins_check must be fired as a BEFORE INSERT OR UPDATE row trigger")));

	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	desc = trigdata->tg_relation->rd_att;
	role = heap_getattr(tuple, SPI_fnumber(desc, "role_name"), desc, &role_null);
	customer_id = heap_getattr(tuple, SPI_fnumber(desc, "customer_id"), desc, &customer_null);
	/* NOT NULL says the rest */
	if (!role_null && !customer_null)
		om_customer_login_check(DatumGetObjectId(role), DatumGetInt64(customer_id));
	return PointerGetDatum(tuple);
}

/*
 * postings_company_amounts: BEFORE INSERT row trigger on postings; fills
 * in the company amounts a plain INSERT leaves out (domain/currency.c).
 */
PG_FUNCTION_INFO_V1(ordermgmt_postings_company_amounts);
Datum
ordermgmt_postings_company_amounts(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || !TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("postings_company_amounts must be fired as a BEFORE INSERT row trigger")));
	return PointerGetDatum(om_posting_company_amounts(trigdata->tg_trigtuple,
													  trigdata->tg_relation->rd_att));
}

/* exchange_rates_check: BEFORE INSERT OR UPDATE row trigger on exchange_rates. */
PG_FUNCTION_INFO_V1(ordermgmt_exchange_rates_check);
Datum
ordermgmt_exchange_rates_check(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	HeapTuple	tuple;
	TupleDesc	desc;
	bool		isnull;
	Datum		currency;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) || TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("exchange_rates_check must be fired as a BEFORE INSERT OR UPDATE row trigger")));
	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	desc = trigdata->tg_relation->rd_att;
	currency = heap_getattr(tuple, SPI_fnumber(desc, "currency"), desc, &isnull);
	if (!isnull)
		om_exchange_rate_check(TextDatumGetCString(currency));
	return PointerGetDatum(tuple);
}
