/*
 * fulfilment.c
 *		Shipping and delivery.
 *
 * ship_order consumes reservations: on-hand and reserved fall together
 * through a shipment stock move, and cost of goods sold is posted at the
 * moving-average cost of the product in the warehouse it leaves (the
 * order's; a split order's, one shipment per warehouse, sourcing.c).
 * Lock order: the order row, then stock rows by (product_id, warehouse_id).
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

/*
 * One shipment from one warehouse: the given lines (qtys per line, needs
 * per product) leave it; stock rows are locked in product order (a split
 * order's rows of every warehouse it ships from are locked already).
 * Cost of goods at the warehouse's moving-average cost.  Returns the
 * shipment id.
 */
static int64
ship_from(int64 order_id, int64 warehouse_id, int nship, Datum *s_lines, Datum *s_products, Datum *s_qtys,
		  OmStockNeed *needs, int nneeds, const char *carrier, const char *tracking)
{
	/* A TID scan whatever the array's size: planned once, like the rest. */
	static OmPlan take_stock = OM_PLAN_TID(
		"UPDATE ordermgmt.stock "
		"   SET on_hand = on_hand - ($2::numeric[])[array_position($1::tid[], ctid)], "
		"       reserved = reserved - ($2::numeric[])[array_position($1::tid[], ctid)] "
		" WHERE ctid = ANY ($1::tid[])",
		TIDARRAYOID, NUMERICARRAYOID);
	static OmPlan insert_shipment = OM_PLAN(
		"INSERT INTO ordermgmt.shipments (order_id, warehouse_id, carrier, tracking, shipped_by) "
		"VALUES ($1, $2, $3, $4, $5) RETURNING shipment_id",
		INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID);
	/* Result column of insert_shipment. */
	enum
	{
		INSERT_SHIPMENT_ID = 1
	};
	static OmPlan record_lines = OM_PLAN(
		"WITH v AS (SELECT u.l, u.p, u.q, s.avg_cost "
		"             FROM unnest($3::int[], $4::bigint[], $5::numeric[]) AS u(l, p, q) "
		"            CROSS JOIN LATERAL (SELECT avg_cost FROM ordermgmt.stock "
		"                                 WHERE product_id = u.p AND warehouse_id = $6 LIMIT 1) s), "
		"sl AS (INSERT INTO ordermgmt.shipment_lines (shipment_id, order_id, line_no, qty, unit_cost) "
		"       SELECT $1, $2, v.l, v.q, v.avg_cost FROM v), "
		"mv AS (INSERT INTO ordermgmt.stock_moves "
		"         (product_id, warehouse_id, qty, unit_cost, kind, order_id, moved_by) "
		"       SELECT v.p, $6, -v.q, v.avg_cost, 'shipment', $2, $7 FROM v), "
		"rs AS (UPDATE ordermgmt.reservations r SET qty = r.qty - v.q FROM v "
		"        WHERE r.order_id = $2 AND r.line_no = v.l AND r.warehouse_id = $6), "
		"ol AS (UPDATE ordermgmt.order_lines l "
		"          SET shipped_qty = l.shipped_qty + v.q, reserved_qty = l.reserved_qty - v.q FROM v "
		"        WHERE l.order_id = $2 AND l.line_no = v.l) "
		"SELECT coalesce(sum(round(v.q * v.avg_cost, 2)), 0) FROM v",
		INT8OID, INT8OID, INT4ARRAYOID, INT8ARRAYOID, NUMERICARRAYOID, INT8OID, TEXTOID);
	/* Result column of record_lines. */
	enum
	{
		RECORD_LINES_COST = 1
	};
	Datum	   *n_qtys;
	int64		shipment_id;
	Numeric		cost;
	bool		isnull;
	Datum		v[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	int			i;

	/* Lock stock rows in product order, then take on-hand and reserved together. */
	qsort(needs, nneeds, sizeof(OmStockNeed), om_compare_need);
	om_lock_stock(warehouse_id, needs, nneeds);
	n_qtys = palloc(nneeds * sizeof(Datum));
	for (i = 0; i < nneeds; i++)
	{
		n_qtys[i] = NumericGetDatum(needs[i].qty);
	}
	v[0] = om_stock_tids(needs, nneeds);
	v[1] = om_array(n_qtys, nneeds, NUMERICOID);
	om_exec(&take_stock, v, NULL, false, 0);

	v[0] = Int64GetDatum(order_id);
	v[1] = Int64GetDatum(warehouse_id);
	if (carrier)
		v[2] = om_text_datum(carrier);
	else
		nulls[2] = 'n';
	if (tracking)
		v[3] = om_text_datum(tracking);
	else
		nulls[3] = 'n';
	v[4] = om_text_datum(om_session_user());
	om_exec(&insert_shipment, v, nulls, false, 1);
	shipment_id = om_getint64(0, INSERT_SHIPMENT_ID);

	v[0] = Int64GetDatum(shipment_id);
	v[1] = Int64GetDatum(order_id);
	v[2] = om_array(s_lines, nship, INT4OID);
	v[3] = om_array(s_products, nship, INT8OID);
	v[4] = om_array(s_qtys, nship, NUMERICOID);
	v[5] = Int64GetDatum(warehouse_id);
	v[6] = om_text_datum(om_session_user());
	OM_API_BEGIN();
	om_exec(&record_lines, v, NULL, false, 0);
	OM_API_END();
	cost = DatumGetNumericCopy(om_getdatum(0, RECORD_LINES_COST, &isnull));

	{
		const char *roles[2] = {"cogs", "inventory"};
		Numeric		debits[2] = {cost, NULL};
		Numeric		credits[2] = {NULL, cost};

		om_post("shipment", "shipment", shipment_id,
				psprintf("shipment " INT64_FORMAT " of order " INT64_FORMAT, shipment_id, order_id),
				om_company_currency(), 2, roles, debits, credits);
	}
	om_emit_event("shipment.created", order_id,
				  psprintf("{\"shipment_id\": " INT64_FORMAT ", \"carrier\": %s, \"tracking\": %s}",
						   shipment_id, carrier ? om_json_quote(carrier) : "null",
						   tracking ? om_json_quote(tracking) : "null"));
	return shipment_id;
}

/*
 * A split order ships what each line takes from the warehouses holding its
 * reservations, in priority order: one shipment per warehouse.  Every
 * stock row involved is locked first, in the global order.  Returns the
 * first shipment's id.
 */
static int64
ship_split(int64 order_id, int nlines, const int32 *line_nos, const int64 *product_ids, Numeric *take,
		   const char *carrier, const char *tracking)
{
	static OmPlan select_reservations = OM_PLAN(
		"SELECT r.line_no, r.warehouse_id, r.qty "
		"  FROM ordermgmt.reservations r JOIN ordermgmt.warehouses w ON w.warehouse_id = r.warehouse_id "
		" WHERE r.order_id = $1 AND r.qty > 0 "
		" ORDER BY w.priority, w.code, r.line_no",
		INT8OID);
	/* Result columns of select_reservations. */
	enum
	{
		RESERVATION_LINE_NO = 1,
		RESERVATION_WAREHOUSE_ID,
		RESERVATION_QTY
	};
	Numeric    *left = palloc(Max(nlines, 1) * sizeof(Numeric));
	int32	   *r_lines;
	int64	   *r_warehouses;
	int64	   *r_products;
	Numeric    *r_qtys;
	Datum	   *lock_p;
	Datum	   *lock_w;
	int			nr;
	int			nlock = 0;
	int			i;
	int			j;
	int64		first = 0;
	Datum		v[1];
	bool		isnull;

	memcpy(left, take, nlines * sizeof(Numeric));
	v[0] = Int64GetDatum(order_id);
	nr = om_exec(&select_reservations, v, NULL, false, 0);
	r_lines = palloc(Max(nr, 1) * sizeof(int32));
	r_warehouses = palloc(Max(nr, 1) * sizeof(int64));
	r_products = palloc(Max(nr, 1) * sizeof(int64));
	r_qtys = palloc(Max(nr, 1) * sizeof(Numeric));
	lock_p = palloc(Max(nr, 1) * sizeof(Datum));
	lock_w = palloc(Max(nr, 1) * sizeof(Datum));
	/* What each reservation gives: the line's take, warehouse by warehouse. */
	for (i = 0; i < nr; i++)
	{
		Numeric		held = DatumGetNumericCopy(om_getdatum(i, RESERVATION_QTY, &isnull));

		r_lines[i] = DatumGetInt32(om_getdatum(i, RESERVATION_LINE_NO, &isnull));
		r_warehouses[i] = om_getint64(i, RESERVATION_WAREHOUSE_ID);
		r_qtys[i] = int64_to_numeric(0);
		r_products[i] = 0;
		for (j = 0; j < nlines && line_nos[j] != r_lines[i]; j++)
			;
		if (j == nlines || !om_numeric_positive(left[j]))
			continue;
		r_products[i] = product_ids[j];
		r_qtys[i] = om_numeric_cmp(held, left[j]) < 0 ? held : left[j];
		left[j] = om_numeric_sub(left[j], r_qtys[i]);
		lock_p[nlock] = Int64GetDatum(r_products[i]);
		lock_w[nlock] = Int64GetDatum(r_warehouses[i]);
		nlock++;
	}
	om_lock_stock_pairs(lock_p, lock_w, nlock);

	/* One shipment per warehouse, in priority order (rows of one warehouse are together). */
	for (i = 0; i < nr; i++)
	{
		int64		warehouse_id = r_warehouses[i];
		int32	   *w_lines = palloc(nr * sizeof(int32));
		int64	   *w_products = palloc(nr * sizeof(int64));
		Numeric    *w_take = palloc(nr * sizeof(Numeric));
		Datum	   *s_lines;
		Datum	   *s_products;
		Datum	   *s_qtys;
		OmStockNeed *needs;
		int			nneeds;
		int			nw = 0;
		int			nship;
		int64		shipment_id;

		CHECK_FOR_INTERRUPTS();
		if (i > 0 && r_warehouses[i - 1] == warehouse_id)
			continue;
		for (j = i; j < nr && r_warehouses[j] == warehouse_id; j++)
		{
			w_lines[nw] = r_lines[j];
			w_products[nw] = r_products[j];
			w_take[nw] = r_qtys[j];
			nw++;
		}
		nship = om_collect_takes(nw, w_lines, w_products, w_take, &s_lines, &s_products, &s_qtys,
								 &needs, &nneeds);
		if (nship == 0)
			continue;
		shipment_id = ship_from(order_id, warehouse_id, nship, s_lines, s_products, s_qtys, needs, nneeds,
								carrier, tracking);
		if (first == 0)
			first = shipment_id;
	}
	return first;
}

/*
 * Ship what request names ([{"sku", "qty"}], NULL: everything still
 * reserved) of an order; returns the shipment id (a split order's first:
 * it writes one per warehouse it ships from).
 */
int64
om_ship_order(int64 order_id, Jsonb *request, const char *carrier, const char *tracking)
{
	/* What each line holds, in every warehouse together. */
	static OmPlan select_lines = OM_PLAN(
		"SELECT l.line_no, l.product_id, p.sku, "
		"       coalesce((SELECT sum(r.qty) FROM ordermgmt.reservations r "
		"                  WHERE r.order_id = l.order_id AND r.line_no = l.line_no), 0) "
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
		LINE_RESERVED
	};
	static OmPlan after_shipping = OM_PLAN(
		"WITH gone AS (DELETE FROM ordermgmt.reservations WHERE order_id = $1 AND qty = 0) "
		"SELECT bool_and(shipped_qty = qty) FROM ordermgmt.order_lines WHERE order_id = $1",
		INT8OID);
	/* Result column of after_shipping. */
	enum
	{
		AFTER_SHIPPING_ALL_SHIPPED = 1
	};
	char	   *status;
	int			nlines;
	int			i;
	char	  **skus;
	Numeric    *reserved;
	Numeric    *take;
	int32	   *line_nos;
	int64	   *product_ids;
	Datum	   *s_lines;
	Datum	   *s_products;
	Datum	   *s_qtys;
	int			nship = 0;
	OmStockNeed *needs;
	int			nneeds = 0;
	int64		shipment_id;
	bool		isnull;
	Datum		v[1];
	OmOrder		order;
	bool		all_shipped;

	SPI_connect();
	om_load_order(order_id, &order);
	status = order.status;
	v[0] = Int64GetDatum(order_id);
	om_require_transition(order_id, status, "shipped", "ship");

	nlines = om_exec(&select_lines, v, NULL, false, 0);
	skus = palloc(nlines * sizeof(char *));
	reserved = palloc(nlines * sizeof(Numeric));
	take = palloc(nlines * sizeof(Numeric));
	line_nos = palloc(nlines * sizeof(int32));
	product_ids = palloc(nlines * sizeof(int64));
	for (i = 0; i < nlines; i++)
	{
		line_nos[i] = DatumGetInt32(om_getdatum(i, LINE_NO, &isnull));
		product_ids[i] = om_getint64(i, LINE_PRODUCT_ID);
		skus[i] = om_gettext(i, LINE_SKU);
		reserved[i] = DatumGetNumericCopy(om_getdatum(i, LINE_RESERVED, &isnull));
	}

	/* NULL lines: everything still reserved. */
	if (request == NULL)
		memcpy(take, reserved, nlines * sizeof(Numeric));
	else
		om_allocate_by_sku(request, "ship", nlines, skus, reserved, take);

	nship = om_collect_takes(nlines, line_nos, product_ids, take, &s_lines, &s_products, &s_qtys,
						   &needs, &nneeds);
	if (nship == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_STOCK),
				 errmsg("order " INT64_FORMAT " has nothing reserved left to ship", order_id)));

	if (order.split)
		shipment_id = ship_split(order_id, nlines, line_nos, product_ids, take, carrier, tracking);
	else
		shipment_id = ship_from(order_id, order.warehouse_id, nship, s_lines, s_products, s_qtys,
								needs, nneeds, carrier, tracking);

	v[0] = Int64GetDatum(order_id);
	om_exec(&after_shipping, v, NULL, false, 1);
	all_shipped = om_getbool(0, AFTER_SHIPPING_ALL_SHIPPED);
	if (all_shipped)
		om_set_status(order_id, "shipped", NULL);
	else if (strcmp(status, "partially_shipped") != 0)
		om_set_status(order_id, "partially_shipped", NULL);

	SPI_finish();
	return shipment_id;
}

/*
 * A shipment arrived: the order is delivered once it is fully shipped and
 * every shipment is delivered.
 */
void
om_confirm_delivery(int64 shipment_id, TimestampTz delivered_at)
{
	static OmPlan find_shipment = OM_PLAN(
		"SELECT order_id FROM ordermgmt.shipments WHERE shipment_id = $1",
		INT8OID);
	/* Result column of find_shipment. */
	enum
	{
		FIND_SHIPMENT_ORDER_ID = 1
	};
	static OmPlan lock_shipment = OM_PLAN(
		"SELECT delivered_at IS NOT NULL, shipped_at FROM ordermgmt.shipments "
		" WHERE shipment_id = $1 FOR UPDATE",
		INT8OID);
	/* Result columns of lock_shipment. */
	enum
	{
		LOCK_SHIPMENT_DELIVERED = 1,
		LOCK_SHIPMENT_SHIPPED_AT
	};
	static OmPlan mark_delivered = OM_PLAN(
		"UPDATE ordermgmt.shipments SET delivered_at = $2 WHERE shipment_id = $1",
		INT8OID, TIMESTAMPTZOID);
	static OmPlan order_delivered = OM_PLAN(
		"SELECT o.status = 'shipped' AND NOT EXISTS "
		"       (SELECT 1 FROM ordermgmt.shipments s WHERE s.order_id = o.order_id AND s.delivered_at IS NULL) "
		"  FROM ordermgmt.orders o WHERE o.order_id = $1",
		INT8OID);
	/* Result column of order_delivered. */
	enum
	{
		ORDER_DELIVERED_ALL_ARRIVED = 1
	};
	TimestampTz shipped_at;
	int64		order_id;
	bool		isnull;
	Datum		v[2];

	if (TIMESTAMP_NOT_FINITE(delivered_at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("delivered_at must be a finite timestamp")));

	SPI_connect();
	v[0] = Int64GetDatum(shipment_id);
	if (om_exec(&find_shipment, v, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("shipment " INT64_FORMAT " does not exist", shipment_id)));
	order_id = om_getint64(0, FIND_SHIPMENT_ORDER_ID);

	/* The order row first, as on every path, then the shipment. */
	(void) om_lock_order(order_id);
	om_exec(&lock_shipment, v, NULL, false, 1);
	if (om_getbool(0, LOCK_SHIPMENT_DELIVERED))
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("shipment " INT64_FORMAT " is already delivered", shipment_id)));
	shipped_at = DatumGetTimestampTz(om_getdatum(0, LOCK_SHIPMENT_SHIPPED_AT, &isnull));
	if (delivered_at < shipped_at)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("delivered_at is before the shipment left")));

	v[1] = TimestampTzGetDatum(delivered_at);
	om_exec(&mark_delivered, v, NULL, false, 0);
	om_emit_event("shipment.delivered", order_id,
				  psprintf("{\"shipment_id\": " INT64_FORMAT ", \"delivered_at\": %s}", shipment_id,
						   om_json_quote(timestamptz_to_str(delivered_at))));

	v[0] = Int64GetDatum(order_id);
	om_exec(&order_delivered, v, NULL, false, 1);
	if (om_getbool(0, ORDER_DELIVERED_ALL_ARRIVED))
	{
		om_set_status(order_id, "delivered", NULL);
		om_maybe_complete(order_id);
	}
	SPI_finish();
}

