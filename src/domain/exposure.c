/*
 * exposure.c
 *		Each customer's open credit exposure, kept per currency in
 *		ordermgmt.customer_exposure by the transactions that change it, so
 *		that the L1_CREDIT_LIMIT check reads one row whatever the customer's
 *		history.
 *
 * Definition, for one customer and currency (the recomputation that
 * verify() (summaries.customer_exposure) and the 0.6.0 backfill write out
 * in SQL):
 *
 *	open_orders = the sum, over the lines of the customer's orders in an
 *		open status (om_status_open), of
 *		((qty - returned_qty) - (invoiced_qty - credited_qty))
 *			* unit_price * (1 + order_lines.tax_rate),
 *		unrounded, so that the sum of the increments is exactly the sum
 *		recomputed;
 *	receivables = the sum of due over the customer's invoices.
 *
 * order_lines.tax_rate is the product's rate recorded as the order leaves
 * draft (lifecycle.c, create_order): a later change of the product's rate
 * moves neither an open order's value nor its exposure.  Invoices charge
 * the rate in force when they are issued; the receivable is what the
 * invoice says.  Credit left to the customer beyond its invoices
 * (credit_applications without an invoice) lowers no receivable.
 *
 * Who keeps it: the lifecycle trigger adds or removes an order's whole
 * value when its status enters or leaves the open set, whoever changes the
 * status (API, plain UPDATE, a transition an admin adds); create_order adds
 * an order it inserts confirmed, once its lines exist; invoice_order,
 * record_payment and return_items add the change of the counters and of
 * the invoices' due they make, computed by the statement that makes it;
 * amend_order and short_close (revision.c) the change of the lines.
 * Any new writer of those inputs (order_lines quantities, prices and
 * counters, invoices.paid and credited, orders.status) calls
 * om_exposure_add or om_exposure_order_moved in the same transaction;
 * the check summaries.customer_exposure of verify() catches one that does
 * not.
 *
 * Why the status in a trigger and the rest in the operations: a status is
 * changed by clients (plain UPDATE) and along transitions an admin may
 * add, so only the trigger sees every change.  Counters and invoices are
 * written by the extension alone (system columns, no client grant), and
 * a trigger on them would not help a new writer much: one that locks
 * stock rows must take the customer row before them anyway, which a
 * trigger firing at the write is too late to do; and each operation
 * changes the exposure once, not once per line.
 *
 * Lock order, the same on every path of the extension (docs/architecture.md):
 *	1. the document rows the operation acts on: orders, then invoices, by id;
 *	2. customer rows, by id;
 *	3. stock rows, by (product_id, warehouse_id);
 *	4. the customer's exposure row(s), last.
 * An exposure row changes only while its customer's row is locked (FOR NO
 * KEY UPDATE here, or the credit check's no-op UPDATE): the statements
 * below lock the customer row themselves, and a path that locks stock rows
 * calls om_lock_customer before it.  So two transactions never wait for
 * each other on exposure rows alone.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

/*
 * The open statuses: an order in one of them counts in its customer's
 * exposure for what it will still bill.  Drafts, pending and held orders
 * do not count yet (a held order counts again as it is confirmed again);
 * completed and cancelled ones no longer do.
 */
bool
om_status_open(const char *status)
{
	static const char *const open_statuses[] = {
		"confirmed", "processing", "partially_shipped", "shipped", "delivered", NULL
	};
	const char *const *s;

	if (status == NULL)
		return false;
	for (s = open_statuses; *s != NULL; s++)
		if (strcmp(status, *s) == 0)
			return true;
	return false;
}

/*
 * Lock a customer row (FOR NO KEY UPDATE), step 2 of the lock order: for
 * a path that will change the customer's exposure after it has locked
 * stock rows.
 */
void
om_lock_customer(int64 customer_id)
{
	static OmPlan lock_customer = OM_PLAN(
		"SELECT 1 FROM ordermgmt.customers WHERE customer_id = $1 FOR NO KEY UPDATE",
		INT8OID);
	Datum		v[1];

	v[0] = Int64GetDatum(customer_id);
	om_exec(&lock_customer, v, NULL, false, 1);
}

/*
 * Add to a customer's exposure in a currency (negative amounts lower it):
 * the customer row is locked, then the exposure row is updated, or created
 * the first time the customer has one in this currency.  The plain UPDATE
 * comes first because the row nearly always exists: it spares every later
 * change the speculative insertion of an upsert.
 */
void
om_exposure_add(int64 customer_id, const char *currency, Numeric open_orders, Numeric receivables)
{
	static OmPlan update = OM_PLAN(
		"WITH cust AS (SELECT customer_id FROM ordermgmt.customers WHERE customer_id = $1 "
		"              FOR NO KEY UPDATE) "
		"UPDATE ordermgmt.customer_exposure e "
		"   SET open_orders = e.open_orders + $3, receivables = e.receivables + $4 "
		"  FROM cust WHERE e.customer_id = cust.customer_id AND e.currency = $2::bpchar",
		INT8OID, TEXTOID, NUMERICOID, NUMERICOID);
	static OmPlan upsert = OM_PLAN(
		"WITH cust AS (SELECT customer_id FROM ordermgmt.customers WHERE customer_id = $1 "
		"              FOR NO KEY UPDATE) "
		"INSERT INTO ordermgmt.customer_exposure AS e (customer_id, currency, open_orders, receivables) "
		"SELECT cust.customer_id, $2, $3, $4 FROM cust "
		"ON CONFLICT (customer_id, currency) DO UPDATE "
		"   SET open_orders = e.open_orders + excluded.open_orders, "
		"       receivables = e.receivables + excluded.receivables",
		INT8OID, TEXTOID, NUMERICOID, NUMERICOID);
	Numeric		zero = int64_to_numeric(0);
	Datum		v[4];

	if (om_numeric_cmp(open_orders, zero) == 0 && om_numeric_cmp(receivables, zero) == 0)
		return;
	v[0] = Int64GetDatum(customer_id);
	v[1] = om_text_datum(currency);
	v[2] = NumericGetDatum(open_orders);
	v[3] = NumericGetDatum(receivables);
	if (om_exec(&update, v, NULL, false, 0) == 0)
		om_exec(&upsert, v, NULL, false, 0);
}

/*
 * om_exposure_add for n (customer, currency) pairs at once, in one
 * statement: for writers of many orders (bulk_entry.c).  The customer rows
 * are locked by id first, as om_exposure_add locks each.
 */
void
om_exposure_add_many(int n, const int64 *customer_ids, const char *const *currencies,
					 const Numeric *open_orders)
{
	static OmPlan upsert = OM_PLAN(
		"WITH u AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::numeric[]) "
		"                  WITH ORDINALITY AS u(c, cur, v, n)), "
		"cust AS (SELECT c.customer_id FROM ordermgmt.customers c "
		"          WHERE c.customer_id = ANY ($1::bigint[]) ORDER BY c.customer_id FOR NO KEY UPDATE) "
		"INSERT INTO ordermgmt.customer_exposure AS e (customer_id, currency, open_orders, receivables) "
		"SELECT u.c, u.cur, u.v, 0 FROM u WHERE u.c IN (SELECT customer_id FROM cust) ORDER BY u.n "
		"ON CONFLICT (customer_id, currency) DO UPDATE "
		"   SET open_orders = e.open_orders + excluded.open_orders",
		INT8ARRAYOID, TEXTARRAYOID, NUMERICARRAYOID);
	Datum	   *ids = palloc(Max(n, 1) * sizeof(Datum));
	Datum	   *values = palloc(Max(n, 1) * sizeof(Datum));
	Datum		v[3];
	int			i;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
	{
		ids[i] = Int64GetDatum(customer_ids[i]);
		values[i] = NumericGetDatum(open_orders[i]);
	}
	v[0] = om_array(ids, n, INT8OID);
	v[1] = om_cstring_array((const char **) currencies, n);
	v[2] = om_array(values, n, NUMERICOID);
	om_exec(&upsert, v, NULL, false, 0);
}

/*
 * An order entered the open statuses (sign 1) or left them (sign -1): add
 * or remove what it will still bill, read from its lines, in one
 * statement.  Nothing is locked or written when that is zero (an order
 * completes with nothing left to bill).
 */
void
om_exposure_order_moved(int64 order_id, int64 customer_id, const char *currency, int sign)
{
	static OmPlan moved = OM_PLAN(
		"WITH v AS (SELECT $4::numeric * sum(((l.qty - l.returned_qty) - (l.invoiced_qty - l.credited_qty)) "
		"                                    * l.unit_price * (1 + l.tax_rate)) AS value "
		"             FROM ordermgmt.order_lines l WHERE l.order_id = $1), "
		"cust AS (SELECT c.customer_id FROM ordermgmt.customers c "
		"          WHERE c.customer_id = $2 AND (SELECT value FROM v) <> 0 FOR NO KEY UPDATE OF c) "
		"INSERT INTO ordermgmt.customer_exposure AS e (customer_id, currency, open_orders) "
		"SELECT cust.customer_id, $3, v.value FROM cust, v "
		"ON CONFLICT (customer_id, currency) DO UPDATE "
		"   SET open_orders = e.open_orders + excluded.open_orders",
		INT8OID, INT8OID, TEXTOID, INT4OID);
	Datum		v[4];

	v[0] = Int64GetDatum(order_id);
	v[1] = Int64GetDatum(customer_id);
	v[2] = om_text_datum(currency);
	v[3] = Int32GetDatum(sign);
	om_exec(&moved, v, NULL, false, 0);
}

/*
 * The credit check's read, step 4 of the lock order (the customer row is
 * locked): the exposure of a customer in a currency, open_orders +
 * receivables, unrounded.  The row is created if missing and updated in
 * place, so that under REPEATABLE READ a change committed since the
 * snapshot (a payment, an invoice, another confirmation) fails with 40001
 * instead of being read stale.  The same statement reads the customer's
 * exposure in its other currencies (*elsewhere: a JSON object of currency
 * to amount rounded to cents, NULL for a customer in one currency), which
 * om_exposure_convert adds up: no second query for the common customer.
 */
Numeric
om_exposure_read(int64 customer_id, const char *currency, Jsonb **elsewhere)
{
	static OmPlan read = OM_PLAN(
		"INSERT INTO ordermgmt.customer_exposure AS e (customer_id, currency) VALUES ($1, $2) "
		"ON CONFLICT (customer_id, currency) DO UPDATE SET open_orders = e.open_orders "
		"RETURNING e.open_orders + e.receivables, "
		"          (SELECT jsonb_object_agg(x.currency, round(x.open_orders + x.receivables, 2)) "
		"             FROM ordermgmt.customer_exposure x "
		"            WHERE x.customer_id = $1 AND x.currency <> $2::bpchar "
		"              AND round(x.open_orders + x.receivables, 2) <> 0)",
		INT8OID, TEXTOID);
	/* Result columns of read. */
	enum
	{
		READ_EXPOSURE = 1,
		READ_ELSEWHERE
	};
	Datum		v[2];
	bool		isnull;
	Datum		others;

	v[0] = Int64GetDatum(customer_id);
	v[1] = om_text_datum(currency);
	om_exec(&read, v, NULL, false, 1);
	others = om_getdatum(0, READ_ELSEWHERE, &isnull);
	*elsewhere = isnull ? NULL : DatumGetJsonbPCopy(others);
	return DatumGetNumericCopy(om_getdatum(0, READ_EXPOSURE, &isnull));
}

/*
 * The exposure in other currencies (om_exposure_read's *elsewhere)
 * converted into limit_currency at the rates of day and added up.
 */
Numeric
om_exposure_convert(Jsonb *elsewhere, const char *limit_currency, DateADT day)
{
	Numeric		sum = int64_to_numeric(0);
	JsonbIterator *it;
	JsonbValue	jv;
	JsonbIteratorToken tok;
	char	   *currency = NULL;

	if (elsewhere == NULL)
		return sum;
	it = JsonbIteratorInit(&elsewhere->root);
	while ((tok = JsonbIteratorNext(&it, &jv, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			currency = pnstrdup(jv.val.string.val, jv.val.string.len);
		else if (tok == WJB_VALUE && currency != NULL)
			sum = om_numeric_add(sum, om_convert(om_jsonb_numeric(&jv, "exposure"), currency,
												 limit_currency, day));
	}
	return sum;
}
