/*
 * purchasing.c
 *		Purchase orders: create_purchase_order, receive_purchase and
 *		cancel_purchase_order.  Their status changes go through the
 *		purchase_orders trigger (purchase_lifecycle.c), which checks them
 *		against purchase_transitions, writes the events and keeps the
 *		L2_PURCHASE_LATE deadline.
 *
 * Lock order: the purchase order row first (FOR NO KEY UPDATE), then the
 * stock rows of the received products one by one in product_id order
 * (om_stock_arrived's upsert locks each), as every stock path does.  Two
 * receipts of one order therefore queue on its row, and the second sees
 * what the first received: nothing is received beyond a line's quantity.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"

/* Upper bound on lines per purchase order, as for sales orders. */
#define OM_MAX_PURCHASE_LINES	10000

static const char *const line_keys[] = {"sku", "qty", "unit_cost", NULL};
static const char *const option_keys[] = {"expected_at", "reference", "submit", NULL};

typedef struct PurchaseRequest
{
	int			nlines;
	Datum	   *skus;			/* text */
	Datum	   *qtys;			/* numeric */
	Numeric    *costs;			/* NULL: the product's cost */
	Datum		expected_at;
	bool		has_expected_at;
	char	   *reference;
	bool		submit;
} PurchaseRequest;

/* A purchase line while it is checked for a repeated product. */
typedef struct LineProduct
{
	int64		product_id;
	int			line;
} LineProduct;

static int
line_product_cmp(const void *a, const void *b)
{
	const LineProduct *x = (const LineProduct *) a;
	const LineProduct *y = (const LineProduct *) b;

	if (x->product_id != y->product_id)
		return (x->product_id > y->product_id) - (x->product_id < y->product_id);
	return x->line - y->line;
}

static void
parse_lines(Jsonb *lines, PurchaseRequest *req)
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
				 errhint("Pass an array like [{\"sku\": \"A-1\", \"qty\": 10}].")));
	n = JB_ROOT_COUNT(lines);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lines must not be empty")));
	if (n > OM_MAX_PURCHASE_LINES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a purchase order has at most %d lines, got %d", OM_MAX_PURCHASE_LINES, n)));

	req->nlines = n;
	req->skus = palloc(n * sizeof(Datum));
	req->qtys = palloc(n * sizeof(Datum));
	req->costs = palloc0(n * sizeof(Numeric));

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

		if ((f = om_jsonb_get(line, "sku")) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("line %d has no sku", i + 1)));
		snprintf(what, sizeof(what), "line %d sku", i + 1);
		req->skus[i] = om_text_datum(om_jsonb_string(f, what));

		if ((f = om_jsonb_get(line, "qty")) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("line %d has no qty", i + 1)));
		snprintf(what, sizeof(what), "line %d qty", i + 1);
		req->qtys[i] = NumericGetDatum(om_check_quantity(om_jsonb_numeric(f, what), what, false));

		if ((f = om_jsonb_get(line, "unit_cost")) != NULL && f->type != jbvNull)
		{
			snprintf(what, sizeof(what), "line %d unit_cost", i + 1);
			req->costs[i] = om_check_quantity(om_jsonb_numeric(f, what), what, true);
		}
		i++;
	}
}

static void
parse_options(Jsonb *options, PurchaseRequest *req)
{
	JsonbValue *f;

	req->submit = true;
	if (options == NULL)
		return;
	om_jsonb_check_keys(options, "options", option_keys);

	if ((f = om_jsonb_get(options, "reference")) != NULL && f->type != jbvNull)
	{
		req->reference = om_jsonb_string(f, "options.reference");
		om_check_key(req->reference, "options.reference");
	}
	if ((f = om_jsonb_get(options, "expected_at")) != NULL && f->type != jbvNull)
	{
		char	   *s = om_jsonb_string(f, "options.expected_at");

		req->expected_at = DirectFunctionCall3(timestamptz_in, CStringGetDatum(s),
											   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		if (TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(req->expected_at)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("options.expected_at must be a finite timestamp")));
		req->has_expected_at = true;
	}
	if ((f = om_jsonb_get(options, "submit")) != NULL)
		req->submit = om_jsonb_bool(f, "options.submit");
}

/*
 * A new purchase order with supplier, into warehouse, from lines
 * ([{"sku", "qty", "unit_cost"?}]) and options (NULL: none); returns its
 * id, or the first order's for a reference the supplier already has.  It
 * is placed ('ordered') unless options.submit is false (a draft).
 */
int64
om_create_purchase_order(const char *supplier, const char *warehouse, Jsonb *lines, Jsonb *options)
{
	static OmPlan lookup_context = OM_PLAN(
		"SELECT s.supplier_id, s.lead_time_days, w.warehouse_id, "
		"       coalesce((SELECT value::numeric FROM ordermgmt.settings WHERE key = 'max_cost_factor'), "
		OM_MAX_COST_FACTOR_DEFAULT ") "
		"  FROM (SELECT 1) AS one "
		"  LEFT JOIN ordermgmt.suppliers s ON s.code = $1 "
		"  LEFT JOIN ordermgmt.warehouses w ON w.code = $2",
		TEXTOID, TEXTOID);
	/* Result columns of lookup_context. */
	enum
	{
		CONTEXT_SUPPLIER_ID = 1,
		CONTEXT_LEAD_TIME_DAYS,
		CONTEXT_WAREHOUSE_ID,
		CONTEXT_MAX_COST_FACTOR
	};
	static OmPlan find_by_ref = OM_PLAN(
		"SELECT po_id FROM ordermgmt.purchase_orders WHERE supplier_id = $1 AND reference = $2",
		INT8OID, TEXTOID);
	/* Result column of find_by_ref. */
	enum
	{
		FIND_BY_REF_PO_ID = 1
	};
	/* Each line's product, its default cost and the reference of the cost bound (as receive_stock's). */
	static OmPlan lookup_products = OM_PLAN(
		"SELECT p.product_id, u.sku, coalesce(p.unit_cost, s.avg_cost, 0), "
		"       coalesce(nullif(p.unit_cost, 0), nullif(s.avg_cost, 0)) "
		"  FROM unnest($1::text[]) WITH ORDINALITY AS u(sku, ord) "
		"  LEFT JOIN LATERAL (SELECT product_id, unit_cost FROM ordermgmt.products "
		"                      WHERE sku = u.sku LIMIT 1) p ON true "
		"  LEFT JOIN LATERAL (SELECT avg_cost FROM ordermgmt.stock "
		"                      WHERE product_id = p.product_id AND warehouse_id = $2 LIMIT 1) s ON true "
		" ORDER BY u.ord",
		TEXTARRAYOID, INT8OID);
	/* Result columns of lookup_products. */
	enum
	{
		PRODUCT_ID = 1,
		PRODUCT_SKU,
		PRODUCT_COST,
		PRODUCT_REFERENCE_COST
	};
	static OmPlan insert_po = OM_PLAN(
		"INSERT INTO ordermgmt.purchase_orders (supplier_id, warehouse_id, status, expected_at, reference) "
		"VALUES ($1, $2, $3, coalesce($4, now() + make_interval(days => $5)), $6) "
		"ON CONFLICT (supplier_id, reference) DO NOTHING RETURNING po_id",
		INT8OID, INT8OID, TEXTOID, TIMESTAMPTZOID, INT4OID, TEXTOID);
	/* Result column of insert_po. */
	enum
	{
		INSERT_PO_ID = 1
	};
	static OmPlan insert_lines = OM_PLAN(
		"INSERT INTO ordermgmt.purchase_lines (po_id, line_no, product_id, qty, unit_cost) "
		"SELECT $1, u.ord, u.p, u.q, u.c "
		"  FROM unnest($2::bigint[], $3::numeric[], $4::numeric[]) WITH ORDINALITY AS u(p, q, c, ord)",
		INT8OID, INT8ARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID);
	PurchaseRequest req;
	Datum		v[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	bool		isnull;
	int64		supplier_id;
	int64		warehouse_id;
	int32		lead_time_days;
	Numeric		factor;
	int64		po_id;
	Datum	   *product_ids;
	Datum	   *costs;
	LineProduct *sorted;
	int			i;

	memset(&req, 0, sizeof(req));
	parse_lines(lines, &req);
	parse_options(options, &req);

	SPI_connect();
	v[0] = om_text_datum(supplier);
	v[1] = om_text_datum(warehouse);
	om_exec(&lookup_context, v, NULL, true, 1);
	supplier_id = DatumGetInt64(om_getdatum(0, CONTEXT_SUPPLIER_ID, &isnull));
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("unknown supplier \"%s\"", supplier)));
	lead_time_days = DatumGetInt32(om_getdatum(0, CONTEXT_LEAD_TIME_DAYS, &isnull));
	warehouse_id = DatumGetInt64(om_getdatum(0, CONTEXT_WAREHOUSE_ID, &isnull));
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("unknown warehouse \"%s\"", warehouse)));
	factor = DatumGetNumericCopy(om_getdatum(0, CONTEXT_MAX_COST_FACTOR, &isnull));

	/* A repeated request returns the first order and writes nothing. */
	if (req.reference)
	{
		v[0] = Int64GetDatum(supplier_id);
		v[1] = om_text_datum(req.reference);
		if (om_exec(&find_by_ref, v, NULL, true, 1) > 0)
		{
			po_id = om_getint64(0, FIND_BY_REF_PO_ID);
			SPI_finish();
			return po_id;
		}
	}

	v[0] = om_array(req.skus, req.nlines, TEXTOID);
	v[1] = Int64GetDatum(warehouse_id);
	om_exec(&lookup_products, v, NULL, true, 0);
	product_ids = palloc(req.nlines * sizeof(Datum));
	costs = palloc(req.nlines * sizeof(Datum));
	sorted = palloc(req.nlines * sizeof(LineProduct));
	for (i = 0; i < req.nlines; i++)
	{
		char	   *sku = om_gettext(i, PRODUCT_SKU);
		Numeric		cost;
		char		what[64];

		product_ids[i] = om_getdatum(i, PRODUCT_ID, &isnull);
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_OM_UNKNOWN),
					 errmsg("unknown product \"%s\" on line %d", sku, i + 1)));
		if (req.costs[i])
		{
			bool		no_reference;
			Datum		reference = om_getdatum(i, PRODUCT_REFERENCE_COST, &no_reference);

			om_check_cost_bound(sku, req.costs[i], reference, no_reference, factor);
			cost = req.costs[i];
		}
		else
			cost = DatumGetNumericCopy(om_getdatum(i, PRODUCT_COST, &isnull));
		/* The line's value must fit the ledger when it is received. */
		snprintf(what, sizeof(what), "the value of line %d", i + 1);
		(void) om_check_quantity(om_money_round(om_numeric_mul(DatumGetNumeric(req.qtys[i]), cost)),
								 what, true);
		costs[i] = NumericGetDatum(cost);
		sorted[i].product_id = DatumGetInt64(product_ids[i]);
		sorted[i].line = i + 1;
	}
	/* One line per product: a product has one cost on an order, and is received by SKU. */
	qsort(sorted, req.nlines, sizeof(LineProduct), line_product_cmp);
	for (i = 1; i < req.nlines; i++)
		if (sorted[i].product_id == sorted[i - 1].product_id)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("product \"%s\" is on lines %d and %d",
							TextDatumGetCString(req.skus[sorted[i].line - 1]),
							sorted[i - 1].line, sorted[i].line),
					 errhint("Order each product on one line, with the sum of the quantities.")));

	v[0] = Int64GetDatum(supplier_id);
	v[1] = Int64GetDatum(warehouse_id);
	v[2] = om_text_datum(req.submit ? "ordered" : "draft");
	if (req.has_expected_at)
		v[3] = req.expected_at;
	else
		nulls[3] = 'n';
	v[4] = Int32GetDatum(lead_time_days);
	if (req.reference)
		v[5] = om_text_datum(req.reference);
	else
		nulls[5] = 'n';
	OM_API_BEGIN();
	if (om_exec(&insert_po, v, nulls, false, 1) == 0)
	{
		/* A concurrent call with the same reference committed first. */
		v[0] = Int64GetDatum(supplier_id);
		v[1] = om_text_datum(req.reference);
		om_exec(&find_by_ref, v, NULL, false, 1);
		po_id = om_getint64(0, FIND_BY_REF_PO_ID);
	}
	else
	{
		po_id = om_getint64(0, INSERT_PO_ID);
		v[0] = Int64GetDatum(po_id);
		v[1] = om_array(product_ids, req.nlines, INT8OID);
		v[2] = om_array(req.qtys, req.nlines, NUMERICOID);
		v[3] = om_array(costs, req.nlines, NUMERICOID);
		om_exec(&insert_lines, v, NULL, false, 0);
	}
	OM_API_END();
	SPI_finish();
	return po_id;
}

/*
 * Lock a purchase order row (the first lock of every path that changes
 * it) and return its status and warehouse, or raise OM005.
 */
static char *
lock_purchase_order(int64 po_id, int64 *warehouse_id, char **warehouse_code)
{
	static OmPlan lock_po = OM_PLAN(
		"SELECT po.status, po.warehouse_id, w.code "
		"  FROM ordermgmt.purchase_orders po JOIN ordermgmt.warehouses w USING (warehouse_id) "
		" WHERE po.po_id = $1 FOR NO KEY UPDATE OF po",
		INT8OID);
	/* Result columns of lock_po. */
	enum
	{
		LOCK_PO_STATUS = 1,
		LOCK_PO_WAREHOUSE_ID,
		LOCK_PO_WAREHOUSE_CODE
	};
	Datum		v[1];

	v[0] = Int64GetDatum(po_id);
	if (om_exec(&lock_po, v, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("purchase order " INT64_FORMAT " does not exist", po_id)));
	if (warehouse_id)
		*warehouse_id = om_getint64(0, LOCK_PO_WAREHOUSE_ID);
	if (warehouse_code)
		*warehouse_code = om_gettext(0, LOCK_PO_WAREHOUSE_CODE);
	return om_gettext(0, LOCK_PO_STATUS);
}

/* Set a purchase order's status through its trigger, as the API. */
static void
set_purchase_status(int64 po_id, const char *status, const char *reason)
{
	static OmPlan update_status = OM_PLAN(
		"UPDATE ordermgmt.purchase_orders SET status = $2, "
		"       cancel_reason = CASE WHEN $2 = 'cancelled' THEN $3 END "
		" WHERE po_id = $1",
		INT8OID, TEXTOID, TEXTOID);
	Datum		v[3];
	char		nulls[3] = {' ', ' ', ' '};

	v[0] = Int64GetDatum(po_id);
	v[1] = om_text_datum(status);
	if (reason)
		v[2] = om_text_datum(reason);
	else
		nulls[2] = 'n';
	OM_API_BEGIN();
	om_exec(&update_status, v, nulls, false, 0);
	OM_API_END();
}

/* A received line in the order its stock row is locked in. */
typedef struct ReceivedLine
{
	int64		product_id;
	int32		line_no;
	char	   *sku;
	Numeric		qty;
	Numeric		unit_cost;
} ReceivedLine;

static int
received_line_cmp(const void *a, const void *b)
{
	int64		x = ((const ReceivedLine *) a)->product_id;
	int64		y = ((const ReceivedLine *) b)->product_id;

	return (x > y) - (x < y);
}

/*
 * Receive goods of a purchase order: lines [{"sku", "qty"}], or NULL for
 * everything still open.  Each received line becomes one receipt move at
 * the line's cost (om_stock_arrived: on-hand, moving average, posting);
 * the order moves to partially_received or received.  Returns the receipt
 * id.  More than a line has open raises OM002; a SKU the order lacks
 * OM005; an order that is not ordered or partially received OM001.
 */
int64
om_receive_purchase(int64 po_id, Jsonb *lines)
{
	static OmPlan open_lines = OM_PLAN(
		"SELECT l.line_no, l.product_id, p.sku, l.qty - l.received_qty, l.unit_cost, "
		"       coalesce((SELECT s.on_hand FROM ordermgmt.stock s "
		"                  WHERE s.product_id = l.product_id AND s.warehouse_id = $2), 0) "
		"  FROM ordermgmt.purchase_lines l JOIN ordermgmt.products p USING (product_id) "
		" WHERE l.po_id = $1 ORDER BY l.line_no",
		INT8OID, INT8OID);
	/* Result columns of open_lines. */
	enum
	{
		OPEN_LINE_NO = 1,
		OPEN_PRODUCT_ID,
		OPEN_SKU,
		OPEN_QTY,
		OPEN_UNIT_COST,
		OPEN_ON_HAND
	};
	static OmPlan insert_receipt = OM_PLAN(
		"INSERT INTO ordermgmt.purchase_receipts (po_id, received_by) VALUES ($1, $2) RETURNING receipt_id",
		INT8OID, TEXTOID);
	/* Result column of insert_receipt. */
	enum
	{
		INSERT_RECEIPT_ID = 1
	};
	static OmPlan insert_receipt_lines = OM_PLAN(
		"INSERT INTO ordermgmt.purchase_receipt_lines (receipt_id, po_id, line_no, qty, move_id) "
		"SELECT $1, $2, u.l, u.q, u.m FROM unnest($3::int[], $4::numeric[], $5::bigint[]) AS u(l, q, m)",
		INT8OID, INT8OID, INT4ARRAYOID, NUMERICARRAYOID, INT8ARRAYOID);
	/* Returns whether every line is now received in full. */
	static OmPlan add_received = OM_PLAN(
		"WITH u AS (UPDATE ordermgmt.purchase_lines l SET received_qty = l.received_qty + u.q "
		"             FROM unnest($2::int[], $3::numeric[]) AS u(l, q) "
		"            WHERE l.po_id = $1 AND l.line_no = u.l "
		"           RETURNING l.line_no, l.received_qty = l.qty AS full) "
		"SELECT bool_and(coalesce(u.full, l.received_qty = l.qty)) "
		"  FROM ordermgmt.purchase_lines l LEFT JOIN u USING (line_no) WHERE l.po_id = $1",
		INT8OID, INT4ARRAYOID, NUMERICARRAYOID);
	/* Result column of add_received. */
	enum
	{
		ADD_RECEIVED_ALL_FULL = 1
	};
	char	   *status;
	char	   *warehouse_code;
	int64		warehouse_id;
	int64		receipt_id;
	bool		manual;
	bool		isnull;
	int			nlines;
	int			ntaken = 0;
	Datum		waiting;
	int			nwaiting;
	char	  **skus;
	Numeric    *on_hand;
	Numeric    *open;
	Numeric    *take;
	ReceivedLine *all;
	ReceivedLine *taken;
	Datum	   *line_nos;
	Datum	   *qtys;
	Datum	   *move_ids;
	Datum		v[5];
	int			i;

	SPI_connect();
	status = lock_purchase_order(po_id, &warehouse_id, &warehouse_code);
	if (!om_purchase_transition_allowed(status, "received", &manual) &&
		!om_purchase_transition_allowed(status, "partially_received", &manual))
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("cannot receive purchase order " INT64_FORMAT ": it is %s", po_id, status),
				 errhint(strcmp(status, "draft") == 0 ?
						 "Place it first: UPDATE ordermgmt.purchase_orders SET status = 'ordered'." :
						 "Only an ordered or partially received purchase order receives goods.")));

	v[0] = Int64GetDatum(po_id);
	v[1] = Int64GetDatum(warehouse_id);
	nlines = om_exec(&open_lines, v, NULL, false, 0);
	skus = palloc(Max(nlines, 1) * sizeof(char *));
	on_hand = palloc(Max(nlines, 1) * sizeof(Numeric));
	open = palloc(Max(nlines, 1) * sizeof(Numeric));
	take = palloc(Max(nlines, 1) * sizeof(Numeric));
	all = palloc(Max(nlines, 1) * sizeof(ReceivedLine));
	for (i = 0; i < nlines; i++)
	{
		all[i].line_no = DatumGetInt32(om_getdatum(i, OPEN_LINE_NO, &isnull));
		all[i].product_id = om_getint64(i, OPEN_PRODUCT_ID);
		all[i].sku = skus[i] = om_gettext(i, OPEN_SKU);
		open[i] = DatumGetNumericCopy(om_getdatum(i, OPEN_QTY, &isnull));
		all[i].unit_cost = DatumGetNumericCopy(om_getdatum(i, OPEN_UNIT_COST, &isnull));
		on_hand[i] = DatumGetNumericCopy(om_getdatum(i, OPEN_ON_HAND, &isnull));
	}
	if (lines == NULL)
		memcpy(take, open, Max(nlines, 1) * sizeof(Numeric));
	else
		om_allocate_by_sku(lines, "receive", nlines, skus, open, take);

	/* The received lines, in the lock order of their stock rows. */
	taken = palloc(Max(nlines, 1) * sizeof(ReceivedLine));
	for (i = 0; i < nlines; i++)
		if (om_numeric_positive(take[i]))
		{
			/* What the receipt adds up to must still fit the stock row, checked before any write. */
			(void) om_check_quantity(om_numeric_add(on_hand[i], take[i]), "on-hand stock after the receipt", false);
			taken[ntaken] = all[i];
			taken[ntaken++].qty = take[i];
		}
	/* Only a purchase order without lines (written by hand) gets here. */
	if (ntaken == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("purchase order " INT64_FORMAT " has nothing open to receive", po_id)));
	qsort(taken, ntaken, sizeof(ReceivedLine), received_line_cmp);

	/*
	 * The sales orders waiting for what arrives, before the first stock
	 * row (lock order: documents, then stock rows): each product's arrival
	 * fills their backorders first (backorders.c).
	 */
	{
		Datum	   *pids = palloc(ntaken * sizeof(Datum));

		for (i = 0; i < ntaken; i++)
			pids[i] = Int64GetDatum(taken[i].product_id);
		waiting = om_backorders_lock(warehouse_id, pids, ntaken, true, &nwaiting);
	}

	v[1] = om_text_datum(om_session_user());
	om_exec(&insert_receipt, v, NULL, false, 1);
	receipt_id = om_getint64(0, INSERT_RECEIPT_ID);

	line_nos = palloc(ntaken * sizeof(Datum));
	qtys = palloc(ntaken * sizeof(Datum));
	move_ids = palloc(ntaken * sizeof(Datum));
	for (i = 0; i < ntaken; i++)
	{
		CHECK_FOR_INTERRUPTS();
		line_nos[i] = Int32GetDatum(taken[i].line_no);
		qtys[i] = NumericGetDatum(taken[i].qty);
		/* Stock arrives here, one product at a time in product_id order. */
		move_ids[i] = Int64GetDatum(om_stock_arrived(taken[i].product_id, warehouse_id, taken[i].qty,
													 taken[i].unit_cost,
													 psprintf("receipt of %s into %s for purchase order " INT64_FORMAT,
															  taken[i].sku, warehouse_code, po_id),
													 waiting, nwaiting));
	}
	v[0] = Int64GetDatum(receipt_id);
	v[1] = Int64GetDatum(po_id);
	v[2] = om_array(line_nos, ntaken, INT4OID);
	v[3] = om_array(qtys, ntaken, NUMERICOID);
	v[4] = om_array(move_ids, ntaken, INT8OID);
	om_exec(&insert_receipt_lines, v, NULL, false, 0);

	v[0] = Int64GetDatum(po_id);
	v[1] = om_array(line_nos, ntaken, INT4OID);
	v[2] = om_array(qtys, ntaken, NUMERICOID);
	om_exec(&add_received, v, NULL, false, 1);
	{
		const char *to = om_getbool(0, ADD_RECEIVED_ALL_FULL) ? "received" : "partially_received";

		if (strcmp(to, status) != 0)
			set_purchase_status(po_id, to, NULL);
	}
	SPI_finish();
	return receipt_id;
}

/*
 * cancel_purchase_order: nothing more is expected.  What was received
 * stays received (stock, postings, receipt lines); the order ends
 * cancelled with its reason.  A received or cancelled order raises OM001.
 */
void
om_cancel_purchase_order(int64 po_id, const char *reason)
{
	char	   *status;
	bool		manual;

	SPI_connect();
	status = lock_purchase_order(po_id, NULL, NULL);
	if (!om_purchase_transition_allowed(status, "cancelled", &manual))
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("cannot cancel purchase order " INT64_FORMAT ": it is %s", po_id, status)));
	set_purchase_status(po_id, "cancelled", reason);
	SPI_finish();
}
