/*
 * args.c
 *		The arguments of the SQL-callable functions: NULL, empty and
 *		malformed values refused with 22023 before anything runs.
 */
#include "api/api.h"

#include "fmgr.h"
#include "utils/builtins.h"

Numeric
om_numeric_arg(FunctionCallInfo fcinfo, int argno, const char *what, bool allow_zero)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be NULL", what)));
	return om_check_quantity(PG_GETARG_NUMERIC(argno), what, allow_zero);
}

int64
om_int64_arg(FunctionCallInfo fcinfo, int argno, const char *what)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be NULL", what)));
	return PG_GETARG_INT64(argno);
}

/* A required, non-empty text argument. */
char *
om_text_arg(FunctionCallInfo fcinfo, int argno, const char *what)
{
	char	   *s;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be NULL", what)));
	s = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (s[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", what)));
	om_check_text_length(s, what);
	return s;
}

char *
om_text_arg_or_null(FunctionCallInfo fcinfo, int argno, const char *what)
{
	char	   *s;

	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return NULL;
	s = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	om_check_text_length(s, what);
	return s;
}

/*
 * The fields of one item of a batch (create_orders, ship_orders,
 * record_payments) are checked as the single function checks its argument
 * of that name: an absent field takes the single function's default, JSON
 * null is SQL NULL.  Refused with 22023 naming the field.
 */

/* Item ord (1-based) of a JSON array: an object with only the given keys. */
Jsonb *
om_item_object(Jsonb *items, int ord, const char *const *keys)
{
	JsonbValue *v = getIthJsonbValueFromContainer(&items->root, ord - 1);
	Jsonb	   *item;
	char		what[32];

	if (v == NULL || v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("item %d must be a JSON object", ord)));
	item = JsonbValueToJsonb(v);
	snprintf(what, sizeof(what), "item %d", ord);
	om_jsonb_check_keys(item, what, keys);
	return item;
}

/* A required field: absent or null refused. */
static JsonbValue *
item_required(Jsonb *item, const char *key)
{
	JsonbValue *f = om_jsonb_get(item, key);

	if (f == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is missing", key)));
	if (f->type == jbvNull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be NULL", key)));
	return f;
}

/* A text field that must not be NULL or empty (om_text_arg); dflt when absent, if given. */
char *
om_item_text(Jsonb *item, const char *key, const char *dflt)
{
	char	   *s;

	if (dflt != NULL && om_jsonb_get(item, key) == NULL)
		return pstrdup(dflt);
	s = om_jsonb_string(item_required(item, key), key);
	om_check_text_length(s, key);
	return s;
}

/* A text field that may be absent or NULL (om_text_arg_or_null). */
char *
om_item_text_or_null(Jsonb *item, const char *key)
{
	JsonbValue *f = om_jsonb_get(item, key);
	char	   *s;

	if (f == NULL || f->type == jbvNull)
		return NULL;
	if (f->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a JSON string", key)));
	s = pnstrdup(f->val.string.val, f->val.string.len);
	om_check_text_length(s, key);
	return s;
}

/* A required id: a JSON number that is a bigint. */
int64
om_item_int64(Jsonb *item, const char *key)
{
	Numeric		n = om_jsonb_numeric(item_required(item, key), key);
	int64		id;

	if (!om_numeric_int64(n, &id))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a whole number within the range of bigint, got %s", key,
						om_numeric_out(n))));
	return id;
}

/* A required quantity or amount (om_numeric_arg). */
Numeric
om_item_numeric(Jsonb *item, const char *key, bool allow_zero)
{
	return om_check_quantity(om_jsonb_numeric(item_required(item, key), key), key, allow_zero);
}

/* A required JSON field passed on as it is (create_order's lines). */
Jsonb *
om_item_jsonb(Jsonb *item, const char *key)
{
	return JsonbValueToJsonb(item_required(item, key));
}

/* A JSON field passed on as it is (lines, options); NULL when absent or null. */
Jsonb *
om_item_jsonb_or_null(Jsonb *item, const char *key)
{
	JsonbValue *f = om_jsonb_get(item, key);

	if (f == NULL || f->type == jbvNull)
		return NULL;
	return JsonbValueToJsonb(f);
}
