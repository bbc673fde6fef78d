/*
 * customer_money.c
 *		What receipts (customer_payments.c), apply_credit and refund_credit
 *		(customer_credit.c) share: the checks of their arguments, the
 *		idempotent reference, the customer's credit row, the invoice a
 *		customer's money may pay, and the allocation record.
 *
 * customer_credit.unapplied is what the customer's receipts left over,
 * less what apply_credit allocated since and refund_credit paid back: one
 * row per customer and currency, so that every call reads and changes one
 * row, never the history (verify() recomputes it).  A credit row changes
 * only while its customer row is locked, like the exposure rows, and is
 * locked after the customer row and before the exposure row.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "utils/jsonb.h"

/* An amount of money: positive, in cents. */
void
om_check_money(Numeric amount, const char *what)
{
	if (!om_numeric_positive(amount))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be positive, got %s", what, om_numeric_out(amount))));
	if (om_numeric_cmp(amount, om_money_round(amount)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s has more than 2 decimal places", what)));
}

/* A three-letter ISO 4217 code. */
void
om_check_currency(const char *currency, const char *what)
{
	if (strlen(currency) != 3 || strspn(currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a three-letter ISO 4217 code, got \"%s\"", what, currency)));
}

/*
 * A receipt or refund already recorded under (customer, reference): its
 * id if it was made with these arguments (currency, method, allocations
 * NULL: not compared), 0 if there is none; another call's: 22023.
 */
int64
om_customer_payment_retry(int64 customer_id, const char *customer, const char *reference,
						  const char *kind, Numeric amount, const char *currency, const char *method,
						  Jsonb *allocations)
{
	static OmPlan find_by_ref = OM_PLAN(
		"SELECT customer_payment_id, "
		"       kind = $3 AND amount = $4 AND ($5::text IS NULL OR currency = $5::bpchar) "
		"       AND ($6::text IS NULL OR method = $6) "
		"       AND (kind = 'refund' OR allocations IS NOT DISTINCT FROM $7), kind "
		"  FROM ordermgmt.customer_payments WHERE customer_id = $1 AND reference = $2",
		INT8OID, TEXTOID, TEXTOID, NUMERICOID, TEXTOID, TEXTOID, JSONBOID);
	/* Result columns of find_by_ref. */
	enum
	{
		FIND_BY_REF_ID = 1,
		FIND_BY_REF_SAME,
		FIND_BY_REF_KIND
	};
	Datum		v[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};

	v[0] = Int64GetDatum(customer_id);
	v[1] = om_text_datum(reference);
	v[2] = om_text_datum(kind);
	v[3] = NumericGetDatum(amount);
	if (currency)
		v[4] = om_text_datum(currency);
	else
		nulls[4] = 'n';
	if (method)
		v[5] = om_text_datum(method);
	else
		nulls[5] = 'n';
	if (allocations)
		v[6] = JsonbPGetDatum(allocations);
	else
		nulls[6] = 'n';
	if (om_exec(&find_by_ref, v, nulls, false, 1) == 0)
		return 0;
	if (!om_getbool(0, FIND_BY_REF_SAME))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("reference \"%s\" of customer \"%s\" is already used by %s " INT64_FORMAT
						" with other arguments", reference, customer, om_gettext(0, FIND_BY_REF_KIND),
						om_getint64(0, FIND_BY_REF_ID)),
				 errdetail("A reference names one payment; the same reference with the same arguments returns it."),
				 errhint("Use a new reference for a new payment.")));
	return om_getint64(0, FIND_BY_REF_ID);
}

/* The customer's id, or OM005. */
int64
om_customer_id(const char *customer)
{
	static OmPlan find_customer = OM_PLAN(
		"SELECT customer_id FROM ordermgmt.customers WHERE code = $1",
		TEXTOID);
	/* Result column of find_customer. */
	enum
	{
		FIND_CUSTOMER_ID = 1
	};
	Datum		v[1];

	v[0] = om_text_datum(customer);
	if (om_exec(&find_customer, v, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("unknown customer \"%s\"", customer)));
	return om_getint64(0, FIND_CUSTOMER_ID);
}

/*
 * Lock the customer's credit row in a currency, creating it at zero, and
 * return its unapplied amount.  The customer row must be locked already.
 */
Numeric
om_credit_lock(int64 customer_id, const char *currency)
{
	static OmPlan lock_credit = OM_PLAN(
		"INSERT INTO ordermgmt.customer_credit AS k (customer_id, currency) VALUES ($1, $2) "
		"ON CONFLICT (customer_id, currency) DO UPDATE SET unapplied = k.unapplied "
		"RETURNING k.unapplied",
		INT8OID, TEXTOID);
	/* Result column of lock_credit. */
	enum
	{
		LOCK_CREDIT_UNAPPLIED = 1
	};
	Datum		v[2];
	bool		isnull;

	v[0] = Int64GetDatum(customer_id);
	v[1] = om_text_datum(currency);
	om_exec(&lock_credit, v, NULL, false, 1);
	return DatumGetNumericCopy(om_getdatum(0, LOCK_CREDIT_UNAPPLIED, &isnull));
}

/* Add change (negative: take) to the locked credit row. */
void
om_credit_add(int64 customer_id, const char *currency, Numeric change)
{
	static OmPlan add_credit = OM_PLAN(
		"UPDATE ordermgmt.customer_credit SET unapplied = unapplied + $3 "
		" WHERE customer_id = $1 AND currency = $2::bpchar",
		INT8OID, TEXTOID, NUMERICOID);
	Datum		v[3];

	if (om_numeric_cmp(change, int64_to_numeric(0)) == 0)
		return;
	v[0] = Int64GetDatum(customer_id);
	v[1] = om_text_datum(currency);
	v[2] = NumericGetDatum(change);
	om_exec(&add_credit, v, NULL, false, 0);
}

/* Record that payment_id paid an invoice from a receipt (receipt_id > 0) or from credit. */
void
om_record_allocation(int64 payment_id, int64 receipt_id, const OmInvoicePayment *p)
{
	static OmPlan insert_allocation = OM_PLAN(
		"INSERT INTO ordermgmt.payment_allocations "
		"  (payment_id, customer_payment_id, invoice_id, customer_id, currency, amount, kind, "
		"   source_currency, source_amount) "
		"VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $2 IS NULL THEN 'credit' ELSE 'receipt' END, $7, $8)",
		INT8OID, INT8OID, INT8OID, INT8OID, TEXTOID, NUMERICOID, TEXTOID, NUMERICOID);
	Datum		v[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

	v[0] = Int64GetDatum(payment_id);
	v[1] = Int64GetDatum(receipt_id);
	if (receipt_id <= 0)
		nulls[1] = 'n';
	v[2] = Int64GetDatum(p->invoice_id);
	v[3] = Int64GetDatum(p->customer_id);
	v[4] = om_text_datum(p->currency);
	v[5] = NumericGetDatum(p->amount);
	v[6] = om_text_datum(p->from_currency ? p->from_currency : p->currency);
	v[7] = NumericGetDatum(p->from_currency ? p->from_amount : p->amount);
	om_exec(&insert_allocation, v, nulls, false, 0);
}

/*
 * An invoice a customer's money may pay, with its order and currency; or
 * OM005 (no such invoice), 22023 (another customer's).
 */
void
om_customer_invoice(int64 customer_id, const char *customer, int64 invoice_id, OmInvoicePayment *p)
{
	static OmPlan find_invoice = OM_PLAN(
		"SELECT order_id, customer_id, currency::text FROM ordermgmt.invoices WHERE invoice_id = $1",
		INT8OID);
	/* Result columns of find_invoice. */
	enum
	{
		FIND_INVOICE_ORDER_ID = 1,
		FIND_INVOICE_CUSTOMER_ID,
		FIND_INVOICE_CURRENCY
	};
	Datum		v[1];

	v[0] = Int64GetDatum(invoice_id);
	if (om_exec(&find_invoice, v, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("invoice " INT64_FORMAT " does not exist", invoice_id)));
	if (om_getint64(0, FIND_INVOICE_CUSTOMER_ID) != customer_id)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invoice " INT64_FORMAT " is not customer \"%s\"'s", invoice_id, customer),
				 errdetail("A customer's money pays only that customer's invoices.")));
	p->invoice_id = invoice_id;
	p->order_id = om_getint64(0, FIND_INVOICE_ORDER_ID);
	p->customer_id = customer_id;
	p->currency = om_gettext(0, FIND_INVOICE_CURRENCY);
}

/* What is still due on a locked invoice. */
Numeric
om_invoice_due(int64 invoice_id)
{
	static OmPlan due_of = OM_PLAN(
		"SELECT due FROM ordermgmt.invoices WHERE invoice_id = $1",
		INT8OID);
	/* Result column of due_of. */
	enum
	{
		DUE_OF_DUE = 1
	};
	Datum		v[1];
	bool		isnull;

	v[0] = Int64GetDatum(invoice_id);
	om_exec(&due_of, v, NULL, false, 1);
	return DatumGetNumericCopy(om_getdatum(0, DUE_OF_DUE, &isnull));
}
