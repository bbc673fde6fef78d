/*
 * api/api.h
 *		The SQL-callable layer: each function parses its arguments and calls
 *		one domain operation; triggers hand their tuples to the domain.
 *		Nothing below this layer calls into it.
 */
#ifndef OM_API_H
#define OM_API_H

#include "domain/domain.h"

#include "fmgr.h"

/* args.c: arguments, refused with 22023 when NULL, empty or malformed */
extern Numeric om_numeric_arg(FunctionCallInfo fcinfo, int argno, const char *what, bool allow_zero);
extern int64 om_int64_arg(FunctionCallInfo fcinfo, int argno, const char *what);
extern char *om_text_arg(FunctionCallInfo fcinfo, int argno, const char *what);
extern char *om_text_arg_or_null(FunctionCallInfo fcinfo, int argno, const char *what);

/* args.c: the fields of a batch item, checked as the single function's arguments */
extern Jsonb *om_item_object(Jsonb *items, int ord, const char *const *keys);
extern char *om_item_text(Jsonb *item, const char *key, const char *dflt);
extern char *om_item_text_or_null(Jsonb *item, const char *key);
extern int64 om_item_int64(Jsonb *item, const char *key);
extern Numeric om_item_numeric(Jsonb *item, const char *key, bool allow_zero);
extern Jsonb *om_item_jsonb(Jsonb *item, const char *key);
extern Jsonb *om_item_jsonb_or_null(Jsonb *item, const char *key);

/* worker.c: the background worker (monitor ticks, NOTIFY relay) */
extern void om_worker_init(void);

#endif							/* OM_API_H */
