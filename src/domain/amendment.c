/*
 * amendment.c
 *		amend_order: a confirmed or processing order's lines change (new
 *		quantities per SKU, lines added or removed), and short_close: a
 *		partially shipped order gives up what it has not shipped.  Both
 *		write a revision of the order (revision.c).
 *
 * An amendment is judged as a confirmation would judge the order as it
 * becomes: every level-1 check runs again on the new lines (the approvals
 * the order has still waive what they cover, as approve_order's
 * confirmation does).  Stock is never overridden: under the default
 * allocation (complete) it is all or nothing, and a shortage refuses the
 * amendment (OM002) with nothing changed; under allocation partial what
 * is not available waits as a backorder, as at confirmation (a cut comes
 * off what a line waits for first; a raise of a line that already waits
 * waits behind it).  Any other
 * failed check does not refuse it: the amendment is made, its stock
 * re-reserved, and the order goes on hold with one alert per failed rule
 * and the approvals it waits for, exactly as a confirmation that fails;
 * approve_order (or confirm_order once the cause is gone) confirms it
 * again.  So a change that needs a person's approval gets one, through the
 * same path as a new order.
 *
 * A SKU's new quantity is the total over the order's lines of that SKU: a
 * raise goes to its last line, a cut is taken from its last lines first,
 * each line never below what it shipped; a line cut to nothing is removed.
 *
 * Lock order (exposure.c): the order row, the customer row, the stock
 * rows of every product whose reservation changes (one sorted pass), the
 * customer's exposure row, and last the order's row of order_day_totals.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"

/* Upper bound on changes per call, as on an order's lines (order_entry.c). */
#define OM_MAX_CHANGES	10000

static const char *const change_keys[] = {"sku", "qty", "unit_price", NULL};

/* The caller's changes, validated: one entry per SKU. */
typedef struct AmendChanges
{
	int			n;
	char	  **skus;
	Numeric    *qtys;
	Numeric    *prices;			/* NULL where none is given */
} AmendChanges;

static int
compare_cstring(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* A quantity or price at the lines' scale, as they will store and show it. */
static Numeric
stored(Numeric n)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_round, NumericGetDatum(n), Int32GetDatum(OM_QTY_SCALE)));
}

/* Check changes' shape before anything is read or written (22023). */
static void
parse_changes(Jsonb *changes, AmendChanges *c)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	  **sorted;
	int			i = 0;

	if (!JB_ROOT_IS_ARRAY(changes) || JB_ROOT_IS_SCALAR(changes))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("changes must be a JSON array"),
				 errhint("Pass an array like [{\"sku\": \"A-1\", \"qty\": 2}].")));
	c->n = JB_ROOT_COUNT(changes);
	if (c->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("changes must not be empty")));
	if (c->n > OM_MAX_CHANGES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an amendment has at most %d changes, got %d", OM_MAX_CHANGES, c->n)));
	c->skus = palloc(c->n * sizeof(char *));
	c->qtys = palloc(c->n * sizeof(Numeric));
	c->prices = palloc0(c->n * sizeof(Numeric));

	it = JsonbIteratorInit(&changes->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		Jsonb	   *change;
		JsonbValue *f;
		char		what[64];

		if (tok != WJB_ELEM)
			continue;
		CHECK_FOR_INTERRUPTS();
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("change %d must be a JSON object", i + 1)));
		change = JsonbValueToJsonb(&v);
		snprintf(what, sizeof(what), "change %d", i + 1);
		om_jsonb_check_keys(change, what, change_keys);
		if ((f = om_jsonb_get(change, "sku")) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("change %d has no sku", i + 1)));
		snprintf(what, sizeof(what), "change %d sku", i + 1);
		c->skus[i] = om_jsonb_string(f, what);
		if ((f = om_jsonb_get(change, "qty")) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("change %d has no qty", i + 1),
					 errhint("qty is the SKU's new quantity on the order; 0 removes it.")));
		snprintf(what, sizeof(what), "change %d qty", i + 1);
		c->qtys[i] = stored(om_check_quantity(om_jsonb_numeric(f, what), what, true));
		f = om_jsonb_get(change, "unit_price");
		if (f != NULL && f->type != jbvNull)
		{
			snprintf(what, sizeof(what), "change %d unit_price", i + 1);
			c->prices[i] = stored(om_check_quantity(om_jsonb_numeric(f, what), what, true));
		}
		i++;
	}

	/* One change per SKU: two would contradict each other. */
	sorted = palloc(c->n * sizeof(char *));
	memcpy(sorted, c->skus, c->n * sizeof(char *));
	qsort(sorted, c->n, sizeof(char *), compare_cstring);
	for (i = 1; i < c->n; i++)
		if (strcmp(sorted[i - 1], sorted[i]) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("changes name product \"%s\" more than once", sorted[i]),
					 errhint("Give each SKU once, with its new total quantity.")));
}

/*
 * The products of the changes, and the price an added line takes without
 * unit_price: the customer's list in the order's currency for its
 * quantity, else list_price (as price_for; the order's discount_pct of
 * create_order is not kept, so it does not apply).
 */
static void
lookup_products(OmRevision *r, AmendChanges *c, int64 *product_ids, bool *active, Numeric *tax_rates,
				Numeric *expected)
{
	static OmPlan lookup = OM_PLAN(
		"SELECT p.product_id, p.active, p.tax_rate, "
		"       coalesce((SELECT " OM_BEST_BREAK("pl.price_list_id", "p.product_id", "u.qty", "now()")
		"                   FROM ordermgmt.orders o "
		"                   JOIN ordermgmt.customers cu ON cu.customer_id = o.customer_id "
		"                   JOIN ordermgmt.price_lists pl ON pl.price_list_id = cu.price_list_id "
		"                        AND pl.currency = o.currency AND " OM_IN_FORCE("pl", "now()")
		"                  WHERE o.order_id = $1), p.list_price) "
		"  FROM unnest($2::text[], $3::numeric[]) WITH ORDINALITY AS u(sku, qty, ord) "
		"  LEFT JOIN LATERAL (SELECT product_id, active, tax_rate, list_price FROM ordermgmt.products "
		"                      WHERE sku = u.sku LIMIT 1) p ON true ORDER BY u.ord",
		INT8OID, TEXTARRAYOID, NUMERICARRAYOID);
	/* Result columns of lookup. */
	enum
	{
		LOOKUP_PRODUCT_ID = 1,
		LOOKUP_ACTIVE,
		LOOKUP_TAX_RATE,
		LOOKUP_EXPECTED
	};
	Datum	   *skus = palloc(c->n * sizeof(Datum));
	Datum	   *qtys = palloc(c->n * sizeof(Datum));
	Datum		v[3];
	int			i;

	for (i = 0; i < c->n; i++)
	{
		skus[i] = om_text_datum(c->skus[i]);
		qtys[i] = NumericGetDatum(c->qtys[i]);
	}
	v[0] = Int64GetDatum(r->order_id);
	v[1] = om_array(skus, c->n, TEXTOID);
	v[2] = om_array(qtys, c->n, NUMERICOID);
	om_exec(&lookup, v, NULL, true, 0);
	for (i = 0; i < c->n; i++)
	{
		bool		isnull;
		Datum		d = om_getdatum(i, LOOKUP_PRODUCT_ID, &isnull);

		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_OM_UNKNOWN),
					 errmsg("unknown product \"%s\"", c->skus[i])));
		product_ids[i] = DatumGetInt64(d);
		active[i] = om_getbool(i, LOOKUP_ACTIVE);
		tax_rates[i] = DatumGetNumericCopy(om_getdatum(i, LOOKUP_TAX_RATE, &isnull));
		expected[i] = DatumGetNumericCopy(om_getdatum(i, LOOKUP_EXPECTED, &isnull));
	}
}

/* Spread one SKU's new total over its lines (see the top of the file). */
static void
set_sku_total(OmRevision *r, int64 order_id, const char *sku, Numeric total, Numeric price)
{
	Numeric		zero = int64_to_numeric(0);
	Numeric		have = zero;
	Numeric		shipped = zero;
	Numeric		cut;
	int			last = -1;
	int			i;

	for (i = 0; i < r->nlines; i++)
		if (strcmp(r->lines[i].sku, sku) == 0)
		{
			have = om_numeric_add(have, r->lines[i].qty);
			shipped = om_numeric_add(shipped, r->lines[i].shipped);
			last = i;
			if (price)
				r->lines[i].new_price = price;
		}
	if (om_numeric_cmp(total, shipped) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_STOCK),
				 errmsg("cannot amend product \"%s\" of order " INT64_FORMAT " to %s: %s are shipped",
						sku, order_id, om_numeric_out(total), om_numeric_out(shipped)),
				 errdetail("An order never holds less of a product than it has shipped."),
				 errhint("Returns of shipped goods go through ordermgmt.return_items().")));
	if (om_numeric_cmp(total, have) >= 0)
	{
		r->lines[last].new_qty = om_numeric_add(r->lines[last].qty, om_numeric_sub(total, have));
		return;
	}
	cut = om_numeric_sub(have, total);
	for (i = last; i >= 0 && om_numeric_positive(cut); i--)
	{
		OmRevisionLine *l = &r->lines[i];
		Numeric		room;
		Numeric		part;

		if (strcmp(l->sku, sku) != 0)
			continue;
		room = om_numeric_sub(l->qty, l->shipped);
		part = om_numeric_cmp(cut, room) < 0 ? cut : room;
		l->new_qty = om_numeric_sub(l->qty, part);
		cut = om_numeric_sub(cut, part);
	}
}

/* Apply the changes to the loaded lines; new SKUs become new lines. */
static void
apply_changes(OmRevision *r, AmendChanges *c)
{
	int64	   *product_ids = palloc(c->n * sizeof(int64));
	bool	   *active = palloc(c->n * sizeof(bool));
	Numeric    *tax_rates = palloc(c->n * sizeof(Numeric));
	Numeric    *expected = palloc(c->n * sizeof(Numeric));
	int32		next_line_no = 0;
	int			i;
	int			j;

	lookup_products(r, c, product_ids, active, tax_rates, expected);
	r->lines = repalloc(r->lines, (r->nlines + c->n) * sizeof(OmRevisionLine));
	for (i = 0; i < r->nlines; i++)
		next_line_no = Max(next_line_no, r->lines[i].line_no);

	for (i = 0; i < c->n; i++)
	{
		OmRevisionLine *l;

		CHECK_FOR_INTERRUPTS();
		for (j = 0; j < r->nlines && strcmp(r->lines[j].sku, c->skus[i]) != 0; j++)
			;
		if (j < r->nlines)
		{
			set_sku_total(r, r->order_id, c->skus[i], c->qtys[i], c->prices[i]);
			continue;
		}
		if (!om_numeric_positive(c->qtys[i]))
			ereport(ERROR,
					(errcode(ERRCODE_OM_UNKNOWN),
					 errmsg("order " INT64_FORMAT " has no line for product \"%s\" to remove",
							r->order_id, c->skus[i])));
		/* A new line, after the others. */
		l = &r->lines[r->nlines + r->nadded++];
		memset(l, 0, sizeof(*l));
		l->line_no = ++next_line_no;
		l->product_id = product_ids[i];
		l->sku = c->skus[i];
		l->qty = l->shipped = l->billed = l->reserved = l->backordered = int64_to_numeric(0);
		l->new_qty = c->qtys[i];
		l->expected_price = expected[i];
		l->unit_price = l->new_price = c->prices[i] ? c->prices[i] : expected[i];
		l->tax_rate = tax_rates[i];
		l->active = active[i];
		l->added = true;
	}
	r->nlines += r->nadded;
}

/*
 * The level-1 checks on the order as amended.  Each kept line is checked
 * as it becomes; a line whose reservation changes is "unreserved" with
 * qty = the change (negative: a release), so that the checks lock the
 * stock rows of every product it touches in one sorted pass, and judge
 * the shortage on what is added.  A removed line takes part only in that
 * (no value, no price, no product check: it is gone).
 */
static bool
run_checks(OmRevision *r, OmCheckInput *in, OmCheckResult *res)
{
	int			i;
	int			n = 0;

	in->order_id = r->order_id;
	in->customer_id = r->customer_id;
	in->warehouse_id = r->warehouse_id;
	in->currency = r->currency;
	in->counted = true;
	in->counted_value = r->value_before;
	in->blocked = r->blocked;
	in->has_limit = r->has_limit;
	in->partial = r->partial;
	in->customer_code = r->customer_code;
	if (r->approved)
		in->approved_rules = om_order_approved_rules(r->order_id, &in->napproved);
	in->lines = palloc(r->nlines * sizeof(OmConfirmLine));
	for (i = 0; i < r->nlines; i++)
	{
		OmRevisionLine *rl = &r->lines[i];
		OmConfirmLine *l = &in->lines[n];
		Numeric		change = om_revision_reserve_change(rl);
		bool		removed = !om_numeric_positive(rl->new_qty);

		if (removed && !om_numeric_positive(om_numeric_abs(change)))
			continue;
		l->line_no = rl->line_no;
		l->product_id = rl->product_id;
		l->sku = rl->sku;
		l->qty = change;
		l->reserved = om_numeric_cmp(change, int64_to_numeric(0)) == 0;
		l->tax_rate = rl->tax_rate;
		l->active = removed || rl->active;
		l->expected_price = rl->expected_price;
		l->unit_price = removed ? rl->expected_price : rl->new_price;
		l->open_qty = removed ? int64_to_numeric(0) : om_numeric_sub(rl->new_qty, rl->billed);
		n++;
	}
	in->nlines = n;
	return om_level1_checks(in, res);
}

/*
 * Allocation partial: what the stock rows (locked by the checks) cannot
 * give of a product waits instead, taken off the raises of its lines from
 * the last line up; each need then asks only for what is available.
 */
static void
backorder_shortfall(OmRevision *r, OmStockNeed *needs, int nneeds)
{
	Numeric		zero = int64_to_numeric(0);
	int			k;
	int			i;

	for (k = 0; k < nneeds; k++)
	{
		Numeric		avail = needs[k].found ? needs[k].available : zero;
		Numeric		missing = om_numeric_sub(needs[k].qty, avail);

		if (!om_numeric_positive(missing))
			continue;
		for (i = r->nlines - 1; i >= 0 && om_numeric_positive(missing); i--)
		{
			OmRevisionLine *l = &r->lines[i];
			Numeric		raise = om_numeric_sub(l->new_reserved, l->reserved);
			Numeric		part;

			if (l->product_id != needs[k].product_id || !om_numeric_positive(raise))
				continue;
			part = om_numeric_cmp(missing, raise) < 0 ? missing : raise;
			l->new_reserved = om_numeric_sub(l->new_reserved, part);
			l->new_backordered = om_numeric_add(l->new_backordered, part);
			missing = om_numeric_sub(missing, part);
		}
		needs[k].qty = avail;
	}
}

/* amend_order: returns the new revision, or the current one when nothing changes. */
int32
om_amend_order(int64 order_id, Jsonb *changes)
{
	AmendChanges c;
	OmRevision	r;
	OmCheckInput in;
	OmCheckResult res;
	bool		passed;
	int			i;
	int32		revision;

	parse_changes(changes, &c);
	SPI_connect();
	om_revision_load(order_id, &r);
	/* A revision re-reserves in one warehouse: not for a split order (sourcing.c). */
	if (r.split)
		om_refuse_split(order_id, "amend");
	if (strcmp(r.status, "confirmed") != 0 && strcmp(r.status, "processing") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("cannot amend order " INT64_FORMAT ": it is %s", order_id, r.status),
				 errdetail("Only a confirmed or processing order is amended."),
				 errhint(strcmp(r.status, "partially_shipped") == 0 ?
						 "Give up what is not shipped with ordermgmt.short_close(), then enter a new order." :
						 strcmp(r.status, "draft") == 0 ?
						 "A draft's lines are edited with plain SQL on ordermgmt.order_lines." :
						 "Enter a new order for what is still wanted.")));
	apply_changes(&r, &c);

	/* Nothing changes: the repeat of an amendment writes nothing. */
	if (!om_revision_changes_anything(&r))
	{
		revision = r.revision;
		SPI_finish();
		return revision;
	}
	for (i = 0; i < r.nlines && !om_numeric_positive(r.lines[i].new_qty); i++)
		;
	if (i == r.nlines)
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("cannot amend order " INT64_FORMAT ": the changes remove every line", order_id),
				 errhint("Cancel the order with ordermgmt.cancel_order() instead.")));

	om_revision_plan_lines(&r);
	memset(&in, 0, sizeof(in));
	passed = run_checks(&r, &in, &res);
	if (r.partial)
		backorder_shortfall(&r, res.needs, res.nneeds);
	else if (res.shortage.len > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_STOCK),
				 errmsg("cannot amend order " INT64_FORMAT ": not enough stock", order_id),
				 errdetail("Wanted and available: [%s].", res.shortage.data),
				 errhint("An amendment reserves all it adds or nothing; receive stock first or ask for less.")));

	revision = om_revision_write(&r, res.needs, res.nneeds, "amendment", NULL);
	om_emit_event("order.amended", order_id,
				  psprintf("{\"revision\": %d, \"net_before\": %s, \"net_after\": %s, \"checks\": %s}",
						   revision, om_numeric_out(r.net_before), om_numeric_out(r.net_after),
						   passed ? "\"passed\"" : om_json_quote(res.failed.data)));
	/* A failed check holds the order, as at confirmation. */
	if (!passed)
		om_hold_for_checks(order_id, &in, &res);
	SPI_finish();
	return revision;
}

/*
 * short_close: a partially shipped order keeps what it shipped and gives
 * up the rest (its lines are cut to their shipped quantities, lines with
 * nothing shipped removed, reservations released) and becomes shipped:
 * it completes as any shipped order does, once delivered, invoiced and
 * paid.  If its shipments are all delivered already it becomes delivered
 * at once (and completes, if already billed and paid).
 */
void
om_short_close(int64 order_id, const char *reason)
{
	static OmPlan all_delivered = OM_PLAN(
		"SELECT NOT EXISTS (SELECT 1 FROM ordermgmt.shipments s "
		"                    WHERE s.order_id = $1 AND s.delivered_at IS NULL)",
		INT8OID);
	OmRevision	r;
	OmStockNeed *needs;
	int			nneeds = 0;
	int64	   *freed_warehouses = NULL;
	Datum	   *freed_products = NULL;
	int			nfreed = 0;
	bool		manual;
	Datum		v[1];
	int			i;
	int32		revision;

	SPI_connect();
	om_revision_load(order_id, &r);
	if (strcmp(r.status, "partially_shipped") != 0)
	{
		if (om_transition_allowed(r.status, "cancelled", &manual))
			ereport(ERROR,
					(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
					 errmsg("cannot short-close order " INT64_FORMAT ": nothing of it is shipped", order_id),
					 errdetail("It is %s.", r.status),
					 errhint("Cancel it with ordermgmt.cancel_order() instead.")));
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("cannot short-close order " INT64_FORMAT ": it is %s", order_id, r.status),
				 errdetail("Only a partially shipped order has something left to give up.")));
	}
	om_require_transition(order_id, r.status, "shipped", "short-close");

	/* Every line to what it shipped; what it holds goes back, what it waits for is dropped. */
	for (i = 0; i < r.nlines; i++)
		r.lines[i].new_qty = r.lines[i].shipped;
	om_revision_plan_lines(&r);
	needs = palloc(r.nlines * sizeof(OmStockNeed));
	for (i = 0; i < r.nlines; i++)
	{
		Numeric		change;
		int			j;

		change = om_revision_reserve_change(&r.lines[i]);
		if (om_numeric_cmp(change, int64_to_numeric(0)) == 0)
			continue;
		for (j = 0; j < nneeds && needs[j].product_id != r.lines[i].product_id; j++)
			;
		if (j == nneeds)
		{
			needs[nneeds].product_id = r.lines[i].product_id;
			needs[nneeds++].qty = change;
		}
		else
			needs[j].qty = om_numeric_add(needs[j].qty, change);
	}
	/* The customer row before the stock rows (an exposure change follows). */
	om_lock_customer(r.customer_id);
	if (r.split)
	{
		/*
		 * A split order holds stock in several warehouses: give it all back
		 * here (rows locked in the global order); the revision then only
		 * drops the reservations.
		 */
		nfreed = om_release_stock(order_id, &freed_warehouses, &freed_products);
		nneeds = 0;
	}
	else if (nneeds > 0)
	{
		qsort(needs, nneeds, sizeof(OmStockNeed), om_compare_need);
		om_lock_stock(r.warehouse_id, needs, nneeds);
	}
	revision = om_revision_write(&r, needs, nneeds, "short_close", reason);
	/* What it held goes to the orders waiting in each warehouse, now that it waits no more. */
	if (nfreed > 0)
		om_stock_freed(freed_warehouses, freed_products, nfreed);
	om_emit_event("order.short_closed", order_id,
				  psprintf("{\"revision\": %d, \"net_before\": %s, \"net_after\": %s, \"reason\": %s}",
						   revision, om_numeric_out(r.net_before), om_numeric_out(r.net_after),
						   om_json_quote(reason)));
	om_set_status(order_id, "shipped", NULL);

	v[0] = Int64GetDatum(order_id);
	om_exec(&all_delivered, v, NULL, false, 1);
	if (om_getbool(0, 1))
	{
		om_set_status(order_id, "delivered", NULL);
		om_maybe_complete(order_id);
	}
	SPI_finish();
}
