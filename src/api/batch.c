/*
 * batch.c
 *		create_orders, ship_orders, invoice_orders and record_payments: the
 *		single operations, for work that arrives in bulk.
 *
 * Each returns one row per item, in input order: ord (1-based position),
 * the new document's id, and for a failed item its SQLSTATE and message
 * instead of an id.  A call goes in three steps:
 *	1. the argument as a whole: NULL, not an array, or more than
 *	   OM_BATCH_MAX_ITEMS items refuse the call with 22023 before anything
 *	   is written; an empty array returns no rows;
 *	2. the rows the items will lock are locked in the global lock order, in
 *	   the call's own transaction (domain/batch_locks.c says why and what);
 *	3. each item runs exactly the single function's domain operation
 *	   (om_create_order, om_ship_order, om_invoice_order, om_record_payment)
 *	   in a subtransaction that its failure rolls back (items share one in
 *	   runs while they go through, see batch_run), so a failed item leaves
 *	   no trace and the others stand.  A malformed item (not an object, a
 *	   field missing, unknown or of the wrong type) fails alone, with 22023.
 * Idempotency keys hold as in single calls: an external_ref or payment
 * reference already recorded returns the first document's id.  The same
 * key twice in one batch (same customer and external_ref, or same invoice
 * and reference) is taken for a mistake in the feed, not a retry: the
 * later item fails with 22023 naming the earlier one, whatever became of
 * that one, and the earlier item runs as usual.
 *
 * Every run of items is a subtransaction with an XID of its own once it
 * writes: a batch carries them to its commit, as a PL/pgSQL loop around a
 * block with an EXCEPTION clause carries one per iteration.
 */
#include "api/api.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

/* Items per call: bounds one transaction's locks, subtransactions and result. */
#define OM_BATCH_MAX_ITEMS	10000

/* Most items that share one subtransaction (see batch_run). */
#define OM_BATCH_RUN_MAX	32

/* Runs item ord (1-based) and returns the id it created; raises on failure. */
typedef int64 (*BatchItemFn) (int ord, void *arg);

/* Columns of the result: ord, <document>_id, sqlstate, message. */
enum
{
	BATCH_ORD,
	BATCH_ID,
	BATCH_SQLSTATE,
	BATCH_MESSAGE,
	BATCH_NCOLS
};

/* An idempotency key of an item, in the scope it is unique in. */
typedef struct BatchKey
{
	const char *scope;			/* customer code, or invoice id as text */
	const char *key;			/* external_ref, or payment reference */
	int			ord;
} BatchKey;

/* The work of one subtransaction (in_subtransaction): raises on failure. */
typedef void (*SubxactBody) (void *arg);

/*
 * Run body in one subtransaction, the way PL/pgSQL runs a block with an
 * EXCEPTION clause (pl_exec.c, exec_stmt_block): the memory context and
 * resource owner are restored after the subtransaction ends either way,
 * and a failure is copied out, flushed and rolled back, so that it leaves
 * no trace.  Query cancel (statement_timeout included) and the rest of
 * class 57, operator intervention, are no item's failure: they end the
 * call.  Only ERROR comes here; FATAL and PANIC never return.  The
 * NOTIFYs are held back and queued once the subtransaction is released
 * (om_notify_hold in store/outbox.c says why).  Returns true when body
 * went through; false with *error (in the caller's memory context) when it
 * failed.
 */
static bool
in_subtransaction(SubxactBody body, void *arg, ErrorData **error)
{
	MemoryContext chunkcxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	/* Work in our contexts, not the subtransaction's. */
	MemoryContextSwitchTo(chunkcxt);
	PG_TRY();
	{
		om_notify_hold(chunkcxt);
		body(arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(chunkcxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		om_notify_release(false);
		MemoryContextSwitchTo(chunkcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(chunkcxt);
		CurrentResourceOwner = owner;
		if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_OPERATOR_INTERVENTION)
			ReThrowError(edata);
	}
	PG_END_TRY();
	if (edata == NULL)
		om_notify_release(true);
	*error = edata;
	return edata == NULL;
}

/* Items first .. first + k - 1, one after the other (run_items). */
typedef struct ItemsRun
{
	BatchItemFn fn;
	int			first;
	int			k;
	void	   *arg;
	MemoryContext itemcxt;		/* each item's, reset after it */
	int64	   *ids;
} ItemsRun;

static void
run_items_body(void *arg)
{
	ItemsRun   *r = (ItemsRun *) arg;
	MemoryContext chunkcxt = CurrentMemoryContext;
	int			i;

	for (i = 0; i < r->k; i++)
	{
		CHECK_FOR_INTERRUPTS();
		MemoryContextSwitchTo(r->itemcxt);
		r->ids[i] = r->fn(r->first + i, r->arg);
		MemoryContextSwitchTo(chunkcxt);
		MemoryContextReset(r->itemcxt);
	}
}

/*
 * Run items first .. first + k - 1 in one subtransaction
 * (in_subtransaction): none of them leaves a trace unless all go through.
 * Each item works in itemcxt, reset after it.  Returns true with ids[] set
 * when all went through; false with *error when one failed.
 */
static bool
run_items(BatchItemFn fn, int first, int k, void *arg, MemoryContext itemcxt, int64 *ids,
		  ErrorData **error)
{
	ItemsRun	r = {fn, first, k, arg, itemcxt, ids};
	bool		ok = in_subtransaction(run_items_body, &r, error);

	MemoryContextReset(itemcxt);
	return ok;
}

/* One result row: the item's id, or its failure. */
static void
put_row(ReturnSetInfo *rsinfo, int ord, int64 id, ErrorData *error)
{
	Datum		values[BATCH_NCOLS];
	bool		nulls[BATCH_NCOLS] = {false, false, false, false};

	values[BATCH_ORD] = Int32GetDatum(ord);
	if (error == NULL)
	{
		values[BATCH_ID] = Int64GetDatum(id);
		nulls[BATCH_SQLSTATE] = nulls[BATCH_MESSAGE] = true;
	}
	else
	{
		nulls[BATCH_ID] = true;
		values[BATCH_SQLSTATE] = CStringGetTextDatum(unpack_sql_state(error->sqlerrcode));
		values[BATCH_MESSAGE] = CStringGetTextDatum(error->message ? error->message : "");
	}
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * Run items first .. last into the result set (materialized), each in a
 * subtransaction that a failure rolls back.  Items share a subtransaction
 * while they go through: a run of 2, 4, ... up to OM_BATCH_RUN_MAX items
 * in one, growing after each run that went through.  When an item of a run
 * fails, the whole run is rolled back and its items are run again, each in
 * a subtransaction of its own, and the next run starts at one item again.
 * Every item thus ends either applied, exactly as a single call applies
 * it, or without a trace and with its own error; what the runs save is a
 * subtransaction (and its XID) per item, and the multixacts that
 * subtransactions of one transaction create on a row they all lock and
 * update (one SKU in every order of a batch): their cost grows with the
 * row's versions, so a batch of one subtransaction per item slows down
 * quadratically on such a row.
 *
 * What an item allocates lives in a memory context reset after it, so
 * memory grows with the result rows only.  Rows are added to the
 * tuplestore outside the subtransactions: a tuplestore spilled to a
 * temporary file belongs to the resource owner current at the time.
 */
static void
batch_run(FunctionCallInfo fcinfo, int first, int last, BatchItemFn fn, void *arg)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext callcxt = CurrentMemoryContext;
	MemoryContext runcxt = AllocSetContextCreate(callcxt, "ordermgmt batch run", ALLOCSET_DEFAULT_SIZES);
	MemoryContext itemcxt = AllocSetContextCreate(callcxt, "ordermgmt batch item", ALLOCSET_DEFAULT_SIZES);
	int64		ids[OM_BATCH_RUN_MAX];
	int			run = 1;
	int			ord = first;
	int			i;

	while (ord <= last)
	{
		int			k = Min(run, last - ord + 1);
		ErrorData  *error;

		MemoryContextSwitchTo(runcxt);
		if (run_items(fn, ord, k, arg, itemcxt, ids, &error))
		{
			for (i = 0; i < k; i++)
				put_row(rsinfo, ord + i, ids[i], NULL);
			run = Min(run * 2, OM_BATCH_RUN_MAX);
		}
		else if (k == 1)
		{
			put_row(rsinfo, ord, 0, error);
			run = 1;
		}
		else
		{
			/* One of them failed: each again, alone. */
			for (i = 0; i < k; i++)
			{
				MemoryContextReset(runcxt);
				if (run_items(fn, ord + i, 1, arg, itemcxt, ids, &error))
					put_row(rsinfo, ord + i, ids[0], NULL);
				else
					put_row(rsinfo, ord + i, 0, error);
			}
			run = 1;
		}
		ord += k;
		MemoryContextSwitchTo(callcxt);
		MemoryContextReset(runcxt);
	}
	MemoryContextDelete(itemcxt);
	MemoryContextDelete(runcxt);
}

/* Step 1: at most OM_BATCH_MAX_ITEMS items. */
static int
batch_count(int n, const char *what)
{
	if (n > OM_BATCH_MAX_ITEMS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s has %d items, more than the %d a batch takes", what, n, OM_BATCH_MAX_ITEMS),
				 errdetail("Nothing was written."),
				 errhint("Split the work into batches of at most %d items.", OM_BATCH_MAX_ITEMS)));
	return n;
}

/* Step 1 for the JSON batches: argument 0, a JSON array; *n its items. */
static Jsonb *
batch_array(FunctionCallInfo fcinfo, const char *what, int *n)
{
	Jsonb	   *items;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be NULL", what)));
	items = PG_GETARG_JSONB_P(0);
	if (!JB_ROOT_IS_ARRAY(items) || JB_ROOT_IS_SCALAR(items))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a JSON array", what),
				 errdetail("Nothing was written."),
				 errhint("Pass one JSON object per item, as in [{...}, {...}].")));
	*n = batch_count(JB_ROOT_COUNT(items), what);
	return items;
}

/*
 * What the lock step reads of an item before the item is checked: a field
 * of an object container, or NULL where absent or of another type (the
 * item then fails its own checks, and has nothing to lock).
 */
static JsonbValue *
peek(JsonbContainer *obj, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	return findJsonbValueFromContainer(obj, JB_FOBJECT, &k);
}

static JsonbContainer *
peek_object(JsonbValue *v)
{
	return (v != NULL && v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data))
		? v->val.binary.data : NULL;
}

static const char *
peek_string(JsonbContainer *obj, const char *key)
{
	JsonbValue *v = obj ? peek(obj, key) : NULL;

	return (v != NULL && v->type == jbvString) ? pnstrdup(v->val.string.val, v->val.string.len) : NULL;
}

static bool
peek_int64(JsonbContainer *obj, const char *key, int64 *out)
{
	JsonbValue *v = obj ? peek(obj, key) : NULL;

	return v != NULL && v->type == jbvNumeric && om_numeric_int64(v->val.numeric, out);
}

/*
 * An idempotency key as the single function accepts it (om_check_key): a
 * key it refuses fails its own item with its own message, and counts for
 * no repetition.
 */
static const char *
peek_key(JsonbContainer *obj, const char *key)
{
	const char *s = peek_string(obj, key);

	return (s != NULL && s[0] != '\0' && pg_mbstrlen(s) <= OM_KEY_MAX) ? s : NULL;
}

static int
batch_key_cmp(const void *a, const void *b)
{
	const BatchKey *x = (const BatchKey *) a;
	const BatchKey *y = (const BatchKey *) b;
	int			c = strcmp(x->scope, y->scope);

	if (c == 0)
		c = strcmp(x->key, y->key);
	if (c == 0)
		c = (x->ord > y->ord) - (x->ord < y->ord);
	return c;
}

/*
 * first_of[ord - 1] (zeroed by the caller): the earliest item with the same
 * scope and key, for every later one.
 */
static void
mark_repeated_keys(BatchKey *keys, int n, int *first_of)
{
	int			first = 0;
	int			i;

	qsort(keys, n, sizeof(BatchKey), batch_key_cmp);
	for (i = 1; i < n; i++)
	{
		if (strcmp(keys[i].scope, keys[first].scope) == 0 && strcmp(keys[i].key, keys[first].key) == 0)
			first_of[keys[i].ord - 1] = keys[first].ord;
		else
			first = i;
	}
}

/* A later item repeating an earlier item's idempotency key fails (see the top). */
static void
refuse_repeated_key(const int *first_of, int ord, const char *what, const char *scope)
{
	if (first_of[ord - 1] > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s repeats item %d of the batch (same %s)", what, first_of[ord - 1], scope),
				 errdetail("Within one batch each key names one document; only the first item with it runs."),
				 errhint("Give each item its own key; a retry of a whole batch returns the documents of the first run.")));
}

/* ------------------------------------------------------------------------
 * create_orders
 * ------------------------------------------------------------------------ */
typedef struct EntryBatch
{
	Jsonb	   *orders;
	int		   *first_of;		/* per item: the earlier item with its external_ref, or 0 */
} EntryBatch;

static const char *const order_item_keys[] = {"customer", "lines", "options", NULL};

/* Steps 2 and the repeated external_refs: read the customers, SKUs, warehouses and keys. */
static void
prepare_entries(EntryBatch *b, int n)
{
	MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext, "ordermgmt batch locks",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;
	const char **customers;
	const char **skus;
	const char **warehouses;
	BatchKey   *keys;
	int			ncustomers = 0;
	int			nkeys = 0;
	int			nlines = 0;
	int			maxlines = 64;
	int			i;

	b->first_of = palloc0(n * sizeof(int));
	old = MemoryContextSwitchTo(scratch);
	customers = palloc(n * sizeof(char *));
	keys = palloc(n * sizeof(BatchKey));
	skus = palloc(maxlines * sizeof(char *));
	warehouses = palloc(maxlines * sizeof(char *));
	for (i = 0; i < n; i++)
	{
		JsonbContainer *item = peek_object(getIthJsonbValueFromContainer(&b->orders->root, i));
		const char *customer = peek_string(item, "customer");
		JsonbContainer *options;
		JsonbValue *lines;
		const char *warehouse;
		const char *ref;
		int			j;

		CHECK_FOR_INTERRUPTS();
		if (customer == NULL)
			continue;
		customers[ncustomers++] = customer;
		options = peek_object(peek(item, "options"));
		warehouse = peek_string(options, "warehouse");
		if ((ref = peek_key(options, "external_ref")) != NULL)
			keys[nkeys++] = (BatchKey) {customer, ref, i + 1};
		lines = peek(item, "lines");
		if (lines == NULL || lines->type != jbvBinary || !JsonContainerIsArray(lines->val.binary.data))
			continue;
		for (j = 0; j < (int) JsonContainerSize(lines->val.binary.data); j++)
		{
			const char *sku = peek_string(peek_object(getIthJsonbValueFromContainer(lines->val.binary.data, j)),
										  "sku");

			if (sku == NULL)
				continue;
			if (nlines == maxlines)
			{
				maxlines *= 2;
				skus = repalloc(skus, maxlines * sizeof(char *));
				warehouses = repalloc(warehouses, maxlines * sizeof(char *));
			}
			skus[nlines] = sku;
			warehouses[nlines++] = warehouse ? warehouse : "";
		}
	}
	om_lock_for_order_entry(customers, ncustomers, skus, warehouses, nlines);
	mark_repeated_keys(keys, nkeys, b->first_of);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(scratch);
}

static int64
create_item(int ord, void *arg)
{
	EntryBatch *b = (EntryBatch *) arg;
	Jsonb	   *item = om_item_object(b->orders, ord, order_item_keys);
	char	   *customer = om_item_text(item, "customer", NULL);
	Jsonb	   *lines = om_item_jsonb(item, "lines");
	Jsonb	   *options = om_item_jsonb_or_null(item, "options");

	refuse_repeated_key(b->first_of, ord, "options.external_ref", "customer");
	return om_create_order(customer, lines, options, false);
}

/*
 * An item as the set-based path takes it, read without raising: false
 * when it is not an object of the expected fields and types (the single
 * way then reports what is wrong with it).
 */
static bool
peek_entry(EntryBatch *b, int ord, OmBulkItem *item)
{
	JsonbValue *v = getIthJsonbValueFromContainer(&b->orders->root, ord - 1);
	JsonbContainer *obj = peek_object(v);
	JsonbValue *lines;
	JsonbValue *options;
	int			nkeys;

	if (obj == NULL || b->first_of[ord - 1] > 0)
		return false;
	item->customer = peek_string(obj, "customer");
	lines = peek(obj, "lines");
	options = peek(obj, "options");
	nkeys = 2 + (options != NULL);
	if (item->customer == NULL || (int) JsonContainerSize(obj) != nkeys ||
		lines == NULL || lines->type != jbvBinary || !JsonContainerIsArray(lines->val.binary.data))
		return false;
	if (options != NULL && options->type != jbvNull && peek_object(options) == NULL)
		return false;
	item->lines = JsonbValueToJsonb(lines);
	item->options = (options == NULL || options->type == jbvNull) ? NULL : JsonbValueToJsonb(options);
	item->repeated = false;
	return true;
}

/* Most items one set-based run takes (om_bulk_create_orders). */
#define OM_BULK_RUN_MAX		500
/* Fewest it tries after a run that stopped early. */
#define OM_BULK_RUN_MIN		8

/* A set-based run of items first .. first + k - 1 (bulk_body). */
typedef struct BulkRun
{
	EntryBatch *b;
	int			first;
	int			k;
	int64	   *ids;
	int			placed;			/* out: how many leading items were placed */
	int			preparing;		/* out, after a failure: the item it came from, or -1 */
} BulkRun;

static void
bulk_body(void *arg)
{
	BulkRun    *r = (BulkRun *) arg;
	OmBulkItem *items = palloc(r->k * sizeof(OmBulkItem));
	int			n = 0;

	while (n < r->k && peek_entry(r->b, r->first + n, &items[n]))
		n++;
	r->placed = 0;
	r->preparing = -1;
	if (n == 0)
		return;
	SPI_connect();
	r->placed = om_bulk_create_orders(items, n, r->ids, &r->preparing);
	SPI_finish();
}

/*
 * create_orders' items: in set-based runs (domain/bulk_entry.c) while they
 * are plain auto-confirmed orders, each other item the single way
 * (batch_run).  A run is a subtransaction that a failure rolls back: a
 * bad request (an unknown SKU) found while the run prepares its items
 * makes the items before it a run of their own and goes the single way
 * itself, where it fails alone; a failure while the run checks or writes
 * (a key a concurrent call took, a trigger's error) sends all the run's
 * items the single way, where each fails or stands alone.  A run that
 * stops early makes the next one shorter, so a batch of items this path
 * does not take costs little more than the single way.
 */
static void
create_orders_run(FunctionCallInfo fcinfo, EntryBatch *b, int n)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext callcxt = CurrentMemoryContext;
	MemoryContext runcxt = AllocSetContextCreate(callcxt, "ordermgmt bulk run", ALLOCSET_DEFAULT_SIZES);
	int64	   *ids = palloc(OM_BULK_RUN_MAX * sizeof(int64));
	int			size = OM_BULK_RUN_MAX;
	int			ord = 1;
	int			set_based = 0;
	int			k;

	while (ord <= n)
	{
		BulkRun		r = {b, ord, Min(size, n - ord + 1), ids, 0, -1};
		ErrorData  *error;
		int			i;

		CHECK_FOR_INTERRUPTS();
		MemoryContextSwitchTo(runcxt);
		if (!in_subtransaction(bulk_body, &r, &error))
		{
			MemoryContextSwitchTo(callcxt);
			MemoryContextReset(runcxt);
			if (r.preparing > 0)
			{
				/* A bad request: the items before it make a run of their own. */
				size = r.preparing;
				continue;
			}
			/* The first item's request is bad, or a write failed: the single way. */
			k = r.preparing == 0 ? 1 : r.k;
			batch_run(fcinfo, ord, ord + k - 1, create_item, b);
			ord += k;
			size = OM_BULK_RUN_MIN;
			continue;
		}
		MemoryContextSwitchTo(callcxt);
		for (i = 0; i < r.placed; i++)
			put_row(rsinfo, ord + i, ids[i], NULL);
		MemoryContextReset(runcxt);
		ord += r.placed;
		set_based += r.placed;
		if (r.placed == r.k)
		{
			size = Min(size * 2, OM_BULK_RUN_MAX);
			continue;
		}
		/* The item the run stopped at, the single way. */
		batch_run(fcinfo, ord, ord, create_item, b);
		ord++;
		size = Max(OM_BULK_RUN_MIN, 2 * r.placed);
	}
	MemoryContextDelete(runcxt);
	ereport(DEBUG1,
			(errmsg_internal("create_orders: %d of %d items placed set-based", set_based, n)));
}

/*
 * create_orders(orders jsonb) returns table(ord int, order_id bigint, sqlstate text, message text)
 */
PG_FUNCTION_INFO_V1(ordermgmt_create_orders);
Datum
ordermgmt_create_orders(PG_FUNCTION_ARGS)
{
	EntryBatch	b;
	int			n;

	b.orders = batch_array(fcinfo, "orders", &n);
	InitMaterializedSRF(fcinfo, 0);
	if (n > 0)
	{
		prepare_entries(&b, n);
		create_orders_run(fcinfo, &b, n);
	}
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * ship_orders
 * ------------------------------------------------------------------------ */
static const char *const shipment_item_keys[] = {"order_id", "lines", "carrier", "tracking", NULL};

static int64
ship_item(int ord, void *arg)
{
	Jsonb	   *item = om_item_object((Jsonb *) arg, ord, shipment_item_keys);
	int64		order_id = om_item_int64(item, "order_id");
	Jsonb	   *lines = om_item_jsonb_or_null(item, "lines");
	char	   *carrier = om_item_text_or_null(item, "carrier");
	char	   *tracking = om_item_text_or_null(item, "tracking");

	return om_ship_order(order_id, lines, carrier, tracking);
}

/*
 * ship_orders(shipments jsonb) returns table(ord int, shipment_id bigint, sqlstate text, message text)
 */
PG_FUNCTION_INFO_V1(ordermgmt_ship_orders);
Datum
ordermgmt_ship_orders(PG_FUNCTION_ARGS)
{
	Jsonb	   *shipments;
	int64	   *ids;
	int			nids = 0;
	int			n;
	int			i;

	shipments = batch_array(fcinfo, "shipments", &n);
	InitMaterializedSRF(fcinfo, 0);
	if (n == 0)
		return (Datum) 0;
	ids = palloc(n * sizeof(int64));
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (peek_int64(peek_object(getIthJsonbValueFromContainer(&shipments->root, i)), "order_id",
					   &ids[nids]))
			nids++;
	}
	om_lock_for_shipping(ids, nids);
	pfree(ids);
	batch_run(fcinfo, 1, n, ship_item, shipments);
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * invoice_orders
 * ------------------------------------------------------------------------ */
typedef struct InvoiceBatch
{
	Datum	   *order_ids;
	bool	   *nulls;
	int32		due_days;
} InvoiceBatch;

static int64
invoice_item(int ord, void *arg)
{
	InvoiceBatch *b = (InvoiceBatch *) arg;

	if (b->nulls[ord - 1])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("order_id must not be NULL")));
	return om_invoice_order(DatumGetInt64(b->order_ids[ord - 1]), b->due_days);
}

/*
 * invoice_orders(order_ids bigint[], due_days int) returns table(ord int, invoice_id bigint, sqlstate text, message text)
 */
PG_FUNCTION_INFO_V1(ordermgmt_invoice_orders);
Datum
ordermgmt_invoice_orders(PG_FUNCTION_ARGS)
{
	ArrayType  *arr;
	InvoiceBatch b;
	int64	   *ids;
	int			nids = 0;
	int			n;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("order_ids must not be NULL")));
	arr = PG_GETARG_ARRAYTYPE_P(0);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("order_ids must be a one-dimensional array")));
	if (PG_NARGS() < 2 || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("due_days must not be NULL")));
	b.due_days = PG_GETARG_INT32(1);
	om_check_due_days(b.due_days);
	(void) batch_count(ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)), "order_ids");
	deconstruct_array(arr, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &b.order_ids, &b.nulls, &n);
	InitMaterializedSRF(fcinfo, 0);
	if (n == 0)
		return (Datum) 0;
	ids = palloc(n * sizeof(int64));
	for (i = 0; i < n; i++)
		if (!b.nulls[i])
			ids[nids++] = DatumGetInt64(b.order_ids[i]);
	om_lock_for_invoicing(ids, nids);
	pfree(ids);
	batch_run(fcinfo, 1, n, invoice_item, &b);
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * record_payments
 * ------------------------------------------------------------------------ */
typedef struct PaymentBatch
{
	Jsonb	   *payments;
	int		   *first_of;		/* per item: the earlier item with its invoice and reference, or 0 */
} PaymentBatch;

static const char *const payment_item_keys[] = {"invoice_id", "amount", "method", "reference", NULL};

static int64
pay_item(int ord, void *arg)
{
	PaymentBatch *b = (PaymentBatch *) arg;
	Jsonb	   *item = om_item_object(b->payments, ord, payment_item_keys);
	int64		invoice_id = om_item_int64(item, "invoice_id");
	Numeric		amount = om_item_numeric(item, "amount", false);
	char	   *method = om_item_text(item, "method", "bank");
	char	   *reference = om_item_text_or_null(item, "reference");

	refuse_repeated_key(b->first_of, ord, "reference", "invoice");
	return om_record_payment(invoice_id, amount, method, reference);
}

/*
 * record_payments(payments jsonb) returns table(ord int, payment_id bigint, sqlstate text, message text)
 */
PG_FUNCTION_INFO_V1(ordermgmt_record_payments);
Datum
ordermgmt_record_payments(PG_FUNCTION_ARGS)
{
	PaymentBatch b;
	int64	   *ids;
	BatchKey   *keys;
	int			nids = 0;
	int			nkeys = 0;
	int			n;
	int			i;

	b.payments = batch_array(fcinfo, "payments", &n);
	InitMaterializedSRF(fcinfo, 0);
	if (n == 0)
		return (Datum) 0;
	b.first_of = palloc0(n * sizeof(int));
	ids = palloc(n * sizeof(int64));
	keys = palloc(n * sizeof(BatchKey));
	for (i = 0; i < n; i++)
	{
		JsonbContainer *item = peek_object(getIthJsonbValueFromContainer(&b.payments->root, i));
		const char *ref;

		CHECK_FOR_INTERRUPTS();
		if (!peek_int64(item, "invoice_id", &ids[nids]))
			continue;
		if ((ref = peek_key(item, "reference")) != NULL)
			keys[nkeys++] = (BatchKey) {psprintf(INT64_FORMAT, ids[nids]), ref, i + 1};
		nids++;
	}
	om_lock_for_payments(ids, nids);
	mark_repeated_keys(keys, nkeys, b.first_of);
	batch_run(fcinfo, 1, n, pay_item, &b);
	return (Datum) 0;
}
