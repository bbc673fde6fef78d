/*
 * batch_locks.c
 *		What a batch (create_orders, ship_orders, invoice_orders,
 *		record_payments) locks before its first item.
 *
 * The extension's global lock order is:
 *	1. the document rows an operation acts on: orders, then invoices, each
 *	   by id (om_load_order, om_confirm, billing.c, returns.c);
 *	2. customer rows, by id (the credit check in level1.c);
 *	3. stock rows, by (product_id, warehouse_id) (om_lock_stock, stock.c);
 *	4. a customer's credit-exposure row, changed only while its customer's
 *	   row is locked, so never locked on its own.
 * A single call takes its locks in that order and keeps them to the end of
 * its transaction, so two calls cannot deadlock.  A batch runs many items
 * in one transaction: item 1 would lock customer 7 and stock row 3, item 2
 * customer 2 and stock row 1, and the batch as a whole would hold stock
 * row 3 while waiting for customer 2 -- out of order, against a single
 * call that holds customer 2 and waits for stock row 3.  So before its first
 * item a batch locks, in the global order and in its top-level transaction
 * (a lock taken in an item's subtransaction would go with that item's
 * rollback), every row its items will lock; the items then only lock rows
 * the batch already holds, and rows nobody else can reach (the documents
 * they create).  The batch takes the same lock mode as the single path
 * (FOR NO KEY UPDATE everywhere: the no-op UPDATE of the credit check takes
 * that mode too), on a superset of the rows the items will lock: a row
 * locked and not needed costs only waiting, never a deadlock, as long as
 * the order holds.
 *
 * What each single path really locks, and what the batch therefore takes:
 *	create_order   when the order is submitted and auto-confirmed, the
 *				   customer (level-1 checks: a no-op UPDATE when the credit
 *				   check applies, else om_lock_customer), then the stock
 *				   rows of the order's products in its warehouse; then only
 *				   the order it inserts (and, on hold, locks again).
 *				   Batch: the customers named, then those stock rows.
 *	ship_order	   the order, then the stock rows of its reserved lines
 *				   (shipping keeps the order open: its exposure, and so its
 *				   customer, is not touched).  Batch: the orders, then the
 *				   stock rows of their reservations.
 *	invoice_order  the order, then its customer (the exposure moves from
 *				   open orders to receivables).  Batch: the orders, then
 *				   their customers.
 *	record_payment the invoice's order, then the invoice, then the
 *				   customer.  Batch: the orders, then the invoices, then
 *				   their customers.  The orders come first because the
 *				   single path locks them first: a batch locking an invoice
 *				   and then its order would deadlock with record_payment.
 * Rows that do not exist are not locked: their items fail (unknown SKU,
 * order or invoice).  A stock row created by another transaction while the
 * batch runs (a first receipt of a product into a warehouse) is the one
 * row an item can lock outside the pre-locked set; a deadlock there is
 * detected by the server and fails one item or the other transaction.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"

/*
 * Run each of the locking statements, in the order given, over one array
 * of ids: the steps of the global lock order one pre-lock takes.
 */
static void
lock_by_ids(OmPlan *const *steps, int nsteps, const int64 *ids, int n)
{
	Datum		v[1];
	Datum	   *elems;
	int			i;

	if (n == 0)
		return;
	elems = palloc(n * sizeof(Datum));
	for (i = 0; i < n; i++)
		elems[i] = Int64GetDatum(ids[i]);
	SPI_connect();
	v[0] = om_array(elems, n, INT8OID);
	for (i = 0; i < nsteps; i++)
		om_exec(steps[i], v, NULL, false, 0);
	SPI_finish();
}

/* create_orders: the customers named, then the stock rows the orders draw on. */
void
om_lock_for_order_entry(const char **customers, int ncustomers,
						const char **skus, const char **warehouses, int nlines)
{
	static OmPlan lock_customers = OM_PLAN(
		"SELECT 1 FROM ordermgmt.customers WHERE code = ANY ($1::text[]) "
		" ORDER BY customer_id FOR NO KEY UPDATE",
		TEXTARRAYOID);

	/*
	 * Each line's warehouse as om_create_order finds it: the order's
	 * options.warehouse ('' here when it names none), else (setting
	 * sourcing split) every warehouse, else the setting default_warehouse,
	 * else the only warehouse there is.  Every lookup is an index probe
	 * (products by sku, stock by product and warehouse), and the stock rows
	 * are locked one by one in the global order, as om_lock_stock locks
	 * them: the call costs what its items name, whatever the size of the
	 * catalogue or of the stock table.
	 */
	static OmPlan lock_stock = OM_PLAN(
		"WITH s AS (SELECT max(value) FILTER (WHERE key = 'default_warehouse') AS dw, "
		"                  max(value) FILTER (WHERE key = 'sourcing') IS NOT DISTINCT FROM 'split' AS split "
		"             FROM ordermgmt.settings), "
		"u AS (SELECT DISTINCT x.sku, coalesce(nullif(x.warehouse, ''), s.dw) AS code, "
		"             x.warehouse = '' AND s.split AS split "
		"        FROM unnest($1::text[], $2::text[]) AS x(sku, warehouse), s), "
		"want AS (SELECT p.product_id, "
		"                CASE WHEN u.split THEN NULL "
		"                     WHEN u.code IS NOT NULL "
		"                     THEN (SELECT w.warehouse_id FROM ordermgmt.warehouses w WHERE w.code = u.code) "
		"                     ELSE (SELECT min(w.warehouse_id) FROM ordermgmt.warehouses w "
		"                           HAVING count(*) = 1) END AS warehouse_id, u.split "
		"           FROM u CROSS JOIN LATERAL (SELECT product_id FROM ordermgmt.products "
		"                                       WHERE sku = u.sku LIMIT 1) p), "
		"pairs AS (SELECT product_id, warehouse_id FROM want WHERE NOT split AND warehouse_id IS NOT NULL "
		"          UNION "
		"          SELECT want.product_id, w.warehouse_id FROM want, ordermgmt.warehouses w WHERE want.split) "
		"SELECT 1 FROM (SELECT product_id, warehouse_id FROM pairs ORDER BY product_id, warehouse_id) x "
		" CROSS JOIN LATERAL (SELECT 1 FROM ordermgmt.stock st "
		"                      WHERE st.product_id = x.product_id AND st.warehouse_id = x.warehouse_id "
		"                      FOR NO KEY UPDATE) st",
		TEXTARRAYOID, TEXTARRAYOID);
	Datum		v[2];

	SPI_connect();
	if (ncustomers > 0)
	{
		v[0] = om_cstring_array(customers, ncustomers);
		om_exec(&lock_customers, v, NULL, false, 0);
	}
	if (nlines > 0)
	{
		v[0] = om_cstring_array(skus, nlines);
		v[1] = om_cstring_array(warehouses, nlines);
		om_exec(&lock_stock, v, NULL, false, 0);
	}
	SPI_finish();
}

/* ship_orders: the orders, then the stock rows their reservations hold. */
void
om_lock_for_shipping(const int64 *order_ids, int n)
{
	static OmPlan lock_orders = OM_PLAN(
		"SELECT 1 FROM ordermgmt.orders WHERE order_id = ANY ($1::bigint[]) "
		" ORDER BY order_id FOR NO KEY UPDATE",
		INT8ARRAYOID);
	/* What ship_order can take: reserved quantities, in the order's warehouse. */
	static OmPlan lock_stock = OM_PLAN(
		"SELECT 1 FROM ordermgmt.stock s "
		" WHERE (s.product_id, s.warehouse_id) IN "
		"       (SELECT r.product_id, r.warehouse_id FROM ordermgmt.reservations r "
		"         WHERE r.order_id = ANY ($1::bigint[])) "
		" ORDER BY s.product_id, s.warehouse_id FOR NO KEY UPDATE OF s",
		INT8ARRAYOID);
	OmPlan	   *const steps[] = {&lock_orders, &lock_stock};

	lock_by_ids(steps, lengthof(steps), order_ids, n);
}

/* invoice_orders: the orders, then their customers. */
void
om_lock_for_invoicing(const int64 *order_ids, int n)
{
	static OmPlan lock_orders = OM_PLAN(
		"SELECT 1 FROM ordermgmt.orders WHERE order_id = ANY ($1::bigint[]) "
		" ORDER BY order_id FOR NO KEY UPDATE",
		INT8ARRAYOID);
	static OmPlan lock_customers = OM_PLAN(
		"SELECT 1 FROM ordermgmt.customers c "
		" WHERE c.customer_id IN (SELECT o.customer_id FROM ordermgmt.orders o "
		"                          WHERE o.order_id = ANY ($1::bigint[])) "
		" ORDER BY c.customer_id FOR NO KEY UPDATE OF c",
		INT8ARRAYOID);
	OmPlan	   *const steps[] = {&lock_orders, &lock_customers};

	lock_by_ids(steps, lengthof(steps), order_ids, n);
}

/* record_payments: the invoices' orders, then the invoices, then their customers. */
void
om_lock_for_payments(const int64 *invoice_ids, int n)
{
	static OmPlan lock_orders = OM_PLAN(
		"SELECT 1 FROM ordermgmt.orders o "
		" WHERE o.order_id IN (SELECT i.order_id FROM ordermgmt.invoices i "
		"                       WHERE i.invoice_id = ANY ($1::bigint[])) "
		" ORDER BY o.order_id FOR NO KEY UPDATE OF o",
		INT8ARRAYOID);
	static OmPlan lock_invoices = OM_PLAN(
		"SELECT 1 FROM ordermgmt.invoices WHERE invoice_id = ANY ($1::bigint[]) "
		" ORDER BY invoice_id FOR NO KEY UPDATE",
		INT8ARRAYOID);
	static OmPlan lock_customers = OM_PLAN(
		"SELECT 1 FROM ordermgmt.customers c "
		" WHERE c.customer_id IN (SELECT i.customer_id FROM ordermgmt.invoices i "
		"                          WHERE i.invoice_id = ANY ($1::bigint[])) "
		" ORDER BY c.customer_id FOR NO KEY UPDATE OF c",
		INT8ARRAYOID);
	OmPlan	   *const steps[] = {&lock_orders, &lock_invoices, &lock_customers};

	lock_by_ids(steps, lengthof(steps), invoice_ids, n);
}
