/*
 * report_totals.c
 *		The reporting summaries the BI views read instead of the history:
 *		orders per UTC day of entry, currency and status, invoices per UTC
 *		day and currency, and per customer its orders, open orders, first
 *		and last order, net invoiced and credited, ratings, and orders per
 *		month (sql/ordermgmt.sql, "Reporting summaries").
 *
 * Kept in the transactions that change the facts:
 *	- the lifecycle trigger, at every status change of an order out of
 *	  draft (om_report_order_moved): the order moves from its old status'
 *	  row to its new one, and its customer's counts follow;
 *	- invoicing (om_report_invoiced), a return's credit note
 *	  (om_report_credited) and feedback (aftersales.c, in its insert).
 * verify() recomputes each from the facts (summaries.order_day_totals and
 * the checks after it).
 *
 * Writers do not wait for each other here.  The per-day rows are split by
 * the writer's slot, its backend id, which no other running session has:
 * two sessions placing orders today update different rows.  The customer
 * rows change only under the customer row's lock (step 2 of the lock
 * order, docs/architecture.md), which every writer of one customer takes
 * anyway; each statement below takes it itself (a no-op when held), so no
 * path can reach a customer's totals before its customer row.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "storage/backendid.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

/* The writer's slot in the per-day tables: its backend id. */
static int32
report_slot(void)
{
	return (int32) MyBackendId;
}

/* Counted in the per-day and per-customer totals: every status but draft. */
static bool
status_counted(const char *status)
{
	return status != NULL && strcmp(status, "draft") != 0;
}

/* Counted among a customer's open orders: out of draft and not closed. */
static bool
status_open_order(const char *status)
{
	return status_counted(status) &&
		strcmp(status, "completed") != 0 && strcmp(status, "cancelled") != 0;
}

/*
 * An order's status changed from old_status (NULL: the order was just
 * inserted) to new_status: move it between the status rows of its day of
 * entry (old_net and new_net are its ordered_net before and after, NULL
 * read as 0) and update its customer's counts, in one statement.
 */
void
om_report_order_moved(int64 customer_id, TimestampTz created_at, const char *currency,
					  const char *old_status, Numeric old_net,
					  const char *new_status, Numeric new_net)
{
	static OmPlan moved = OM_PLAN(
		"WITH d AS ("
		"  INSERT INTO ordermgmt.order_day_totals AS t (day, currency, status, slot, orders, net_amount) "
		"  SELECT timezone('UTC', $1)::date, $2, s.status, $3, s.n, s.net "
		"    FROM (VALUES ($4::ordermgmt.order_status, -1, -$5::numeric), "
		"                 ($6::ordermgmt.order_status, 1, $7::numeric)) AS s(status, n, net) "
		"   WHERE s.status IS NOT NULL "
		"  ON CONFLICT (day, currency, status, slot) DO UPDATE "
		"     SET orders = t.orders + excluded.orders, net_amount = t.net_amount + excluded.net_amount), "
		"cust AS (SELECT c.customer_id FROM ordermgmt.customers c "
		"          WHERE c.customer_id = $8 AND ($9 <> 0 OR $10 <> 0) FOR NO KEY UPDATE), "
		"m AS ("
		"  INSERT INTO ordermgmt.customer_months AS m (customer_id, month, orders) "
		"  SELECT cust.customer_id, date_trunc('month', timezone('UTC', $1))::date, 1 FROM cust WHERE $9 > 0 "
		"  ON CONFLICT (customer_id, month) DO UPDATE SET orders = m.orders + 1) "
		"INSERT INTO ordermgmt.customer_totals AS t (customer_id, orders, open_orders, first_order_at, last_order_at) "
		"SELECT cust.customer_id, $9, $10, CASE WHEN $9 > 0 THEN $1 END, CASE WHEN $9 > 0 THEN $1 END FROM cust "
		"ON CONFLICT (customer_id) DO UPDATE "
		"   SET orders = t.orders + excluded.orders, open_orders = t.open_orders + excluded.open_orders, "
		"       first_order_at = least(t.first_order_at, excluded.first_order_at), "
		"       last_order_at = greatest(t.last_order_at, excluded.last_order_at)",
		TIMESTAMPTZOID, TEXTOID, INT4OID, TEXTOID, NUMERICOID, TEXTOID, NUMERICOID,
		INT8OID, INT4OID, INT4OID);
	bool		counted_old = status_counted(old_status);
	bool		counted_new = status_counted(new_status);
	Numeric		zero = int64_to_numeric(0);
	Datum		v[10];
	char		nulls[10] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

	if (!counted_old && !counted_new)
		return;
	v[0] = TimestampTzGetDatum(created_at);
	v[1] = om_text_datum(currency);
	v[2] = Int32GetDatum(report_slot());
	if (counted_old)
		v[3] = om_text_datum(old_status);
	else
		nulls[3] = 'n';
	v[4] = NumericGetDatum(old_net ? old_net : zero);
	if (counted_new)
		v[5] = om_text_datum(new_status);
	else
		nulls[5] = 'n';
	v[6] = NumericGetDatum(new_net ? new_net : zero);
	v[7] = Int64GetDatum(customer_id);
	/* An order never returns to draft: it is counted once, as it leaves it. */
	v[8] = Int32GetDatum(counted_new && !counted_old ? 1 : 0);
	v[9] = Int32GetDatum((int) status_open_order(new_status) - (int) status_open_order(old_status));
	om_exec(&moved, v, nulls, false, 0);
}

/* An invoice was issued now: its day's and its customer's totals. */
void
om_report_invoiced(int64 customer_id, const char *currency, Numeric net, Numeric tax, Numeric total)
{
	static OmPlan invoiced = OM_PLAN(
		"WITH cust AS (SELECT customer_id FROM ordermgmt.customers WHERE customer_id = $1 FOR NO KEY UPDATE), "
		"d AS ("
		"  INSERT INTO ordermgmt.invoice_day_totals AS t (day, currency, slot, invoices, net, tax, total) "
		"  VALUES (timezone('UTC', now())::date, $2, $3, 1, $4, $5, $6) "
		"  ON CONFLICT (day, currency, slot) DO UPDATE "
		"     SET invoices = t.invoices + 1, net = t.net + excluded.net, tax = t.tax + excluded.tax, "
		"         total = t.total + excluded.total) "
		"UPDATE ordermgmt.customer_totals t SET invoiced_net = t.invoiced_net + $4 "
		"  FROM cust WHERE t.customer_id = cust.customer_id",
		INT8OID, TEXTOID, INT4OID, NUMERICOID, NUMERICOID, NUMERICOID);
	Datum		v[6];

	v[0] = Int64GetDatum(customer_id);
	v[1] = om_text_datum(currency);
	v[2] = Int32GetDatum(report_slot());
	v[3] = NumericGetDatum(net);
	v[4] = NumericGetDatum(tax);
	v[5] = NumericGetDatum(total);
	om_exec(&invoiced, v, NULL, false, 0);
}

/* A return's credit note credited credit_net to a customer. */
void
om_report_credited(int64 customer_id, Numeric credit_net)
{
	static OmPlan credited = OM_PLAN(
		"WITH cust AS (SELECT customer_id FROM ordermgmt.customers WHERE customer_id = $1 FOR NO KEY UPDATE) "
		"UPDATE ordermgmt.customer_totals t SET credited_net = t.credited_net + $2 "
		"  FROM cust WHERE t.customer_id = cust.customer_id",
		INT8OID, NUMERICOID);
	Datum		v[2];

	if (om_numeric_cmp(credit_net, int64_to_numeric(0)) == 0)
		return;
	v[0] = Int64GetDatum(customer_id);
	v[1] = NumericGetDatum(credit_net);
	om_exec(&credited, v, NULL, false, 0);
}

/*
 * Fold the slots of past UTC days into slot 0, so that the per-day tables
 * keep about one row per day, currency and status however many sessions
 * wrote them.  Rows a writer holds are skipped (SKIP LOCKED), to be folded
 * next time: this never waits for a writer, and a writer waits for it at
 * most for the length of this statement.  One compaction at a time (an
 * advisory lock); returns the number of slot rows folded, or -1 when
 * another compaction was running.
 */
int64
om_compact_report_totals(void)
{
	static OmPlan try_lock = OM_PLAN0(
		"SELECT pg_try_advisory_xact_lock(hashtext('ordermgmt.compact_report_totals'))");
	static OmPlan fold_orders = OM_PLAN0(
		"WITH moved AS ("
		"  DELETE FROM ordermgmt.order_day_totals t "
		"   WHERE t.ctid IN (SELECT x.ctid FROM ordermgmt.order_day_totals x "
		"                     WHERE x.slot <> 0 AND x.day < timezone('UTC', now())::date "
		"                       FOR UPDATE SKIP LOCKED) "
		"  RETURNING t.day, t.currency, t.status, t.orders, t.net_amount), "
		"folded AS ("
		"  INSERT INTO ordermgmt.order_day_totals AS t (day, currency, status, slot, orders, net_amount) "
		"  SELECT day, currency, status, 0, sum(orders), sum(net_amount) FROM moved GROUP BY 1, 2, 3 "
		"  ON CONFLICT (day, currency, status, slot) DO UPDATE "
		"     SET orders = t.orders + excluded.orders, net_amount = t.net_amount + excluded.net_amount) "
		"SELECT count(*) FROM moved");
	static OmPlan fold_invoices = OM_PLAN0(
		"WITH moved AS ("
		"  DELETE FROM ordermgmt.invoice_day_totals t "
		"   WHERE t.ctid IN (SELECT x.ctid FROM ordermgmt.invoice_day_totals x "
		"                     WHERE x.slot <> 0 AND x.day < timezone('UTC', now())::date "
		"                       FOR UPDATE SKIP LOCKED) "
		"  RETURNING t.day, t.currency, t.invoices, t.net, t.tax, t.total), "
		"folded AS ("
		"  INSERT INTO ordermgmt.invoice_day_totals AS t (day, currency, slot, invoices, net, tax, total) "
		"  SELECT day, currency, 0, sum(invoices), sum(net), sum(tax), sum(total) FROM moved GROUP BY 1, 2 "
		"  ON CONFLICT (day, currency, slot) DO UPDATE "
		"     SET invoices = t.invoices + excluded.invoices, net = t.net + excluded.net, "
		"         tax = t.tax + excluded.tax, total = t.total + excluded.total) "
		"SELECT count(*) FROM moved");
	/* A status whose orders all moved on leaves a row of zeros behind. */
	static OmPlan drop_zeros = OM_PLAN0(
		"DELETE FROM ordermgmt.order_day_totals WHERE slot = 0 AND orders = 0 AND net_amount = 0");
	/* Result column of fold_orders and fold_invoices. */
	enum
	{
		FOLD_ROWS = 1
	};
	int64		folded = 0;

	SPI_connect();
	om_exec(&try_lock, NULL, NULL, false, 1);
	if (!om_getbool(0, 1))
	{
		SPI_finish();
		return -1;
	}
	om_exec(&fold_orders, NULL, NULL, false, 1);
	folded += om_getint64(0, FOLD_ROWS);
	om_exec(&fold_invoices, NULL, NULL, false, 1);
	folded += om_getint64(0, FOLD_ROWS);
	if (folded > 0)
		om_exec(&drop_zeros, NULL, NULL, false, 0);
	SPI_finish();
	return folded;
}
