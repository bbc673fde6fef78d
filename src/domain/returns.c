/*
 * returns.c
 *		Customer returns: restock, reverse cost of goods sold, credit note.
 *
 * Only shipped, not yet returned quantities come back (OM002 beyond).  The
 * goods go back on hand at the cost they left with (the line's shipments'
 * average), moving the warehouse's average cost as a receipt would.  Units
 * that had been invoiced are credited: sales returns and tax payable are
 * debited, receivable credited, and the credit lowers the order's open
 * invoices (oldest first); what exceeds them stays with the customer.
 * A split order's units go back to the warehouse their line last shipped
 * from (sourcing.c); a single order's to its warehouse.
 * Lock order (exposure.c): the order row, its open invoices by id, the
 * customer row, stock rows by (product_id, warehouse_id), then the
 * customer's exposure row in the order's currency.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

/*
 * What a return puts back must still fit its stock rows, as receive_stock
 * checks for a receipt (22023), rather than overflow in the update.
 */
static void
check_room(int64 warehouse_id, Datum *products, Datum *qtys, int n)
{
	static OmPlan overflowing = OM_PLAN(
		"SELECT p.sku, (s.on_hand + sum(u.q))::text "
		"  FROM unnest($2::bigint[], $3::numeric[]) AS u(p, q) "
		"  JOIN ordermgmt.stock s ON s.product_id = u.p AND s.warehouse_id = $1 "
		"  JOIN ordermgmt.products p ON p.product_id = u.p "
		" GROUP BY p.sku, s.on_hand HAVING s.on_hand + sum(u.q) > " OM_QTY_MAX_TEXT " LIMIT 1",
		INT8OID, INT8ARRAYOID, NUMERICARRAYOID);
	/* Result columns of overflowing. */
	enum
	{
		OVERFLOWING_SKU = 1,
		OVERFLOWING_ON_HAND
	};
	Datum		v[3];

	v[0] = Int64GetDatum(warehouse_id);
	v[1] = om_array(products, n, INT8OID);
	v[2] = om_array(qtys, n, NUMERICOID);
	if (om_exec(&overflowing, v, NULL, false, 1) > 0)
		(void) om_check_quantity(om_numeric_from_cstring(om_gettext(0, OVERFLOWING_ON_HAND)),
								 psprintf("on-hand stock of \"%s\" after the return",
										  om_gettext(0, OVERFLOWING_SKU)), false);
}

/* What for_each_warehouse does with each warehouse's products. */
typedef enum
{
	WAREHOUSE_CHECK_ROOM,
	WAREHOUSE_RESTOCKED
} WarehouseStep;

/* A split order's returned products, warehouse by warehouse. */
static void
for_each_warehouse(Datum *warehouses, Datum *products, Datum *qtys, int n, WarehouseStep step)
{
	bool	   *done = palloc0(Max(n, 1) * sizeof(bool));
	int			i;
	int			j;

	for (i = 0; i < n; i++)
	{
		int64		warehouse_id = DatumGetInt64(warehouses[i]);
		Datum	   *w_products = palloc(n * sizeof(Datum));
		Datum	   *w_qtys = palloc(n * sizeof(Datum));
		int			nw = 0;

		if (done[i])
			continue;
		for (j = i; j < n; j++)
			if (!done[j] && DatumGetInt64(warehouses[j]) == warehouse_id)
			{
				w_products[nw] = products[j];
				w_qtys[nw] = qtys[j];
				nw++;
				done[j] = true;
			}
		if (step == WAREHOUSE_CHECK_ROOM)
			check_room(warehouse_id, w_products, w_qtys, nw);
		else
		{
			om_low_stock_check(warehouse_id, w_products, nw);
			om_backorders_fill_free(warehouse_id, w_products, nw);
		}
	}
}

/*
 * Shipped units coming back ([{"sku", "qty"}]): restocked, with a credit
 * note against the order's invoices; returns the return id.
 */
int64
om_return_items(int64 order_id, Jsonb *request, const char *reason)
{
	static OmPlan select_lines = OM_PLAN(
		"SELECT l.line_no, l.product_id, p.sku, l.shipped_qty - l.returned_qty "
		"  FROM ordermgmt.order_lines l JOIN ordermgmt.products p ON p.product_id = l.product_id "
		" WHERE l.order_id = $1 ORDER BY l.line_no",
		INT8OID);
	/* Result columns of select_lines. */
	enum
	{
		LINE_NO = 1,
		LINE_PRODUCT_ID,
		LINE_SKU,
		LINE_RETURNABLE
	};
	/* The open invoices the credit note may lower, before the customer row. */
	static OmPlan lock_invoices = OM_PLAN(
		"SELECT 1 FROM ordermgmt.invoices WHERE order_id = $1 AND due > 0 "
		" ORDER BY invoice_id FOR NO KEY UPDATE",
		INT8OID);
	static OmPlan insert_return = OM_PLAN(
		"INSERT INTO ordermgmt.returns (order_id, reason, recorded_by) VALUES ($1, $2, $3) "
		"RETURNING return_id",
		INT8OID, TEXTOID, TEXTOID);
	/* Result column of insert_return. */
	enum
	{
		INSERT_RETURN_ID = 1
	};
	/*
	 * Per returned line: the cost it left with, and how many of its units
	 * had been invoiced beyond what the customer now keeps.  The costs are
	 * read once per call, through the order's shipments and a probe of each
	 * one's lines (OFFSET 0 keeps the planner from a scan of all shipment
	 * lines); a lookup of shipment_lines by order line has no index and
	 * scanned the whole table for every returned line.  Planned for each
	 * call's number of lines: a generic plan made for a few lines joined
	 * thousands by nested loops, n^2.
	 */
	static OmPlan record_lines = OM_PLAN_CUSTOM(
		"WITH u AS (SELECT * FROM unnest($3::int[], $4::bigint[], $5::numeric[], $8::bigint[]) AS u(l, p, q, w)), "
		"v AS (SELECT u.l, u.p, u.q, coalesce(u.w, $6) AS w, "
		"             greatest(0, (ol.invoiced_qty - ol.credited_qty) - (ol.shipped_qty - ol.returned_qty - u.q)) AS c, "
		"             ol.unit_price, pr.tax_rate, ol.tax_rate AS line_tax_rate, sc.cost "
		"        FROM u JOIN ordermgmt.order_lines ol ON ol.order_id = $2 AND ol.line_no = u.l "
		"        JOIN ordermgmt.products pr ON pr.product_id = u.p "
		"        LEFT JOIN (SELECT sl.line_no, round(sum(sl.qty * sl.unit_cost) / sum(sl.qty), 4) AS cost "
		"                     FROM ordermgmt.shipments s "
		"                     CROSS JOIN LATERAL (SELECT x.line_no, x.qty, x.unit_cost "
		"                                           FROM ordermgmt.shipment_lines x "
		"                                          WHERE x.shipment_id = s.shipment_id OFFSET 0) sl "
		"                    WHERE s.order_id = $2 GROUP BY sl.line_no) sc ON sc.line_no = u.l), "
		"rl AS (INSERT INTO ordermgmt.return_lines (return_id, order_id, line_no, qty, credited_qty, unit_cost, tax_rate) "
		"       SELECT $1, $2, v.l, v.q, v.c, v.cost, v.tax_rate FROM v), "
		"ol AS (UPDATE ordermgmt.order_lines l SET returned_qty = l.returned_qty + v.q, "
		"              credited_qty = l.credited_qty + v.c FROM v WHERE l.order_id = $2 AND l.line_no = v.l), "
		"mv AS (INSERT INTO ordermgmt.stock_moves (product_id, warehouse_id, qty, unit_cost, kind, order_id, moved_by) "
		"       SELECT v.p, v.w, v.q, v.cost, 'return', $2, $7 FROM v), "
		"st AS (UPDATE ordermgmt.stock s "
		"          SET avg_cost = round((s.on_hand * s.avg_cost + a.value) / (s.on_hand + a.q), 4), "
		"              on_hand = s.on_hand + a.q "
		"         FROM (SELECT v.p, v.w, sum(v.q) AS q, sum(v.q * v.cost) AS value FROM v GROUP BY v.p, v.w) a "
		"        WHERE s.product_id = a.p AND s.warehouse_id = a.w) "
		"SELECT coalesce(sum(round(v.q * v.cost, 2)), 0), "
		"       coalesce(sum(round(v.c * v.unit_price, 2)), 0), "
		"       coalesce(sum(round(round(v.c * v.unit_price, 2) * v.tax_rate, 2)), 0), "
		"       coalesce(sum((v.c - v.q) * v.unit_price * (1 + v.line_tax_rate)), 0) FROM v",
		INT8OID, INT8OID, INT4ARRAYOID, INT8ARRAYOID, NUMERICARRAYOID, INT8OID, TEXTOID, INT8ARRAYOID);
	/* Result columns of record_lines. */
	enum
	{
		RECORD_LINES_COST = 1,
		RECORD_LINES_CREDIT_NET,
		RECORD_LINES_CREDIT_TAX,
		RECORD_LINES_OPEN_VALUE
	};
	static OmPlan set_credit = OM_PLAN(
		"UPDATE ordermgmt.returns SET credit_net = $2, credit_tax = $3 WHERE return_id = $1",
		INT8OID, NUMERICOID, NUMERICOID);
	/* Spread the credit over open invoices, oldest first; the rest is the customer's. */
	static OmPlan apply_credit = OM_PLAN(
		"WITH open AS (SELECT invoice_id, due FROM ordermgmt.invoices "
		"               WHERE order_id = $2 AND due > 0 ORDER BY invoice_id FOR NO KEY UPDATE), "
		"alloc AS (SELECT invoice_id, least(due, greatest(0, $3 - coalesce(sum(due) OVER "
		"                 (ORDER BY invoice_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))) AS amount "
		"            FROM open), "
		"upd AS (UPDATE ordermgmt.invoices i SET credited = i.credited + a.amount FROM alloc a "
		"         WHERE i.invoice_id = a.invoice_id AND a.amount > 0 "
		"        RETURNING i.invoice_id, i.due, a.amount, i.total, i.paid + i.credited AS settled, "
		"                  round(i.net * i.company_rate, 2) + round(i.tax * i.company_rate, 2) AS company_total), "
		"ins AS (INSERT INTO ordermgmt.credit_applications (return_id, invoice_id, amount) "
		"        SELECT $1, invoice_id, amount FROM alloc WHERE amount > 0 "
		"        UNION ALL "
		"        SELECT $1, NULL, $3 - coalesce((SELECT sum(amount) FROM alloc), 0) "
		"         WHERE $3 - coalesce((SELECT sum(amount) FROM alloc), 0) > 0) "
		"SELECT invoice_id, due = 0, amount, "
		"       round(company_total * settled / total, 2) - round(company_total * (settled - amount) / total, 2) "
		"  FROM upd",
		INT8OID, INT8OID, NUMERICOID);
	/* Result columns of apply_credit: one row per invoice credited. */
	enum
	{
		APPLY_CREDIT_INVOICE_ID = 1,
		APPLY_CREDIT_SETTLED,
		APPLY_CREDIT_AMOUNT,
		APPLY_CREDIT_CLEARED	/* of the receivable, in the company currency */
	};
	int64		warehouse_id;
	char	   *currency;
	int			nlines;
	int			i;
	char	  **skus;
	Numeric    *returnable;
	Numeric    *take;
	int32	   *line_nos;
	int64	   *product_ids;
	Datum	   *r_lines;
	Datum	   *r_products;
	Datum	   *r_qtys;
	volatile int nret = 0;
	OmStockNeed *needs;
	int			nneeds = 0;
	int64		return_id;
	Numeric		cost;
	Numeric		credit_net;
	Numeric		credit_tax;
	Numeric		credit_total;
	bool		isnull;
	Datum		v[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', 'n'};
	Datum	   *volatile r_warehouses = NULL;
	OmOrder		order;
	int			n;
	int64	   *settled;
	int			nsettled;
	Numeric		open_value;
	Numeric		applied = int64_to_numeric(0);
	Numeric		cleared = int64_to_numeric(0);

	SPI_connect();
	v[0] = Int64GetDatum(order_id);
	om_load_order(order_id, &order);
	warehouse_id = order.warehouse_id;
	currency = order.currency;

	nlines = om_exec(&select_lines, v, NULL, false, 0);
	skus = palloc(nlines * sizeof(char *));
	returnable = palloc(nlines * sizeof(Numeric));
	take = palloc(nlines * sizeof(Numeric));
	line_nos = palloc(nlines * sizeof(int32));
	product_ids = palloc(nlines * sizeof(int64));
	for (i = 0; i < nlines; i++)
	{
		line_nos[i] = DatumGetInt32(om_getdatum(i, LINE_NO, &isnull));
		product_ids[i] = om_getint64(i, LINE_PRODUCT_ID);
		skus[i] = om_gettext(i, LINE_SKU);
		returnable[i] = DatumGetNumericCopy(om_getdatum(i, LINE_RETURNABLE, &isnull));
	}
	om_allocate_by_sku(request, "return", nlines, skus, returnable, take);

	nret = om_collect_takes(nlines, line_nos, product_ids, take, &r_lines, &r_products, &r_qtys,
						   &needs, &nneeds);

	/*
	 * The rows this return changes, in the lock order of exposure.c: the
	 * order's open invoices (the order row is locked), the customer row,
	 * then the stock rows in product order before the CTE changes them.
	 */
	v[0] = Int64GetDatum(order_id);
	om_exec(&lock_invoices, v, NULL, false, 0);
	om_lock_customer(order.customer_id);
	if (order.split)
	{
		r_warehouses = om_shipped_from(order_id, r_lines, nret);
		om_lock_stock_pairs(r_products, r_warehouses, nret);
		for_each_warehouse(r_warehouses, r_products, r_qtys, nret, WAREHOUSE_CHECK_ROOM);
	}
	else
	{
		qsort(needs, nneeds, sizeof(OmStockNeed), om_compare_need);
		om_lock_stock(warehouse_id, needs, nneeds);
		check_room(warehouse_id, r_products, r_qtys, nret);
	}

	v[0] = Int64GetDatum(order_id);
	v[1] = om_text_datum(reason);
	v[2] = om_text_datum(om_session_user());
	om_exec(&insert_return, v, NULL, false, 1);
	return_id = om_getint64(0, INSERT_RETURN_ID);

	v[0] = Int64GetDatum(return_id);
	v[1] = Int64GetDatum(order_id);
	v[2] = om_array(r_lines, nret, INT4OID);
	v[3] = om_array(r_products, nret, INT8OID);
	v[4] = om_array(r_qtys, nret, NUMERICOID);
	v[5] = Int64GetDatum(warehouse_id);
	v[6] = om_text_datum(om_session_user());
	if (r_warehouses)
	{
		v[7] = om_array(r_warehouses, nret, INT8OID);
		nulls[7] = ' ';
	}
	OM_API_BEGIN();
	om_exec(&record_lines, v, nulls, false, 1);
	OM_API_END();
	cost = DatumGetNumericCopy(om_getdatum(0, RECORD_LINES_COST, &isnull));
	credit_net = DatumGetNumericCopy(om_getdatum(0, RECORD_LINES_CREDIT_NET, &isnull));
	credit_tax = DatumGetNumericCopy(om_getdatum(0, RECORD_LINES_CREDIT_TAX, &isnull));
	credit_total = om_numeric_add(credit_net, credit_tax);
	/*
	 * What the lines will still bill falls by the returned units that were
	 * not invoiced (the invoiced ones are credited): (credited - returned)
	 * units at the line's value.
	 */
	open_value = DatumGetNumericCopy(om_getdatum(0, RECORD_LINES_OPEN_VALUE, &isnull));

	/* The goods back on the shelf fill other orders' backorders (backorders.c). */
	if (r_warehouses)
		for_each_warehouse(r_warehouses, r_products, r_qtys, nret, WAREHOUSE_RESTOCKED);
	else
	{
		om_low_stock_check(warehouse_id, r_products, nret);
		om_backorders_fill_free(warehouse_id, r_products, nret);
	}

	if (om_numeric_positive(credit_total))
	{
		v[0] = Int64GetDatum(return_id);
		v[1] = NumericGetDatum(credit_net);
		v[2] = NumericGetDatum(credit_tax);
		om_exec(&set_credit, v, NULL, false, 0);
		v[1] = Int64GetDatum(order_id);
		v[2] = NumericGetDatum(credit_total);
		n = om_exec(&apply_credit, v, NULL, false, 0);
		settled = palloc(Max(n, 1) * sizeof(int64));
		nsettled = 0;
		for (i = 0; i < n; i++)
		{
			applied = om_numeric_add(applied,
									 DatumGetNumeric(om_getdatum(i, APPLY_CREDIT_AMOUNT, &isnull)));
			cleared = om_numeric_add(cleared,
									 DatumGetNumeric(om_getdatum(i, APPLY_CREDIT_CLEARED, &isnull)));
			if (om_getbool(i, APPLY_CREDIT_SETTLED))
				settled[nsettled++] = om_getint64(i, APPLY_CREDIT_INVOICE_ID);
		}
		for (i = 0; i < nsettled; i++)
			om_deadline_clear("L3_PAYMENT_OVERDUE", "invoice", settled[i], "invoice settled by credit");
	}

	/*
	 * The goods come back at their cost, in the company currency; the
	 * credit note is in the order's, its receivable cleared at the rates of
	 * the invoices it credits (billing.c) and the credit left to the
	 * customer at the day's rate.
	 */
	{
		Numeric		zero = int64_to_numeric(0);
		Numeric		receivable = om_numeric_add(cleared,
												om_to_company(om_numeric_sub(credit_total, applied),
															  currency, om_entry_date()));
		OmPostLine	lines[6] = {
			{"inventory", om_company_currency(), cost, NULL, NULL},
			{"cogs", om_company_currency(), NULL, cost, NULL},
			{"sales_returns", NULL, credit_net, NULL, NULL},
			{"tax_payable", NULL, credit_tax, NULL, NULL},
			{"receivable", NULL, NULL, credit_total, om_numeric_sub(zero, receivable)},
			{"exchange", NULL, NULL, NULL, NULL}
		};

		om_post_lines("return", "return", return_id,
					  psprintf("return " INT64_FORMAT " of order " INT64_FORMAT, return_id, order_id),
					  currency, 6, lines);
	}

	/*
	 * The exposure: the lines' change of value while the order is open, and
	 * the credit applied to invoices (credit left to the customer lowers no
	 * receivable).
	 */
	om_exposure_add(order.customer_id, currency,
					om_status_open(order.status) ? open_value : int64_to_numeric(0),
					om_numeric_sub(int64_to_numeric(0), applied));

	om_emit_event("return.created", order_id,
				  psprintf("{\"return_id\": " INT64_FORMAT ", \"credit\": %s}", return_id,
						   om_numeric_out(credit_total)));
	om_maybe_complete(order_id);
	SPI_finish();
	return return_id;
}
