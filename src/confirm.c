/*
 * confirm.c
 *		Level-1 monitoring: the checks that confirm an order or hold it.
 *
 * Confirmation runs every enabled level-1 rule at once, so a held order
 * reports all its problems together: blocked customer, inactive product,
 * price deviation, credit limit and stock shortage.  It then either
 * reserves every unreserved line (all or nothing) and confirms, or puts the
 * order on hold, reserves nothing and raises one alert per failed rule.
 *
 * Lock order, the same on every path: the order row, then (for a customer
 * with a credit limit) the customer row, then stock rows by product_id.
 */
#include "ordermgmt.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

typedef struct ConfirmLine
{
	int32		line_no;
	int64		product_id;
	Numeric		qty;
	Numeric		unit_price;
	Numeric		list_price;
	bool		active;
	bool		reserved;
	char	   *sku;
} ConfirmLine;

static char *
num_out(Numeric n)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n)));
}

static int
num_cmp(Numeric a, Numeric b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a), NumericGetDatum(b)));
}

static Numeric
num_op(PGFunction fn, Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(fn, NumericGetDatum(a), NumericGetDatum(b)));
}

/* Does |price - list| exceed tolerance * list? */
static bool
price_deviates(ConfirmLine *l, Numeric tolerance)
{
	Numeric		diff = num_op(numeric_sub, l->unit_price, l->list_price);
	Numeric		allowed = num_op(numeric_mul, l->list_price, tolerance);

	diff = DatumGetNumeric(DirectFunctionCall1(numeric_abs, NumericGetDatum(diff)));
	return num_cmp(diff, allowed) > 0;
}

/*
 * Open exposure of the customer (other open orders plus this one) against
 * its credit limit.  Locks the customer row first, so two confirmations
 * for one customer are checked one after the other.
 */
static bool
credit_exceeded(int64 customer_id, int64 order_id, StringInfo details)
{
	/*
	 * A no-op UPDATE, not just a row lock: under REPEATABLE READ a second
	 * confirmation that waited here must fail (40001) rather than add up
	 * exposure from its old snapshot.
	 */
	static OmPlan lock_customer = OM_PLAN(
		"UPDATE ordermgmt.customers SET credit_limit = credit_limit WHERE customer_id = $1 "
		"RETURNING credit_limit",
		INT8OID);
	/* Open receivables, plus what open orders will still bill (gross, with tax). */
	static OmPlan exposure = OM_PLAN(
		"SELECT round(coalesce((SELECT sum(i.due) FROM ordermgmt.invoices i "
		"                        WHERE i.customer_id = $1 AND i.due > 0), 0) "
		"             + coalesce(sum(u.value) FILTER (WHERE u.order_id <> $2), 0), 2), "
		"       round(coalesce(sum(u.value) FILTER (WHERE u.order_id = $2), 0), 2) "
		"  FROM (SELECT o.order_id, "
		"               ((l.qty - l.returned_qty) - (l.invoiced_qty - l.credited_qty)) "
		"               * l.unit_price * (1 + p.tax_rate) AS value "
		"          FROM ordermgmt.orders o "
		"          JOIN ordermgmt.order_lines l ON l.order_id = o.order_id "
		"          JOIN ordermgmt.products p ON p.product_id = l.product_id "
		"         WHERE o.customer_id = $1 "
		"           AND (o.order_id = $2 OR o.status IN ('confirmed', 'processing', "
		"                'partially_shipped', 'shipped', 'delivered'))) u",
		INT8OID, INT8OID);
	Datum		v[2];
	bool		isnull;
	Numeric		limit;
	Numeric		open_value;
	Numeric		order_value;
	bool		exceeded;

	v[0] = Int64GetDatum(customer_id);
	v[1] = Int64GetDatum(order_id);
	om_exec(&lock_customer, v, NULL, false, 1);
	limit = DatumGetNumericCopy(om_getdatum(0, 1, &isnull));
	if (isnull)
		return false;
	om_exec(&exposure, v, NULL, false, 1);
	open_value = DatumGetNumericCopy(om_getdatum(0, 1, &isnull));
	order_value = DatumGetNumericCopy(om_getdatum(0, 2, &isnull));

	exceeded = num_cmp(num_op(numeric_add, open_value, order_value), limit) > 0;
	if (exceeded)
		appendStringInfo(details,
						 "{\"credit_limit\": %s, \"open_value\": %s, \"order_value\": %s}",
						 num_out(limit), num_out(open_value), num_out(order_value));
	return exceeded;
}

static int
compare_need(const void *a, const void *b)
{
	int64		x = ((const OmStockNeed *) a)->product_id;
	int64		y = ((const OmStockNeed *) b)->product_id;

	return (x > y) - (x < y);
}

/*
 * Confirm an order that is pending or on hold (caller is inside SPI).
 * approver, when given, records a person's override of the price and
 * credit checks.  Returns the resulting status.
 */
char *
om_confirm(int64 order_id, const char *approver)
{
	static OmPlan lock_order = OM_PLAN(
		"SELECT o.status::text, o.customer_id, o.warehouse_id, o.approved_by IS NOT NULL, "
		"       c.blocked, c.credit_limit IS NOT NULL, c.code "
		"  FROM ordermgmt.orders o JOIN ordermgmt.customers c ON c.customer_id = o.customer_id "
		" WHERE o.order_id = $1 FOR NO KEY UPDATE OF o",
		INT8OID);
	static OmPlan record_approval = OM_PLAN(
		"UPDATE ordermgmt.orders SET approved_by = $2, approved_at = now() WHERE order_id = $1",
		INT8OID, TEXTOID);
	static OmPlan select_lines = OM_PLAN(
		"SELECT l.line_no, l.product_id, l.qty, l.unit_price, p.list_price, p.active, "
		"       r.order_id IS NOT NULL, p.sku "
		"  FROM ordermgmt.order_lines l "
		"  JOIN ordermgmt.products p ON p.product_id = l.product_id "
		"  LEFT JOIN ordermgmt.reservations r ON r.order_id = l.order_id AND r.line_no = l.line_no "
		" WHERE l.order_id = $1 ORDER BY l.product_id, l.line_no",
		INT8OID);
	Datum		v[2];
	char	   *status;
	int64		customer_id;
	int64		warehouse_id;
	bool		approved;
	bool		blocked;
	bool		has_limit;
	char	   *customer_code;
	OmL1Rules	rules;
	ConfirmLine *lines;
	int			nlines;
	OmStockNeed *needs;
	int			nneeds = 0;
	int			i;
	StringInfoData failed;		/* comma-separated failed rule codes */
	StringInfoData inactive;
	StringInfoData deviations;
	StringInfoData shortage;
	StringInfoData credit;
	Datum	   *r_line_nos;
	Datum	   *r_products;
	Datum	   *r_qtys;
	int			nreserve = 0;

	v[0] = Int64GetDatum(order_id);
	if (om_exec(&lock_order, v, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("order " INT64_FORMAT " does not exist", order_id)));
	status = om_gettext(0, 1);
	customer_id = om_getint64(0, 2);
	warehouse_id = om_getint64(0, 3);
	approved = om_getbool(0, 4);
	blocked = om_getbool(0, 5);
	has_limit = om_getbool(0, 6);
	customer_code = om_gettext(0, 7);

	if (strcmp(status, "pending") != 0 && strcmp(status, "on_hold") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("cannot confirm order " INT64_FORMAT ": it is %s", order_id, status),
				 errhint("Only pending or on-hold orders are confirmed.")));

	if (approver != NULL)
	{
		v[1] = om_text_datum(approver);
		om_exec(&record_approval, v, NULL, false, 0);
		om_emit_event("order.approved", order_id,
					  psprintf("{\"approver\": %s}", om_json_quote(approver)));
		approved = true;
	}

	om_l1_rules(&rules);

	nlines = om_exec(&select_lines, v, NULL, false, 0);
	if (nlines == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("cannot confirm order " INT64_FORMAT ": it has no lines", order_id)));
	lines = palloc(nlines * sizeof(ConfirmLine));
	needs = palloc(nlines * sizeof(OmStockNeed));
	for (i = 0; i < nlines; i++)
	{
		ConfirmLine *l = &lines[i];
		bool		isnull;

		l->line_no = DatumGetInt32(om_getdatum(i, 1, &isnull));
		l->product_id = om_getint64(i, 2);
		l->qty = DatumGetNumericCopy(om_getdatum(i, 3, &isnull));
		l->unit_price = DatumGetNumericCopy(om_getdatum(i, 4, &isnull));
		l->list_price = DatumGetNumericCopy(om_getdatum(i, 5, &isnull));
		l->active = om_getbool(i, 6);
		l->reserved = om_getbool(i, 7);
		l->sku = om_gettext(i, 8);
	}

	initStringInfo(&failed);
	initStringInfo(&inactive);
	initStringInfo(&deviations);
	initStringInfo(&shortage);
	initStringInfo(&credit);

	if (blocked && rules.customer_blocked)
		appendStringInfoString(&failed, "L1_CUSTOMER_BLOCKED,");

	/* Lines come sorted by product_id: aggregate the unreserved quantity. */
	for (i = 0; i < nlines; i++)
	{
		ConfirmLine *l = &lines[i];

		CHECK_FOR_INTERRUPTS();
		if (!l->active && rules.product_inactive)
			appendStringInfo(&inactive, "%s%s", inactive.len ? ", " : "", om_json_quote(l->sku));
		if (rules.price_deviation && !approved && price_deviates(l, rules.tolerance))
			appendStringInfo(&deviations,
							 "%s{\"line_no\": %d, \"sku\": %s, \"unit_price\": %s, \"list_price\": %s}",
							 deviations.len ? ", " : "", l->line_no, om_json_quote(l->sku),
							 num_out(l->unit_price), num_out(l->list_price));
		if (l->reserved)
			continue;
		if (nneeds > 0 && needs[nneeds - 1].product_id == l->product_id)
			needs[nneeds - 1].qty = num_op(numeric_add, needs[nneeds - 1].qty, l->qty);
		else
		{
			needs[nneeds].product_id = l->product_id;
			needs[nneeds].qty = l->qty;
			nneeds++;
		}
	}
	if (inactive.len)
		appendStringInfoString(&failed, "L1_PRODUCT_INACTIVE,");
	if (deviations.len)
		appendStringInfoString(&failed, "L1_PRICE_DEVIATION,");

	if (rules.credit_limit && has_limit && !approved &&
		credit_exceeded(customer_id, order_id, &credit))
		appendStringInfoString(&failed, "L1_CREDIT_LIMIT,");

	/* Stock: lock the rows in product order, then compare. */
	if (nneeds > 0)
	{
		qsort(needs, nneeds, sizeof(OmStockNeed), compare_need);
		om_lock_stock(warehouse_id, needs, nneeds);
		for (i = 0; i < nneeds; i++)
		{
			Numeric		avail = needs[i].found ? needs[i].available : int64_to_numeric(0);

			if (num_cmp(avail, needs[i].qty) < 0)
			{
				int			j;
				char	   *sku = "";

				for (j = 0; j < nlines; j++)
					if (lines[j].product_id == needs[i].product_id)
						sku = lines[j].sku;
				appendStringInfo(&shortage, "%s{\"sku\": %s, \"wanted\": %s, \"available\": %s}",
								 shortage.len ? ", " : "", om_json_quote(sku),
								 num_out(needs[i].qty), num_out(avail));
			}
		}
		if (shortage.len)
			appendStringInfoString(&failed, "L1_STOCK_SHORTAGE,");
	}

	if (failed.len > 0)
	{
		failed.data[--failed.len] = '\0';	/* drop the trailing comma */
		if (blocked && rules.customer_blocked)
			om_raise_alert("L1_CUSTOMER_BLOCKED", "order", order_id, order_id,
						   psprintf("{\"customer\": %s}", om_json_quote(customer_code)));
		if (inactive.len)
			om_raise_alert("L1_PRODUCT_INACTIVE", "order", order_id, order_id,
						   psprintf("{\"skus\": [%s]}", inactive.data));
		if (deviations.len)
			om_raise_alert("L1_PRICE_DEVIATION", "order", order_id, order_id,
						   psprintf("{\"tolerance\": %s, \"lines\": [%s]}",
									num_out(rules.tolerance), deviations.data));
		if (credit.len)
			om_raise_alert("L1_CREDIT_LIMIT", "order", order_id, order_id, credit.data);
		if (shortage.len)
			om_raise_alert("L1_STOCK_SHORTAGE", "order", order_id, order_id,
						   psprintf("{\"lines\": [%s]}", shortage.data));
		/* Checks that pass now clear their earlier alerts. */
		om_resolve_alerts_for_order(order_id, 1,
									psprintf("%s,L1_CONFIRMATION_OVERDUE", failed.data),
									"check passed");
		om_set_status(order_id, "on_hold", psprintf("level-1 checks failed: %s", failed.data));
		return "on_hold";
	}

	r_line_nos = palloc(nlines * sizeof(Datum));
	r_products = palloc(nlines * sizeof(Datum));
	r_qtys = palloc(nlines * sizeof(Datum));
	for (i = 0; i < nlines; i++)
	{
		if (lines[i].reserved)
			continue;
		r_line_nos[nreserve] = Int32GetDatum(lines[i].line_no);
		r_products[nreserve] = Int64GetDatum(lines[i].product_id);
		r_qtys[nreserve] = NumericGetDatum(lines[i].qty);
		nreserve++;
	}
	om_reserve_lines(order_id, warehouse_id, nreserve, r_line_nos, r_products, r_qtys,
					 nneeds, needs);
	om_set_status(order_id, "confirmed", NULL);
	return "confirmed";
}

PG_FUNCTION_INFO_V1(ordermgmt_confirm_order);
Datum
ordermgmt_confirm_order(PG_FUNCTION_ARGS)
{
	int64		order_id = om_int64_arg(fcinfo, 0, "order_id");
	char	   *status;

	SPI_connect();
	status = om_confirm(order_id, NULL);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(status));
}

PG_FUNCTION_INFO_V1(ordermgmt_approve_order);
Datum
ordermgmt_approve_order(PG_FUNCTION_ARGS)
{
	int64		order_id = om_int64_arg(fcinfo, 0, "order_id");
	char	   *approver = om_text_arg(fcinfo, 1, "approver");
	char	   *status;

	SPI_connect();
	status = om_confirm(order_id, approver);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(status));
}
