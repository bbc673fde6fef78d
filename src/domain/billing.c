/*
 * billing.c
 *		Invoices and payments.
 *
 * An order line bills (shipped - returned) - (invoiced - credited): what
 * left the warehouse and stayed with the customer, less what is already
 * billed.  Amounts are rounded to cents per line, so an invoice's postings
 * (receivable = revenue + tax) balance exactly.
 * Lock order (exposure.c): the order row, then its invoices, then the
 * customer row and its exposure row in the order's currency.
 *
 * In the company currency, an invoice's receivable is its net and its tax
 * each converted at the rate of its issue date (invoices.company_rate).
 * Payments and credit notes clear it at that
 * rate, cumulatively (om_receivable_cleared), so that an invoice settled in
 * full has cleared exactly what it posted; the difference from what the
 * money is worth at the day's rate is an exchange difference.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

/* An invoice's payment term, in days (invoice_order, invoice_orders). */
void
om_check_due_days(int32 due_days)
{
	if (due_days < 0 || due_days > 3650)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("due_days must be between 0 and 3650, got %d", due_days)));
}

/*
 * What a settlement of an invoice (payment or credit) that takes its
 * settled amount (paid + credited) from settled_before to settled_after
 * clears of its receivable in the company currency: the company total in
 * proportion, rounded cumulatively so that the settlements of an invoice
 * add up to its company total.
 */
Numeric
om_receivable_cleared(Numeric company_total, Numeric total, Numeric settled_before, Numeric settled_after)
{
	if (!om_numeric_positive(total))
		return int64_to_numeric(0);
	return om_numeric_sub(om_money_round(om_numeric_div(om_numeric_mul(company_total, settled_after), total)),
						  om_money_round(om_numeric_div(om_numeric_mul(company_total, settled_before), total)));
}

/*
 * Invoice what an order shipped and has not billed yet, due in due_days;
 * returns the invoice id.
 */
int64
om_invoice_order(int64 order_id, int32 due_days)
{
	static OmPlan create_invoice = OM_PLAN(
		"WITH b AS (SELECT l.line_no, "
		"                  (l.shipped_qty - l.returned_qty) - (l.invoiced_qty - l.credited_qty) AS q, "
		"                  l.unit_price, p.tax_rate, l.tax_rate AS line_tax_rate "
		"             FROM ordermgmt.order_lines l JOIN ordermgmt.products p ON p.product_id = l.product_id "
		"            WHERE l.order_id = $1), "
		"c AS (SELECT line_no, q, unit_price, tax_rate, line_tax_rate, round(q * unit_price, 2) AS net, "
		"             round(round(q * unit_price, 2) * tax_rate, 2) AS tax FROM b WHERE q > 0), "
		"inv AS (INSERT INTO ordermgmt.invoices (order_id, customer_id, currency, due_at, net, tax, total, company_rate) "
		"        SELECT $1, $2, $3, now() + make_interval(days => $4), sum(net), sum(tax), sum(net) + sum(tax), $5 "
		"          FROM c HAVING count(*) > 0 "
		"        RETURNING invoice_id, net, tax, total, due_at), "
		"il AS (INSERT INTO ordermgmt.invoice_lines (invoice_id, order_id, line_no, qty, unit_price, tax_rate, net, tax) "
		"       SELECT inv.invoice_id, $1, c.line_no, c.q, c.unit_price, c.tax_rate, c.net, c.tax FROM inv, c), "
		"ol AS (UPDATE ordermgmt.order_lines l SET invoiced_qty = l.invoiced_qty + c.q FROM c "
		"        WHERE l.order_id = $1 AND l.line_no = c.line_no AND EXISTS (SELECT 1 FROM inv)) "
		"SELECT invoice_id, net, tax, total, due_at, "
		"       (SELECT sum(q * unit_price * (1 + line_tax_rate)) FROM c) FROM inv",
		INT8OID, INT8OID, TEXTOID, INT4OID, NUMERICOID);
	/* Result columns of create_invoice. */
	enum
	{
		INVOICE_ID = 1,
		INVOICE_NET,
		INVOICE_TAX,
		INVOICE_TOTAL,
		INVOICE_DUE_AT,
		INVOICE_BILLED_VALUE
	};
	int64		customer_id;
	char	   *currency;
	int64		invoice_id;
	Numeric		net;
	Numeric		tax;
	Numeric		total;
	Datum		due_at;
	Datum		billed;
	Numeric		billed_value;
	Numeric		rate;
	bool		isnull;
	Datum		v[5];
	OmOrder		order;

	om_check_due_days(due_days);

	SPI_connect();
	om_load_order(order_id, &order);
	customer_id = order.customer_id;
	currency = order.currency;
	v[0] = Int64GetDatum(order_id);

	v[1] = Int64GetDatum(customer_id);
	v[2] = om_text_datum(currency);
	v[3] = Int32GetDatum(due_days);
	/* The rate of the issue date, refused before anything is written if missing. */
	rate = om_exchange_rate(currency, om_entry_date());
	v[4] = NumericGetDatum(rate);
	OM_API_BEGIN();
	if (om_exec(&create_invoice, v, NULL, false, 0) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_OVER_BILLING),
				 errmsg("order " INT64_FORMAT " has nothing left to invoice", order_id),
				 errdetail("Only shipped quantities that are not invoiced yet are invoiced.")));
	OM_API_END();
	invoice_id = om_getint64(0, INVOICE_ID);
	net = DatumGetNumericCopy(om_getdatum(0, INVOICE_NET, &isnull));
	tax = DatumGetNumericCopy(om_getdatum(0, INVOICE_TAX, &isnull));
	total = DatumGetNumericCopy(om_getdatum(0, INVOICE_TOTAL, &isnull));
	due_at = om_getdatum(0, INVOICE_DUE_AT, &isnull);
	billed = om_getdatum(0, INVOICE_BILLED_VALUE, &isnull);
	if (isnull)
		elog(ERROR, "ordermgmt: order " INT64_FORMAT " has lines without a recorded tax rate", order_id);
	billed_value = DatumGetNumericCopy(billed);

	/*
	 * The exposure: what the lines will still bill falls by what is billed
	 * now (an order out of the open statuses counts for nothing), the
	 * receivables rise by the invoice.
	 */
	om_exposure_add(customer_id, currency,
					om_status_open(order.status) ? om_numeric_sub(int64_to_numeric(0), billed_value)
					: int64_to_numeric(0),
					total);

	{
		Numeric		company_net = om_money_round(om_numeric_mul(net, rate));
		Numeric		company_tax = om_money_round(om_numeric_mul(tax, rate));
		OmPostLine	lines[3] = {
			{"receivable", NULL, total, NULL, om_numeric_add(company_net, company_tax)},
			{"revenue", NULL, NULL, net, om_numeric_sub(int64_to_numeric(0), company_net)},
			{"tax_payable", NULL, NULL, tax, om_numeric_sub(int64_to_numeric(0), company_tax)}
		};

		om_post_lines("invoice", "invoice", invoice_id,
					  psprintf("invoice " INT64_FORMAT " for order " INT64_FORMAT, invoice_id, order_id),
					  currency, 3, lines);
	}
	if (om_numeric_positive(total))
		om_deadline_set("L3_PAYMENT_OVERDUE", "invoice", invoice_id, order_id, NULL, due_at);
	om_emit_event("invoice.created", order_id,
				  psprintf("{\"invoice_id\": " INT64_FORMAT ", \"total\": %s, \"currency\": %s}",
						   invoice_id, om_numeric_out(total), om_json_quote(currency)));
	om_maybe_complete(order_id);
	SPI_finish();
	return invoice_id;
}

/*
 * Pay amount of an invoice whose order and invoice rows the caller has
 * locked, amount checked against what is due: the payments row, the
 * invoice's paid, its overdue deadline, the customer's receivables, the
 * journal entry (p->debit_role against receivable), the event and the
 * order's completion.  record_payment and every allocation of a customer
 * payment or of its credit (customer_payments.c) take this one path, so
 * that they change the same things.  Returns the payment id.
 */
int64
om_pay_invoice(const OmInvoicePayment *p)
{
	/*
	 * With what the payment clears of the invoice's receivable in the
	 * company currency (om_receivable_cleared's arguments).
	 */
	static OmPlan insert_payment = OM_PLAN(
		"WITH pay AS (INSERT INTO ordermgmt.payments (invoice_id, amount, method, reference, recorded_by) "
		"             VALUES ($1, $2, $3, $4, $5) RETURNING payment_id), "
		"inv AS (UPDATE ordermgmt.invoices SET paid = paid + $2 WHERE invoice_id = $1 "
		"        RETURNING due, total, paid + credited AS settled, "
		"                  round(net * company_rate, 2) + round(tax * company_rate, 2) AS company_total) "
		"SELECT payment_id, inv.due = 0, inv.total, inv.settled - $2, inv.settled, inv.company_total "
		"  FROM pay, inv",
		INT8OID, NUMERICOID, TEXTOID, TEXTOID, TEXTOID);
	/* Result columns of insert_payment. */
	enum
	{
		PAYMENT_ID = 1,
		PAYMENT_INVOICE_PAID,
		PAYMENT_INVOICE_TOTAL,
		PAYMENT_SETTLED_BEFORE,
		PAYMENT_SETTLED_AFTER,
		PAYMENT_COMPANY_TOTAL
	};
	int64		payment_id;
	Numeric		cleared;
	bool		isnull;
	Datum		v[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};

	v[0] = Int64GetDatum(p->invoice_id);
	v[1] = NumericGetDatum(p->amount);
	v[2] = om_text_datum(p->method);
	if (p->reference)
		v[3] = om_text_datum(p->reference);
	else
		nulls[3] = 'n';
	v[4] = om_text_datum(om_session_user());
	om_exec(&insert_payment, v, nulls, false, 1);
	payment_id = om_getint64(0, PAYMENT_ID);
	cleared = om_receivable_cleared(DatumGetNumericCopy(om_getdatum(0, PAYMENT_COMPANY_TOTAL, &isnull)),
									DatumGetNumericCopy(om_getdatum(0, PAYMENT_INVOICE_TOTAL, &isnull)),
									DatumGetNumericCopy(om_getdatum(0, PAYMENT_SETTLED_BEFORE, &isnull)),
									DatumGetNumericCopy(om_getdatum(0, PAYMENT_SETTLED_AFTER, &isnull)));
	if (om_getbool(0, PAYMENT_INVOICE_PAID))
		om_deadline_clear("L3_PAYMENT_OVERDUE", "invoice", p->invoice_id, "invoice paid");
	/* The receivable falls by the payment (customer row, then exposure row). */
	om_exposure_add(p->customer_id, p->currency, int64_to_numeric(0),
					om_numeric_sub(int64_to_numeric(0), p->amount));

	{
		/*
		 * The money at the day's rate, the receivable cleared at the
		 * invoice's: what differs is an exchange difference.
		 */
		OmPostLine	lines[5] = {
			{p->debit_role, NULL, p->amount, NULL, NULL},
			{"receivable", NULL, NULL, p->amount, om_numeric_sub(int64_to_numeric(0), cleared)},
			{"exchange", NULL, NULL, NULL, NULL}
		};
		int			n = 3;

		/*
		 * Money in another currency is converted through the currency
		 * exchange account: out of its currency, into the invoice's, so that
		 * each currency balances on its own.
		 */
		if (p->from_currency)
		{
			lines[0].currency = p->from_currency;
			lines[0].debit = p->from_amount;
			lines[3] = (OmPostLine) {"conversion", p->from_currency, NULL, p->from_amount, NULL};
			lines[4] = (OmPostLine) {"conversion", NULL, p->amount, NULL, NULL};
			n = 5;
		}
		om_post_lines("payment", "payment", payment_id,
					  psprintf("payment " INT64_FORMAT " on invoice " INT64_FORMAT, payment_id, p->invoice_id),
					  p->currency, n, lines);
	}
	om_emit_event("payment.recorded", p->order_id,
				  psprintf("{\"payment_id\": " INT64_FORMAT ", \"invoice_id\": " INT64_FORMAT ", \"amount\": %s}",
						   payment_id, p->invoice_id, om_numeric_out(p->amount)));
	om_maybe_complete(p->order_id);
	return payment_id;
}

/*
 * A payment of an invoice: over-payment refused, a repeated reference
 * returns the first payment; returns the payment id.
 */
int64
om_record_payment(int64 invoice_id, Numeric amount, const char *method, const char *reference)
{
	static OmPlan find_invoice = OM_PLAN(
		"SELECT order_id FROM ordermgmt.invoices WHERE invoice_id = $1",
		INT8OID);
	/* Result column of find_invoice. */
	enum
	{
		FIND_INVOICE_ORDER_ID = 1
	};
	static OmPlan lock_invoice = OM_PLAN(
		"SELECT due, currency::text, "
		"       (SELECT payment_id FROM ordermgmt.payments p WHERE p.invoice_id = i.invoice_id AND p.reference = $2), "
		"       customer_id "
		"  FROM ordermgmt.invoices i WHERE invoice_id = $1 FOR NO KEY UPDATE",
		INT8OID, TEXTOID);
	/* Result columns of lock_invoice. */
	enum
	{
		LOCK_INVOICE_DUE = 1,
		LOCK_INVOICE_CURRENCY,
		LOCK_INVOICE_PAYMENT_ID,
		LOCK_INVOICE_CUSTOMER_ID
	};
	OmInvoicePayment pay;
	int64		payment_id;
	Numeric		due;
	bool		isnull;
	Datum		v[2];
	char		nulls[2] = {' ', ' '};

	if (om_numeric_cmp(amount, om_money_round(amount)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount has more than 2 decimal places")));
	if (reference)
		om_check_key(reference, "reference");

	SPI_connect();
	v[0] = Int64GetDatum(invoice_id);
	if (om_exec(&find_invoice, v, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("invoice " INT64_FORMAT " does not exist", invoice_id)));
	memset(&pay, 0, sizeof(pay));
	pay.invoice_id = invoice_id;
	pay.order_id = om_getint64(0, FIND_INVOICE_ORDER_ID);

	/* The order row first, as on every path; then the invoice. */
	(void) om_lock_order(pay.order_id);
	if (reference)
		v[1] = om_text_datum(reference);
	else
		nulls[1] = 'n';
	om_exec(&lock_invoice, v, nulls, false, 1);
	due = DatumGetNumericCopy(om_getdatum(0, LOCK_INVOICE_DUE, &isnull));
	pay.currency = om_gettext(0, LOCK_INVOICE_CURRENCY);
	pay.customer_id = om_getint64(0, LOCK_INVOICE_CUSTOMER_ID);
	payment_id = DatumGetInt64(om_getdatum(0, LOCK_INVOICE_PAYMENT_ID, &isnull));
	if (!isnull)
	{
		/* A retry with the same reference: the first payment stands. */
		SPI_finish();
		return payment_id;
	}
	if (om_numeric_cmp(amount, due) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_OVER_BILLING),
				 errmsg("payment of %s exceeds the %s still due on invoice " INT64_FORMAT,
						om_numeric_out(amount), om_numeric_out(due), invoice_id)));

	pay.amount = amount;
	pay.method = method;
	pay.reference = reference;
	pay.debit_role = "cash";
	payment_id = om_pay_invoice(&pay);
	SPI_finish();
	return payment_id;
}
