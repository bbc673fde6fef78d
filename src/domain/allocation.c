/*
 * allocation.c
 *		Spreading a request of [{"sku", "qty"}] over an order's lines.
 *
 * ship_order and return_items name goods by SKU, as people do; an order may
 * hold a SKU on several lines, so each requested quantity is taken from the
 * order's lines with that SKU in line order, up to what each line allows.
 */
#include "domain/domain.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

static const char *const request_keys[] = {"sku", "qty", NULL};

/* An order line by SKU; sorted, each SKU's lines are together in line order. */
typedef struct SkuLine
{
	const char *sku;
	int			line;
} SkuLine;

static int
sku_line_cmp(const void *a, const void *b)
{
	const SkuLine *x = (const SkuLine *) a;
	const SkuLine *y = (const SkuLine *) b;
	int			c = strcmp(x->sku, y->sku);

	if (c != 0)
		return c;
	return (x->line > y->line) - (x->line < y->line);
}

/*
 * lines: the caller's JSON array.  For the order's nlines lines, skus[i]
 * and capacity[i] say what each line can give; take[i] receives the
 * allocation (zero where nothing is taken).  Asking for more than the lines
 * allow raises OM002 naming action; an SKU the order lacks raises OM005.
 *
 * A request finds its SKU's lines by binary search, and starts at the first
 * of them that is not full yet: lines fill up in line order, so n requests
 * of one unit cost n steps, not n^2.
 */
void
om_allocate_by_sku(Jsonb *lines, const char *action, int nlines, char **skus,
				   Numeric *capacity, Numeric *take)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			n = 0;
	int			i;
	SkuLine    *sorted = palloc(Max(nlines, 1) * sizeof(SkuLine));
	int		   *open = palloc(Max(nlines, 1) * sizeof(int));

	if (!JB_ROOT_IS_ARRAY(lines) || JB_ROOT_IS_SCALAR(lines))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lines must be a JSON array of {\"sku\", \"qty\"}")));
	if (JB_ROOT_COUNT(lines) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lines must not be empty")));

	for (i = 0; i < nlines; i++)
	{
		take[i] = int64_to_numeric(0);
		sorted[i].sku = skus[i];
		sorted[i].line = i;
	}
	qsort(sorted, nlines, sizeof(SkuLine), sku_line_cmp);
	/* open[k], for the first line k of a SKU: its first line that may have room */
	for (i = 0; i < nlines; i++)
		open[i] = i;

	it = JsonbIteratorInit(&lines->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		Jsonb	   *req;
		JsonbValue *f;
		char		what[64];
		char	   *sku;
		Numeric		want;
		int			lo = 0;
		int			hi = nlines;
		int			k;

		if (tok != WJB_ELEM)
			continue;
		CHECK_FOR_INTERRUPTS();
		n++;
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("line %d must be a JSON object", n)));
		req = JsonbValueToJsonb(&v);
		snprintf(what, sizeof(what), "line %d", n);
		om_jsonb_check_keys(req, what, request_keys);
		if ((f = om_jsonb_get(req, "sku")) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("line %d has no sku", n)));
		snprintf(what, sizeof(what), "line %d sku", n);
		sku = om_jsonb_string(f, what);
		if ((f = om_jsonb_get(req, "qty")) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("line %d has no qty", n)));
		snprintf(what, sizeof(what), "line %d qty", n);
		want = om_check_quantity(om_jsonb_numeric(f, what), what, false);

		/* lo: the SKU's first line in sorted order */
		while (lo < hi)
		{
			int			mid = lo + (hi - lo) / 2;

			if (strcmp(sorted[mid].sku, sku) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == nlines || strcmp(sorted[lo].sku, sku) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OM_UNKNOWN),
					 errmsg("the order has no line for product \"%s\"", sku)));

		for (k = open[lo]; om_numeric_positive(want) && k < nlines && strcmp(sorted[k].sku, sku) == 0; k++)
		{
			int			line = sorted[k].line;
			Numeric		room = om_numeric_sub(capacity[line], take[line]);
			Numeric		part;

			if (om_numeric_positive(room))
			{
				part = om_numeric_cmp(want, room) < 0 ? want : room;
				take[line] = om_numeric_add(take[line], part);
				want = om_numeric_sub(want, part);
				if (part != room)
					break;		/* the line has room left */
			}
			open[lo] = k + 1;	/* the line is full: later requests start after it */
		}
		if (om_numeric_positive(want))
			ereport(ERROR,
					(errcode(ERRCODE_OM_STOCK),
					 errmsg("cannot %s that much of \"%s\": %s more than allowed", action, sku,
							om_numeric_out(want)),
					 errdetail("Line %d asks for more than the order has left to %s.", n, action)));
	}
}

/*
 * The lines that take a positive quantity (take[i] of line i), as arrays
 * for one statement: their line numbers, products and quantities; and the
 * stock rows they touch, one need per product with the total it takes
 * (unsorted: callers sort them into the lock order).  Returns how many
 * lines take something.
 */
int
om_collect_takes(int nlines, const int32 *line_nos, const int64 *product_ids, Numeric *take,
				 Datum **lines, Datum **products, Datum **qtys, OmStockNeed **needs, int *nneeds)
{
	int			n = 0;
	int			i;

	*lines = palloc(Max(nlines, 1) * sizeof(Datum));
	*products = palloc(Max(nlines, 1) * sizeof(Datum));
	*qtys = palloc(Max(nlines, 1) * sizeof(Datum));
	*needs = palloc(Max(nlines, 1) * sizeof(OmStockNeed));
	*nneeds = 0;
	for (i = 0; i < nlines; i++)
	{
		OmStockNeed *need = *needs;
		int			j;

		if (!om_numeric_positive(take[i]))
			continue;
		(*lines)[n] = Int32GetDatum(line_nos[i]);
		(*products)[n] = Int64GetDatum(product_ids[i]);
		(*qtys)[n] = NumericGetDatum(take[i]);
		n++;
		for (j = 0; j < *nneeds && need[j].product_id != product_ids[i]; j++)
			;
		if (j == *nneeds)
		{
			need[j].product_id = product_ids[i];
			need[j].qty = take[i];
			(*nneeds)++;
		}
		else
			need[j].qty = om_numeric_add(need[j].qty, take[i]);
	}
	return n;
}
