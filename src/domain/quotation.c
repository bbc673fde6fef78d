/*
 * quotation.c
 *		quote_opportunity: a draft order (the quotation) for an opportunity.
 *
 * The draft is made by order entry (create_order with submit false) for
 * the opportunity's customer, in its currency, and linked both ways
 * (opportunities.order_id, orders.opportunity_id) while the opportunity
 * moves to proposal.  From then on the order's fate decides the
 * opportunity (opportunities.c).  One quotation at a time: while the
 * linked order is still open (draft, pending, on hold) a second one is
 * refused; the draft's lines are edited instead.  A deleted draft unlinks
 * itself and the opportunity may be quoted again.
 *
 * Lock order: the opportunity row first (two calls for one opportunity
 * queue there, and the second then sees the first's quotation), then the
 * new draft, which nobody else can see yet.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"

/* What a quotation's options may say; the rest is the opportunity's. */
static const char *const quote_option_keys[] = {"warehouse", "promised_at", "valid_until", NULL};

/*
 * The options create_order gets: the caller's, checked, plus a draft
 * (submit false) in the opportunity's currency.
 */
static Jsonb *
draft_options(Jsonb *options, const char *currency)
{
	Datum		ours = DirectFunctionCall1(jsonb_in,
										   CStringGetDatum(psprintf("{\"submit\": false, \"currency\": %s}",
																	om_json_quote(currency))));

	if (options == NULL)
		return DatumGetJsonbP(ours);
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(options), ours));
}

/*
 * A draft order of lines ([{"sku", "qty", "unit_price"?}]) quoting
 * opportunity_id; options (NULL: none) warehouse, promised_at, valid_until
 * (the quotation's expiry, as create_order takes it).  Returns
 * the order's id.
 */
int64
om_quote_opportunity(int64 opportunity_id, Jsonb *lines, Jsonb *options)
{
	static OmPlan lock_opportunity = OM_PLAN(
		"SELECT o.stage, o.order_id, c.code, o.currency::text "
		"  FROM ordermgmt.opportunities o JOIN ordermgmt.customers c ON c.customer_id = o.customer_id "
		" WHERE o.opportunity_id = $1 FOR NO KEY UPDATE OF o",
		INT8OID);
	/* Result columns of lock_opportunity. */
	enum
	{
		OPPORTUNITY_STAGE = 1,
		OPPORTUNITY_ORDER_ID,
		OPPORTUNITY_CUSTOMER,
		OPPORTUNITY_CURRENCY
	};
	static OmPlan status_of = OM_PLAN(
		"SELECT status::text FROM ordermgmt.orders WHERE order_id = $1",
		INT8OID);
	/* Result column of status_of. */
	enum
	{
		STATUS_OF_STATUS = 1
	};
	static OmPlan link_order = OM_PLAN(
		"UPDATE ordermgmt.orders SET opportunity_id = $2 WHERE order_id = $1",
		INT8OID, INT8OID);
	static OmPlan link_opportunity = OM_PLAN(
		"UPDATE ordermgmt.opportunities SET order_id = $2, stage = 'proposal' WHERE opportunity_id = $1",
		INT8OID, INT8OID);
	Datum		v[2];
	char	   *stage;
	int64		quoted;
	char	   *customer;
	char	   *currency;
	int64		order_id;

	if (options != NULL)
		om_jsonb_check_keys(options, "options", quote_option_keys);

	SPI_connect();
	v[0] = Int64GetDatum(opportunity_id);
	if (om_exec(&lock_opportunity, v, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("unknown opportunity " INT64_FORMAT, opportunity_id)));
	stage = om_gettext(0, OPPORTUNITY_STAGE);
	quoted = om_getint64(0, OPPORTUNITY_ORDER_ID);
	customer = om_gettext(0, OPPORTUNITY_CUSTOMER);
	currency = om_gettext(0, OPPORTUNITY_CURRENCY);
	if (strcmp(stage, "won") == 0 || strcmp(stage, "lost") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("opportunity " INT64_FORMAT " is %s: it is closed", opportunity_id, stage),
				 errhint("Open a new opportunity for new business.")));
	if (quoted != 0)
	{
		/* A fresh snapshot: a quotation committed while we waited for the lock counts. */
		v[0] = Int64GetDatum(quoted);
		if (om_exec(&status_of, v, NULL, false, 1) > 0)
			ereport(ERROR,
					(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
					 errmsg("opportunity " INT64_FORMAT " already has an open quotation, order " INT64_FORMAT " (%s)",
							opportunity_id, quoted, om_gettext(0, STATUS_OF_STATUS)),
					 errhint("Edit the draft's lines, or cancel it (which loses the opportunity).")));
	}

	order_id = om_create_order(customer, lines, draft_options(options, currency), false);

	OM_API_BEGIN();
	v[0] = Int64GetDatum(order_id);
	v[1] = Int64GetDatum(opportunity_id);
	om_exec(&link_order, v, NULL, false, 0);
	v[0] = Int64GetDatum(opportunity_id);
	v[1] = Int64GetDatum(order_id);
	om_exec(&link_opportunity, v, NULL, false, 0);
	OM_API_END();
	SPI_finish();
	return order_id;
}
