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
