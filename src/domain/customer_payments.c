/*
 * customer_payments.c
 *		record_customer_payment: one receipt of a customer allocated across
 *		several of its invoices, explicitly or oldest due first; what is
 *		not allocated stays as the customer's unapplied credit
 *		(customer_credit.c).
 *
 * A receipt is a customer_payments row (kind 'receipt') whose journal
 * entry debits cash and credits customer_credit with the whole amount.
 * Each allocation is then a payment of its invoice through the path
 * record_payment takes (om_pay_invoice: the invoice's paid, overdue
 * deadline, exposure, event, completion), debiting customer_credit
 * instead of cash, plus a payment_allocations row.  So the receivable
 * falls by what is allocated and the liability keeps what is not.
 *
 * Idempotency: reference is unique per customer (receipts and refunds
 * alike).  The same reference with the same arguments returns the first
 * receipt and writes nothing; with other arguments it is refused (22023):
 * a retry must not be mistaken for a second receipt, nor the reverse.
 *
 * Lock order (exposure.c): the orders of the invoices paid, then the
 * invoices, by id (om_lock_for_payments, as record_payments does), then
 * the customer row, then its credit row, then its exposure row.  Two
 * receipts allocating to overlapping invoices lock them in the same order
 * and never deadlock; the second sees what the first paid (OM006 for an
 * explicit allocation beyond what is left; oldest-first takes what is
 * left and keeps the rest as credit).
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/jsonb.h"

/* Upper bound on allocations per receipt, as on lines per order. */
#define OM_MAX_ALLOCATIONS 10000

/*
 * What an allocation of amount (in the receipt's currency) pays on an
 * invoice in invoice_currency: the same amount, or converted at today's
 * rates (a currency without a rate in force is refused, OM005).  The
 * payment's posting converts through the currency exchange account and
 * books the difference from the invoice's rate as an exchange difference
 * (billing.c).
 */
static Numeric
amount_in_invoice_currency(int64 invoice_id pg_attribute_unused(), Numeric amount,
						   const char *receipt_currency, const char *invoice_currency)
{
	return om_convert(amount, receipt_currency, invoice_currency, om_entry_date());
}

/* The allocations a receipt asks for, parsed and checked. */
typedef struct OmAllocationRequest
{
	int			n;
	int64	   *invoice_ids;
	Numeric    *amounts;
	Numeric		total;
} OmAllocationRequest;

static const char *const allocation_keys[] = {"invoice_id", "amount", NULL};

static int64
allocation_invoice_id(JsonbValue *f, int ord)
{
	char		what[64];
	int64		id;

	snprintf(what, sizeof(what), "allocation %d invoice_id", ord);
	if (f == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("allocation %d has no invoice_id", ord)));
	if (!om_numeric_int64(om_jsonb_numeric(f, what), &id) || id <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a positive integer", what)));
	return id;
}

/*
 * [{"invoice_id", "amount"}]: a non-empty array of objects, each invoice
 * once, amounts positive in cents, their sum at most the receipt's
 * amount (OM006).
 */
static void
parse_allocations(Jsonb *allocations, Numeric amount, OmAllocationRequest *req)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			n;
	int			i = 0;
	int			j;

	if (!JB_ROOT_IS_ARRAY(allocations) || JB_ROOT_IS_SCALAR(allocations))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("allocations must be a JSON array"),
				 errhint("Pass an array like [{\"invoice_id\": 7, \"amount\": 100.00}], or NULL for oldest due first.")));
	n = JB_ROOT_COUNT(allocations);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("allocations must not be empty"),
				 errhint("Pass NULL to allocate oldest due first.")));
	if (n > OM_MAX_ALLOCATIONS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a payment has at most %d allocations, got %d", OM_MAX_ALLOCATIONS, n)));
	req->invoice_ids = palloc(n * sizeof(int64));
	req->amounts = palloc(n * sizeof(Numeric));
	req->total = int64_to_numeric(0);

	it = JsonbIteratorInit(&allocations->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		Jsonb	   *item;
		JsonbValue *f;
		char		what[64];

		if (tok != WJB_ELEM)
			continue;
		CHECK_FOR_INTERRUPTS();
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("allocation %d must be a JSON object", i + 1)));
		item = JsonbValueToJsonb(&v);
		snprintf(what, sizeof(what), "allocation %d", i + 1);
		om_jsonb_check_keys(item, what, allocation_keys);
		req->invoice_ids[i] = allocation_invoice_id(om_jsonb_get(item, "invoice_id"), i + 1);
		f = om_jsonb_get(item, "amount");
		if (f == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("allocation %d has no amount", i + 1)));
		snprintf(what, sizeof(what), "allocation %d amount", i + 1);
		req->amounts[i] = om_jsonb_numeric(f, what);
		om_check_money(req->amounts[i], what);
		req->amounts[i] = om_money_round(req->amounts[i]);
		for (j = 0; j < i; j++)
			if (req->invoice_ids[j] == req->invoice_ids[i])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invoice " INT64_FORMAT " is allocated twice (allocations %d and %d)",
								req->invoice_ids[i], j + 1, i + 1),
						 errhint("Give each invoice one allocation.")));
		req->total = om_numeric_add(req->total, req->amounts[i]);
		i++;
	}
	req->n = i;
	if (om_numeric_cmp(req->total, amount) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_OVER_BILLING),
				 errmsg("allocations of %s exceed the payment of %s",
						om_numeric_out(req->total), om_numeric_out(amount))));
}

/*
 * Oldest due first: the customer's open invoices in the currency, by due
 * date, as many as the amount may pay (each one's due counted as it is
 * now; the calls re-read it under the lock).  Reads only the open
 * invoices of the customer (invoices_open_customer_idx).
 */
static void
oldest_due_first(int64 customer_id, const char *currency, Numeric amount, OmAllocationRequest *req)
{
	static OmPlan open_invoices = OM_PLAN(
		"SELECT x.invoice_id FROM ("
		"  SELECT i.invoice_id, i.due, i.due_at, "
		"         sum(i.due) OVER (ORDER BY i.due_at, i.invoice_id) AS upto "
		"    FROM ordermgmt.invoices i "
		"   WHERE i.customer_id = $1 AND i.due > 0 AND i.currency = $2::bpchar) x "
		" WHERE x.upto - x.due < $3 ORDER BY x.due_at, x.invoice_id",
		INT8OID, TEXTOID, NUMERICOID);
	/* Result column of open_invoices. */
	enum
	{
		OPEN_INVOICE_ID = 1
	};
	Datum		v[3];
	int			i;

	v[0] = Int64GetDatum(customer_id);
	v[1] = om_text_datum(currency);
	v[2] = NumericGetDatum(amount);
	req->n = om_exec(&open_invoices, v, NULL, false, 0);
	req->invoice_ids = palloc((req->n + 1) * sizeof(int64));
	req->amounts = palloc0((req->n + 1) * sizeof(Numeric));
	for (i = 0; i < req->n; i++)
		req->invoice_ids[i] = om_getint64(i, OPEN_INVOICE_ID);
}

/* Insert the receipt and post it: cash debited, customer credit credited. */
static int64
insert_receipt(int64 customer_id, const char *customer, Numeric amount, const char *currency,
			   const char *method, const char *reference, Jsonb *allocations)
{
	static OmPlan insert = OM_PLAN(
		"INSERT INTO ordermgmt.customer_payments "
		"  (customer_id, kind, amount, currency, method, reference, allocations, recorded_by) "
		"VALUES ($1, 'receipt', $2, $3, $4, $5, $6, $7) RETURNING customer_payment_id",
		INT8OID, NUMERICOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID);
	/* Result column of insert. */
	enum
	{
		INSERT_RECEIPT_ID = 1
	};
	Datum		v[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	int64		receipt_id;

	v[0] = Int64GetDatum(customer_id);
	v[1] = NumericGetDatum(amount);
	v[2] = om_text_datum(currency);
	v[3] = om_text_datum(method);
	v[4] = om_text_datum(reference);
	if (allocations)
		v[5] = JsonbPGetDatum(allocations);
	else
		nulls[5] = 'n';
	v[6] = om_text_datum(om_session_user());
	om_exec(&insert, v, nulls, false, 1);
	receipt_id = om_getint64(0, INSERT_RECEIPT_ID);
	{
		const char *roles[2] = {"cash", "customer_credit"};
		Numeric		debits[2] = {amount, NULL};
		Numeric		credits[2] = {NULL, amount};

		om_post("customer_payment", "customer_payment", receipt_id,
				psprintf("receipt " INT64_FORMAT " from customer %s", receipt_id, customer),
				currency, 2, roles, debits, credits);
	}
	return receipt_id;
}

/*
 * Pay the invoices of req from the receipt, under the locks: an explicit
 * allocation beyond what is due now is refused (OM006); oldest-first
 * takes what is due, up to what is left.  Returns the amount allocated.
 */
static Numeric
allocate(int64 receipt_id, int64 customer_id, const char *customer, Numeric amount,
		 const char *currency, const char *method, OmAllocationRequest *req, bool explicit)
{
	Numeric		left = amount;
	Numeric		zero = int64_to_numeric(0);
	int			i;

	for (i = 0; i < req->n; i++)
	{
		OmInvoicePayment pay;
		Numeric		due;
		Numeric		take;
		Numeric		spent;

		CHECK_FOR_INTERRUPTS();
		memset(&pay, 0, sizeof(pay));
		om_customer_invoice(customer_id, customer, req->invoice_ids[i], &pay);
		due = om_invoice_due(pay.invoice_id);
		if (explicit)
		{
			spent = req->amounts[i];
			take = amount_in_invoice_currency(pay.invoice_id, spent, currency, pay.currency);
			if (om_numeric_cmp(take, due) > 0)
				ereport(ERROR,
						(errcode(ERRCODE_OM_OVER_BILLING),
						 errmsg("allocation of %s exceeds the %s still due on invoice " INT64_FORMAT,
								om_numeric_out(take), om_numeric_out(due), pay.invoice_id)));
		}
		else
		{
			spent = left;
			take = amount_in_invoice_currency(pay.invoice_id, left, currency, pay.currency);
			if (om_numeric_cmp(take, due) > 0)
			{
				/* What is due, and what it costs of the receipt. */
				take = due;
				spent = amount_in_invoice_currency(pay.invoice_id, due, pay.currency, currency);
				if (om_numeric_cmp(spent, left) > 0)
					spent = left;
			}
		}
		if (om_numeric_cmp(take, zero) <= 0 || om_numeric_cmp(spent, zero) <= 0)
			continue;			/* paid meanwhile by another call */
		pay.amount = take;
		pay.method = method;
		pay.reference = NULL;
		pay.debit_role = "customer_credit";
		if (strcmp(currency, pay.currency) != 0)
		{
			pay.from_currency = currency;
			pay.from_amount = spent;
		}
		om_record_allocation(om_pay_invoice(&pay), receipt_id, &pay);
		left = om_numeric_sub(left, spent);
		if (!explicit && om_numeric_cmp(left, zero) <= 0)
			break;
	}
	return om_numeric_sub(amount, left);
}

/*
 * record_customer_payment: a receipt of amount in currency from customer,
 * allocated as allocations says (NULL: oldest due first); returns its
 * customer_payments id.
 */
int64
om_record_customer_payment(const char *customer, Numeric amount, const char *currency,
						   const char *method, const char *reference, Jsonb *allocations)
{
	OmAllocationRequest req;
	int64		customer_id;
	int64		receipt_id;
	Numeric		allocated;
	int			i;

	om_check_money(amount, "amount");
	amount = om_money_round(amount);
	om_check_currency(currency, "currency");
	om_check_key(reference, "reference");
	om_check_text_length(method, "method");
	memset(&req, 0, sizeof(req));
	if (allocations)
		parse_allocations(allocations, amount, &req);

	SPI_connect();
	customer_id = om_customer_id(customer);
	if (allocations)
	{
		/* Every invoice named is the customer's, with a rate if in another currency. */
		for (i = 0; i < req.n; i++)
		{
			OmInvoicePayment pay;

			memset(&pay, 0, sizeof(pay));
			om_customer_invoice(customer_id, customer, req.invoice_ids[i], &pay);
			(void) amount_in_invoice_currency(pay.invoice_id, req.amounts[i], currency, pay.currency);
		}
	}
	else
		oldest_due_first(customer_id, currency, amount, &req);

	/* Orders, invoices, the customer (batch_locks.c); then the credit row. */
	if (req.n > 0)
		om_lock_for_payments(req.invoice_ids, req.n);
	om_lock_customer(customer_id);
	receipt_id = om_customer_payment_retry(customer_id, customer, reference, "receipt", amount, currency,
										   method, allocations);
	if (receipt_id > 0)
	{
		SPI_finish();
		return receipt_id;
	}
	(void) om_credit_lock(customer_id, currency);

	receipt_id = insert_receipt(customer_id, customer, amount, currency, method, reference, allocations);
	allocated = allocate(receipt_id, customer_id, customer, amount, currency, method, &req,
						 allocations != NULL);
	om_credit_add(customer_id, currency, om_numeric_sub(amount, allocated));
	SPI_finish();
	return receipt_id;
}
