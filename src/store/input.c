/*
 * input.c
 *		Validation of caller-supplied values and JSON documents, and the
 *		numeric helpers every layer uses.
 *
 * Bad input is refused with SQLSTATE 22023 (invalid_parameter_value) before
 * anything is written, with a message that names the offending field.
 */
#include "store/store.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"

static Numeric
om_qty_max(void)
{
	static Numeric max = NULL;

	if (max == NULL)
	{
		Numeric		n = om_numeric_from_cstring(OM_QTY_MAX_TEXT);
		Size		len = VARSIZE(n);

		max = (Numeric) MemoryContextAlloc(TopMemoryContext, len);
		memcpy(max, n, len);
	}
	return max;
}

/*
 * A quantity or amount: finite, positive (or zero when allowed), at most
 * four decimals and small enough for numeric(18,4).
 */
Numeric
om_check_quantity(Numeric n, const char *what, bool allow_zero)
{
	int			sign;
	Numeric		rounded;

	if (numeric_is_nan(n) || numeric_is_inf(n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number", what)));

	sign = om_numeric_cmp(n, int64_to_numeric(0));
	if (sign < 0 || (sign == 0 && !allow_zero))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be %s, got %s", what,
						allow_zero ? "zero or positive" : "positive", om_numeric_out(n))));

	if (om_numeric_cmp(n, om_qty_max()) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is out of range", what),
				 errdetail("The largest accepted value is %s.", OM_QTY_MAX_TEXT)));

	rounded = DatumGetNumeric(DirectFunctionCall2(numeric_round, NumericGetDatum(n),
												  Int32GetDatum(OM_QTY_SCALE)));
	if (om_numeric_cmp(n, rounded) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s has more than %d decimal places", what, OM_QTY_SCALE)));
	return n;
}

/*
 * Free text is bounded (setting max_text_length): it is copied into the
 * order, its history and its events, and read by every listener.
 */
void
om_check_text_length(const char *s, const char *what)
{
	int			limit = om_max_text_length();
	int			len = strlen(s);

	/* Characters never outnumber bytes: count them only when it matters. */
	if (len > limit && (len = pg_mbstrlen_with_len(s, len)) > limit)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is too long (%d characters)", what, len),
				 errdetail("The longest text accepted is %d characters.", limit),
				 errhint("An admin can raise setting max_text_length.")));
}

/*
 * An idempotency key (an order's external_ref, a payment's reference):
 * not empty, and short enough for the unique index that makes a retry safe.
 */
void
om_check_key(const char *s, const char *what)
{
	if (s[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", what)));
	if (pg_mbstrlen(s) > OM_KEY_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be at most %d characters", what, OM_KEY_MAX)));
}

/* The value of key in a JSON object, or NULL when absent. */
JsonbValue *
om_jsonb_get(Jsonb *obj, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	return findJsonbValueFromContainer(&obj->root, JB_FOBJECT, &k);
}

/* Refuse keys a caller may have mistyped: silently ignoring them is worse. */
void
om_jsonb_check_keys(Jsonb *obj, const char *what, const char *const *allowed)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (!JB_ROOT_IS_OBJECT(obj) || JB_ROOT_IS_SCALAR(obj))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a JSON object", what)));

	it = JsonbIteratorInit(&obj->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		const char *const *a;
		bool		known = false;

		if (tok != WJB_KEY)
			continue;
		for (a = allowed; *a != NULL; a++)
			if (strlen(*a) == (size_t) v.val.string.len &&
				memcmp(*a, v.val.string.val, v.val.string.len) == 0)
				known = true;
		if (!known)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown key \"%.*s\" in %s", v.val.string.len > 64 ? 64 : v.val.string.len,
							v.val.string.val, what)));
	}
}

char *
om_jsonb_string(JsonbValue *v, const char *what)
{
	if (v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a JSON string", what)));
	if (v->val.string.len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", what)));
	if (memchr(v->val.string.val, '\0', v->val.string.len) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not contain NUL characters", what)));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

bool
om_jsonb_bool(JsonbValue *v, const char *what)
{
	if (v->type != jbvBool)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be true or false", what)));
	return v->val.boolean;
}

Numeric
om_jsonb_numeric(JsonbValue *v, const char *what)
{
	if (v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a JSON number", what)));
	return v->val.numeric;
}

bool
om_numeric_positive(Numeric n)
{
	return om_numeric_cmp(n, int64_to_numeric(0)) > 0;
}

int
om_numeric_cmp(Numeric a, Numeric b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a), NumericGetDatum(b)));
}

/* n as a bigint, if it is a whole number within bigint's range. */
bool
om_numeric_int64(Numeric n, int64 *out)
{
	if (numeric_is_nan(n) || numeric_is_inf(n) ||
		om_numeric_cmp(n, int64_to_numeric(PG_INT64_MIN)) < 0 ||
		om_numeric_cmp(n, int64_to_numeric(PG_INT64_MAX)) > 0 ||
		om_numeric_cmp(n, DatumGetNumeric(DirectFunctionCall2(numeric_round, NumericGetDatum(n),
															  Int32GetDatum(0)))) != 0)
		return false;
	*out = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(n)));
	return true;
}

/* An amount rounded to cents, as the ledger stores it. */
Numeric
om_money_round(Numeric n)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_round, NumericGetDatum(n), Int32GetDatum(2)));
}

/* The text of a numeric, palloc'd, for messages and JSON. */
char *
om_numeric_out(Numeric n)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n)));
}

/* A numeric literal of the extension's own (not a caller's input). */
Numeric
om_numeric_from_cstring(const char *s)
{
	return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(s),
											   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
}

Numeric
om_numeric_add(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_add, NumericGetDatum(a), NumericGetDatum(b)));
}

Numeric
om_numeric_sub(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_sub, NumericGetDatum(a), NumericGetDatum(b)));
}

Numeric
om_numeric_mul(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_mul, NumericGetDatum(a), NumericGetDatum(b)));
}

Numeric
om_numeric_div(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_div, NumericGetDatum(a), NumericGetDatum(b)));
}

Numeric
om_numeric_abs(Numeric n)
{
	return DatumGetNumeric(DirectFunctionCall1(numeric_abs, NumericGetDatum(n)));
}
