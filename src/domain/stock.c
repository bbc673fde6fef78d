/*
 * stock.c
 *		On-hand stock and reservations.
 *
 * Invariant: 0 <= reserved <= on_hand for every stock row, under any
 * concurrency.  Every path that changes stock rows first locks all the rows
 * it needs with one SELECT ... ORDER BY product_id, warehouse_id FOR NO KEY
 * UPDATE, so two transactions always meet their rows in the same order and
 * cannot deadlock; the CHECK constraint is the last line of defence.
 * In the global lock order (exposure.c) stock rows come after the document
 * rows and the customer row, before the customer's exposure row.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

/* qsort comparator: stock needs by product_id, the order rows are locked in. */
int
om_compare_need(const void *a, const void *b)
{
	int64		x = ((const OmStockNeed *) a)->product_id;
	int64		y = ((const OmStockNeed *) b)->product_id;

	return (x > y) - (x < y);
}

/*
 * Lock the stock rows of the needed products and fill in what is available
 * and where each row is.  needs must be sorted by product_id: the rows are
 * locked one by one in that order (a nested loop over the sorted array, one
 * index probe each), the global order every stock path follows.
 */
void
om_lock_stock(int64 warehouse_id, OmStockNeed *needs, int nneeds)
{
	static OmPlan lock_rows = OM_PLAN(
		"SELECT s.product_id, s.available, s.ctid "
		"  FROM unnest($2::bigint[]) WITH ORDINALITY AS u(p, ord) "
		" CROSS JOIN LATERAL (SELECT product_id, on_hand - reserved AS available, ctid "
		"                       FROM ordermgmt.stock "
		"                      WHERE product_id = u.p AND warehouse_id = $1 "
		"                      FOR NO KEY UPDATE) s "
		" ORDER BY u.ord",
		INT8OID, INT8ARRAYOID);
	/* Result columns of lock_rows. */
	enum
	{
		LOCK_ROWS_PRODUCT_ID = 1,
		LOCK_ROWS_AVAILABLE,
		LOCK_ROWS_TID
	};
	Datum	   *ids = palloc(nneeds * sizeof(Datum));
	Datum		v[2];
	int			n;
	int			i;
	int			j;

	for (i = 0; i < nneeds; i++)
	{
		Assert(i == 0 || needs[i - 1].product_id < needs[i].product_id);
		ids[i] = Int64GetDatum(needs[i].product_id);
		needs[i].found = false;
		needs[i].available = NULL;
	}
	v[0] = Int64GetDatum(warehouse_id);
	v[1] = om_array(ids, nneeds, INT8OID);
	n = om_exec(&lock_rows, v, NULL, false, 0);

	for (i = 0; i < n; i++)
	{
		int64		pid = om_getint64(i, LOCK_ROWS_PRODUCT_ID);
		bool		isnull;
		Datum		avail = om_getdatum(i, LOCK_ROWS_AVAILABLE, &isnull);
		ItemPointer tid = (ItemPointer) DatumGetPointer(om_getdatum(i, LOCK_ROWS_TID, &isnull));

		for (j = 0; j < nneeds; j++)
			if (needs[j].product_id == pid)
			{
				needs[j].found = true;
				needs[j].available = DatumGetNumericCopy(avail);
				ItemPointerCopy(tid, &needs[j].tid);
			}
	}
}

/* The locked rows' tids, as a tid[] for "WHERE ctid = ANY ($n)". */
Datum
om_stock_tids(OmStockNeed *needs, int nneeds)
{
	Datum	   *tids = palloc(nneeds * sizeof(Datum));
	int			i;

	for (i = 0; i < nneeds; i++)
	{
		ItemPointer t = palloc(sizeof(ItemPointerData));

		ItemPointerCopy(&needs[i].tid, t);
		tids[i] = PointerGetDatum(t);
	}
	return om_array(tids, nneeds, TIDOID);
}

/*
 * Reserve the given lines (stock rows already locked by om_lock_stock):
 * raise reserved per product by the aggregated needs, and record one
 * reservation per line, counted in its reserved_qty unless the line was
 * stored holding it already (count_on_lines false: create_order's lines,
 * inserted confirmed, need no second write).
 */
void
om_reserve_lines(int64 order_id, int64 warehouse_id, int nlines, Datum *line_nos,
				 Datum *product_ids, Datum *qtys, int nneeds, OmStockNeed *needs, bool count_on_lines)
{
	/* A TID scan whatever the array's size: planned once, like the rest. */
	static OmPlan add_reserved = OM_PLAN_TID(
		"UPDATE ordermgmt.stock s "
		"   SET reserved = s.reserved + ($2::numeric[])[array_position($1::tid[], s.ctid)] "
		" WHERE s.ctid = ANY ($1::tid[]) "
		"RETURNING s.product_id, s.on_hand - s.reserved < "
		"          (SELECT p.reorder_point FROM ordermgmt.products p WHERE p.product_id = s.product_id)",
		TIDARRAYOID, NUMERICARRAYOID);
	/* Result columns of add_reserved. */
	enum
	{
		ADD_RESERVED_PRODUCT_ID = 1,
		ADD_RESERVED_LOW
	};
	/* The reservations, and the lines' reserved_qty with them. */
	static OmPlan insert_reservations = OM_PLAN(
		"WITH r AS (INSERT INTO ordermgmt.reservations (order_id, line_no, product_id, warehouse_id, qty) "
		"           SELECT $1, v.l, v.p, $2, v.q FROM unnest($3::int[], $4::bigint[], $5::numeric[]) AS v(l, p, q) "
		"           RETURNING line_no, qty) "
		"UPDATE ordermgmt.order_lines l SET reserved_qty = l.reserved_qty + r.qty "
		"  FROM r WHERE l.order_id = $1 AND l.line_no = r.line_no",
		INT8OID, INT8OID, INT4ARRAYOID, INT8ARRAYOID, NUMERICARRAYOID);
	static OmPlan insert_reservations_only = OM_PLAN(
		"INSERT INTO ordermgmt.reservations (order_id, line_no, product_id, warehouse_id, qty) "
		"SELECT $1, v.l, v.p, $2, v.q FROM unnest($3::int[], $4::bigint[], $5::numeric[]) AS v(l, p, q)",
		INT8OID, INT8OID, INT4ARRAYOID, INT8ARRAYOID, NUMERICARRAYOID);
	Datum	   *pids = palloc(nneeds * sizeof(Datum));
	Datum	   *totals = palloc(nneeds * sizeof(Datum));
	Datum	   *low = palloc(nneeds * sizeof(Datum));
	int			nlow = 0;
	Datum		v[5];
	int			i;
	int			n;

	if (nlines == 0)
		return;
	for (i = 0; i < nneeds; i++)
	{
		pids[i] = Int64GetDatum(needs[i].product_id);
		totals[i] = NumericGetDatum(needs[i].qty);
	}
	/* The rows are locked: update them where they are. */
	v[0] = om_stock_tids(needs, nneeds);
	v[1] = om_array(totals, nneeds, NUMERICOID);
	n = om_exec(&add_reserved, v, NULL, false, 0);
	/* Reserving only lowers availability: look further only where it is now low. */
	for (i = 0; i < n; i++)
		if (om_getbool(i, ADD_RESERVED_LOW))
			low[nlow++] = Int64GetDatum(om_getint64(i, ADD_RESERVED_PRODUCT_ID));
	om_low_stock_check(warehouse_id, low, nlow);

	v[0] = Int64GetDatum(order_id);
	v[1] = Int64GetDatum(warehouse_id);
	v[2] = om_array(line_nos, nlines, INT4OID);
	v[3] = om_array(product_ids, nlines, INT8OID);
	v[4] = om_array(qtys, nlines, NUMERICOID);
	if (count_on_lines)
		(void) om_exec_on_lines(&insert_reservations, v);
	else
		om_exec(&insert_reservations_only, v, NULL, false, 0);
}

/*
 * Give the stock rows back what an order's reservations hold, in every
 * warehouse (rows locked in the global order); the reservations stay for
 * the caller to drop.  Returns how many rows changed, with their
 * warehouses and products.
 */
int
om_release_stock(int64 order_id, int64 **warehouses, Datum **product_ids)
{
	static OmPlan lock_rows = OM_PLAN(
		"SELECT 1 FROM ordermgmt.stock s "
		" WHERE (s.product_id, s.warehouse_id) IN "
		"       (SELECT r.product_id, r.warehouse_id FROM ordermgmt.reservations r WHERE r.order_id = $1) "
		" ORDER BY s.product_id, s.warehouse_id FOR NO KEY UPDATE OF s",
		INT8OID);
	static OmPlan subtract_reserved = OM_PLAN(
		"UPDATE ordermgmt.stock s SET reserved = s.reserved - r.q "
		"  FROM (SELECT product_id, warehouse_id, sum(qty) AS q FROM ordermgmt.reservations "
		"         WHERE order_id = $1 GROUP BY product_id, warehouse_id) r "
		" WHERE s.product_id = r.product_id AND s.warehouse_id = r.warehouse_id "
		"RETURNING s.warehouse_id, s.product_id",
		INT8OID);
	/* Result columns of subtract_reserved. */
	enum
	{
		SUBTRACTED_WAREHOUSE_ID = 1,
		SUBTRACTED_PRODUCT_ID
	};
	Datum		v[1];
	int			n;
	int			i;

	v[0] = Int64GetDatum(order_id);
	if (om_exec(&lock_rows, v, NULL, false, 0) == 0)
		return 0;
	n = om_exec(&subtract_reserved, v, NULL, false, 0);
	*warehouses = palloc(Max(n, 1) * sizeof(int64));
	*product_ids = palloc(Max(n, 1) * sizeof(Datum));
	for (i = 0; i < n; i++)
	{
		(*warehouses)[i] = om_getint64(i, SUBTRACTED_WAREHOUSE_ID);
		(*product_ids)[i] = Int64GetDatum(om_getint64(i, SUBTRACTED_PRODUCT_ID));
	}
	return n;
}

/*
 * Stock of the given (warehouse, product) rows became free: bring the
 * low-stock alerts up to date and fill the backorders waiting there,
 * warehouse by warehouse (a single order draws on one, a split one on
 * several).  Consumes warehouses.
 */
void
om_stock_freed(int64 *warehouses, Datum *pids, int n)
{
	int			i;
	int			j;

	for (i = 0; i < n; i++)
	{
		int64		warehouse_id = warehouses[i];
		Datum	   *freed = palloc(n * sizeof(Datum));
		int			nfreed = 0;

		if (warehouse_id == 0)
			continue;
		for (j = i; j < n; j++)
			if (warehouses[j] == warehouse_id)
			{
				freed[nfreed++] = pids[j];
				warehouses[j] = 0;
			}
		om_low_stock_check(warehouse_id, freed, nfreed);
		om_backorders_fill_free(warehouse_id, freed, nfreed);
	}
}

/*
 * Give back everything an order still holds and drop what it waits for
 * (cancellation); what it held goes to other orders' backorders first.
 */
void
om_release_reservations(int64 order_id)
{
	static OmPlan delete_reservations = OM_PLAN(
		"WITH gone AS (DELETE FROM ordermgmt.reservations WHERE order_id = $1) "
		"UPDATE ordermgmt.order_lines SET reserved_qty = 0 WHERE order_id = $1 AND reserved_qty > 0",
		INT8OID);
	Datum		v[1];
	int64	   *warehouses;
	Datum	   *pids;
	int			n;

	v[0] = Int64GetDatum(order_id);
	om_backorders_drop(order_id);
	n = om_release_stock(order_id, &warehouses, &pids);
	if (n == 0)
		return;
	(void) om_exec_on_lines(&delete_reservations, v);
	om_stock_freed(warehouses, pids, n);
}

/*
 * A receipt's unit_cost moves the moving-average cost of every later sale.
 * Without an admin it stays within max_cost_factor of the product's cost
 * (its master-data unit_cost, else the average on hand), either way; a
 * product with no cost yet takes any.  Receipts and purchase order lines
 * (purchasing.c) are checked alike.
 */
void
om_check_cost_bound(const char *sku, Numeric unit_cost, Datum reference, bool no_reference, Numeric factor)
{
	Numeric		ref;
	Numeric		high;
	Numeric		low;

	if (no_reference || om_caller_is_admin())
		return;
	ref = DatumGetNumeric(reference);
	high = om_numeric_mul(ref, factor);
	low = om_numeric_div(ref, factor);
	if (om_numeric_cmp(unit_cost, high) > 0 || om_numeric_cmp(unit_cost, low) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unit_cost %s of product \"%s\" is more than %s times away from its cost %s",
						om_numeric_out(unit_cost), sku, om_numeric_out(factor), om_numeric_out(ref)),
				 errdetail("A receipt's cost moves the cost of goods of every later sale."),
				 errhint("An ordermgmt_admin can receive at this cost, or update the product's unit_cost first.")));
}

/*
 * Stock arrives: qty units of a product into a warehouse at unit_cost (in
 * the company currency).  The one place where received goods become stock,
 * for receive_stock and receive_purchase alike: on-hand and the moving
 * average rise (the stock row is locked by the upsert), a receipt move is
 * written and posted (inventory against goods received), and the low-stock
 * alert is brought up to date; what arrived fills the backorders of the
 * waiting orders first (backorders.c), which the caller locked before any
 * stock row (om_backorders_lock).  Returns the move id.  The caller has
 * checked qty and unit_cost, and holds the document rows it receives
 * against (lock order: documents, then stock rows by product).
 */
int64
om_stock_arrived(int64 product_id, int64 warehouse_id, Numeric qty, Numeric unit_cost, const char *memo,
				 Datum waiting, int nwaiting)
{
	/* Moving-average cost: the value on hand plus the receipt, over the new quantity. */
	static OmPlan add_on_hand = OM_PLAN(
		"INSERT INTO ordermgmt.stock AS s (product_id, warehouse_id, on_hand, avg_cost) "
		"VALUES ($1, $2, $3, $4) "
		"ON CONFLICT (product_id, warehouse_id) DO UPDATE "
		"   SET avg_cost = round((s.on_hand * s.avg_cost + EXCLUDED.on_hand * EXCLUDED.avg_cost) "
		"                        / (s.on_hand + EXCLUDED.on_hand), 4), "
		"       on_hand = s.on_hand + EXCLUDED.on_hand",
		INT8OID, INT8OID, NUMERICOID, NUMERICOID);
	static OmPlan insert_move = OM_PLAN(
		"INSERT INTO ordermgmt.stock_moves (product_id, warehouse_id, qty, unit_cost, kind, moved_by) "
		"VALUES ($1, $2, $3, $4, 'receipt', $5) RETURNING move_id, round($3 * $4, 2)",
		INT8OID, INT8OID, NUMERICOID, NUMERICOID, TEXTOID);
	/* Result columns of insert_move. */
	enum
	{
		INSERT_MOVE_ID = 1,
		INSERT_MOVE_VALUE
	};
	Datum		v[5];
	bool		isnull;
	int64		move_id;
	Numeric		value;

	v[0] = Int64GetDatum(product_id);
	v[1] = Int64GetDatum(warehouse_id);
	v[2] = NumericGetDatum(qty);
	v[3] = NumericGetDatum(unit_cost);
	om_exec(&add_on_hand, v, NULL, false, 0);

	v[4] = om_text_datum(om_session_user());
	om_exec(&insert_move, v, NULL, false, 1);
	move_id = om_getint64(0, INSERT_MOVE_ID);
	value = DatumGetNumericCopy(om_getdatum(0, INSERT_MOVE_VALUE, &isnull));

	{
		const char *roles[2] = {"inventory", "goods_received"};
		Numeric		debits[2] = {value, NULL};
		Numeric		credits[2] = {NULL, value};

		om_post("receipt", "receipt", move_id, memo, om_company_currency(), 2, roles, debits, credits);
	}
	{
		Datum		pid = Int64GetDatum(product_id);

		om_backorders_fill_all(warehouse_id, &pid, 1, waiting, nwaiting);
		om_low_stock_check(warehouse_id, &pid, 1);
	}
	return move_id;
}

/*
 * A receipt of qty units of sku into warehouse at unit_cost (NULL: the
 * product's cost); returns the stock move id.
 */
int64
om_receive_stock(const char *sku, const char *warehouse, Numeric qty, Numeric unit_cost)
{
	static OmPlan lookup = OM_PLAN(
		"SELECT p.product_id, w.warehouse_id, coalesce($3, p.unit_cost, s.avg_cost, 0), "
		"       coalesce(s.on_hand, 0), "
		"       coalesce(nullif(p.unit_cost, 0), nullif(s.avg_cost, 0)), "
		"       coalesce((SELECT value::numeric FROM ordermgmt.settings WHERE key = 'max_cost_factor'), "
		OM_MAX_COST_FACTOR_DEFAULT ") "
		"  FROM (SELECT 1) AS one "
		"  LEFT JOIN ordermgmt.products p ON p.sku = $1 "
		"  LEFT JOIN ordermgmt.warehouses w ON w.code = $2 "
		"  LEFT JOIN ordermgmt.stock s ON s.product_id = p.product_id AND s.warehouse_id = w.warehouse_id",
		TEXTOID, TEXTOID, NUMERICOID);
	/* Result columns of lookup. */
	enum
	{
		LOOKUP_PRODUCT_ID = 1,
		LOOKUP_WAREHOUSE_ID,
		LOOKUP_UNIT_COST,
		LOOKUP_ON_HAND,
		LOOKUP_REFERENCE_COST,
		LOOKUP_MAX_COST_FACTOR
	};
	Datum		v[3];
	char		nulls[3] = {' ', ' ', ' '};
	int64		product_id;
	int64		warehouse_id;
	int64		move_id;
	Numeric		cost;
	Numeric		on_hand;
	bool		isnull;
	Datum		pid;
	Datum		waiting;
	int			nwaiting;

	SPI_connect();
	v[0] = om_text_datum(sku);
	v[1] = om_text_datum(warehouse);
	if (unit_cost)
		v[2] = NumericGetDatum(unit_cost);
	else
		nulls[2] = 'n';
	om_exec(&lookup, v, nulls, true, 1);
	product_id = DatumGetInt64(om_getdatum(0, LOOKUP_PRODUCT_ID, &isnull));
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("unknown product \"%s\"", sku)));
	warehouse_id = DatumGetInt64(om_getdatum(0, LOOKUP_WAREHOUSE_ID, &isnull));
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("unknown warehouse \"%s\"", warehouse)));
	cost = DatumGetNumericCopy(om_getdatum(0, LOOKUP_UNIT_COST, &isnull));
	if (unit_cost)
	{
		bool		no_reference;
		Datum		reference = om_getdatum(0, LOOKUP_REFERENCE_COST, &no_reference);

		om_check_cost_bound(sku, unit_cost, reference, no_reference,
							DatumGetNumeric(om_getdatum(0, LOOKUP_MAX_COST_FACTOR, &isnull)));
	}
	/* What the receipt adds up to must still fit the stock row and the ledger. */
	on_hand = DatumGetNumeric(om_getdatum(0, LOOKUP_ON_HAND, &isnull));
	(void) om_check_quantity(om_numeric_add(on_hand, qty), "on-hand stock after the receipt", false);
	(void) om_check_quantity(om_money_round(om_numeric_mul(qty, cost)), "the value of the receipt", true);

	/* The orders waiting for the product, before its stock row (backorders.c). */
	pid = Int64GetDatum(product_id);
	waiting = om_backorders_lock(warehouse_id, &pid, 1, true, &nwaiting);
	move_id = om_stock_arrived(product_id, warehouse_id, qty, cost,
							   psprintf("receipt of %s into %s", sku, warehouse), waiting, nwaiting);
	SPI_finish();
	return move_id;
}
