/*
 * stock_ops.c
 *		Stock operations besides receipts, reservations and shipments:
 *		transfers between warehouses and stock counts.
 *
 * Both keep stock = the sum of its moves and 0 <= reserved <= on_hand:
 * a transfer moves only what is available (on hand less reserved), a
 * count never goes below what is reserved.  A transfer is two moves, out
 * and in, at the sending warehouse's average cost; the value stays in
 * inventory, so nothing is posted.  A count's difference is one move and a
 * posting of its value at the average cost, inventory against stock
 * adjustments (posting_accounts, event 'count').
 *
 * Lock order: stock rows by (product, warehouse), as every path that locks
 * stock rows (a confirmation locks one warehouse's rows in product order,
 * a transfer one product's two rows in warehouse order).
 */
#include "domain/domain.h"

#include "utils/builtins.h"

/* The ids behind a SKU and up to two warehouse codes; OM005 for an unknown one. */
static void
lookup_ids(const char *sku, const char *wh1, const char *wh2, int64 *product_id, int64 *wh1_id,
		   int64 *wh2_id)
{
	static OmPlan lookup = OM_PLAN(
		"SELECT p.product_id, w1.warehouse_id, w2.warehouse_id "
		"  FROM (SELECT 1) AS one "
		"  LEFT JOIN ordermgmt.products p ON p.sku = $1 "
		"  LEFT JOIN ordermgmt.warehouses w1 ON w1.code = $2 "
		"  LEFT JOIN ordermgmt.warehouses w2 ON w2.code = $3",
		TEXTOID, TEXTOID, TEXTOID);
	/* Result columns of lookup. */
	enum
	{
		LOOKUP_PRODUCT_ID = 1,
		LOOKUP_WAREHOUSE_1,
		LOOKUP_WAREHOUSE_2
	};
	Datum		v[3];
	char		nulls[3] = {' ', ' ', ' '};
	bool		isnull;

	v[0] = om_text_datum(sku);
	v[1] = om_text_datum(wh1);
	if (wh2)
		v[2] = om_text_datum(wh2);
	else
		nulls[2] = 'n';
	om_exec(&lookup, v, nulls, true, 1);
	*product_id = DatumGetInt64(om_getdatum(0, LOOKUP_PRODUCT_ID, &isnull));
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("unknown product \"%s\"", sku)));
	*wh1_id = DatumGetInt64(om_getdatum(0, LOOKUP_WAREHOUSE_1, &isnull));
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("unknown warehouse \"%s\"", wh1)));
	if (wh2)
	{
		*wh2_id = DatumGetInt64(om_getdatum(0, LOOKUP_WAREHOUSE_2, &isnull));
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_OM_UNKNOWN),
					 errmsg("unknown warehouse \"%s\"", wh2)));
	}
}

/*
 * transfer_stock: qty units of sku from one warehouse to another, from
 * what is available there; returns the move into the receiving warehouse.
 */
int64
om_transfer_stock(const char *sku, const char *from, const char *to, Numeric qty, const char *reference)
{
	static OmPlan lock_rows = OM_PLAN(
		"SELECT warehouse_id, on_hand, reserved, avg_cost FROM ordermgmt.stock "
		" WHERE product_id = $1 AND warehouse_id IN ($2, $3) "
		" ORDER BY warehouse_id FOR NO KEY UPDATE",
		INT8OID, INT8OID, INT8OID);
	/* Result columns of lock_rows. */
	enum
	{
		LOCKED_WAREHOUSE_ID = 1,
		LOCKED_ON_HAND,
		LOCKED_RESERVED,
		LOCKED_AVG_COST
	};
	static OmPlan take_out = OM_PLAN(
		"UPDATE ordermgmt.stock SET on_hand = on_hand - $3 WHERE product_id = $1 AND warehouse_id = $2",
		INT8OID, INT8OID, NUMERICOID);
	/* Moving-average cost at the receiving end, as a receipt's. */
	static OmPlan put_in = OM_PLAN(
		"INSERT INTO ordermgmt.stock AS s (product_id, warehouse_id, on_hand, avg_cost) "
		"VALUES ($1, $2, $3, $4) "
		"ON CONFLICT (product_id, warehouse_id) DO UPDATE "
		"   SET avg_cost = round((s.on_hand * s.avg_cost + EXCLUDED.on_hand * EXCLUDED.avg_cost) "
		"                        / (s.on_hand + EXCLUDED.on_hand), 4), "
		"       on_hand = s.on_hand + EXCLUDED.on_hand",
		INT8OID, INT8OID, NUMERICOID, NUMERICOID);
	static OmPlan insert_move = OM_PLAN(
		"INSERT INTO ordermgmt.stock_moves (product_id, warehouse_id, qty, unit_cost, kind, moved_by, note, "
		"                                   paired_move_id) "
		"VALUES ($1, $2, $3, $4, 'transfer', $5, $6, $7) RETURNING move_id",
		INT8OID, INT8OID, NUMERICOID, NUMERICOID, TEXTOID, TEXTOID, INT8OID);
	int64		product_id;
	int64		from_id;
	int64		to_id;
	int64		out_move;
	int64		in_move;
	Numeric		available = NULL;
	Numeric		cost = NULL;
	Numeric		to_on_hand = int64_to_numeric(0);
	Datum		v[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', 'n'};
	Datum		pid;
	Datum		waiting;
	int			nwaiting;
	int			n;
	int			i;

	SPI_connect();
	lookup_ids(sku, from, to, &product_id, &from_id, &to_id);
	if (from_id == to_id)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot transfer stock of \"%s\" from warehouse \"%s\" to itself", sku, from)));
	/* The orders waiting for it at the receiving end, before the stock rows (backorders.c). */
	pid = Int64GetDatum(product_id);
	waiting = om_backorders_lock(to_id, &pid, 1, true, &nwaiting);

	v[0] = Int64GetDatum(product_id);
	v[1] = Int64GetDatum(from_id);
	v[2] = Int64GetDatum(to_id);
	n = om_exec(&lock_rows, v, NULL, false, 0);
	for (i = 0; i < n; i++)
	{
		bool		isnull;
		Numeric		on_hand = DatumGetNumericCopy(om_getdatum(i, LOCKED_ON_HAND, &isnull));

		if (om_getint64(i, LOCKED_WAREHOUSE_ID) == from_id)
		{
			available = om_numeric_sub(on_hand,
									   DatumGetNumeric(om_getdatum(i, LOCKED_RESERVED, &isnull)));
			cost = DatumGetNumericCopy(om_getdatum(i, LOCKED_AVG_COST, &isnull));
		}
		else
			to_on_hand = on_hand;
	}
	if (available == NULL || om_numeric_cmp(available, qty) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_STOCK),
				 errmsg("cannot transfer %s of \"%s\" from warehouse \"%s\": %s available",
						om_numeric_out(qty), sku, from,
						available ? om_numeric_out(available) : "0"),
				 errdetail("Only stock on hand and not reserved moves; reservations stay where they are.")));
	(void) om_check_quantity(om_numeric_add(to_on_hand, qty), "on-hand stock after the transfer", false);

	v[2] = NumericGetDatum(qty);
	om_exec(&take_out, v, NULL, false, 0);
	v[1] = Int64GetDatum(to_id);
	v[3] = NumericGetDatum(cost);
	om_exec(&put_in, v, NULL, false, 0);

	/* The move out, then the move in naming it. */
	v[1] = Int64GetDatum(from_id);
	v[2] = NumericGetDatum(om_numeric_sub(int64_to_numeric(0), qty));
	v[3] = NumericGetDatum(cost);
	v[4] = om_text_datum(om_session_user());
	if (reference)
		v[5] = om_text_datum(reference);
	else
		nulls[5] = 'n';
	om_exec(&insert_move, v, nulls, false, 1);
	out_move = om_getint64(0, 1);
	v[1] = Int64GetDatum(to_id);
	v[2] = NumericGetDatum(qty);
	v[6] = Int64GetDatum(out_move);
	nulls[6] = ' ';
	om_exec(&insert_move, v, nulls, false, 1);
	in_move = om_getint64(0, 1);

	/* What arrived fills the receiving end's backorders first. */
	om_backorders_fill_all(to_id, &pid, 1, waiting, nwaiting);
	/* Low stock may now be raised at one end and resolved at the other. */
	om_low_stock_check(from_id, &pid, 1);
	om_low_stock_check(to_id, &pid, 1);
	SPI_finish();
	return in_move;
}

/*
 * count_stock: counted units of sku are on hand in warehouse.  The
 * difference becomes a count move and a posting at the average cost;
 * returns the move, 0 when the count agrees with the stock.
 */
int64
om_count_stock(const char *sku, const char *warehouse, Numeric counted, const char *reason)
{
	static OmPlan lock_row = OM_PLAN(
		"SELECT s.on_hand, s.reserved, s.avg_cost "
		"  FROM ordermgmt.stock s WHERE s.product_id = $1 AND s.warehouse_id = $2 FOR NO KEY UPDATE",
		INT8OID, INT8OID);
	/* Result columns of lock_row. */
	enum
	{
		LOCKED_ON_HAND = 1,
		LOCKED_RESERVED,
		LOCKED_AVG_COST
	};
	/* A product never stocked here: its row, at the product's cost. */
	static OmPlan new_row = OM_PLAN(
		"INSERT INTO ordermgmt.stock (product_id, warehouse_id, on_hand, avg_cost) "
		"SELECT $1, $2, 0, coalesce(p.unit_cost, 0) FROM ordermgmt.products p WHERE p.product_id = $1 "
		"ON CONFLICT (product_id, warehouse_id) DO NOTHING",
		INT8OID, INT8OID);
	static OmPlan set_on_hand = OM_PLAN(
		"UPDATE ordermgmt.stock SET on_hand = $3 WHERE product_id = $1 AND warehouse_id = $2",
		INT8OID, INT8OID, NUMERICOID);
	static OmPlan insert_move = OM_PLAN(
		"INSERT INTO ordermgmt.stock_moves (product_id, warehouse_id, qty, unit_cost, kind, moved_by, note) "
		"VALUES ($1, $2, $3, $4, 'count', $5, $6) RETURNING move_id, round(abs($3) * $4, 2)",
		INT8OID, INT8OID, NUMERICOID, NUMERICOID, TEXTOID, TEXTOID);
	/* Result columns of insert_move. */
	enum
	{
		MOVE_ID = 1,
		MOVE_VALUE
	};
	int64		product_id;
	int64		warehouse_id;
	int64		unused;
	int64		move_id;
	Numeric		on_hand;
	Numeric		reserved;
	Numeric		cost;
	Numeric		diff;
	Numeric		value;
	Datum		v[6];
	bool		isnull;
	Datum		pid;
	Datum		waiting;
	int			nwaiting;

	SPI_connect();
	lookup_ids(sku, warehouse, NULL, &product_id, &warehouse_id, &unused);
	/* A count that finds more fills backorders: their orders before the stock row. */
	pid = Int64GetDatum(product_id);
	waiting = om_backorders_lock(warehouse_id, &pid, 1, true, &nwaiting);
	v[0] = Int64GetDatum(product_id);
	v[1] = Int64GetDatum(warehouse_id);
	if (om_exec(&lock_row, v, NULL, false, 1) == 0)
	{
		om_exec(&new_row, v, NULL, false, 0);
		om_exec(&lock_row, v, NULL, false, 1);
	}
	on_hand = DatumGetNumericCopy(om_getdatum(0, LOCKED_ON_HAND, &isnull));
	reserved = DatumGetNumericCopy(om_getdatum(0, LOCKED_RESERVED, &isnull));
	cost = DatumGetNumericCopy(om_getdatum(0, LOCKED_AVG_COST, &isnull));
	if (om_numeric_cmp(counted, reserved) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_STOCK),
				 errmsg("cannot count %s of \"%s\" in warehouse \"%s\": %s are reserved",
						om_numeric_out(counted), sku, warehouse, om_numeric_out(reserved)),
				 errdetail("Reserved stock belongs to confirmed orders; cancel or ship them first."),
				 errhint("If the stock is really gone, hold or cancel the orders that reserve it, then count again.")));
	diff = om_numeric_sub(counted, on_hand);
	if (om_numeric_cmp(diff, int64_to_numeric(0)) == 0)
	{
		SPI_finish();
		return 0;
	}

	v[2] = NumericGetDatum(counted);
	om_exec(&set_on_hand, v, NULL, false, 0);
	v[2] = NumericGetDatum(diff);
	v[3] = NumericGetDatum(cost);
	v[4] = om_text_datum(om_session_user());
	v[5] = om_text_datum(reason);
	om_exec(&insert_move, v, NULL, false, 1);
	move_id = om_getint64(0, MOVE_ID);
	value = DatumGetNumericCopy(om_getdatum(0, MOVE_VALUE, &isnull));

	{
		bool		more = om_numeric_cmp(diff, int64_to_numeric(0)) > 0;
		const char *roles[2] = {"inventory", "adjustments"};
		Numeric		debits[2] = {more ? value : NULL, more ? NULL : value};
		Numeric		credits[2] = {more ? NULL : value, more ? value : NULL};

		om_post("count", "count", move_id,
				psprintf("count of %s in %s: %s (%s)", sku, warehouse, om_numeric_out(counted), reason),
				om_company_currency(), 2, roles, debits, credits);
	}
	if (om_numeric_positive(diff))
		om_backorders_fill_all(warehouse_id, &pid, 1, waiting, nwaiting);
	om_low_stock_check(warehouse_id, &pid, 1);
	SPI_finish();
	return move_id;
}
