/*
 * backorders.c
 *		Partial allocation: what a line could not reserve waits as a
 *		backorder (order_lines.backordered_qty), and stock that arrives fills
 *		the waiting lines first-in first-out before it becomes free.
 *
 * FIFO is by the order's promised_at (a promise made first is kept first,
 * orders without one after those with one), then order id, then line.
 * Only orders that may still ship wait: confirmed, processing and
 * partially_shipped (a held order keeps what it holds and waits for
 * nothing; a cancelled or short-closed one waits no more).
 *
 * Lock order (exposure.c): order rows before stock rows.  An arrival that
 * holds no order row yet (receive_stock, receive_purchase, transfer_stock,
 * count_stock) first locks the orders waiting for its products, by id,
 * waiting for them like any other path (om_backorders_lock, wait = true),
 * then its stock rows.  A path that already holds an order and stock rows
 * (a return's restock, a cancellation's release) cannot wait for another
 * order without risking a cycle: it takes only the waiting orders no one
 * else holds (SKIP LOCKED) and leaves the others to the next arrival.
 */
#include "domain/domain.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

/* The order statuses in which a backorder waits and is filled. */
#define OM_WAITING_STATUSES "('confirmed', 'processing', 'partially_shipped')"

/*
 * Lock the orders whose lines wait for one of the products in warehouse
 * (by id; SKIP LOCKED unless wait).  Returns their ids as a bigint[] for
 * om_backorders_fill; *n is how many.
 */
Datum
om_backorders_lock(int64 warehouse_id, Datum *product_ids, int nproducts, bool wait, int *n)
{
#define OM_WAITING_ORDERS \
		"SELECT o.order_id FROM ordermgmt.orders o " \
		" WHERE o.order_id IN (SELECT l.order_id FROM ordermgmt.order_lines l " \
		"                       WHERE l.product_id = ANY ($2) AND l.backordered_qty > 0) " \
		"   AND o.warehouse_id = $1 AND o.status IN " OM_WAITING_STATUSES \
		" ORDER BY o.order_id FOR NO KEY UPDATE OF o"
	static OmPlan lock_waiting = OM_PLAN(OM_WAITING_ORDERS, INT8OID, INT8ARRAYOID);
	static OmPlan lock_free_waiting = OM_PLAN(OM_WAITING_ORDERS " SKIP LOCKED", INT8OID, INT8ARRAYOID);
#undef OM_WAITING_ORDERS
	/* Result column of lock_waiting and lock_free_waiting. */
	enum
	{
		WAITING_ORDER_ID = 1
	};
	Datum		v[2];
	Datum	   *ids;
	int			i;

	*n = 0;
	if (nproducts == 0)
		return om_array(NULL, 0, INT8OID);
	v[0] = Int64GetDatum(warehouse_id);
	v[1] = om_array(product_ids, nproducts, INT8OID);
	*n = om_exec(wait ? &lock_waiting : &lock_free_waiting, v, NULL, false, 0);
	ids = palloc(Max(*n, 1) * sizeof(Datum));
	for (i = 0; i < *n; i++)
		ids[i] = Int64GetDatum(om_getint64(i, WAITING_ORDER_ID));
	return om_array(ids, *n, INT8OID);
}

/*
 * Run a statement that writes order lines' kept counters: order_lines_guard
 * lets the API through at any status.
 */
int
om_exec_on_lines(OmPlan *plan, Datum *v)
{
	volatile int n = 0;

	OM_API_BEGIN();
	n = om_exec(plan, v, NULL, false, 0);
	OM_API_END();
	return n;
}

/*
 * Fill the backorders of the locked orders (om_backorders_lock) from what
 * is available of product in warehouse, whose stock row the caller has
 * locked: first-in first-out, each line up to what it waits for.  Writes
 * the reservations, the lines' counters and the stock row's reserved in
 * one statement; then one order.backorder_filled event per order, and the
 * L2_BACKORDER_AGED deadline of an order that waits for nothing more is
 * cleared.  Returns how many lines were filled.
 */
int
om_backorders_fill(int64 warehouse_id, int64 product_id, Datum locked_orders, int nlocked)
{
	static OmPlan fill = OM_PLAN(
		"WITH avail AS (SELECT s.on_hand - s.reserved AS a FROM ordermgmt.stock s "
		"                WHERE s.product_id = $2 AND s.warehouse_id = $1), "
		"cand AS (SELECT l.order_id, l.line_no, l.backordered_qty AS b, o.promised_at "
		"           FROM ordermgmt.order_lines l JOIN ordermgmt.orders o ON o.order_id = l.order_id "
		"          WHERE l.order_id = ANY ($3) AND l.product_id = $2 AND l.backordered_qty > 0 "
		"            AND o.warehouse_id = $1 AND o.status IN " OM_WAITING_STATUSES "), "
		"fifo AS (SELECT c.*, sum(c.b) OVER (ORDER BY c.promised_at NULLS LAST, c.order_id, c.line_no) - c.b "
		"                     AS before "
		"           FROM cand c), "
		"give AS (SELECT f.order_id, f.line_no, least(f.b, (SELECT a FROM avail) - f.before) AS g "
		"           FROM fifo f WHERE f.before < (SELECT a FROM avail)), "
		"ol AS (UPDATE ordermgmt.order_lines l "
		"          SET reserved_qty = l.reserved_qty + g.g, backordered_qty = l.backordered_qty - g.g "
		"         FROM give g WHERE l.order_id = g.order_id AND l.line_no = g.line_no "
		"        RETURNING l.order_id, l.line_no, g.g, l.backordered_qty), "
		"rs AS (INSERT INTO ordermgmt.reservations AS r (order_id, line_no, product_id, warehouse_id, qty) "
		"       SELECT g.order_id, g.line_no, $2, $1, g.g FROM give g "
		"       ON CONFLICT (order_id, line_no, warehouse_id) DO UPDATE SET qty = r.qty + excluded.qty), "
		"st AS (UPDATE ordermgmt.stock s SET reserved = s.reserved + (SELECT sum(g.g) FROM give g) "
		"        WHERE s.product_id = $2 AND s.warehouse_id = $1 AND EXISTS (SELECT 1 FROM give)) "
		"SELECT ol.order_id, ol.line_no, trim_scale(ol.g)::text, trim_scale(ol.backordered_qty)::text FROM ol "
		" ORDER BY ol.order_id, ol.line_no",
		INT8OID, INT8OID, INT8ARRAYOID);
	/* Result columns of fill. */
	enum
	{
		FILL_ORDER_ID = 1,
		FILL_LINE_NO,
		FILL_QTY,
		FILL_STILL_BACKORDERED
	};
	static OmPlan still_waiting = OM_PLAN(
		"SELECT EXISTS (SELECT 1 FROM ordermgmt.order_lines WHERE order_id = $1 AND backordered_qty > 0)",
		INT8OID);
	Datum		v[3];
	int			n;
	int			i;
	int64	   *orders;
	char	  **payloads;
	int			norders = 0;
	StringInfoData lines;
	Datum		product[1];

	if (nlocked == 0)
		return 0;
	v[0] = Int64GetDatum(warehouse_id);
	v[1] = Int64GetDatum(product_id);
	v[2] = locked_orders;
	n = om_exec_on_lines(&fill, v);
	if (n == 0)
		return 0;

	/* Copied out: the events below run queries of their own. */
	orders = palloc(n * sizeof(int64));
	payloads = palloc(n * sizeof(char *));
	initStringInfo(&lines);
	for (i = 0; i < n; i++)
	{
		int64		order_id = om_getint64(i, FILL_ORDER_ID);
		bool		isnull;

		appendStringInfo(&lines, "%s{\"line_no\": %d, \"filled\": %s, \"backordered\": %s}",
						 lines.len ? ", " : "",
						 DatumGetInt32(om_getdatum(i, FILL_LINE_NO, &isnull)),
						 om_gettext(i, FILL_QTY), om_gettext(i, FILL_STILL_BACKORDERED));
		if (i == n - 1 || om_getint64(i + 1, FILL_ORDER_ID) != order_id)
		{
			orders[norders] = order_id;
			payloads[norders++] = psprintf("{\"lines\": [%s]}", lines.data);
			resetStringInfo(&lines);
		}
	}
	for (i = 0; i < norders; i++)
	{
		CHECK_FOR_INTERRUPTS();
		om_emit_event("order.backorder_filled", orders[i], payloads[i]);
		v[0] = Int64GetDatum(orders[i]);
		om_exec(&still_waiting, v, NULL, false, 1);
		if (!om_getbool(0, 1))
			om_deadline_clear("L2_BACKORDER_AGED", "order", orders[i], "backorder filled");
	}
	/* Reserving lowers what is available: the reorder point may be crossed. */
	product[0] = Int64GetDatum(product_id);
	om_low_stock_check(warehouse_id, product, 1);
	return n;
}

/*
 * Stock of products arrived in warehouse, their stock rows locked, and the
 * orders waiting for them locked before those (om_backorders_lock): fill
 * each product's backorders in turn.
 */
void
om_backorders_fill_all(int64 warehouse_id, Datum *product_ids, int nproducts, Datum locked_orders,
					   int nlocked)
{
	int			i;

	for (i = 0; i < nproducts && nlocked > 0; i++)
		om_backorders_fill(warehouse_id, DatumGetInt64(product_ids[i]), locked_orders, nlocked);
}

/*
 * Stock that became free in warehouse (a release, a restock) while the
 * caller holds order and stock rows: fill the backorders of the waiting
 * orders nobody else holds.
 */
void
om_backorders_fill_free(int64 warehouse_id, Datum *product_ids, int nproducts)
{
	int			nlocked;
	Datum		locked = om_backorders_lock(warehouse_id, product_ids, nproducts, false, &nlocked);

	om_backorders_fill_all(warehouse_id, product_ids, nproducts, locked, nlocked);
}

/*
 * An order confirmed with backorders (allocation partial): its event, and
 * the L2_BACKORDER_AGED deadline counting from now.  lines_json is the
 * JSON array's elements [{"line_no", "sku", "backordered"}].
 */
void
om_backorders_created(int64 order_id, const char *lines_json)
{
	om_emit_event("order.backorder_created", order_id, psprintf("{\"lines\": [%s]}", lines_json));
	om_deadline_set("L2_BACKORDER_AGED", "order", order_id, order_id, NULL,
					TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()));
}

/* An order that no longer waits (cancelled, short-closed): drop its backorders. */
void
om_backorders_drop(int64 order_id)
{
	static OmPlan drop = OM_PLAN(
		"UPDATE ordermgmt.order_lines SET backordered_qty = 0 WHERE order_id = $1 AND backordered_qty > 0",
		INT8OID);
	Datum		v[1];
	int			n;

	v[0] = Int64GetDatum(order_id);
	n = om_exec_on_lines(&drop, v);
	if (n > 0)
		om_deadline_clear("L2_BACKORDER_AGED", "order", order_id, "backorder released");
}
