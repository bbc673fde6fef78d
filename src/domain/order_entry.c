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
 * A new order of customer from lines ([{"sku", "qty", "unit_price"?}]) and
 * options (NULL: none); returns its id, or the first order's for a repeated
 * external_ref.
 */
int64
om_create_order(const char *customer, Jsonb *lines, Jsonb *options, bool by_customer)
{
	static OmPlan lookup_context = OM_PLAN(
		"WITH s AS (SELECT max(value) FILTER (WHERE key = 'default_warehouse') AS dw, "
		"                  max(value) FILTER (WHERE key = 'auto_confirm') AS ac, "
		"                  max(value) FILTER (WHERE key = 'currency') AS cur, "
		"                  max(value) FILTER (WHERE key = 'sourcing') AS src "
		"             FROM ordermgmt.settings) "
		"SELECT c.customer_id, "
		"       CASE WHEN $2 IS NOT NULL "
		"            THEN (SELECT warehouse_id FROM ordermgmt.warehouses WHERE code = $2) "
		"            WHEN s.src = 'split' "
		"            THEN (SELECT warehouse_id FROM ordermgmt.warehouses ORDER BY priority, code LIMIT 1) "
		"            WHEN s.dw IS NOT NULL "
		"            THEN (SELECT warehouse_id FROM ordermgmt.warehouses WHERE code = s.dw) "
		"            ELSE (SELECT min(warehouse_id) FROM ordermgmt.warehouses HAVING count(*) = 1) END, "
		"       coalesce(s.ac::boolean, true), coalesce(s.cur, 'EUR'), s.dw, "
		"       c.blocked, c.credit_limit IS NOT NULL, pl.price_list_id, pl.currency::text, pl.code, "
		"       coalesce(c.allocation, 'complete'), $2 IS NULL AND s.src IS NOT DISTINCT FROM 'split' "
		"  FROM s LEFT JOIN ordermgmt.customers c ON c.code = $1 "
		"  LEFT JOIN ordermgmt.price_lists pl "
		"    ON pl.price_list_id = c.price_list_id AND " OM_IN_FORCE("pl", "now()"),
		TEXTOID, TEXTOID);
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
	static OmPlan find_by_ref = OM_PLAN(
		"SELECT order_id FROM ordermgmt.orders WHERE customer_id = $1 AND external_ref = $2",
		INT8OID, TEXTOID);
	/* Result column of find_by_ref. */
	enum
	{
		FIND_BY_REF_ORDER_ID = 1
	};
	/*
	 * The products, and the price each line gets when it gives none: its
	 * list_price, or (lookup_priced_products, for a customer with a price
	 * list in force, $2) the list's best break for the line's quantity.
	 */
	static OmPlan lookup_products = OM_PLAN(
		"SELECT p.product_id, p.list_price, u.sku, p.active, p.tax_rate "
		"  FROM unnest($1::text[]) WITH ORDINALITY AS u(sku, ord) "
		"  LEFT JOIN LATERAL (SELECT product_id, list_price, active, tax_rate FROM ordermgmt.products "
		"                      WHERE sku = u.sku LIMIT 1) p ON true ORDER BY u.ord",
		TEXTARRAYOID);
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
	OrderRequest req;
	Datum		v[11];
	char		nulls[11] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	bool		isnull;
	bool		no_price_list;
	Datum		price_list_id;
	int64		customer_id;
	int64		warehouse_id;
	bool		auto_confirm;
	char	   *currency;
	volatile int64 order_id;
	Datum	   *product_ids;
	Datum	   *tax_rates;
	Datum	   *expected_prices;
	Datum		qty_array;
	Datum		price_array;
	OmCheckInput in;
	OmCheckResult res;
	volatile bool checked = false;
	volatile bool passed = false;
	int			inserted;
	int			i;

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

	SPI_connect();

	v[0] = om_text_datum(customer);
	if (req.warehouse)
		v[1] = om_text_datum(req.warehouse);
	else
		nulls[1] = 'n';
	om_exec(&lookup_context, v, nulls, true, 1);
	customer_id = DatumGetInt64(om_getdatum(0, CONTEXT_CUSTOMER_ID, &isnull));
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("unknown customer \"%s\"", customer)));
	warehouse_id = DatumGetInt64(om_getdatum(0, CONTEXT_WAREHOUSE_ID, &isnull));
	if (isnull)
	{
		char	   *dw = om_gettext(0, CONTEXT_DEFAULT_WAREHOUSE);

		if (req.warehouse || dw)
			ereport(ERROR,
					(errcode(ERRCODE_OM_UNKNOWN),
					 errmsg("unknown warehouse \"%s\"", req.warehouse ? req.warehouse : dw)));
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("no warehouse given and no default warehouse"),
				 errhint("Pass options.warehouse, or set the default_warehouse setting.")));
	}
	auto_confirm = !by_customer &&
		(req.has_auto_confirm ? req.auto_confirm : om_getbool(0, CONTEXT_AUTO_CONFIRM));
	currency = order_currency(&req, om_gettext(0, CONTEXT_CURRENCY),
							  om_gettext(0, CONTEXT_PRICE_LIST_CURRENCY),
							  om_gettext(0, CONTEXT_PRICE_LIST_CODE), customer);
	price_list_id = om_getdatum(0, CONTEXT_PRICE_LIST_ID, &no_price_list);
	memset(&in, 0, sizeof(in));
	in.customer_id = customer_id;
	in.warehouse_id = warehouse_id;
	in.blocked = om_getbool(0, CONTEXT_BLOCKED);
	in.has_limit = om_getbool(0, CONTEXT_HAS_LIMIT);
	in.customer_code = customer;
	in.currency = currency;
	/* The order's allocation: the option, else the customer's default. */
	if (req.allocation == NULL)
		req.allocation = om_gettext(0, CONTEXT_ALLOCATION);
	in.partial = strcmp(req.allocation, "partial") == 0;
	/* No warehouse named under sourcing split: every warehouse, the first its home. */
	in.split = om_getbool(0, CONTEXT_SPLIT);

	/* A repeated request returns the first order and writes nothing. */
	if (req.external_ref)
	{
		v[0] = Int64GetDatum(customer_id);
		v[1] = om_text_datum(req.external_ref);
		if (om_exec(&find_by_ref, v, NULL, true, 1) > 0)
		{
			order_id = om_getint64(0, FIND_BY_REF_ORDER_ID);
			SPI_finish();
			return order_id;
		}
	}

	v[0] = om_array(req.skus, req.nlines, TEXTOID);
	qty_array = om_array(req.qtys, req.nlines, NUMERICOID);
	if (no_price_list)
		om_exec(&lookup_products, v, NULL, true, 0);
	else
	{
		v[1] = price_list_id;
		v[2] = qty_array;
		om_exec(&lookup_priced_products, v, NULL, true, 0);
	}
	product_ids = palloc(req.nlines * sizeof(Datum));
	tax_rates = palloc(req.nlines * sizeof(Datum));
	expected_prices = palloc(req.nlines * sizeof(Datum));
	in.nlines = req.nlines;
	in.lines = palloc(req.nlines * sizeof(OmConfirmLine));
	for (i = 0; i < req.nlines; i++)
	{
		OmConfirmLine *l = &in.lines[i];

		product_ids[i] = om_getdatum(i, PRODUCT_ID, &isnull);
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_OM_UNKNOWN),
					 errmsg("unknown product \"%s\" on line %d", om_gettext(i, PRODUCT_SKU), i + 1)));
		l->expected_price = DatumGetNumericCopy(om_getdatum(i, PRODUCT_EXPECTED_PRICE, &isnull));
		expected_prices[i] = NumericGetDatum(l->expected_price);
		if (req.price_null[i])
			req.prices[i] = line_price(l->expected_price, req.discount_pct);
		l->line_no = i + 1;
		l->product_id = DatumGetInt64(product_ids[i]);
		l->qty = DatumGetNumeric(req.qtys[i]);
		l->open_qty = l->qty;
		l->unit_price = DatumGetNumeric(req.prices[i]);
		l->sku = om_gettext(i, PRODUCT_SKU);
		l->active = om_getbool(i, PRODUCT_ACTIVE);
		l->tax_rate = DatumGetNumericCopy(om_getdatum(i, PRODUCT_TAX_RATE, &isnull));
		tax_rates[i] = NumericGetDatum(l->tax_rate);
		l->reserved = false;
	}

	/*
	 * Auto-confirmation runs the level-1 checks before the order is stored:
	 * an order that passes is inserted confirmed (its history and events
	 * still show it passing through pending), sparing the second round of
	 * status change; one that fails is stored pending and held by
	 * om_confirm, which raises its alerts.
	 */
	if (req.submit && auto_confirm)
	{
		passed = om_level1_checks(&in, &res);
		checked = true;
	}

	v[0] = Int64GetDatum(customer_id);
	v[1] = Int64GetDatum(warehouse_id);
	v[2] = om_text_datum(!req.submit ? "draft" : passed ? "confirmed" : "pending");
	v[3] = om_text_datum(currency);
	nulls[1] = ' ';
	if (req.external_ref)
		v[4] = om_text_datum(req.external_ref);
	else
		nulls[4] = 'n';
	if (req.has_promised_at)
		v[5] = req.promised_at;
	else
		nulls[5] = 'n';
	price_array = om_array(req.prices, req.nlines, NUMERICOID);
	v[6] = qty_array;
	v[7] = price_array;
	if (req.has_valid_until)
		v[8] = req.valid_until;
	else
		nulls[8] = 'n';
	v[9] = om_text_datum(req.allocation);
	v[10] = om_text_datum(in.split ? "split" : "single");
	OM_API_BEGIN();
	inserted = om_exec(req.external_ref ? &insert_order_net : &insert_order_net_no_ref,
					   v, nulls, false, 1);
	OM_API_END();
	if (inserted == 0)
	{
		/* A concurrent call with the same external_ref committed first. */
		v[1] = om_text_datum(req.external_ref);
		om_exec(&find_by_ref, v, NULL, false, 1);
		order_id = om_getint64(0, FIND_BY_REF_ORDER_ID);
		SPI_finish();
		return order_id;
	}
	order_id = om_getint64(0, INSERT_ORDER_ID);
	if (req.has_valid_until)
		om_quotation_expiry_set(order_id, req.valid_until);

	v[0] = Int64GetDatum(order_id);
	v[1] = om_array(product_ids, req.nlines, INT8OID);
	v[2] = qty_array;
	v[3] = price_array;
	memset(nulls, ' ', sizeof(nulls));
	if (req.submit)
		v[4] = om_array(tax_rates, req.nlines, NUMERICOID);
	else
		nulls[4] = 'n';
	v[5] = om_array(expected_prices, req.nlines, NUMERICOID);
	/*
	 * Lines of an order inserted confirmed that reserves in its one
	 * warehouse are stored holding what they reserve and waiting for the
	 * rest: the reservation then needs no second write of them
	 * (om_reserve_checked).
	 */
	in.lines_hold = passed && !in.split;
	if (in.lines_hold)
	{
		Datum	   *held = palloc(req.nlines * sizeof(Datum));
		Datum	   *waiting = palloc(req.nlines * sizeof(Datum));

		om_allocate_lines(&in, &res);
		for (i = 0; i < req.nlines; i++)
		{
			held[i] = NumericGetDatum(in.lines[i].take);
			waiting[i] = NumericGetDatum(in.lines[i].wait);
		}
		v[6] = om_array(held, req.nlines, NUMERICOID);
		v[7] = om_array(waiting, req.nlines, NUMERICOID);
	}
	else
		nulls[6] = nulls[7] = 'n';
	OM_API_BEGIN();
	om_exec(&insert_lines, v, nulls, false, 0);
	OM_API_END();

	if (passed)
	{
		om_reserve_checked(order_id, &in, &res);
		/*
		 * Inserted confirmed: its lines now count in the exposure, with the
		 * value the checks summed from them (nothing is billed yet).
		 */
		om_exposure_add(customer_id, currency, res.order_value, int64_to_numeric(0));
	}
	else if (checked)
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
