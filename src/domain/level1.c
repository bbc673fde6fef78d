/*
 * level1.c
 *		Level-1 monitoring: the checks that confirm an order or hold it.
 *
 * Confirmation runs every enabled level-1 rule at once, so a held order
 * reports all its problems together: blocked customer, inactive product,
 * price deviation, credit limit and stock shortage.  It then either
 * reserves every unreserved line (all or nothing; under allocation partial
 * what is available, the rest backordered, backorders.c) and confirms, or
 * puts the order on hold, reserves nothing and raises one alert per failed
 * rule.
 *
 * Lock order, the same on every path (exposure.c): the order row, then the
 * customer row (always: a confirmation adds the order to the customer's
 * exposure), then stock rows by product_id, then the customer's exposure
 * row in the order's currency.
 */
#include "domain/domain.h"

#include "miscadmin.h"
#include "utils/builtins.h"

/*
 * Does |price - expected| exceed tolerance * expected?  The expected price
 * is the one the line would have taken without unit_price, recorded as it
 * was entered (price_for: the customer's list, else list_price); lines
 * entered before 0.6.0 have none and compare with the list_price.  The
 * alert names it list_price, as it always has.
 */
static bool
price_deviates(OmConfirmLine *l, Numeric tolerance)
{
	Numeric		diff = om_numeric_abs(om_numeric_sub(l->unit_price, l->expected_price));
	Numeric		allowed = om_numeric_mul(l->expected_price, tolerance);

	return om_numeric_cmp(diff, allowed) > 0;
}

/*
 * Lock a customer's row for its credit check and read its credit limit
 * (NULL: none) and the limit's currency: a no-op UPDATE rather than a row
 * lock, which also serializes the confirmations of one customer, and
 * under REPEATABLE READ makes a second confirmation that waited here fail
 * (40001) instead of judging the credit from its old snapshot.
 */
Numeric
om_lock_credit_limit(int64 customer_id, char **limit_currency)
{
	static OmPlan lock_for_credit = OM_PLAN(
		"UPDATE ordermgmt.customers SET credit_limit = credit_limit WHERE customer_id = $1 "
		"RETURNING credit_limit, credit_currency::text",
		INT8OID);
	/* Result columns of lock_for_credit. */
	enum
	{
		LOCK_FOR_CREDIT_LIMIT = 1,
		LOCK_FOR_CREDIT_CURRENCY
	};
	Datum		v[1];
	bool		isnull;
	Datum		limit;
	char	   *currency;

	v[0] = Int64GetDatum(customer_id);
	om_exec(&lock_for_credit, v, NULL, false, 1);
	limit = om_getdatum(0, LOCK_FOR_CREDIT_LIMIT, &isnull);
	if (isnull)
		return NULL;
	currency = om_gettext(0, LOCK_FOR_CREDIT_CURRENCY);
	*limit_currency = pstrdup(currency ? currency : om_company_currency());
	return DatumGetNumericCopy(limit);
}

/*
 * Lock the customer row before any stock row (step 2 of the lock order in
 * exposure.c): a confirmation changes the customer's exposure.  When the
 * credit check applies, om_lock_credit_limit.  Returns the credit limit to
 * check the order against, or NULL when there is none to check.
 */
static Numeric
lock_customer(int64 customer_id, bool check_credit, char **limit_currency)
{
	if (!check_credit)
	{
		om_lock_customer(customer_id);
		return NULL;
	}
	return om_lock_credit_limit(customer_id, limit_currency);
}

/*
 * The customer's exposure (open receivables, and what its open orders will
 * still bill: a row of customer_exposure per currency) plus this order's
 * value, against its credit limit, all in the limit's currency: amounts in
 * other currencies converted at today's rates (a missing rate is refused,
 * OM005).  An order that is counted in the exposure already (confirmed
 * again from an open status) is taken out of it first, so that it is
 * counted once.
 */
static bool
credit_exceeded(OmCheckInput *in, Numeric limit, const char *limit_currency, Numeric order_value,
				StringInfo details)
{
	DateADT		today = om_entry_date();
	Jsonb	   *elsewhere;
	Numeric		exposure;
	Numeric		open_value;
	bool		exceeded;

	if (in->known)
	{
		exposure = in->known->exposure;
		elsewhere = in->known->elsewhere;
	}
	else
		exposure = om_exposure_read(in->customer_id, in->currency, &elsewhere);

	if (in->counted)
		exposure = om_numeric_sub(exposure, in->counted_value ? in->counted_value : order_value);
	open_value = om_numeric_add(om_convert(om_money_round(exposure), in->currency, limit_currency, today),
								om_exposure_convert(elsewhere, limit_currency, today));
	order_value = om_convert(om_money_round(order_value), in->currency, limit_currency, today);
	exceeded = om_numeric_cmp(om_numeric_add(open_value, order_value), limit) > 0;
	if (exceeded && strcmp(limit_currency, in->currency) == 0)
		appendStringInfo(details,
						 "{\"credit_limit\": %s, \"open_value\": %s, \"order_value\": %s}",
						 om_numeric_out(limit), om_numeric_out(open_value), om_numeric_out(order_value));
	else if (exceeded)
		appendStringInfo(details,
						 "{\"credit_limit\": %s, \"open_value\": %s, \"order_value\": %s, \"currency\": %s}",
						 om_numeric_out(limit), om_numeric_out(open_value), om_numeric_out(order_value),
						 om_json_quote(limit_currency));
	return exceeded;
}

static int
compare_line_product(const void *a, const void *b)
{
	int64		x = (*(OmConfirmLine *const *) a)->product_id;
	int64		y = (*(OmConfirmLine *const *) b)->product_id;

	return (x > y) - (x < y);
}

/*
 * Run every enabled level-1 check of an order, whether it is already
 * stored (in->order_id) or about to be (0).  Locks, in the order of
 * exposure.c: the customer row, the stock rows of the unreserved lines in
 * product order, then (for a credit check) the customer's exposure row in
 * the order's currency.  Returns true when all pass; res says what failed
 * and which stock the order needs.
 */
bool
om_level1_checks(OmCheckInput *in, OmCheckResult *res)
{
	OmConfirmLine **sorted = palloc(in->nlines * sizeof(OmConfirmLine *));
	Numeric		order_value = int64_to_numeric(0);
	Numeric		limit;
	char	   *limit_currency = NULL;
	bool		waive_price;
	bool		waive_credit;
	int			i;

	memset(res, 0, sizeof(*res));
	om_l1_rules(&res->rules);
	initStringInfo(&res->failed);
	initStringInfo(&res->inactive);
	initStringInfo(&res->deviations);
	initStringInfo(&res->shortage);
	initStringInfo(&res->credit);
	res->needs = palloc(in->nlines * sizeof(OmStockNeed));
	om_approval_checks(in, res, &waive_price, &waive_credit);

	for (i = 0; i < in->nlines; i++)
		sorted[i] = &in->lines[i];
	qsort(sorted, in->nlines, sizeof(OmConfirmLine *), compare_line_product);

	/* Sorted by product: aggregate the unreserved quantity per product. */
	for (i = 0; i < in->nlines; i++)
	{
		OmConfirmLine *l = sorted[i];

		CHECK_FOR_INTERRUPTS();
		/* What the line adds to the exposure: the definition of exposure.c. */
		order_value = om_numeric_add(order_value,
									 om_numeric_mul(om_numeric_mul(l->open_qty, l->unit_price),
													om_numeric_add(int64_to_numeric(1), l->tax_rate)));
		if (!l->active && res->rules.product_inactive)
			appendStringInfo(&res->inactive, "%s%s", res->inactive.len ? ", " : "", om_json_quote(l->sku));
		if (res->rules.price_deviation && !waive_price && price_deviates(l, res->rules.tolerance))
			appendStringInfo(&res->deviations,
							 "%s{\"line_no\": %d, \"sku\": %s, \"unit_price\": %s, \"list_price\": %s}",
							 res->deviations.len ? ", " : "", l->line_no, om_json_quote(l->sku),
							 om_numeric_out(l->unit_price), om_numeric_out(l->expected_price));
		if (l->reserved)
			continue;
		if (res->nneeds > 0 && res->needs[res->nneeds - 1].product_id == l->product_id)
			res->needs[res->nneeds - 1].qty = om_numeric_add(res->needs[res->nneeds - 1].qty, l->qty);
		else
		{
			res->needs[res->nneeds].product_id = l->product_id;
			res->needs[res->nneeds].qty = l->qty;
			res->nneeds++;
		}
	}

	if (in->known == NULL)
		limit = lock_customer(in->customer_id,
							  res->rules.credit_limit && in->has_limit && !waive_credit, &limit_currency);
	else if (res->rules.credit_limit && in->has_limit && !waive_credit)
	{
		/* Read beforehand, under the locks the batch holds. */
		limit = in->known->limit;
		limit_currency = (char *) in->known->limit_currency;
	}
	else
		limit = NULL;

	/* Stock: lock the rows in product order, then compare (split: all warehouses together). */
	if (res->nneeds > 0)
	{
		if (in->known)
			in->known->fill_stock(in->known->arg, in->warehouse_id, res->needs, res->nneeds);
		else if (in->split)
			om_lock_stock_split(res->needs, res->nneeds);
		else
			om_lock_stock(in->warehouse_id, res->needs, res->nneeds);
		for (i = 0; i < res->nneeds; i++)
		{
			OmStockNeed *need = &res->needs[i];
			Numeric		avail = need->found ? need->available : int64_to_numeric(0);

			/* Under partial allocation a short line waits instead (backorders.c). */
			if (om_numeric_cmp(avail, need->qty) < 0 && !in->partial)
			{
				int			j;
				char	   *sku = "";

				for (j = 0; j < in->nlines; j++)
					if (in->lines[j].product_id == need->product_id)
						sku = in->lines[j].sku;
				appendStringInfo(&res->shortage, "%s{\"sku\": %s, \"wanted\": %s, \"available\": %s}",
								 res->shortage.len ? ", " : "", om_json_quote(sku),
								 om_numeric_out(need->qty), om_numeric_out(avail));
			}
		}
	}

	res->order_value = order_value;

	/* Credit, last: the exposure row comes after the stock rows. */
	if (limit != NULL)
		(void) credit_exceeded(in, limit, limit_currency, order_value, &res->credit);

	/* Which approval rules the order trips and waits for. */
	om_approvals_tripped(in, res);

	/* The failed rules, comma-separated, always in this order. */
	if (in->blocked && res->rules.customer_blocked)
		appendStringInfoString(&res->failed, "L1_CUSTOMER_BLOCKED,");
	if (res->inactive.len)
		appendStringInfoString(&res->failed, "L1_PRODUCT_INACTIVE,");
	if (res->deviations.len)
		appendStringInfoString(&res->failed, "L1_PRICE_DEVIATION,");
	if (res->credit.len)
		appendStringInfoString(&res->failed, "L1_CREDIT_LIMIT,");
	if (res->approvals.len)
		appendStringInfoString(&res->failed, "L1_APPROVAL_REQUIRED,");
	if (res->shortage.len)
		appendStringInfoString(&res->failed, "L1_STOCK_SHORTAGE,");
	if (res->failed.len > 0)
		res->failed.data[--res->failed.len] = '\0';		/* drop the trailing comma */
	return res->failed.len == 0;
}

/*
 * What each unreserved line takes of its product's available stock and
 * what it leaves waiting as its backorder (l->take, l->wait).  Under
 * allocation complete a line takes its whole quantity (the checks made
 * sure there is enough); under partial each product's available stock goes
 * to its lines in line order.
 */
void
om_allocate_lines(OmCheckInput *in, OmCheckResult *res)
{
	Numeric		zero = int64_to_numeric(0);
	Numeric    *left = palloc(Max(res->nneeds, 1) * sizeof(Numeric));
	int			i;
	int			k;

	for (k = 0; k < res->nneeds; k++)
	{
		OmStockNeed *need = &res->needs[k];
		Numeric		avail = need->found ? need->available : zero;

		left[k] = (in->partial && om_numeric_cmp(avail, need->qty) < 0) ? avail : need->qty;
	}
	for (i = 0; i < in->nlines; i++)
	{
		OmConfirmLine *l = &in->lines[i];

		l->take = l->wait = zero;
		if (l->reserved)
			continue;
		l->take = l->qty;
		for (k = 0; k < res->nneeds && res->needs[k].product_id != l->product_id; k++)
			;
		if (k < res->nneeds)
		{
			if (om_numeric_cmp(left[k], l->take) < 0)
				l->take = left[k];
			left[k] = om_numeric_sub(left[k], l->take);
		}
		l->wait = om_numeric_sub(l->qty, l->take);
	}
}

/*
 * All checks passed: reserve every unreserved line (stock rows are
 * locked) as om_allocate_lines allots it, and record what waits.  Lines
 * stored holding their allotment already (in->lines_hold: create_order
 * ran om_allocate_lines before inserting them) are not written again.
 */
void
om_reserve_checked(int64 order_id, OmCheckInput *in, OmCheckResult *res)
{
	static OmPlan set_backorders = OM_PLAN(
		"UPDATE ordermgmt.order_lines l SET backordered_qty = u.b "
		"  FROM unnest($2::int[], $3::numeric[]) AS u(l, b) "
		" WHERE l.order_id = $1 AND l.line_no = u.l",
		INT8OID, INT4ARRAYOID, NUMERICARRAYOID);
	Datum	   *line_nos = palloc(in->nlines * sizeof(Datum));
	Datum	   *products = palloc(in->nlines * sizeof(Datum));
	Datum	   *qtys = palloc(in->nlines * sizeof(Datum));
	Datum	   *short_lines = palloc(in->nlines * sizeof(Datum));
	Datum	   *short_qtys = palloc(in->nlines * sizeof(Datum));
	Numeric    *given = palloc(Max(res->nneeds, 1) * sizeof(Numeric));
	OmStockNeed *taken = palloc(Max(res->nneeds, 1) * sizeof(OmStockNeed));
	StringInfoData backordered;
	int			ntaken = 0;
	int			nshort = 0;
	int			n = 0;
	int			i;
	int			k;

	if (!in->lines_hold)
		om_allocate_lines(in, res);
	for (k = 0; k < res->nneeds; k++)
		given[k] = int64_to_numeric(0);
	initStringInfo(&backordered);
	for (i = 0; i < in->nlines; i++)
	{
		OmConfirmLine *l = &in->lines[i];

		if (l->reserved)
			continue;
		if (om_numeric_positive(l->take))
		{
			line_nos[n] = Int32GetDatum(l->line_no);
			products[n] = Int64GetDatum(l->product_id);
			qtys[n] = NumericGetDatum(l->take);
			n++;
			for (k = 0; k < res->nneeds && res->needs[k].product_id != l->product_id; k++)
				;
			if (k < res->nneeds)
				given[k] = om_numeric_add(given[k], l->take);
		}
		if (om_numeric_positive(l->wait))
		{
			short_lines[nshort] = Int32GetDatum(l->line_no);
			short_qtys[nshort] = NumericGetDatum(l->wait);
			nshort++;
			appendStringInfo(&backordered, "%s{\"line_no\": %d, \"sku\": %s, \"backordered\": %s}",
							 backordered.len ? ", " : "", l->line_no, om_json_quote(l->sku),
							 om_numeric_out(l->wait));
		}
	}
	/* The stock rows that give something, with what they give. */
	for (k = 0; k < res->nneeds; k++)
	{
		if (!om_numeric_positive(given[k]))
			continue;
		taken[ntaken] = res->needs[k];
		taken[ntaken].qty = given[k];
		ntaken++;
	}
	if (in->split)
		om_reserve_split(order_id, n, line_nos, products, qtys, res->nneeds, res->needs);
	else
		om_reserve_lines(order_id, in->warehouse_id, n, line_nos, products, qtys, ntaken, taken,
						 !in->lines_hold);
	if (nshort > 0)
	{
		Datum		v[3];

		if (!in->lines_hold)
		{
			v[0] = Int64GetDatum(order_id);
			v[1] = om_array(short_lines, nshort, INT4OID);
			v[2] = om_array(short_qtys, nshort, NUMERICOID);
			(void) om_exec_on_lines(&set_backorders, v);
		}
		om_backorders_created(order_id, backordered.data);
	}
}

/*
 * Some check failed: one alert per failed rule, clear the others, hold
 * (confirmation, and an amendment of a confirmed order: amendment.c).
 */
void
om_hold_for_checks(int64 order_id, OmCheckInput *in, OmCheckResult *res)
{
	if (in->blocked && res->rules.customer_blocked)
		om_raise_alert("L1_CUSTOMER_BLOCKED", "order", order_id, order_id,
					   psprintf("{\"customer\": %s}", om_json_quote(in->customer_code)));
	if (res->inactive.len)
		om_raise_alert("L1_PRODUCT_INACTIVE", "order", order_id, order_id,
					   psprintf("{\"skus\": [%s]}", res->inactive.data));
	if (res->deviations.len)
		om_raise_alert("L1_PRICE_DEVIATION", "order", order_id, order_id,
					   psprintf("{\"tolerance\": %s, \"lines\": [%s]}",
								om_numeric_out(res->rules.tolerance), res->deviations.data));
	if (res->credit.len)
		om_raise_alert("L1_CREDIT_LIMIT", "order", order_id, order_id, res->credit.data);
	if (res->approvals.len)
		om_raise_alert("L1_APPROVAL_REQUIRED", "order", order_id, order_id,
					   psprintf("{\"rules\": [%s]}", res->approvals.data));
	if (res->shortage.len)
		om_raise_alert("L1_STOCK_SHORTAGE", "order", order_id, order_id,
					   psprintf("{\"lines\": [%s]}", res->shortage.data));
	/* Checks that pass now clear their earlier alerts; the order still waits. */
	om_resolve_alerts_for_order(order_id, 1,
								psprintf("%s,L1_CONFIRMATION_OVERDUE", res->failed.data),
								"check passed");
	om_set_status(order_id, "on_hold", psprintf("level-1 checks failed: %s", res->failed.data));
	om_request_approvals(order_id, res);
}

/*
 * Confirm an order that is pending or on hold (caller is inside SPI); the
 * approvals it has (approvals.c) waive the checks they cover.  Returns the
 * resulting status.
 */
char *
om_confirm(int64 order_id)
{
	static OmPlan lock_order = OM_PLAN(
		"SELECT o.status::text, o.customer_id, o.warehouse_id, o.approved_by IS NOT NULL, "
		"       c.blocked, c.credit_limit IS NOT NULL, c.code, o.currency::text, o.allocation = 'partial', "
		"       o.sourcing = 'split' "
		"  FROM ordermgmt.orders o JOIN ordermgmt.customers c ON c.customer_id = o.customer_id "
		" WHERE o.order_id = $1 FOR NO KEY UPDATE OF o",
		INT8OID);
	/* Result columns of lock_order. */
	enum
	{
		LOCK_ORDER_STATUS = 1,
		LOCK_ORDER_CUSTOMER_ID,
		LOCK_ORDER_WAREHOUSE_ID,
		LOCK_ORDER_APPROVED,
		LOCK_ORDER_BLOCKED,
		LOCK_ORDER_HAS_LIMIT,
		LOCK_ORDER_CUSTOMER_CODE,
		LOCK_ORDER_CURRENCY,
		LOCK_ORDER_PARTIAL,
		LOCK_ORDER_SPLIT
	};
	static OmPlan select_lines = OM_PLAN(
		"SELECT l.line_no, l.product_id, l.qty, l.unit_price, coalesce(l.expected_price, p.list_price), p.active, "
		"       EXISTS (SELECT 1 FROM ordermgmt.reservations r "
		"                WHERE r.order_id = l.order_id AND r.line_no = l.line_no), p.sku, l.tax_rate, "
		"       (l.qty - l.returned_qty) - (l.invoiced_qty - l.credited_qty) "
		"  FROM ordermgmt.order_lines l "
		"  JOIN ordermgmt.products p ON p.product_id = l.product_id "
		" WHERE l.order_id = $1 ORDER BY l.line_no",
		INT8OID);
	/* Result columns of select_lines. */
	enum
	{
		LINE_NO = 1,
		LINE_PRODUCT_ID,
		LINE_QTY,
		LINE_UNIT_PRICE,
		LINE_EXPECTED_PRICE,
		LINE_ACTIVE,
		LINE_RESERVED,
		LINE_SKU,
		LINE_TAX_RATE,
		LINE_OPEN_QTY
	};
	Datum		v[2];
	char	   *status;
	OmCheckInput in;
	OmCheckResult res;
	bool		approved;
	int			i;

	v[0] = Int64GetDatum(order_id);
	if (om_exec(&lock_order, v, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("order " INT64_FORMAT " does not exist", order_id)));
	status = om_gettext(0, LOCK_ORDER_STATUS);
	memset(&in, 0, sizeof(in));
	in.order_id = order_id;
	in.customer_id = om_getint64(0, LOCK_ORDER_CUSTOMER_ID);
	in.warehouse_id = om_getint64(0, LOCK_ORDER_WAREHOUSE_ID);
	in.blocked = om_getbool(0, LOCK_ORDER_BLOCKED);
	in.has_limit = om_getbool(0, LOCK_ORDER_HAS_LIMIT);
	in.customer_code = om_gettext(0, LOCK_ORDER_CUSTOMER_CODE);
	in.currency = om_gettext(0, LOCK_ORDER_CURRENCY);
	in.counted = om_status_open(status);
	in.partial = om_getbool(0, LOCK_ORDER_PARTIAL);
	in.split = om_getbool(0, LOCK_ORDER_SPLIT);
	approved = om_getbool(0, LOCK_ORDER_APPROVED);

	om_require_transition(order_id, status, "confirmed", "confirm");
	/* Only an order someone approved has approvals to read. */
	if (approved)
		in.approved_rules = om_order_approved_rules(order_id, &in.napproved);

	in.nlines = om_exec(&select_lines, v, NULL, false, 0);
	if (in.nlines == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("cannot confirm order " INT64_FORMAT ": it has no lines", order_id)));
	in.lines = palloc(in.nlines * sizeof(OmConfirmLine));
	for (i = 0; i < in.nlines; i++)
	{
		OmConfirmLine *l = &in.lines[i];
		bool		isnull;
		Datum		rate;

		l->line_no = DatumGetInt32(om_getdatum(i, LINE_NO, &isnull));
		l->product_id = om_getint64(i, LINE_PRODUCT_ID);
		l->qty = DatumGetNumericCopy(om_getdatum(i, LINE_QTY, &isnull));
		l->unit_price = DatumGetNumericCopy(om_getdatum(i, LINE_UNIT_PRICE, &isnull));
		l->expected_price = DatumGetNumericCopy(om_getdatum(i, LINE_EXPECTED_PRICE, &isnull));
		l->active = om_getbool(i, LINE_ACTIVE);
		l->reserved = om_getbool(i, LINE_RESERVED);
		l->sku = om_gettext(i, LINE_SKU);
		l->open_qty = DatumGetNumericCopy(om_getdatum(i, LINE_OPEN_QTY, &isnull));
		rate = om_getdatum(i, LINE_TAX_RATE, &isnull);
		if (isnull)
			elog(ERROR, "ordermgmt: line %d of order " INT64_FORMAT " has no recorded tax rate",
				 l->line_no, order_id);
		l->tax_rate = DatumGetNumericCopy(rate);
	}

	if (!om_level1_checks(&in, &res))
	{
		om_hold_for_checks(order_id, &in, &res);
		return "on_hold";
	}
	om_reserve_checked(order_id, &in, &res);
	/* Held orders may have waited for approvals that no longer apply. */
	if (strcmp(status, "on_hold") == 0)
		om_forget_waiting_approvals(order_id);
	om_set_status(order_id, "confirmed", NULL);
	return "confirmed";
}

/* confirm_order, in a connection to SPI of its own.  Returns the new status. */
const char *
om_confirm_order(int64 order_id)
{
	const char *status;

	SPI_connect();
	status = om_confirm(order_id);
	SPI_finish();
	return status;
}
