/*
 * bulk_entry.c
 *		create_orders' set-based path: a run of new orders, confirmed in
 *		full, written with one statement per table.
 *
 * Placed one by one, an order costs about ten statements, each with its
 * executor start-up and trigger work for one order.  Here the orders of a
 * run are prepared one by one as create_order prepares them
 * (om_prepare_order: parsed and checked, nothing written), with the
 * lookups of the whole run made together (om_entry_lookups); their
 * level-1 checks run in memory against the stock rows and credit
 * exposures read once for the whole run; and the orders that pass are
 * written together: orders, lines, reservations, stock, the new orders'
 * history, deadlines and events (om_record_new_orders), and the customers'
 * exposure, one statement each.
 *
 * Only an order whose outcome is plain takes this path: submitted and
 * auto-confirmed, in one warehouse, passing every check with every line
 * reserved in full, and leaving each stock row it draws on at or above
 * its reorder point (no low-stock alert).  For such an order the rows
 * written are exactly those create_order writes.  The run stops before the
 * first order that is anything else (a draft, a hold, a backorder, a
 * low-stock alert, a split order, a second currency of a customer whose
 * credit is checked, a repeated key of the batch); the batch runs that one
 * the single way (api/batch.c) and starts the next run after it.
 *
 * Locks: the batch holds the customers and stock rows of all its orders
 * already (batch_locks.c), in the global lock order; the reads below lock
 * them again (a no-op) so that a row the batch could not foresee is still
 * locked before it is read.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

/* True while the orders of a run are inserted: the lifecycle trigger leaves them to us. */
bool		om_bulk_entry_writing = false;

/* A stock row the run draws on, with what its earlier orders took. */
typedef struct RunStock
{
	int64		product_id;
	int64		warehouse_id;
	bool		found;
	Numeric		available;		/* on_hand - reserved as read */
	Numeric		reorder_point;	/* NULL: none */
	ItemPointerData tid;
	Numeric		taken;			/* by the run's orders so far */
} RunStock;

/*
 * A customer's exposure in one currency: as read (credit check) and as the
 * run adds to it.  A customer whose credit is checked has one currency in
 * a run (plain_order).
 */
typedef struct RunExposure
{
	int64		customer_id;
	const char *currency;
	bool		checked;		/* credit checked: limit and exposure read */
	Numeric		limit;
	char	   *limit_currency;
	Numeric		exposure;
	Jsonb	   *elsewhere;
	Numeric		added;			/* the run's orders' value */
} RunExposure;

typedef struct Run
{
	RunStock   *stock;			/* sorted by (product_id, warehouse_id) */
	int			nstock;
	RunExposure *exposures;
	int			nexposures;
} Run;

static int
compare_run_stock(const void *a, const void *b)
{
	const RunStock *x = (const RunStock *) a;
	const RunStock *y = (const RunStock *) b;

	if (x->product_id != y->product_id)
		return (x->product_id > y->product_id) - (x->product_id < y->product_id);
	return (x->warehouse_id > y->warehouse_id) - (x->warehouse_id < y->warehouse_id);
}

static RunStock *
find_stock(Run *run, int64 product_id, int64 warehouse_id)
{
	RunStock	key;

	key.product_id = product_id;
	key.warehouse_id = warehouse_id;
	return bsearch(&key, run->stock, run->nstock, sizeof(RunStock), compare_run_stock);
}


/* OmKnownState.fill_stock: the run's rows, less what its earlier orders took. */
static void
fill_stock(void *arg, int64 warehouse_id, OmStockNeed *needs, int nneeds)
{
	Run		   *run = (Run *) arg;
	int			i;

	for (i = 0; i < nneeds; i++)
	{
		RunStock   *s = find_stock(run, needs[i].product_id, warehouse_id);

		needs[i].found = s != NULL && s->found;
		needs[i].available = needs[i].found ? om_numeric_sub(s->available, s->taken) : NULL;
		if (needs[i].found)
			ItemPointerCopy(&s->tid, &needs[i].tid);
	}
}

/*
 * Read and lock the stock rows of the prepared orders' lines, each with
 * its product's reorder point, into run->stock.
 */
static void
read_stock(Run *run, OmNewOrder *orders, int n)
{
	static OmPlan lock_rows = OM_PLAN(
		"SELECT u.ord, s.available, s.ctid, p.reorder_point "
		"  FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS u(p, w, ord) "
		" CROSS JOIN LATERAL (SELECT on_hand - reserved AS available, ctid FROM ordermgmt.stock "
		"                      WHERE product_id = u.p AND warehouse_id = u.w FOR NO KEY UPDATE) s "
		" CROSS JOIN LATERAL (SELECT reorder_point FROM ordermgmt.products "
		"                      WHERE product_id = u.p LIMIT 1) p "
		" ORDER BY u.ord",
		INT8ARRAYOID, INT8ARRAYOID);
	/* Result columns of lock_rows. */
	enum
	{
		LOCK_ROWS_ORD = 1,
		LOCK_ROWS_AVAILABLE,
		LOCK_ROWS_TID,
		LOCK_ROWS_REORDER_POINT
	};
	int			max = 0;
	int			k = 0;
	int			i;
	int			j;
	int			rows;
	Datum	   *products;
	Datum	   *warehouses;
	Datum		v[2];

	for (i = 0; i < n; i++)
		max += orders[i].in.nlines;
	run->stock = palloc0(Max(max, 1) * sizeof(RunStock));
	for (i = 0; i < n; i++)
		for (j = 0; j < orders[i].in.nlines; j++)
		{
			run->stock[k].product_id = orders[i].in.lines[j].product_id;
			run->stock[k++].warehouse_id = orders[i].in.warehouse_id;
		}
	qsort(run->stock, k, sizeof(RunStock), compare_run_stock);
	/* Distinct, in the global lock order. */
	run->nstock = 0;
	for (i = 0; i < k; i++)
		if (run->nstock == 0 || compare_run_stock(&run->stock[run->nstock - 1], &run->stock[i]) != 0)
			run->stock[run->nstock++] = run->stock[i];

	products = palloc(Max(run->nstock, 1) * sizeof(Datum));
	warehouses = palloc(Max(run->nstock, 1) * sizeof(Datum));
	for (i = 0; i < run->nstock; i++)
	{
		products[i] = Int64GetDatum(run->stock[i].product_id);
		warehouses[i] = Int64GetDatum(run->stock[i].warehouse_id);
		run->stock[i].taken = int64_to_numeric(0);
	}
	v[0] = om_array(products, run->nstock, INT8OID);
	v[1] = om_array(warehouses, run->nstock, INT8OID);
	rows = om_exec(&lock_rows, v, NULL, false, 0);
	for (i = 0; i < rows; i++)
	{
		RunStock   *s = &run->stock[om_getint64(i, LOCK_ROWS_ORD) - 1];
		bool		isnull;
		Datum		d;

		s->found = true;
		s->available = DatumGetNumericCopy(om_getdatum(i, LOCK_ROWS_AVAILABLE, &isnull));
		ItemPointerCopy((ItemPointer) DatumGetPointer(om_getdatum(i, LOCK_ROWS_TID, &isnull)), &s->tid);
		d = om_getdatum(i, LOCK_ROWS_REORDER_POINT, &isnull);
		s->reorder_point = isnull ? NULL : DatumGetNumericCopy(d);
	}
}

/* By customer id (the lock order), then currency. */
static int
compare_exposure(const void *a, const void *b)
{
	const RunExposure *x = (const RunExposure *) a;
	const RunExposure *y = (const RunExposure *) b;

	if (x->customer_id != y->customer_id)
		return (x->customer_id > y->customer_id) - (x->customer_id < y->customer_id);
	return strcmp(x->currency, y->currency);
}

static RunExposure *
find_exposure(Run *run, int64 customer_id, const char *currency)
{
	RunExposure key;

	key.customer_id = customer_id;
	key.currency = currency;
	return bsearch(&key, run->exposures, run->nexposures, sizeof(RunExposure), compare_exposure);
}

/*
 * The customers of the prepared orders, each with the one currency its
 * orders in the run are in; for those whose credit is checked, the limit
 * (locked as the credit check locks it: om_lock_credit_limit) and the
 * exposure.
 */
static void
read_credit(Run *run, OmNewOrder *orders, int n, bool check_credit)
{
	int			i;
	int			k = 0;

	run->exposures = palloc0(Max(n, 1) * sizeof(RunExposure));
	for (i = 0; i < n; i++)
	{
		OmCheckInput *in = &orders[i].in;

		if (orders[i].existing_id != 0)
			continue;
		run->exposures[k].customer_id = in->customer_id;
		run->exposures[k].currency = in->currency;
		run->exposures[k].checked = check_credit && in->has_limit;
		run->exposures[k++].added = int64_to_numeric(0);
	}
	/* Distinct, customers by id: the lock order (batch_locks.c holds them already). */
	qsort(run->exposures, k, sizeof(RunExposure), compare_exposure);
	run->nexposures = 0;
	for (i = 0; i < k; i++)
		if (run->nexposures == 0 ||
			compare_exposure(&run->exposures[run->nexposures - 1], &run->exposures[i]) != 0)
			run->exposures[run->nexposures++] = run->exposures[i];
	for (i = 0; i < run->nexposures; i++)
	{
		RunExposure *e = &run->exposures[i];

		if (e->checked)
			e->limit = om_lock_credit_limit(e->customer_id, &e->limit_currency);
	}
	/* The exposure rows, last in the lock order. */
	for (i = 0; i < run->nexposures; i++)
	{
		RunExposure *e = &run->exposures[i];

		if (e->limit != NULL)
			e->exposure = om_exposure_read(e->customer_id, e->currency, &e->elsewhere);
	}
}

/*
 * Is the prepared order one this path writes as create_order would, as far
 * as can be told before the checks?  A customer whose credit is checked
 * must keep to one currency within the run: its exposure in the others is
 * then what was read.
 */
static bool
plain_order(OmNewOrder *o, OmNewOrder *earlier, int nearlier, bool check_credit)
{
	int			i;

	if (o->existing_id != 0)
		return true;
	if (!o->auto_confirm || o->has_valid_until || o->in.split)
		return false;
	if (check_credit && o->in.has_limit)
		for (i = 0; i < nearlier; i++)
			if (earlier[i].existing_id == 0 && earlier[i].in.customer_id == o->in.customer_id &&
				strcmp(earlier[i].in.currency, o->in.currency) != 0)
				return false;
	return true;
}

/*
 * Run the level-1 checks of a prepared order against the run's state;
 * true when it passes with every line reserved in full and no stock row
 * falling below its reorder point.  Then the run's state takes the order
 * in: its stock taken, its value added to its customer's exposure.
 */
static bool
check_in_run(Run *run, OmNewOrder *o)
{
	RunExposure *e = find_exposure(run, o->in.customer_id, o->in.currency);
	OmKnownState known;
	OmCheckResult res;
	bool		passed;
	int			k;

	memset(&known, 0, sizeof(known));
	known.limit = e->limit;
	known.limit_currency = e->limit_currency;
	if (e->limit != NULL)
		known.exposure = om_numeric_add(e->exposure, e->added);
	known.elsewhere = e->elsewhere;
	known.fill_stock = fill_stock;
	known.arg = run;
	o->in.known = &known;
	passed = om_level1_checks(&o->in, &res);
	o->in.known = NULL;
	if (!passed)
		return false;
	for (k = 0; k < res.nneeds; k++)
	{
		OmStockNeed *need = &res.needs[k];
		RunStock   *s;

		if (!need->found || om_numeric_cmp(need->available, need->qty) < 0)
			return false;		/* a backorder (allocation partial) */
		s = find_stock(run, need->product_id, o->in.warehouse_id);
		if (s->reorder_point != NULL &&
			om_numeric_cmp(om_numeric_sub(need->available, need->qty), s->reorder_point) < 0)
			return false;		/* a low-stock alert to raise */
	}
	for (k = 0; k < res.nneeds; k++)
	{
		RunStock   *s = find_stock(run, res.needs[k].product_id, o->in.warehouse_id);

		s->taken = om_numeric_add(s->taken, res.needs[k].qty);
	}
	e->added = om_numeric_add(e->added, res.order_value);
	om_allocate_lines(&o->in, &res);
	return true;
}

/* round(sum(qty * unit_price), 2) over the order's lines: create_order's ordered_net. */
static Datum
order_net(OmNewOrder *o)
{
	Numeric		sum = int64_to_numeric(0);
	int			i;

	for (i = 0; i < o->in.nlines; i++)
		sum = om_numeric_add(sum, om_numeric_mul(o->in.lines[i].qty, o->in.lines[i].unit_price));
	return DirectFunctionCall2(numeric_round, NumericGetDatum(sum), Int32GetDatum(2));
}

/* Insert the orders; ids[] and nets[] get their ids and stored ordered_net. */
static void
write_orders(OmNewOrder **orders, int n, int64 *ids, Datum *nets)
{
	static OmPlan insert_orders = OM_PLAN(
		"INSERT INTO ordermgmt.orders "
		"  (customer_id, warehouse_id, status, currency, external_ref, promised_at, confirmed_at, ordered_net, "
		"   allocation, sourcing) "
		"SELECT u.c, u.w, 'confirmed', u.cur, u.ref, u.prom, now(), u.net, u.alloc, 'single' "
		"  FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::timestamptz[], $6::numeric[], "
		"              $7::text[]) WITH ORDINALITY AS u(c, w, cur, ref, prom, net, alloc, n) "
		" ORDER BY u.n "
		"RETURNING order_id, ordered_net",
		INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID, NUMERICARRAYOID,
		TEXTARRAYOID);
	/* Result columns of insert_orders. */
	enum
	{
		INSERT_ORDERS_ID = 1,
		INSERT_ORDERS_NET
	};
	Datum	   *c = palloc(n * sizeof(Datum));
	Datum	   *w = palloc(n * sizeof(Datum));
	Datum	   *cur = palloc(n * sizeof(Datum));
	Datum	   *ref = palloc(n * sizeof(Datum));
	bool	   *ref_null = palloc(n * sizeof(bool));
	Datum	   *prom = palloc(n * sizeof(Datum));
	bool	   *prom_null = palloc(n * sizeof(bool));
	Datum	   *net = palloc(n * sizeof(Datum));
	Datum	   *alloc = palloc(n * sizeof(Datum));
	Datum		v[7];
	int			rows;
	int			i;

	for (i = 0; i < n; i++)
	{
		OmNewOrder *o = orders[i];

		c[i] = Int64GetDatum(o->in.customer_id);
		w[i] = Int64GetDatum(o->in.warehouse_id);
		cur[i] = om_text_datum(o->in.currency);
		ref_null[i] = o->external_ref == NULL;
		ref[i] = ref_null[i] ? (Datum) 0 : om_text_datum(o->external_ref);
		prom_null[i] = !o->has_promised_at;
		prom[i] = o->promised_at;
		net[i] = order_net(o);
		alloc[i] = om_text_datum(o->allocation);
	}
	v[0] = om_array(c, n, INT8OID);
	v[1] = om_array(w, n, INT8OID);
	v[2] = om_array(cur, n, TEXTOID);
	v[3] = om_array_with_nulls(ref, ref_null, n, TEXTOID);
	v[4] = om_array_with_nulls(prom, prom_null, n, TIMESTAMPTZOID);
	v[5] = om_array(net, n, NUMERICOID);
	v[6] = om_array(alloc, n, TEXTOID);
	OM_API_BEGIN();
	om_bulk_entry_writing = true;
	PG_TRY();
	{
		rows = om_exec(&insert_orders, v, NULL, false, 0);
	}
	PG_FINALLY();
	{
		om_bulk_entry_writing = false;
	}
	PG_END_TRY();
	OM_API_END();
	if (rows != n)
		elog(ERROR, "ordermgmt: %d of %d orders written", rows, n);
	/* RETURNING gives the rows in insertion order. */
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		ids[i] = om_getint64(i, INSERT_ORDERS_ID);
		nets[i] = PointerGetDatum(DatumGetNumericCopy(om_getdatum(i, INSERT_ORDERS_NET, &isnull)));
	}
}

/* The orders' lines, each holding its whole quantity, and their reservations. */
static void
write_lines(OmNewOrder **orders, int n, const int64 *ids)
{
	static OmPlan insert_lines = OM_PLAN(
		"INSERT INTO ordermgmt.order_lines "
		"  (order_id, line_no, product_id, qty, unit_price, tax_rate, expected_price, "
		"   reserved_qty, backordered_qty) "
		"SELECT u.o, u.n, u.p, u.q, u.price, u.rate, u.expected, u.q, 0 "
		"  FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::numeric[], $5::numeric[], $6::numeric[], "
		"              $7::numeric[]) AS u(o, n, p, q, price, rate, expected)",
		INT8ARRAYOID, INT4ARRAYOID, INT8ARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID,
		NUMERICARRAYOID);
	static OmPlan insert_reservations = OM_PLAN(
		"INSERT INTO ordermgmt.reservations (order_id, line_no, product_id, warehouse_id, qty) "
		"SELECT u.o, u.n, u.p, u.w, u.q "
		"  FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::bigint[], $5::numeric[]) AS u(o, n, p, w, q)",
		INT8ARRAYOID, INT4ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, NUMERICARRAYOID);
	int			total = 0;
	Datum	   *o_ids;
	Datum	   *line_nos;
	Datum	   *products;
	Datum	   *qtys;
	Datum	   *prices;
	Datum	   *rates;
	Datum	   *expected;
	Datum	   *warehouses;
	Datum		v[7];
	Datum		r[5];
	int			k = 0;
	int			i;
	int			j;

	for (i = 0; i < n; i++)
		total += orders[i]->in.nlines;
	o_ids = palloc(total * sizeof(Datum));
	line_nos = palloc(total * sizeof(Datum));
	products = palloc(total * sizeof(Datum));
	qtys = palloc(total * sizeof(Datum));
	prices = palloc(total * sizeof(Datum));
	rates = palloc(total * sizeof(Datum));
	expected = palloc(total * sizeof(Datum));
	warehouses = palloc(total * sizeof(Datum));
	for (i = 0; i < n; i++)
	{
		OmNewOrder *o = orders[i];

		for (j = 0; j < o->in.nlines; j++)
		{
			OmConfirmLine *l = &o->in.lines[j];

			o_ids[k] = Int64GetDatum(ids[i]);
			line_nos[k] = Int32GetDatum(l->line_no);
			products[k] = Int64GetDatum(l->product_id);
			qtys[k] = NumericGetDatum(l->take);
			prices[k] = o->prices[j];
			rates[k] = o->tax_rates[j];
			expected[k] = o->expected_prices[j];
			warehouses[k] = Int64GetDatum(o->in.warehouse_id);
			k++;
		}
	}
	v[0] = om_array(o_ids, total, INT8OID);
	v[1] = om_array(line_nos, total, INT4OID);
	v[2] = om_array(products, total, INT8OID);
	v[3] = om_array(qtys, total, NUMERICOID);
	v[4] = om_array(prices, total, NUMERICOID);
	v[5] = om_array(rates, total, NUMERICOID);
	v[6] = om_array(expected, total, NUMERICOID);
	r[0] = v[0];
	r[1] = v[1];
	r[2] = v[2];
	r[3] = om_array(warehouses, total, INT8OID);
	r[4] = v[3];
	OM_API_BEGIN();
	om_exec(&insert_lines, v, NULL, false, 0);
	OM_API_END();
	om_exec(&insert_reservations, r, NULL, false, 0);
}

/* What the run's orders took of each stock row, in one UPDATE (rows locked). */
static void
write_stock(Run *run)
{
	static OmPlan add_reserved = OM_PLAN_TID(
		"UPDATE ordermgmt.stock s "
		"   SET reserved = s.reserved + ($2::numeric[])[array_position($1::tid[], s.ctid)] "
		" WHERE s.ctid = ANY ($1::tid[])",
		TIDARRAYOID, NUMERICARRAYOID);
	Datum	   *tids = palloc(Max(run->nstock, 1) * sizeof(Datum));
	Datum	   *qtys = palloc(Max(run->nstock, 1) * sizeof(Datum));
	Datum		v[2];
	int			n = 0;
	int			i;

	for (i = 0; i < run->nstock; i++)
	{
		RunStock   *s = &run->stock[i];
		ItemPointer t;

		if (!s->found || !om_numeric_positive(s->taken))
			continue;
		t = palloc(sizeof(ItemPointerData));
		ItemPointerCopy(&s->tid, t);
		tids[n] = PointerGetDatum(t);
		qtys[n++] = NumericGetDatum(s->taken);
	}
	if (n == 0)
		return;
	v[0] = om_array(tids, n, TIDOID);
	v[1] = om_array(qtys, n, NUMERICOID);
	if (om_exec(&add_reserved, v, NULL, false, 0) != n)
		elog(ERROR, "ordermgmt: a locked stock row moved");
}

/*
 * Each order's history, deadlines and events, as the lifecycle trigger
 * records an order inserted confirmed (new_orders.c), all in one
 * statement.
 */
static void
write_records(OmNewOrder **orders, int n, const int64 *ids, const Datum *nets)
{
	OmNewOrderRecord *records = palloc(n * sizeof(OmNewOrderRecord));
	int			i;

	for (i = 0; i < n; i++)
	{
		records[i].order_id = ids[i];
		records[i].customer_id = orders[i]->in.customer_id;
		records[i].status = "confirmed";
		records[i].via_pending = true;
		records[i].has_promised_at = orders[i]->has_promised_at;
		records[i].promised_at = orders[i]->promised_at;
		records[i].net_null = false;
		records[i].ordered_net = nets[i];
	}
	om_record_new_orders(n, records);
}

/*
 * The exposure rows last, in one statement, customers by id (their rows
 * are locked): each the sum of its orders' values, as exact as adding
 * them one by one.
 */
static void
write_exposure(Run *run)
{
	int64	   *customers = palloc(Max(run->nexposures, 1) * sizeof(int64));
	const char **currencies = palloc(Max(run->nexposures, 1) * sizeof(char *));
	Numeric    *values = palloc(Max(run->nexposures, 1) * sizeof(Numeric));
	int			n = 0;
	int			i;

	for (i = 0; i < run->nexposures; i++)
	{
		if (!om_numeric_positive(run->exposures[i].added))
			continue;
		customers[n] = run->exposures[i].customer_id;
		currencies[n] = run->exposures[i].currency;
		values[n++] = run->exposures[i].added;
	}
	om_exposure_add_many(n, customers, currencies, values);
}

/* A string member of a JSON object container, or NULL (absent, or of another type). */
static const char *
peek_string(JsonbContainer *obj, const char *key)
{
	JsonbValue	k;
	JsonbValue *v;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(obj, JB_FOBJECT, &k);
	return (v != NULL && v->type == jbvString) ? pnstrdup(v->val.string.val, v->val.string.len) : NULL;
}

/*
 * The lookups of every item's customer, warehouse and SKUs, made together
 * (om_entry_lookups).  What an item names that is not there (a value of
 * the wrong type) is left out: its own lookup finds it wrong.
 */
static OmEntryLookups *
look_up_items(const OmBulkItem *items, int n)
{
	const char **customers = palloc(Max(n, 1) * sizeof(char *));
	const char **warehouses = palloc(Max(n, 1) * sizeof(char *));
	int			maxskus = 16;
	const char **skus = palloc(maxskus * sizeof(char *));
	int			nskus = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		JsonbIterator *it;
		JsonbValue	v;
		JsonbIteratorToken tok;

		customers[i] = items[i].customer;
		warehouses[i] = (items[i].options && JB_ROOT_IS_OBJECT(items[i].options))
			? peek_string(&items[i].options->root, "warehouse") : NULL;
		if (!JB_ROOT_IS_ARRAY(items[i].lines) || JB_ROOT_IS_SCALAR(items[i].lines))
			continue;
		it = JsonbIteratorInit(&items[i].lines->root);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			const char *sku;

			if (tok != WJB_ELEM || v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data) ||
				(sku = peek_string(v.val.binary.data, "sku")) == NULL)
				continue;
			if (nskus == maxskus)
			{
				maxskus *= 2;
				skus = repalloc(skus, maxskus * sizeof(char *));
			}
			skus[nskus++] = sku;
		}
	}
	return om_entry_lookups(customers, warehouses, n, skus, nskus);
}

/*
 * Place the leading orders of a batch run set-based: prepare items[0..n)
 * until one is not plain, check them in order against the run's stock and
 * credit until one fails, and write the ones before it.  Returns how many
 * leading items were placed (ids[] set: new orders, or the first order of
 * a repeated external_ref); 0 when the first is not for this path.  An
 * error leaves the caller to roll the run back; *preparing then says which
 * item was being prepared (its request is bad: the items before it are
 * fine), or is -1 when the error came later.  The caller is connected to
 * SPI.
 */
int
om_bulk_create_orders(const OmBulkItem *items, int n, int64 *ids, int *preparing)
{
	OmNewOrder *orders = palloc0(n * sizeof(OmNewOrder));
	OmNewOrder **fresh = palloc(n * sizeof(OmNewOrder *));
	int		   *fresh_at = palloc(n * sizeof(int));
	int64	   *fresh_ids;
	Datum	   *nets;
	OmL1Rules	rules;
	OmEntryLookups *lookups;
	Run			run;
	int			nprepared = 0;
	int			nplaced = 0;
	int			nfresh = 0;
	int			i;

	om_l1_rules(&rules);
	lookups = look_up_items(items, n);
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (items[i].repeated)
			break;
		*preparing = i;
		om_prepare_order(items[i].customer, items[i].lines, items[i].options, false, &orders[i], lookups);
		if (!plain_order(&orders[i], orders, i, rules.credit_limit))
			break;
		nprepared++;
	}
	*preparing = -1;
	if (nprepared == 0)
		return 0;

	memset(&run, 0, sizeof(run));
	read_credit(&run, orders, nprepared, rules.credit_limit);
	read_stock(&run, orders, nprepared);
	for (i = 0; i < nprepared; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (orders[i].existing_id != 0)
		{
			ids[i] = orders[i].existing_id;
			nplaced++;
			continue;
		}
		if (!check_in_run(&run, &orders[i]))
			break;
		fresh_at[nfresh] = i;
		fresh[nfresh++] = &orders[i];
		nplaced++;
	}
	if (nfresh == 0)
		return nplaced;

	fresh_ids = palloc(nfresh * sizeof(int64));
	nets = palloc(nfresh * sizeof(Datum));
	write_orders(fresh, nfresh, fresh_ids, nets);
	write_lines(fresh, nfresh, fresh_ids);
	write_stock(&run);
	write_records(fresh, nfresh, fresh_ids, nets);
	write_exposure(&run);
	for (i = 0; i < nfresh; i++)
		ids[fresh_at[i]] = fresh_ids[i];
	return nplaced;
}
