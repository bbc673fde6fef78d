/*
 * sourcing.c
 *		Split sourcing: with setting sourcing = 'split' an order that names
 *		no warehouse reserves each line from the warehouses in priority
 *		order (warehouses.priority, lower first, ties by code).
 *
 * The order's own warehouse_id is its home, the first in priority order:
 * its backorders wait there (backorders.c).  Confirmation locks the stock
 * rows of every warehouse for the needed products in the global order,
 * (product_id, warehouse_id), compares each product's need with what all
 * of them have together, and then takes from them in priority order.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

/*
 * Lock the stock rows of the needed products in every warehouse and fill
 * in each need's rows in priority order and their sum.  needs must be
 * sorted by product_id.
 */
void
om_lock_stock_split(OmStockNeed *needs, int nneeds)
{
	/* Locked in the global order; handed out in priority order. */
	static OmPlan lock_rows = OM_PLAN(
		"SELECT l.product_id, l.warehouse_id, l.available, l.ctid "
		"  FROM (SELECT s.product_id, s.warehouse_id, s.on_hand - s.reserved AS available, s.ctid "
		"          FROM ordermgmt.stock s WHERE s.product_id = ANY ($1::bigint[]) "
		"         ORDER BY s.product_id, s.warehouse_id FOR NO KEY UPDATE) l "
		"  JOIN ordermgmt.warehouses w ON w.warehouse_id = l.warehouse_id "
		" ORDER BY l.product_id, w.priority, w.code",
		INT8ARRAYOID);
	/* Result columns of lock_rows. */
	enum
	{
		LOCK_ROWS_PRODUCT_ID = 1,
		LOCK_ROWS_WAREHOUSE_ID,
		LOCK_ROWS_AVAILABLE,
		LOCK_ROWS_TID
	};
	Datum	   *ids = palloc(nneeds * sizeof(Datum));
	Datum		v[1];
	int			n;
	int			i;
	int			k = 0;

	for (i = 0; i < nneeds; i++)
	{
		Assert(i == 0 || needs[i - 1].product_id < needs[i].product_id);
		ids[i] = Int64GetDatum(needs[i].product_id);
		needs[i].found = false;
		needs[i].available = int64_to_numeric(0);
		needs[i].nsources = 0;
		needs[i].sources = NULL;
	}
	v[0] = om_array(ids, nneeds, INT8OID);
	n = om_exec(&lock_rows, v, NULL, false, 0);

	for (i = 0; i < n; i++)
	{
		int64		pid = om_getint64(i, LOCK_ROWS_PRODUCT_ID);
		bool		isnull;
		OmStockNeed *need;
		OmStockSource *src;

		CHECK_FOR_INTERRUPTS();
		/* Both are sorted by product. */
		while (k < nneeds && needs[k].product_id != pid)
			k++;
		if (k == nneeds)
			elog(ERROR, "ordermgmt: stock row of product " INT64_FORMAT " not asked for", pid);
		need = &needs[k];
		if (need->sources == NULL)
			need->sources = palloc(n * sizeof(OmStockSource));
		src = &need->sources[need->nsources++];
		src->warehouse_id = om_getint64(i, LOCK_ROWS_WAREHOUSE_ID);
		src->available = DatumGetNumericCopy(om_getdatum(i, LOCK_ROWS_AVAILABLE, &isnull));
		src->taken = int64_to_numeric(0);
		ItemPointerCopy((ItemPointer) DatumGetPointer(om_getdatum(i, LOCK_ROWS_TID, &isnull)), &src->tid);
		need->found = true;
		if (om_numeric_positive(src->available))
			need->available = om_numeric_add(need->available, src->available);
	}
}

/*
 * Reserve the given lines (qtys: what each takes in all) from the rows
 * om_lock_stock_split locked: each line takes from its product's
 * warehouses in priority order, one reservation per line and warehouse.
 * The caller has checked that the warehouses have it together.
 */
void
om_reserve_split(int64 order_id, int nlines, Datum *line_nos, Datum *product_ids, Datum *qtys,
				 int nneeds, OmStockNeed *needs)
{
	static OmPlan add_reserved = OM_PLAN_TID(
		"UPDATE ordermgmt.stock s "
		"   SET reserved = s.reserved + ($2::numeric[])[array_position($1::tid[], s.ctid)] "
		" WHERE s.ctid = ANY ($1::tid[]) "
		"RETURNING s.warehouse_id, s.product_id, s.on_hand - s.reserved < "
		"          (SELECT p.reorder_point FROM ordermgmt.products p WHERE p.product_id = s.product_id)",
		TIDARRAYOID, NUMERICARRAYOID);
	/* Result columns of add_reserved. */
	enum
	{
		ADD_RESERVED_WAREHOUSE_ID = 1,
		ADD_RESERVED_PRODUCT_ID,
		ADD_RESERVED_LOW
	};
	/* The reservations, and the lines' reserved_qty with their sum. */
	static OmPlan insert_reservations = OM_PLAN(
		"WITH r AS (INSERT INTO ordermgmt.reservations (order_id, line_no, product_id, warehouse_id, qty) "
		"           SELECT $1, v.l, v.p, v.w, v.q "
		"             FROM unnest($2::int[], $3::bigint[], $4::bigint[], $5::numeric[]) AS v(l, p, w, q) "
		"           RETURNING line_no, qty), "
		"t AS (SELECT line_no, sum(qty) AS qty FROM r GROUP BY line_no) "
		"UPDATE ordermgmt.order_lines l SET reserved_qty = l.reserved_qty + t.qty "
		"  FROM t WHERE l.order_id = $1 AND l.line_no = t.line_no",
		INT8OID, INT4ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, NUMERICARRAYOID);
	int			nsources = 0;
	Datum	   *r_lines;
	Datum	   *r_products;
	Datum	   *r_warehouses;
	Datum	   *r_qtys;
	Datum	   *tids;
	Datum	   *amounts;
	int64	   *low_wh;
	Datum	   *low_pids;
	int			nr = 0;
	int			nt = 0;
	int			n;
	int			i;
	int			j;
	int			k;
	Datum		v[5];

	if (nlines == 0)
		return;
	for (k = 0; k < nneeds; k++)
		nsources += needs[k].nsources;
	r_lines = palloc((nlines * Max(nsources, 1)) * sizeof(Datum));
	r_products = palloc((nlines * Max(nsources, 1)) * sizeof(Datum));
	r_warehouses = palloc((nlines * Max(nsources, 1)) * sizeof(Datum));
	r_qtys = palloc((nlines * Max(nsources, 1)) * sizeof(Datum));

	for (i = 0; i < nlines; i++)
	{
		int64		pid = DatumGetInt64(product_ids[i]);
		Numeric		want = DatumGetNumeric(qtys[i]);
		OmStockNeed *need = NULL;

		CHECK_FOR_INTERRUPTS();
		for (k = 0; k < nneeds; k++)
			if (needs[k].product_id == pid)
				need = &needs[k];
		for (j = 0; need != NULL && j < need->nsources && om_numeric_positive(want); j++)
		{
			OmStockSource *src = &need->sources[j];
			Numeric		take = want;

			if (!om_numeric_positive(src->available))
				continue;
			if (om_numeric_cmp(src->available, take) < 0)
				take = src->available;
			src->available = om_numeric_sub(src->available, take);
			src->taken = om_numeric_add(src->taken, take);
			want = om_numeric_sub(want, take);
			r_lines[nr] = line_nos[i];
			r_products[nr] = product_ids[i];
			r_warehouses[nr] = Int64GetDatum(src->warehouse_id);
			r_qtys[nr] = NumericGetDatum(take);
			nr++;
		}
		if (om_numeric_positive(want))
			elog(ERROR, "ordermgmt: line %d of order " INT64_FORMAT " is short after its checks",
				 DatumGetInt32(line_nos[i]), order_id);
	}

	/* The stock rows that give something, with what they give. */
	tids = palloc(Max(nsources, 1) * sizeof(Datum));
	amounts = palloc(Max(nsources, 1) * sizeof(Datum));
	for (k = 0; k < nneeds; k++)
		for (j = 0; j < needs[k].nsources; j++)
		{
			OmStockSource *src = &needs[k].sources[j];
			ItemPointer t;

			if (!om_numeric_positive(src->taken))
				continue;
			t = palloc(sizeof(ItemPointerData));
			ItemPointerCopy(&src->tid, t);
			tids[nt] = PointerGetDatum(t);
			amounts[nt] = NumericGetDatum(src->taken);
			nt++;
		}
	if (nt == 0)
		return;
	v[0] = om_array(tids, nt, TIDOID);
	v[1] = om_array(amounts, nt, NUMERICOID);
	n = om_exec(&add_reserved, v, NULL, false, 0);
	/* Reserving only lowers availability: look further only where it is now low, per warehouse. */
	low_wh = palloc(Max(n, 1) * sizeof(int64));
	low_pids = palloc(Max(n, 1) * sizeof(Datum));
	for (i = 0; i < n; i++)
	{
		low_wh[i] = om_getbool(i, ADD_RESERVED_LOW) ? om_getint64(i, ADD_RESERVED_WAREHOUSE_ID) : 0;
		low_pids[i] = Int64GetDatum(om_getint64(i, ADD_RESERVED_PRODUCT_ID));
	}
	for (i = 0; i < n; i++)
	{
		int64		wh = low_wh[i];
		Datum	   *pids = palloc(n * sizeof(Datum));
		int			nlow = 0;

		if (wh == 0)
			continue;
		for (j = i; j < n; j++)
			if (low_wh[j] == wh)
			{
				pids[nlow++] = low_pids[j];
				low_wh[j] = 0;
			}
		om_low_stock_check(wh, pids, nlow);
	}

	v[0] = Int64GetDatum(order_id);
	v[1] = om_array(r_lines, nr, INT4OID);
	v[2] = om_array(r_products, nr, INT8OID);
	v[3] = om_array(r_warehouses, nr, INT8OID);
	v[4] = om_array(r_qtys, nr, NUMERICOID);
	(void) om_exec_on_lines(&insert_reservations, v);
}

/*
 * Lock the stock rows of the given (product, warehouse) pairs in the global
 * order, (product_id, warehouse_id): a split order's shipment or return
 * touches rows of several warehouses.
 */
void
om_lock_stock_pairs(Datum *product_ids, Datum *warehouse_ids, int n)
{
	static OmPlan lock_rows = OM_PLAN(
		"SELECT 1 FROM ordermgmt.stock s "
		" WHERE (s.product_id, s.warehouse_id) IN (SELECT * FROM unnest($1::bigint[], $2::bigint[])) "
		" ORDER BY s.product_id, s.warehouse_id FOR NO KEY UPDATE OF s",
		INT8ARRAYOID, INT8ARRAYOID);
	Datum		v[2];

	v[0] = om_array(product_ids, n, INT8OID);
	v[1] = om_array(warehouse_ids, n, INT8OID);
	(void) om_exec(&lock_rows, v, NULL, false, 0);
}

/*
 * The warehouse each of a split order's lines (line_nos) last shipped
 * from: where its returned units go back.
 */
Datum *
om_shipped_from(int64 order_id, Datum *line_nos, int n)
{
	/* Through the order's shipments, as returns.c reads their costs. */
	static OmPlan shipped_from = OM_PLAN(
		"SELECT DISTINCT ON (sl.line_no) sl.line_no, s.warehouse_id "
		"  FROM ordermgmt.shipments s "
		" CROSS JOIN LATERAL (SELECT x.line_no FROM ordermgmt.shipment_lines x "
		"                      WHERE x.shipment_id = s.shipment_id OFFSET 0) sl "
		" WHERE s.order_id = $1 ORDER BY sl.line_no, s.shipment_id DESC",
		INT8OID);
	/* Result columns of shipped_from. */
	enum
	{
		SHIPPED_FROM_LINE_NO = 1,
		SHIPPED_FROM_WAREHOUSE_ID
	};
	Datum	   *warehouses = palloc(Max(n, 1) * sizeof(Datum));
	Datum		v[1];
	int			nrows;
	int			i;
	int			j;

	v[0] = Int64GetDatum(order_id);
	nrows = om_exec(&shipped_from, v, NULL, false, 0);
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		warehouses[i] = (Datum) 0;
		for (j = 0; j < nrows; j++)
			if (DatumGetInt32(om_getdatum(j, SHIPPED_FROM_LINE_NO, &isnull)) == DatumGetInt32(line_nos[i]))
				warehouses[i] = Int64GetDatum(om_getint64(j, SHIPPED_FROM_WAREHOUSE_ID));
		if (warehouses[i] == (Datum) 0)
			elog(ERROR, "ordermgmt: line %d of order " INT64_FORMAT " has no shipment",
				 DatumGetInt32(line_nos[i]), order_id);
	}
	return warehouses;
}

/* What split orders do not do (amend_order): refused, nothing written. */
void
om_refuse_split(int64 order_id, const char *action)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot %s order " INT64_FORMAT ": it is sourced from several warehouses", action, order_id),
			 errdetail("The order was entered with setting sourcing = 'split'."),
			 errhint("Cancel the order and enter it again, or name its warehouse (options.warehouse).")));
}
