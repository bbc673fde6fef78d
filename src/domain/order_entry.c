/*
 * order_entry.c
 *		Order entry: create_order and submit_order.
 *
 * create_order validates the whole request in C before it writes anything,
 * then does one round of lookups per order (customer, warehouse and
 * settings together; all SKUs together) and one INSERT for all lines.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"

/* Upper bound on lines per order: keeps one call's work and memory bounded. */
#define OM_MAX_LINES	10000

typedef struct OrderRequest
{
	int			nlines;
	Datum	   *skus;			/* text */
	Datum	   *qtys;			/* numeric */
	Datum	   *prices;			/* numeric, or 0 with price_null */
	bool	   *price_null;
	char	   *warehouse;
	char	   *external_ref;
	char	   *currency;
	Datum		promised_at;
	bool		has_promised_at;
	Datum		valid_until;	/* a quotation's validity (drafts only) */
	const char *allocation;		/* "complete", "partial", or NULL: the customer's */
	bool		has_valid_until;
	bool		submit;
	bool		has_auto_confirm;
	bool		auto_confirm;
	Numeric		discount_pct;	/* off the lines without unit_price, or NULL */
} OrderRequest;

static const char *const line_keys[] = {"sku", "qty", "unit_price", NULL};
static const char *const option_keys[] = {"warehouse", "promised_at", "external_ref", "submit",
										  "auto_confirm", "currency", "discount_pct", "valid_until", "allocation", NULL};

static void
parse_lines(Jsonb *lines, OrderRequest *req)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			n;
	int			i = 0;

	if (!JB_ROOT_IS_ARRAY(lines) || JB_ROOT_IS_SCALAR(lines))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lines must be a JSON array"),
				 errhint("Pass an array like [{\"sku\": \"A-1\", \"qty\": 2}].")));
	n = JB_ROOT_COUNT(lines);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lines must not be empty")));
	if (n > OM_MAX_LINES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an order has at most %d lines, got %d", OM_MAX_LINES, n)));

	req->nlines = n;
	req->skus = palloc(n * sizeof(Datum));
	req->qtys = palloc(n * sizeof(Datum));
	req->prices = palloc0(n * sizeof(Datum));
	req->price_null = palloc(n * sizeof(bool));

	it = JsonbIteratorInit(&lines->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		Jsonb	   *line;
		JsonbValue *f;
		char		what[64];

		if (tok != WJB_ELEM)
			continue;
		CHECK_FOR_INTERRUPTS();
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("line %d must be a JSON object", i + 1)));
		line = JsonbValueToJsonb(&v);
		snprintf(what, sizeof(what), "line %d", i + 1);
		om_jsonb_check_keys(line, what, line_keys);

		f = om_jsonb_get(line, "sku");
		if (f == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("line %d has no sku", i + 1)));
		snprintf(what, sizeof(what), "line %d sku", i + 1);
		req->skus[i] = om_text_datum(om_jsonb_string(f, what));

		f = om_jsonb_get(line, "qty");
		if (f == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("line %d has no qty", i + 1)));
		snprintf(what, sizeof(what), "line %d qty", i + 1);
		req->qtys[i] = NumericGetDatum(om_check_quantity(om_jsonb_numeric(f, what), what, false));

		f = om_jsonb_get(line, "unit_price");
		req->price_null[i] = (f == NULL || f->type == jbvNull);
		if (!req->price_null[i])
		{
			snprintf(what, sizeof(what), "line %d unit_price", i + 1);
			req->prices[i] = NumericGetDatum(om_check_quantity(om_jsonb_numeric(f, what), what, true));
		}
		i++;
	}
}

/*
 * options.valid_until: how long a quotation (a draft, submit false) stands;
 * monitor_tick cancels it as 'expired' after that.  Only for drafts, and
 * in the future.
 */
static void
parse_valid_until(JsonbValue *f, OrderRequest *req)
{
	char	   *s = om_jsonb_string(f, "options.valid_until");
	TimestampTz at;
	char		workbuf[MAXDATELEN + MAXDATEFIELDS];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype;
	int			tz;
	fsec_t		fsec;
	struct pg_tm tt;
	int			dterr;

	/* Malformed is bad input (22023): parsed first, as timestamptz_in does. */
	dterr = ParseDateTime(s, workbuf, sizeof(workbuf), field, ftype, MAXDATEFIELDS, &nf);
	if (dterr == 0)
		dterr = DecodeDateTime(field, ftype, nf, &dtype, &tt, &fsec, &tz);
	if (dterr != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options.valid_until must be a timestamp, got \"%s\"", s)));
	req->valid_until = DirectFunctionCall3(timestamptz_in, CStringGetDatum(s),
										   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	at = DatumGetTimestampTz(req->valid_until);
	if (TIMESTAMP_NOT_FINITE(at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options.valid_until must be a finite timestamp")));
	if (at <= GetCurrentTransactionStartTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options.valid_until must be in the future"),
				 errdetail("valid_until is %s.", timestamptz_to_str(at)),
				 errhint("A quotation that has already expired is not entered.")));
	req->has_valid_until = true;
}

static void
parse_options(Jsonb *options, OrderRequest *req)
{
	JsonbValue *f;

	req->submit = true;
	if (options == NULL)
		return;
	om_jsonb_check_keys(options, "options", option_keys);

	if ((f = om_jsonb_get(options, "warehouse")) != NULL && f->type != jbvNull)
		req->warehouse = om_jsonb_string(f, "options.warehouse");
	if ((f = om_jsonb_get(options, "external_ref")) != NULL && f->type != jbvNull)
	{
		req->external_ref = om_jsonb_string(f, "options.external_ref");
		om_check_key(req->external_ref, "options.external_ref");
	}
	if ((f = om_jsonb_get(options, "currency")) != NULL && f->type != jbvNull)
	{
		char	   *c = om_jsonb_string(f, "options.currency");

		if (strlen(c) != 3 || strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("options.currency must be a three-letter ISO 4217 code, got \"%s\"", c)));
		req->currency = c;
	}
	if ((f = om_jsonb_get(options, "promised_at")) != NULL && f->type != jbvNull)
	{
		char	   *s = om_jsonb_string(f, "options.promised_at");

		req->promised_at = DirectFunctionCall3(timestamptz_in, CStringGetDatum(s),
											   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		if (TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(req->promised_at)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("options.promised_at must be a finite timestamp")));
		req->has_promised_at = true;
	}
	if ((f = om_jsonb_get(options, "discount_pct")) != NULL && f->type != jbvNull)
	{
		Numeric		pct = om_check_quantity(om_jsonb_numeric(f, "options.discount_pct"),
											"options.discount_pct", true);

		if (om_numeric_cmp(pct, int64_to_numeric(100)) >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("options.discount_pct must be below 100, got %s", om_numeric_out(pct))));
		req->discount_pct = pct;
	}
	if ((f = om_jsonb_get(options, "submit")) != NULL)
		req->submit = om_jsonb_bool(f, "options.submit");
	if ((f = om_jsonb_get(options, "valid_until")) != NULL && f->type != jbvNull)
		parse_valid_until(f, req);
	if ((f = om_jsonb_get(options, "allocation")) != NULL && f->type != jbvNull)
	{
		req->allocation = om_jsonb_string(f, "options.allocation");
		if (strcmp(req->allocation, "complete") != 0 && strcmp(req->allocation, "partial") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("options.allocation must be \"complete\" or \"partial\", got \"%s\"",
							req->allocation)));
	}
	if ((f = om_jsonb_get(options, "auto_confirm")) != NULL)
	{
		req->auto_confirm = om_jsonb_bool(f, "options.auto_confirm");
		req->has_auto_confirm = true;
	}
}

/*
 * A customer login orders at the prices the company sets and leaves the
 * confirmation to its staff: its order is a draft or pending, never more.
 */
static void
check_customer_request(const OrderRequest *req)
{
	int			i;

	for (i = 0; i < req->nlines; i++)
		if (!req->price_null[i])
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to set unit_price on line %d", i + 1),
					 errdetail("A customer login's lines take the company's price."),
					 errhint("Leave unit_price out.")));
	if (req->discount_pct != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to give a discount"),
				 errdetail("A customer login's lines take the company's price."),
				 errhint("Leave options.discount_pct out.")));
	if (req->has_auto_confirm && req->auto_confirm)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to auto-confirm an order"),
				 errdetail("A customer login's order waits in pending for the company to confirm it."),
				 errhint("Leave options.auto_confirm out.")));
}

/*
 * The price of a line without unit_price: its expected price, less the
 * order's discount (options.discount_pct) rounded to the lines' scale.
 * The line still records the expected price, so that the price check and
 * the discount_pct approval rule see the discount.
 */
static Datum
line_price(Numeric expected, Numeric discount_pct)
{
	Numeric		price;

	if (discount_pct == NULL)
		return NumericGetDatum(expected);
	price = om_numeric_div(om_numeric_mul(expected,
										  om_numeric_sub(int64_to_numeric(100), discount_pct)),
						   int64_to_numeric(100));
	return DirectFunctionCall2(numeric_round, NumericGetDatum(price), Int32GetDatum(OM_QTY_SCALE));
}

/*
 * The order's currency: options.currency, else the currency of the
 * customer's price list in force (list_currency, NULL: none), else the
 * currency setting.  A list's prices are in its currency: an order in
 * another one cannot take them, nor be checked against them.
 */
static char *
order_currency(const OrderRequest *req, char *setting, char *list_currency, const char *list_code,
			   const char *customer)
{
	if (list_currency == NULL)
		return req->currency ? req->currency : setting;
	if (req->currency && strcmp(req->currency, list_currency) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("order currency %s differs from the currency %s of customer \"%s\"'s price list \"%s\"",
						req->currency, list_currency, customer, list_code),
				 errdetail("The customer's prices, and the price check of its orders, are in %s.", list_currency),
				 errhint("Leave options.currency out (the order then takes the list's), "
						 "or give the customer a price list in %s.", req->currency)));
	return list_currency;
}

/*
 * What an order of customer entered into warehouse (a code, or NULL)
 * needs to know besides its products, in one row: the customer, the
 * warehouse as create_order finds it, and the settings.
 */
#define OM_ENTRY_CONTEXT(customer, warehouse) \
	"WITH s AS (SELECT max(value) FILTER (WHERE key = 'default_warehouse') AS dw, " \
	"                  max(value) FILTER (WHERE key = 'auto_confirm') AS ac, " \
	"                  max(value) FILTER (WHERE key = 'currency') AS cur, " \
	"                  max(value) FILTER (WHERE key = 'sourcing') AS src " \
	"             FROM ordermgmt.settings) " \
	"SELECT c.customer_id, " \
	"       CASE WHEN " warehouse " IS NOT NULL " \
	"            THEN (SELECT warehouse_id FROM ordermgmt.warehouses WHERE code = " warehouse ") " \
	"            WHEN s.src = 'split' " \
	"            THEN (SELECT warehouse_id FROM ordermgmt.warehouses ORDER BY priority, code LIMIT 1) " \
	"            WHEN s.dw IS NOT NULL " \
	"            THEN (SELECT warehouse_id FROM ordermgmt.warehouses WHERE code = s.dw) " \
	"            ELSE (SELECT min(warehouse_id) FROM ordermgmt.warehouses HAVING count(*) = 1) END, " \
	"       coalesce(s.ac::boolean, true), coalesce(s.cur, 'EUR'), s.dw, " \
	"       c.blocked, c.credit_limit IS NOT NULL, pl.price_list_id, pl.currency::text, pl.code, " \
	"       coalesce(c.allocation, 'complete'), " warehouse " IS NULL AND s.src IS NOT DISTINCT FROM 'split' " \
	"  FROM s LEFT JOIN ordermgmt.customers c ON c.code = " customer " " \
	"  LEFT JOIN ordermgmt.price_lists pl " \
	"    ON pl.price_list_id = c.price_list_id AND " OM_IN_FORCE("pl", "now()")

/* The products of SKUs, each line's price list_price (no price list). */
#define OM_ENTRY_PRODUCTS \
	"SELECT p.product_id, p.list_price, u.sku, p.active, p.tax_rate " \
	"  FROM unnest($1::text[]) WITH ORDINALITY AS u(sku, ord) " \
	"  LEFT JOIN LATERAL (SELECT product_id, list_price, active, tax_rate FROM ordermgmt.products " \
	"                      WHERE sku = u.sku LIMIT 1) p ON true ORDER BY u.ord"

/* A customer code and warehouse code (or NULL) of an order's request. */
typedef struct EntryKey
{
	const char *customer;
	const char *warehouse;
} EntryKey;

/*
 * What many orders' lookups return, read with one statement each
 * (om_entry_lookups): the context rows of their (customer, warehouse)
 * pairs and the product rows of their SKUs, each sorted for bsearch.  Read
 * under the same locks and in the same transaction as a single call would
 * read them one order at a time.
 */
struct OmEntryLookups
{
	SPITupleTable *contexts;
	EntryKey   *keys;
	int			nkeys;
	SPITupleTable *products;
	const char **skus;
	int			nskus;
};

static int
compare_entry_key(const void *a, const void *b)
{
	const EntryKey *x = (const EntryKey *) a;
	const EntryKey *y = (const EntryKey *) b;
	int			c = strcmp(x->customer, y->customer);

	if (c != 0)
		return c;
	if (x->warehouse == NULL || y->warehouse == NULL)
		return (x->warehouse != NULL) - (y->warehouse != NULL);
	return strcmp(x->warehouse, y->warehouse);
}

static int
compare_cstring(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * Look up, for n orders at once, the contexts of their customers and
 * warehouses (keys) and their SKUs (nskus, repeats allowed): two statements
 * instead of two per order.  The caller is connected to SPI and keeps the
 * connection while om_prepare_order uses the result.
 */
OmEntryLookups *
om_entry_lookups(const char **customers, const char **warehouses, int n, const char **skus, int nskus)
{
	static OmPlan lookup_contexts = OM_PLAN(
		"SELECT x.* FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(c, w, n) "
		" CROSS JOIN LATERAL (" OM_ENTRY_CONTEXT("u.c", "u.w") ") x ORDER BY u.n",
		TEXTARRAYOID, TEXTARRAYOID);
	static OmPlan lookup_products = OM_PLAN(OM_ENTRY_PRODUCTS, TEXTARRAYOID);
	OmEntryLookups *lk = palloc0(sizeof(OmEntryLookups));
	Datum	   *c = palloc(Max(n, 1) * sizeof(Datum));
	Datum	   *w = palloc(Max(n, 1) * sizeof(Datum));
	bool	   *w_null = palloc(Max(n, 1) * sizeof(bool));
	Datum		v[2];
	int			i;

	lk->keys = palloc(Max(n, 1) * sizeof(EntryKey));
	for (i = 0; i < n; i++)
	{
		lk->keys[i].customer = customers[i];
		lk->keys[i].warehouse = warehouses[i];
	}
	qsort(lk->keys, n, sizeof(EntryKey), compare_entry_key);
	for (i = 0; i < n; i++)
		if (lk->nkeys == 0 || compare_entry_key(&lk->keys[lk->nkeys - 1], &lk->keys[i]) != 0)
			lk->keys[lk->nkeys++] = lk->keys[i];
	for (i = 0; i < lk->nkeys; i++)
	{
		c[i] = om_text_datum(lk->keys[i].customer);
		w_null[i] = lk->keys[i].warehouse == NULL;
		w[i] = w_null[i] ? (Datum) 0 : om_text_datum(lk->keys[i].warehouse);
	}
	if (lk->nkeys > 0)
	{
		v[0] = om_array(c, lk->nkeys, TEXTOID);
		v[1] = om_array_with_nulls(w, w_null, lk->nkeys, TEXTOID);
		if (om_exec(&lookup_contexts, v, NULL, true, 0) != lk->nkeys)
			elog(ERROR, "ordermgmt: order contexts looked up wrongly");
		lk->contexts = SPI_tuptable;
	}

	lk->skus = palloc(Max(nskus, 1) * sizeof(char *));
	memcpy(lk->skus, skus, nskus * sizeof(char *));
	qsort(lk->skus, nskus, sizeof(char *), compare_cstring);
	for (i = 0; i < nskus; i++)
		if (lk->nskus == 0 || strcmp(lk->skus[lk->nskus - 1], lk->skus[i]) != 0)
			lk->skus[lk->nskus++] = lk->skus[i];
	if (lk->nskus > 0)
	{
		v[0] = om_cstring_array(lk->skus, lk->nskus);
		if (om_exec(&lookup_products, v, NULL, true, 0) != lk->nskus)
			elog(ERROR, "ordermgmt: products looked up wrongly");
		lk->products = SPI_tuptable;
	}
	return lk;
}

/*
 * The row of the order's context: looked up before (lk) and made the
 * current SPI result, or looked up now (row 0).
 */
static int
context_row(OmEntryLookups *lk, const char *customer, const char *warehouse, OmPlan *lookup)
{
	EntryKey	key = {customer, warehouse};
	EntryKey   *found = NULL;
	Datum		v[2];
	char		nulls[2] = {' ', ' '};

	if (lk != NULL && lk->nkeys > 0)
		found = bsearch(&key, lk->keys, lk->nkeys, sizeof(EntryKey), compare_entry_key);
	if (found != NULL)
	{
		SPI_tuptable = lk->contexts;
		return found - lk->keys;
	}
	v[0] = om_text_datum(customer);
	if (warehouse)
		v[1] = om_text_datum(warehouse);
	else
		nulls[1] = 'n';
	om_exec(lookup, v, nulls, true, 1);
	return 0;
}

/*
 * rows[i]: the row of line i's product among the lookups made before (lk,
 * made the current SPI result); false when one is not there.
 */
static bool
product_rows(OmEntryLookups *lk, OrderRequest *req, int *rows)
{
	int			i;

	if (lk == NULL || lk->nskus == 0)
		return false;
	for (i = 0; i < req->nlines; i++)
	{
		char	   *sku = TextDatumGetCString(req->skus[i]);
		const char **found = bsearch(&sku, lk->skus, lk->nskus, sizeof(char *), compare_cstring);

		if (found == NULL)
			return false;
		rows[i] = found - lk->skus;
	}
	SPI_tuptable = lk->products;
	return true;
}

/*
 * Parse a request for a new order of customer (lines
 * [{"sku", "qty", "unit_price"?}], options or NULL) and look up what it
 * names: the customer, warehouse and settings together, a repeated
 * external_ref, then all SKUs together.  Writes nothing; the caller is
 * connected to SPI.  A repeated external_ref sets o->existing_id only.
 */
void
om_prepare_order(const char *customer, Jsonb *lines, Jsonb *options, bool by_customer, OmNewOrder *o,
				 OmEntryLookups *lk)
{
	static OmPlan lookup_context = OM_PLAN(OM_ENTRY_CONTEXT("$1", "$2"), TEXTOID, TEXTOID);
	/* Result columns of lookup_context. */
	enum
	{
		CONTEXT_CUSTOMER_ID = 1,
		CONTEXT_WAREHOUSE_ID,
		CONTEXT_AUTO_CONFIRM,
		CONTEXT_CURRENCY,
		CONTEXT_DEFAULT_WAREHOUSE,
		CONTEXT_BLOCKED,
		CONTEXT_HAS_LIMIT,
		CONTEXT_PRICE_LIST_ID,
		CONTEXT_PRICE_LIST_CURRENCY,
		CONTEXT_PRICE_LIST_CODE,
		CONTEXT_ALLOCATION,
		CONTEXT_SPLIT
	};
	/*
	 * The products, and the price each line gets when it gives none: its
	 * list_price, or (lookup_priced_products, for a customer with a price
	 * list in force, $2) the list's best break for the line's quantity.
	 */
	static OmPlan lookup_products = OM_PLAN(OM_ENTRY_PRODUCTS, TEXTARRAYOID);
	static OmPlan lookup_priced_products = OM_PLAN(
		"SELECT p.product_id, coalesce(" OM_BEST_BREAK("$2", "p.product_id", "u.qty", "now()") ", p.list_price), "
		"       u.sku, p.active, p.tax_rate "
		"  FROM unnest($1::text[], $3::numeric[]) WITH ORDINALITY AS u(sku, qty, ord) "
		"  LEFT JOIN LATERAL (SELECT product_id, list_price, active, tax_rate FROM ordermgmt.products "
		"                      WHERE sku = u.sku LIMIT 1) p ON true ORDER BY u.ord",
		TEXTARRAYOID, INT8OID, NUMERICARRAYOID);
	/* Result columns of lookup_products and lookup_priced_products. */
	enum
	{
		PRODUCT_ID = 1,
		PRODUCT_EXPECTED_PRICE,
		PRODUCT_SKU,
		PRODUCT_ACTIVE,
		PRODUCT_TAX_RATE
	};
	OrderRequest req;
	OmCheckInput *in = &o->in;
	Datum		v[3];
	int			ctx;
	int		   *rows;
	bool		looked_up = false;
	bool		isnull;
	bool		no_price_list;
	Datum		price_list_id;
	int			i;

	memset(o, 0, sizeof(*o));
	memset(&req, 0, sizeof(req));
	parse_lines(lines, &req);
	parse_options(options, &req);
	if (req.has_valid_until && req.submit)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options.valid_until is for quotations only"),
				 errdetail("An order that is submitted does not expire."),
				 errhint("Pass \"submit\": false to enter a quotation, or leave options.valid_until out.")));
	if (by_customer)
		check_customer_request(&req);

	ctx = context_row(lk, customer, req.warehouse, &lookup_context);
	in->customer_id = DatumGetInt64(om_getdatum(ctx, CONTEXT_CUSTOMER_ID, &isnull));
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("unknown customer \"%s\"", customer)));
	in->warehouse_id = DatumGetInt64(om_getdatum(ctx, CONTEXT_WAREHOUSE_ID, &isnull));
	if (isnull)
	{
		char	   *dw = om_gettext(ctx, CONTEXT_DEFAULT_WAREHOUSE);

		if (req.warehouse || dw)
			ereport(ERROR,
					(errcode(ERRCODE_OM_UNKNOWN),
					 errmsg("unknown warehouse \"%s\"", req.warehouse ? req.warehouse : dw)));
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("no warehouse given and no default warehouse"),
				 errhint("Pass options.warehouse, or set the default_warehouse setting.")));
	}
	o->submit = req.submit;
	o->auto_confirm = req.submit && !by_customer &&
		(req.has_auto_confirm ? req.auto_confirm : om_getbool(ctx, CONTEXT_AUTO_CONFIRM));
	in->currency = order_currency(&req, om_gettext(ctx, CONTEXT_CURRENCY),
								  om_gettext(ctx, CONTEXT_PRICE_LIST_CURRENCY),
								  om_gettext(ctx, CONTEXT_PRICE_LIST_CODE), customer);
	price_list_id = om_getdatum(ctx, CONTEXT_PRICE_LIST_ID, &no_price_list);
	in->blocked = om_getbool(ctx, CONTEXT_BLOCKED);
	in->has_limit = om_getbool(ctx, CONTEXT_HAS_LIMIT);
	in->customer_code = customer;
	/* The order's allocation: the option, else the customer's default. */
	o->allocation = req.allocation ? req.allocation : om_gettext(ctx, CONTEXT_ALLOCATION);
	in->partial = strcmp(o->allocation, "partial") == 0;
	/* No warehouse named under sourcing split: every warehouse, the first its home. */
	in->split = om_getbool(ctx, CONTEXT_SPLIT);
	o->external_ref = req.external_ref;
	o->has_promised_at = req.has_promised_at;
	o->promised_at = req.promised_at;
	o->has_valid_until = req.has_valid_until;
	o->valid_until = req.valid_until;

	/* A repeated request returns the first order and writes nothing. */
	if (req.external_ref)
	{
		o->existing_id = om_order_by_ref(in->customer_id, req.external_ref, true);
		if (o->existing_id != 0)
			return;
	}

	v[0] = om_array(req.skus, req.nlines, TEXTOID);
	o->qty_array = om_array(req.qtys, req.nlines, NUMERICOID);
	rows = palloc(req.nlines * sizeof(int));
	if (!no_price_list)
	{
		v[1] = price_list_id;
		v[2] = o->qty_array;
		om_exec(&lookup_priced_products, v, NULL, true, 0);
	}
	else if (!product_rows(lk, &req, rows))
		om_exec(&lookup_products, v, NULL, true, 0);
	else
		looked_up = true;
	if (!looked_up)
		for (i = 0; i < req.nlines; i++)
			rows[i] = i;
	o->product_ids = palloc(req.nlines * sizeof(Datum));
	o->tax_rates = palloc(req.nlines * sizeof(Datum));
	o->expected_prices = palloc(req.nlines * sizeof(Datum));
	o->prices = req.prices;
	in->nlines = req.nlines;
	in->lines = palloc(req.nlines * sizeof(OmConfirmLine));
	for (i = 0; i < req.nlines; i++)
	{
		OmConfirmLine *l = &in->lines[i];

		o->product_ids[i] = om_getdatum(rows[i], PRODUCT_ID, &isnull);
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_OM_UNKNOWN),
					 errmsg("unknown product \"%s\" on line %d", om_gettext(rows[i], PRODUCT_SKU), i + 1)));
		l->expected_price = DatumGetNumericCopy(om_getdatum(rows[i], PRODUCT_EXPECTED_PRICE, &isnull));
		o->expected_prices[i] = NumericGetDatum(l->expected_price);
		if (req.price_null[i])
			req.prices[i] = line_price(l->expected_price, req.discount_pct);
		l->line_no = i + 1;
		l->product_id = DatumGetInt64(o->product_ids[i]);
		l->qty = DatumGetNumeric(req.qtys[i]);
		l->open_qty = l->qty;
		l->unit_price = DatumGetNumeric(req.prices[i]);
		l->sku = om_gettext(rows[i], PRODUCT_SKU);
		l->active = om_getbool(rows[i], PRODUCT_ACTIVE);
		l->tax_rate = DatumGetNumericCopy(om_getdatum(rows[i], PRODUCT_TAX_RATE, &isnull));
		o->tax_rates[i] = NumericGetDatum(l->tax_rate);
		l->reserved = false;
	}
	o->price_array = om_array(o->prices, req.nlines, NUMERICOID);
}

/*
 * The order of a customer with an external_ref, or 0.  read_only: the
 * lookup before anything is written (a snapshot of its own).
 */
int64
om_order_by_ref(int64 customer_id, const char *external_ref, bool read_only)
{
	static OmPlan find_by_ref = OM_PLAN(
		"SELECT order_id FROM ordermgmt.orders WHERE customer_id = $1 AND external_ref = $2",
		INT8OID, TEXTOID);
	Datum		v[2];

	v[0] = Int64GetDatum(customer_id);
	v[1] = om_text_datum(external_ref);
	if (om_exec(&find_by_ref, v, NULL, read_only, 1) == 0)
		return 0;
	return om_getint64(0, 1);
}

/*
 * A new order of customer from lines ([{"sku", "qty", "unit_price"?}]) and
 * options (NULL: none); returns its id, or the first order's for a repeated
 * external_ref.
 */
int64
om_create_order(const char *customer, Jsonb *lines, Jsonb *options, bool by_customer)
{
	/*
	 * An order leaving draft records its lines' net value.  Without an
	 * external_ref nothing can conflict: a plain INSERT spares the
	 * speculative insertion.
	 */
#define OM_INSERT_ORDER_NET \
		"INSERT INTO ordermgmt.orders " \
		"  (customer_id, warehouse_id, status, currency, external_ref, promised_at, confirmed_at, ordered_net, " \
		"   valid_until, allocation, sourcing) " \
		"VALUES ($1, $2, $3::ordermgmt.order_status, $4, $5, $6, " \
		"        CASE WHEN $3 = 'confirmed' THEN now() END, " \
		"        CASE WHEN $3 <> 'draft' THEN " \
		"          (SELECT round(sum(u.q::numeric(18,4) * u.p::numeric(18,4)), 2) " \
		"             FROM unnest($7::numeric[], $8::numeric[]) AS u(q, p)) END, $9, $10, $11) "
	static OmPlan insert_order_net = OM_PLAN(
		OM_INSERT_ORDER_NET "ON CONFLICT (customer_id, external_ref) DO NOTHING RETURNING order_id",
		INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, NUMERICARRAYOID, NUMERICARRAYOID,
		TIMESTAMPTZOID, TEXTOID, TEXTOID);
	static OmPlan insert_order_net_no_ref = OM_PLAN(
		OM_INSERT_ORDER_NET "RETURNING order_id",
		INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, NUMERICARRAYOID, NUMERICARRAYOID,
		TIMESTAMPTZOID, TEXTOID, TEXTOID);
#undef OM_INSERT_ORDER_NET
	/* Result column of insert_order_net and insert_order_net_no_ref. */
	enum
	{
		INSERT_ORDER_ID = 1
	};
	/*
	 * $5, the products' tax rates, is NULL for a draft: its lines record
	 * none yet.  $6, the expected prices, are recorded for drafts too: a
	 * line is priced as it is entered.
	 */
	static OmPlan insert_lines = OM_PLAN(
		"INSERT INTO ordermgmt.order_lines "
		"  (order_id, line_no, product_id, qty, unit_price, tax_rate, expected_price, "
		"   reserved_qty, backordered_qty) "
		"SELECT $1, u.ord, u.p, u.q, u.price, u.rate, u.expected, coalesce(u.held, 0), coalesce(u.waiting, 0) "
		"  FROM unnest($2::bigint[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], "
		"              $7::numeric[], $8::numeric[]) "
		"       WITH ORDINALITY AS u(p, q, price, rate, expected, held, waiting, ord)",
		INT8OID, INT8ARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID,
		NUMERICARRAYOID, NUMERICARRAYOID);
	OmNewOrder o;
	OmCheckInput *in = &o.in;
	Datum		v[11];
	char		nulls[11] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	volatile int64 order_id;
	OmCheckResult res;
	volatile bool passed = false;
	int			inserted;
	int			i;

	SPI_connect();
	om_prepare_order(customer, lines, options, by_customer, &o, NULL);
	if (o.existing_id != 0)
	{
		SPI_finish();
		return o.existing_id;
	}

	/*
	 * Auto-confirmation runs the level-1 checks before the order is stored:
	 * an order that passes is inserted confirmed (its history and events
	 * still show it passing through pending), sparing the second round of
	 * status change; one that fails is stored pending and held by
	 * om_confirm, which raises its alerts.
	 */
	if (o.auto_confirm)
		passed = om_level1_checks(in, &res);

	v[0] = Int64GetDatum(in->customer_id);
	v[1] = Int64GetDatum(in->warehouse_id);
	v[2] = om_text_datum(!o.submit ? "draft" : passed ? "confirmed" : "pending");
	v[3] = om_text_datum(in->currency);
	if (o.external_ref)
		v[4] = om_text_datum(o.external_ref);
	else
		nulls[4] = 'n';
	if (o.has_promised_at)
		v[5] = o.promised_at;
	else
		nulls[5] = 'n';
	v[6] = o.qty_array;
	v[7] = o.price_array;
	if (o.has_valid_until)
		v[8] = o.valid_until;
	else
		nulls[8] = 'n';
	v[9] = om_text_datum(o.allocation);
	v[10] = om_text_datum(in->split ? "split" : "single");
	OM_API_BEGIN();
	inserted = om_exec(o.external_ref ? &insert_order_net : &insert_order_net_no_ref,
					   v, nulls, false, 1);
	OM_API_END();
	if (inserted == 0)
	{
		/* A concurrent call with the same external_ref committed first. */
		order_id = om_order_by_ref(in->customer_id, o.external_ref, false);
		SPI_finish();
		return order_id;
	}
	order_id = om_getint64(0, INSERT_ORDER_ID);
	if (o.has_valid_until)
		om_quotation_expiry_set(order_id, o.valid_until);

	v[0] = Int64GetDatum(order_id);
	v[1] = om_array(o.product_ids, in->nlines, INT8OID);
	v[2] = o.qty_array;
	v[3] = o.price_array;
	memset(nulls, ' ', sizeof(nulls));
	if (o.submit)
		v[4] = om_array(o.tax_rates, in->nlines, NUMERICOID);
	else
		nulls[4] = 'n';
	v[5] = om_array(o.expected_prices, in->nlines, NUMERICOID);
	/*
	 * Lines of an order inserted confirmed that reserves in its one
	 * warehouse are stored holding what they reserve and waiting for the
	 * rest: the reservation then needs no second write of them
	 * (om_reserve_checked).
	 */
	in->lines_hold = passed && !in->split;
	if (in->lines_hold)
	{
		Datum	   *held = palloc(in->nlines * sizeof(Datum));
		Datum	   *waiting = palloc(in->nlines * sizeof(Datum));

		om_allocate_lines(in, &res);
		for (i = 0; i < in->nlines; i++)
		{
			held[i] = NumericGetDatum(in->lines[i].take);
			waiting[i] = NumericGetDatum(in->lines[i].wait);
		}
		v[6] = om_array(held, in->nlines, NUMERICOID);
		v[7] = om_array(waiting, in->nlines, NUMERICOID);
	}
	else
		nulls[6] = nulls[7] = 'n';
	OM_API_BEGIN();
	om_exec(&insert_lines, v, nulls, false, 0);
	OM_API_END();

	if (passed)
	{
		om_reserve_checked(order_id, in, &res);
		/*
		 * Inserted confirmed: its lines now count in the exposure, with the
		 * value the checks summed from them (nothing is billed yet).
		 */
		om_exposure_add(in->customer_id, in->currency, res.order_value, int64_to_numeric(0));
	}
	else if (o.auto_confirm)
		om_confirm(order_id);

	SPI_finish();
	return order_id;
}

/*
 * A draft goes to pending, and on through confirmation when the
 * auto_confirm setting says so (never for a customer login); returns the
 * new status.
 */
const char *
om_submit_order(int64 order_id, bool by_customer)
{
	static OmPlan auto_confirm_setting = OM_PLAN(
		"SELECT coalesce((SELECT value::boolean FROM ordermgmt.settings WHERE key = 'auto_confirm'), true), "
		"       EXISTS (SELECT 1 FROM ordermgmt.order_lines WHERE order_id = $1)",
		INT8OID);
	/* Result columns of auto_confirm_setting. */
	enum
	{
		AUTO_CONFIRM_VALUE = 1,
		AUTO_CONFIRM_HAS_LINES
	};
	char	   *status;
	bool		auto_confirm;
	Datum		v[1];

	SPI_connect();
	status = om_lock_order(order_id);
	if (strcmp(status, "draft") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("cannot submit order " INT64_FORMAT ": it is %s", order_id, status),
				 errhint("Only drafts are submitted.")));
	v[0] = Int64GetDatum(order_id);
	om_exec(&auto_confirm_setting, v, NULL, false, 1);
	if (!om_getbool(0, AUTO_CONFIRM_HAS_LINES))
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("cannot submit order " INT64_FORMAT ": it has no lines", order_id)));
	auto_confirm = !by_customer && om_getbool(0, AUTO_CONFIRM_VALUE);
	om_set_status(order_id, "pending", NULL);
	status = auto_confirm ? om_confirm(order_id) : "pending";
	SPI_finish();
	return status;
}
