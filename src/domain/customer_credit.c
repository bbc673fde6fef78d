/*
 * customer_credit.c
 *		A customer's unapplied credit per currency (customer_credit), and
 *		the two operations on it alone: apply_credit and refund_credit.
 *
 * customer_credit.unapplied is what the customer's receipts left over
 * (record_customer_payment), less what apply_credit allocated since and
 * refund_credit paid back: kept in one row per customer and currency, so
 * that every call reads and changes one row, never the history (verify()
 * recomputes it: payments.customer_credit_is_recomputed).
 *
 * The ledger: the unapplied part of a receipt sits on the liability
 * account of role customer_credit (2300 as installed).  An allocation,
 * whether from a receipt or from credit, is a payments row that debits
 * customer_credit and credits receivable (om_pay_invoice); a refund debits
 * customer_credit and credits cash.
 *
 * Lock order (exposure.c): the invoice's order, the invoice, the customer
 * row, then the credit row (changed only while its customer row is locked,
 * like the exposure rows), then the exposure row.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"

/*
 * apply_credit: pay amount of an invoice of the customer from its
 * unapplied credit in the invoice's currency; returns the payment id.
 * More than the invoice's due or than the credit: OM006.
 */
int64
om_apply_credit(const char *customer, int64 invoice_id, Numeric amount)
{
	OmInvoicePayment pay;
	Numeric		unapplied;
	Numeric		due;
	int64		payment_id;

	om_check_money(amount, "amount");
	amount = om_money_round(amount);
	SPI_connect();
	memset(&pay, 0, sizeof(pay));
	om_customer_invoice(om_customer_id(customer), customer, invoice_id, &pay);
	/* The order, the invoice, the customer; then the credit row. */
	om_lock_for_payments(&invoice_id, 1);
	unapplied = om_credit_lock(pay.customer_id, pay.currency);
	due = om_invoice_due(invoice_id);
	if (om_numeric_cmp(amount, due) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_OVER_BILLING),
				 errmsg("credit of %s exceeds the %s still due on invoice " INT64_FORMAT,
						om_numeric_out(amount), om_numeric_out(due), invoice_id)));
	if (om_numeric_cmp(amount, unapplied) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_OVER_BILLING),
				 errmsg("credit of %s exceeds customer \"%s\"'s unapplied credit of %s %s",
						om_numeric_out(amount), customer, om_numeric_out(unapplied), pay.currency)));
	pay.amount = amount;
	pay.method = "credit";
	pay.reference = NULL;
	pay.debit_role = "customer_credit";
	payment_id = om_pay_invoice(&pay);
	om_record_allocation(payment_id, 0, &pay);
	om_credit_add(pay.customer_id, pay.currency, om_numeric_sub(int64_to_numeric(0), amount));
	SPI_finish();
	return payment_id;
}

/*
 * The currency refund_credit pays back in: the one given, else the only
 * one the customer has credit in (22023 when several; OM006 when none,
 * since any amount exceeds no credit).
 */
static char *
refund_currency(int64 customer_id, const char *customer, const char *currency)
{
	static OmPlan credit_currencies = OM_PLAN(
		"SELECT currency::text, count(*) OVER () FROM ordermgmt.customer_credit "
		" WHERE customer_id = $1 AND unapplied > 0 ORDER BY currency LIMIT 2",
		INT8OID);
	/* Result columns of credit_currencies. */
	enum
	{
		CREDIT_CURRENCY = 1,
		CREDIT_CURRENCIES
	};
	Datum		v[1];

	if (currency)
		return pstrdup(currency);
	v[0] = Int64GetDatum(customer_id);
	if (om_exec(&credit_currencies, v, NULL, false, 2) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_OVER_BILLING),
				 errmsg("customer \"%s\" has no unapplied credit to refund", customer)));
	if (om_getint64(0, CREDIT_CURRENCIES) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("customer \"%s\" has unapplied credit in %s and %s", customer,
						om_gettext(0, CREDIT_CURRENCY), om_gettext(1, CREDIT_CURRENCY)),
				 errhint("Pass the currency to refund in.")));
	return om_gettext(0, CREDIT_CURRENCY);
}

/*
 * refund_credit: pay back amount of the customer's unapplied credit (in
 * currency, NULL: the only one it has credit in); returns the refund's
 * customer_payments id.  reference is idempotent per customer, shared
 * with the receipts: the same reference with the same amount (and
 * currency, if given) returns the first refund; otherwise 22023.
 */
int64
om_refund_credit(const char *customer, Numeric amount, const char *reference, const char *currency)
{
	static OmPlan insert_refund = OM_PLAN(
		"INSERT INTO ordermgmt.customer_payments "
		"  (customer_id, kind, amount, currency, method, reference, recorded_by) "
		"VALUES ($1, 'refund', $2, $3, 'refund', $4, $5) RETURNING customer_payment_id",
		INT8OID, NUMERICOID, TEXTOID, TEXTOID, TEXTOID);
	/* Result column of insert_refund. */
	enum
	{
		INSERT_REFUND_ID = 1
	};
	int64		customer_id;
	int64		refund_id;
	char	   *cur;
	Numeric		unapplied;
	Datum		v[5];

	om_check_money(amount, "amount");
	amount = om_money_round(amount);
	om_check_key(reference, "reference");
	if (currency)
		om_check_currency(currency, "currency");
	SPI_connect();
	customer_id = om_customer_id(customer);
	om_lock_customer(customer_id);
	/* Under the customer lock: a retry, or a concurrent call, is seen. */
	refund_id = om_customer_payment_retry(customer_id, customer, reference, "refund", amount, currency,
										  NULL, NULL);
	if (refund_id > 0)
	{
		SPI_finish();
		return refund_id;
	}
	cur = refund_currency(customer_id, customer, currency);
	unapplied = om_credit_lock(customer_id, cur);
	if (om_numeric_cmp(amount, unapplied) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_OVER_BILLING),
				 errmsg("refund of %s exceeds customer \"%s\"'s unapplied credit of %s %s",
						om_numeric_out(amount), customer, om_numeric_out(unapplied), cur)));
	v[0] = Int64GetDatum(customer_id);
	v[1] = NumericGetDatum(amount);
	v[2] = om_text_datum(cur);
	v[3] = om_text_datum(reference);
	v[4] = om_text_datum(om_session_user());
	om_exec(&insert_refund, v, NULL, false, 1);
	refund_id = om_getint64(0, INSERT_REFUND_ID);
	{
		const char *roles[2] = {"customer_credit", "cash"};
		Numeric		debits[2] = {amount, NULL};
		Numeric		credits[2] = {NULL, amount};

		om_post("credit_refund", "customer_payment", refund_id,
				psprintf("refund " INT64_FORMAT " of credit to customer %s", refund_id, customer),
				cur, 2, roles, debits, credits);
	}
	om_credit_add(customer_id, cur, om_numeric_sub(int64_to_numeric(0), amount));
	SPI_finish();
	return refund_id;
}
