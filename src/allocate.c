/*
 * allocate.c
 *		Spreading a request of [{"sku", "qty"}] over an order's lines.
 *
 * ship_order and return_items name goods by SKU, as people do; an order may
 * hold a SKU on several lines, so each requested quantity is taken from the
 * order's lines with that SKU in line order, up to what each line allows.
 */
#include "ordermgmt.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

static const char *const request_keys[] = {"sku", "qty", NULL};

/*
 * lines: the caller's JSON array.  For the order's nlines lines, skus[i]
 * and capacity[i] say what each line can give; take[i] receives the
 * allocation (zero where nothing is taken).  Asking for more than the lines
 * allow raises OM002 naming action; an SKU the order lacks raises OM005.
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

	if (!JB_ROOT_IS_ARRAY(lines) || JB_ROOT_IS_SCALAR(lines))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lines must be a JSON array of {\"sku\", \"qty\"}")));
	if (JB_ROOT_COUNT(lines) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lines must not be empty")));

	for (i = 0; i < nlines; i++)
		take[i] = int64_to_numeric(0);

	it = JsonbIteratorInit(&lines->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		Jsonb	   *req;
		JsonbValue *f;
		char		what[64];
		char	   *sku;
		Numeric		want;
		bool		known = false;

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

		for (i = 0; i < nlines && om_numeric_positive(want); i++)
		{
			Numeric		room;
			Numeric		part;

			if (strcmp(skus[i], sku) != 0)
				continue;
			known = true;
			room = DatumGetNumeric(DirectFunctionCall2(numeric_sub, NumericGetDatum(capacity[i]),
													   NumericGetDatum(take[i])));
			if (!om_numeric_positive(room))
				continue;
			part = om_numeric_cmp(want, room) < 0 ? want : room;
			take[i] = DatumGetNumeric(DirectFunctionCall2(numeric_add, NumericGetDatum(take[i]),
														  NumericGetDatum(part)));
			want = DatumGetNumeric(DirectFunctionCall2(numeric_sub, NumericGetDatum(want),
													   NumericGetDatum(part)));
		}
		if (!known)
			ereport(ERROR,
					(errcode(ERRCODE_OM_UNKNOWN),
					 errmsg("the order has no line for product \"%s\"", sku)));
		if (om_numeric_positive(want))
			ereport(ERROR,
					(errcode(ERRCODE_OM_STOCK),
					 errmsg("cannot %s that much of \"%s\": %s more than allowed", action, sku,
							DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(want)))),
					 errdetail("Line %d asks for more than the order has left to %s.", n, action)));
	}
}
