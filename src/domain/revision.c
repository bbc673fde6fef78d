/*
 * revision.c
 *		A revision of an order's lines, as amend_order and short_close make
 *		them (amendment.c): load the order and its lines with the order row
 *		locked, then write the new lines with everything that follows from
 *		them in the same transaction: reservations and stock (and, under
 *		allocation partial, backorders: backorders.c), ordered_net, the
 *		customer's exposure, the order's row of order_day_totals, and the
 *		revision row of order_amendments.  Nothing is posted: the ledger
 *		moves when goods ship, not when an order changes.
 *
 * Lock order (exposure.c): the caller has locked the order row (here),
 * the customer row and the stock rows of the needs (sorted); this file
 * then takes the exposure row and, last, the order_day_totals row.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"

/* What a line counts in the exposure at a quantity and price (exposure.c). */
static Numeric
line_value(const OmRevisionLine *l, Numeric qty, Numeric price)
{
	return om_numeric_mul(om_numeric_mul(om_numeric_sub(qty, l->billed), price),
						  om_numeric_add(int64_to_numeric(1), l->tax_rate));
}

/* Lock the order row and load it, its customer and its lines; or raise OM005. */
void
om_revision_load(int64 order_id, OmRevision *r)
{
	static OmPlan lock_order = OM_PLAN(
		"SELECT o.status::text, o.customer_id, o.warehouse_id, o.currency::text, o.approved_by IS NOT NULL, "
		"       c.blocked, c.credit_limit IS NOT NULL, c.code, coalesce(o.ordered_net, 0), "
		"       timezone('UTC', o.created_at)::date, o.allocation = 'partial', o.sourcing = 'split' "
		"  FROM ordermgmt.orders o JOIN ordermgmt.customers c ON c.customer_id = o.customer_id "
		" WHERE o.order_id = $1 FOR NO KEY UPDATE OF o",
		INT8OID);
	/* Result columns of lock_order. */
	enum
	{
		ORDER_STATUS = 1,
		ORDER_CUSTOMER_ID,
		ORDER_WAREHOUSE_ID,
		ORDER_CURRENCY,
		ORDER_APPROVED,
		ORDER_BLOCKED,
		ORDER_HAS_LIMIT,
		ORDER_CUSTOMER_CODE,
		ORDER_NET,
		ORDER_DAY,
		ORDER_PARTIAL,
		ORDER_SPLIT
	};
	/*
	 * Read after the lock, in a statement of its own: a READ COMMITTED
	 * snapshot taken with the lock query would miss the revision of an
	 * amendment it waited for.
	 */
	static OmPlan last_revision = OM_PLAN(
		"SELECT coalesce(max(revision), 0) FROM ordermgmt.order_amendments WHERE order_id = $1",
		INT8OID);
	static OmPlan select_lines = OM_PLAN(
		"SELECT l.line_no, l.product_id, p.sku, l.qty, l.unit_price, coalesce(l.expected_price, p.list_price), "
		"       coalesce(l.tax_rate, p.tax_rate), l.shipped_qty, l.returned_qty + l.invoiced_qty - l.credited_qty, "
		"       coalesce((SELECT sum(r.qty) FROM ordermgmt.reservations r "
		"                  WHERE r.order_id = l.order_id AND r.line_no = l.line_no), 0), "
		"       p.active, l.backordered_qty "
		"  FROM ordermgmt.order_lines l "
		"  JOIN ordermgmt.products p ON p.product_id = l.product_id "
		" WHERE l.order_id = $1 ORDER BY l.line_no",
		INT8OID);
	/* Result columns of select_lines. */
	enum
	{
		LINE_NO = 1,
		LINE_PRODUCT_ID,
		LINE_SKU,
		LINE_QTY,
		LINE_UNIT_PRICE,
		LINE_EXPECTED_PRICE,
		LINE_TAX_RATE,
		LINE_SHIPPED,
		LINE_BILLED,
		LINE_RESERVED,
		LINE_ACTIVE,
		LINE_BACKORDERED
	};
	Datum		v[1];
	bool		isnull;
	int			i;

	memset(r, 0, sizeof(*r));
	v[0] = Int64GetDatum(order_id);
	if (om_exec(&lock_order, v, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("order " INT64_FORMAT " does not exist", order_id)));
	r->order_id = order_id;
	r->status = om_gettext(0, ORDER_STATUS);
	r->customer_id = om_getint64(0, ORDER_CUSTOMER_ID);
	r->warehouse_id = om_getint64(0, ORDER_WAREHOUSE_ID);
	r->currency = om_gettext(0, ORDER_CURRENCY);
	r->approved = om_getbool(0, ORDER_APPROVED);
	r->blocked = om_getbool(0, ORDER_BLOCKED);
	r->has_limit = om_getbool(0, ORDER_HAS_LIMIT);
	r->customer_code = om_gettext(0, ORDER_CUSTOMER_CODE);
	r->net_before = DatumGetNumericCopy(om_getdatum(0, ORDER_NET, &isnull));
	r->day = om_getdatum(0, ORDER_DAY, &isnull);
	r->partial = om_getbool(0, ORDER_PARTIAL);
	r->split = om_getbool(0, ORDER_SPLIT);
	om_exec(&last_revision, v, NULL, false, 1);
	r->revision = DatumGetInt32(om_getdatum(0, 1, &isnull));

	r->nlines = om_exec(&select_lines, v, NULL, false, 0);
	r->lines = palloc(Max(r->nlines, 1) * sizeof(OmRevisionLine));
	r->value_before = int64_to_numeric(0);
	for (i = 0; i < r->nlines; i++)
	{
		OmRevisionLine *l = &r->lines[i];

		memset(l, 0, sizeof(*l));
		l->line_no = DatumGetInt32(om_getdatum(i, LINE_NO, &isnull));
		l->product_id = om_getint64(i, LINE_PRODUCT_ID);
		l->sku = om_gettext(i, LINE_SKU);
		l->qty = l->new_qty = DatumGetNumericCopy(om_getdatum(i, LINE_QTY, &isnull));
		l->unit_price = l->new_price = DatumGetNumericCopy(om_getdatum(i, LINE_UNIT_PRICE, &isnull));
		l->expected_price = DatumGetNumericCopy(om_getdatum(i, LINE_EXPECTED_PRICE, &isnull));
		l->tax_rate = DatumGetNumericCopy(om_getdatum(i, LINE_TAX_RATE, &isnull));
		l->shipped = DatumGetNumericCopy(om_getdatum(i, LINE_SHIPPED, &isnull));
		l->billed = DatumGetNumericCopy(om_getdatum(i, LINE_BILLED, &isnull));
		l->reserved = l->new_reserved = DatumGetNumericCopy(om_getdatum(i, LINE_RESERVED, &isnull));
		l->backordered = l->new_backordered = DatumGetNumericCopy(om_getdatum(i, LINE_BACKORDERED, &isnull));
		l->active = om_getbool(i, LINE_ACTIVE);
		r->value_before = om_numeric_add(r->value_before, line_value(l, l->qty, l->unit_price));
	}
}

/*
 * What each line holds and waits for after the revision, as if the stock
 * were there (the caller then backorders, or refuses, what is not): what
 * the line no longer wants comes off what it waits for first, then off
 * its reservation; what it wants more is reserved, or, under allocation
 * partial when the line already waits, waits behind what it waits for.
 */
void
om_revision_plan_lines(OmRevision *r)
{
	Numeric		zero = int64_to_numeric(0);
	int			i;

	for (i = 0; i < r->nlines; i++)
	{
		OmRevisionLine *l = &r->lines[i];
		Numeric		change = om_numeric_sub(l->new_qty, l->qty);

		l->new_reserved = l->reserved;
		l->new_backordered = l->backordered;
		if (om_numeric_cmp(change, zero) >= 0)
		{
			if (r->partial && om_numeric_positive(l->backordered))
				l->new_backordered = om_numeric_add(l->backordered, change);
			else
				l->new_reserved = om_numeric_add(l->reserved, change);
		}
		else
		{
			Numeric		cut = om_numeric_sub(zero, change);
			Numeric		from_waiting = om_numeric_cmp(cut, l->backordered) < 0 ? cut : l->backordered;

			l->new_backordered = om_numeric_sub(l->backordered, from_waiting);
			l->new_reserved = om_numeric_sub(l->reserved, om_numeric_sub(cut, from_waiting));
			if (om_numeric_cmp(l->new_reserved, zero) < 0)
				l->new_reserved = zero;
		}
	}
}

/* How much more (or, negative, less) a line reserves after the revision. */
Numeric
om_revision_reserve_change(const OmRevisionLine *l)
{
	return om_numeric_sub(l->new_reserved, l->reserved);
}

bool
om_revision_changes_anything(const OmRevision *r)
{
	int			i;

	for (i = 0; i < r->nlines; i++)
		if (r->lines[i].added || om_numeric_cmp(r->lines[i].qty, r->lines[i].new_qty) != 0 ||
			om_numeric_cmp(r->lines[i].unit_price, r->lines[i].new_price) != 0)
			return true;
	return false;
}

/* A quantity or price as the lines store it (numeric(18,4)), for the JSON. */
static char *
stored(Numeric n)
{
	return om_numeric_out(DatumGetNumeric(DirectFunctionCall2(numeric_round, NumericGetDatum(n),
															  Int32GetDatum(OM_QTY_SCALE))));
}

/* The lines as JSON, before (after = false) or after the revision. */
static char *
lines_json(const OmRevision *r, bool after)
{
	StringInfoData s;
	int			i;
	bool		first = true;

	initStringInfo(&s);
	appendStringInfoChar(&s, '[');
	for (i = 0; i < r->nlines; i++)
	{
		const OmRevisionLine *l = &r->lines[i];
		Numeric		qty = after ? l->new_qty : l->qty;

		if (!om_numeric_positive(qty))
			continue;
		appendStringInfo(&s, "%s{\"line_no\": %d, \"sku\": %s, \"qty\": %s, \"unit_price\": %s, "
						 "\"shipped_qty\": %s}", first ? "" : ", ", l->line_no, om_json_quote(l->sku),
						 stored(qty), stored(after ? l->new_price : l->unit_price), stored(l->shipped));
		first = false;
	}
	appendStringInfoChar(&s, ']');
	return s.data;
}

/*
 * Change the stock rows' reserved by the needs' qty (the rows are locked,
 * needs sorted) and each changed line's reservation to what it now holds.
 * Returns the products whose stock it released, as released[0..n-1].
 */
static int
write_reservations(OmRevision *r, OmStockNeed *needs, int nneeds, Datum *released)
{
	static OmPlan change_reserved = OM_PLAN_TID(
		"UPDATE ordermgmt.stock s "
		"   SET reserved = s.reserved + ($2::numeric[])[array_position($1::tid[], s.ctid)] "
		" WHERE s.ctid = ANY ($1::tid[]) "
		"RETURNING s.product_id",
		TIDARRAYOID, NUMERICARRAYOID);
	static OmPlan set_reservations = OM_PLAN(
		"WITH v AS (SELECT * FROM unnest($2::int[], $3::bigint[], $4::numeric[]) AS v(l, p, q)), "
		"gone AS (DELETE FROM ordermgmt.reservations r USING v "
		"          WHERE r.order_id = $1 AND r.line_no = v.l AND v.q = 0) "
		"INSERT INTO ordermgmt.reservations AS r (order_id, line_no, product_id, warehouse_id, qty) "
		"SELECT $1, v.l, v.p, $5, v.q FROM v WHERE v.q > 0 "
		"ON CONFLICT (order_id, line_no, warehouse_id) DO UPDATE SET qty = excluded.qty",
		INT8OID, INT4ARRAYOID, INT8ARRAYOID, NUMERICARRAYOID, INT8OID);
	OmStockNeed *moved = palloc(Max(nneeds, 1) * sizeof(OmStockNeed));
	Datum	   *deltas = palloc(Max(nneeds, 1) * sizeof(Datum));
	Datum	   *pids = palloc(Max(nneeds, 1) * sizeof(Datum));
	Datum	   *lines = palloc(r->nlines * sizeof(Datum));
	Datum	   *products = palloc(r->nlines * sizeof(Datum));
	Datum	   *qtys = palloc(r->nlines * sizeof(Datum));
	Datum		v[5];
	int			nmoved = 0;
	int			nreleased = 0;
	int			n = 0;
	int			i;

	for (i = 0; i < nneeds; i++)
		if (needs[i].found && om_numeric_cmp(needs[i].qty, int64_to_numeric(0)) != 0)
		{
			moved[nmoved] = needs[i];
			deltas[nmoved++] = NumericGetDatum(needs[i].qty);
			if (om_numeric_cmp(needs[i].qty, int64_to_numeric(0)) < 0)
				released[nreleased++] = Int64GetDatum(needs[i].product_id);
		}
	if (nmoved > 0)
	{
		v[0] = om_stock_tids(moved, nmoved);
		v[1] = om_array(deltas, nmoved, NUMERICOID);
		n = om_exec(&change_reserved, v, NULL, false, 0);
		for (i = 0; i < n; i++)
			pids[i] = Int64GetDatum(om_getint64(i, 1));
		om_low_stock_check(r->warehouse_id, pids, n);
	}

	n = 0;
	for (i = 0; i < r->nlines; i++)
	{
		Numeric		change = om_revision_reserve_change(&r->lines[i]);

		if (om_numeric_cmp(change, int64_to_numeric(0)) == 0)
			continue;
		lines[n] = Int32GetDatum(r->lines[i].line_no);
		products[n] = Int64GetDatum(r->lines[i].product_id);
		qtys[n++] = NumericGetDatum(r->lines[i].new_reserved);
	}
	if (n > 0)
	{
		v[0] = Int64GetDatum(r->order_id);
		v[1] = om_array(lines, n, INT4OID);
		v[2] = om_array(products, n, INT8OID);
		v[3] = om_array(qtys, n, NUMERICOID);
		v[4] = Int64GetDatum(r->warehouse_id);
		om_exec(&set_reservations, v, NULL, false, 0);
	}
	return nreleased;
}

/* The order's lines as the revision has them, and its ordered_net. */
static void
write_lines(OmRevision *r)
{
	static OmPlan remove_lines = OM_PLAN(
		"DELETE FROM ordermgmt.order_lines WHERE order_id = $1 AND line_no = ANY ($2::int[])",
		INT8OID, INT4ARRAYOID);
	static OmPlan change_lines = OM_PLAN(
		"UPDATE ordermgmt.order_lines l "
		"   SET qty = v.q, unit_price = v.pr, reserved_qty = v.r, backordered_qty = v.b "
		"  FROM unnest($2::int[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[]) "
		"       AS v(l, q, pr, r, b) "
		" WHERE l.order_id = $1 AND l.line_no = v.l",
		INT8OID, INT4ARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID);
	static OmPlan add_lines = OM_PLAN(
		"INSERT INTO ordermgmt.order_lines "
		"  (order_id, line_no, product_id, qty, unit_price, tax_rate, expected_price, reserved_qty, "
		"   backordered_qty) "
		"SELECT $1, v.l, v.p, v.q, v.pr, v.t, v.e, v.r, v.b "
		"  FROM unnest($2::int[], $3::bigint[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[], "
		"              $8::numeric[], $9::numeric[]) AS v(l, p, q, pr, t, e, r, b)",
		INT8OID, INT4ARRAYOID, INT8ARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID,
		NUMERICARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID);
	static OmPlan set_net = OM_PLAN(
		"UPDATE ordermgmt.orders o "
		"   SET ordered_net = (SELECT round(coalesce(sum(l.qty * l.unit_price), 0), 2) "
		"                        FROM ordermgmt.order_lines l WHERE l.order_id = $1) "
		" WHERE o.order_id = $1 RETURNING o.ordered_net",
		INT8OID);
	int			n = r->nlines;
	Datum	   *gone = palloc(n * sizeof(Datum));
	Datum	   *ch_lines = palloc(n * sizeof(Datum));
	Datum	   *ch_qtys = palloc(n * sizeof(Datum));
	Datum	   *ch_prices = palloc(n * sizeof(Datum));
	Datum	   *ch_reserved = palloc(n * sizeof(Datum));
	Datum	   *ch_backordered = palloc(n * sizeof(Datum));
	Datum	   *add[8];
	Datum		v[9];
	int			ngone = 0;
	int			nchanged = 0;
	int			nadd = 0;
	int			i;
	int			k;
	bool		isnull;

	for (k = 0; k < 8; k++)
		add[k] = palloc(n * sizeof(Datum));
	for (i = 0; i < n; i++)
	{
		OmRevisionLine *l = &r->lines[i];

		if (l->added)
		{
			add[0][nadd] = Int32GetDatum(l->line_no);
			add[1][nadd] = Int64GetDatum(l->product_id);
			add[2][nadd] = NumericGetDatum(l->new_qty);
			add[3][nadd] = NumericGetDatum(l->new_price);
			add[4][nadd] = NumericGetDatum(l->tax_rate);
			add[5][nadd] = NumericGetDatum(l->expected_price);
			add[6][nadd] = NumericGetDatum(l->new_reserved);
			add[7][nadd++] = NumericGetDatum(l->new_backordered);
		}
		else if (!om_numeric_positive(l->new_qty))
			gone[ngone++] = Int32GetDatum(l->line_no);
		else if (om_numeric_cmp(l->qty, l->new_qty) != 0 || om_numeric_cmp(l->unit_price, l->new_price) != 0 ||
				 om_numeric_cmp(l->reserved, l->new_reserved) != 0 ||
				 om_numeric_cmp(l->backordered, l->new_backordered) != 0)
		{
			ch_lines[nchanged] = Int32GetDatum(l->line_no);
			ch_qtys[nchanged] = NumericGetDatum(l->new_qty);
			ch_prices[nchanged] = NumericGetDatum(l->new_price);
			ch_reserved[nchanged] = NumericGetDatum(l->new_reserved);
			ch_backordered[nchanged++] = NumericGetDatum(l->new_backordered);
		}
	}

	v[0] = Int64GetDatum(r->order_id);
	OM_API_BEGIN();
	if (ngone > 0)
	{
		v[1] = om_array(gone, ngone, INT4OID);
		om_exec(&remove_lines, v, NULL, false, 0);
	}
	if (nchanged > 0)
	{
		v[1] = om_array(ch_lines, nchanged, INT4OID);
		v[2] = om_array(ch_qtys, nchanged, NUMERICOID);
		v[3] = om_array(ch_prices, nchanged, NUMERICOID);
		v[4] = om_array(ch_reserved, nchanged, NUMERICOID);
		v[5] = om_array(ch_backordered, nchanged, NUMERICOID);
		om_exec(&change_lines, v, NULL, false, 0);
	}
	if (nadd > 0)
	{
		v[1] = om_array(add[0], nadd, INT4OID);
		v[2] = om_array(add[1], nadd, INT8OID);
		for (k = 2; k < 8; k++)
			v[k + 1] = om_array(add[k], nadd, NUMERICOID);
		om_exec(&add_lines, v, NULL, false, 0);
	}
	om_exec(&set_net, v, NULL, false, 1);
	r->net_after = DatumGetNumericCopy(om_getdatum(0, 1, &isnull));
	OM_API_END();
}

/*
 * What the revision makes the order wait for (allocation partial): the
 * event of new backorders, and the L2_BACKORDER_AGED deadline, started
 * when the order begins to wait and cleared when it waits no more
 * (backorders.c keeps it for the other paths).
 */
static void
write_backorder_state(OmRevision *r)
{
	StringInfoData created;
	bool		waited = false;
	bool		waits = false;
	int			i;

	initStringInfo(&created);
	for (i = 0; i < r->nlines; i++)
	{
		OmRevisionLine *l = &r->lines[i];

		waited = waited || om_numeric_positive(l->backordered);
		if (!om_numeric_positive(l->new_qty))
			continue;
		waits = waits || om_numeric_positive(l->new_backordered);
		if (om_numeric_cmp(l->new_backordered, l->backordered) > 0)
			appendStringInfo(&created, "%s{\"line_no\": %d, \"sku\": %s, \"backordered\": %s}",
							 created.len ? ", " : "", l->line_no, om_json_quote(l->sku),
							 om_numeric_out(om_numeric_sub(l->new_backordered, l->backordered)));
	}
	if (created.len > 0 && waited)
		om_emit_event("order.backorder_created", r->order_id, psprintf("{\"lines\": [%s]}", created.data));
	else if (created.len > 0)
		om_backorders_created(r->order_id, created.data);
	else if (waited && !waits)
		om_deadline_clear("L2_BACKORDER_AGED", "order", r->order_id, "backorder released");
}

/*
 * Write the revision: reservations and stock (rows locked by the caller),
 * lines and ordered_net, the exposure, order_day_totals, and the revision
 * row.  Returns its number.
 */
int32
om_revision_write(OmRevision *r, OmStockNeed *needs, int nneeds, const char *kind, const char *reason)
{
	/*
	 * The reports' day totals: an amendment moves the order's net within
	 * its status, which no status change will carry (report_day_changes).
	 */
	static OmPlan add_day_net = OM_PLAN(
		"INSERT INTO ordermgmt.order_day_totals AS t (day, currency, status, orders, net_amount) "
		"VALUES ($1, $2, $3::ordermgmt.order_status, 0, $4) "
		"ON CONFLICT (day, currency, status) DO UPDATE SET net_amount = t.net_amount + excluded.net_amount",
		DATEOID, TEXTOID, TEXTOID, NUMERICOID);
	static OmPlan insert_revision = OM_PLAN(
		"INSERT INTO ordermgmt.order_amendments (order_id, revision, kind, status, amended_by, reason, "
		"                                        net_before, net_after, lines_before, lines_after) "
		"VALUES ($1, $2, $3, $4::ordermgmt.order_status, $5, $6, $7, $8, $9::jsonb, $10::jsonb)",
		INT8OID, INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, NUMERICOID, NUMERICOID, TEXTOID, TEXTOID);
	Numeric		value_after = int64_to_numeric(0);
	char	   *before = lines_json(r, false);
	char	   *after = lines_json(r, true);
	Datum	   *released = palloc(Max(nneeds, 1) * sizeof(Datum));
	int			nreleased;
	Datum		v[10];
	char		nulls[10] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	int			i;

	nreleased = write_reservations(r, needs, nneeds, released);
	write_lines(r);
	write_backorder_state(r);
	/* What the revision gave back goes to other orders' backorders first. */
	if (nreleased > 0)
		om_backorders_fill_free(r->warehouse_id, released, nreleased);

	/* The exposure: what the order will still bill, before and after. */
	for (i = 0; i < r->nlines; i++)
		if (om_numeric_positive(r->lines[i].new_qty))
			value_after = om_numeric_add(value_after,
										 line_value(&r->lines[i], r->lines[i].new_qty, r->lines[i].new_price));
	if (om_status_open(r->status))
		om_exposure_add(r->customer_id, r->currency, om_numeric_sub(value_after, r->value_before),
						int64_to_numeric(0));

	if (om_numeric_cmp(r->net_before, r->net_after) != 0)
	{
		v[0] = r->day;
		v[1] = om_text_datum(r->currency);
		v[2] = om_text_datum(r->status);
		v[3] = NumericGetDatum(om_numeric_sub(r->net_after, r->net_before));
		om_exec(&add_day_net, v, NULL, false, 0);
	}

	v[0] = Int64GetDatum(r->order_id);
	v[1] = Int32GetDatum(r->revision + 1);
	v[2] = om_text_datum(kind);
	v[3] = om_text_datum(r->status);
	v[4] = om_text_datum(om_session_user());
	if (reason)
		v[5] = om_text_datum(reason);
	else
		nulls[5] = 'n';
	v[6] = NumericGetDatum(r->net_before);
	v[7] = NumericGetDatum(r->net_after);
	v[8] = om_text_datum(before);
	v[9] = om_text_datum(after);
	om_exec(&insert_revision, v, nulls, false, 0);
	return r->revision + 1;
}
