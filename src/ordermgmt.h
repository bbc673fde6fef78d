/*
 * ordermgmt.h
 *		Declarations shared by the ordermgmt C sources.
 *
 * Each .c file owns one concern (lifecycle, orders, confirmation, stock,
 * monitoring, events); this header is the only coupling between them.
 */
#ifndef ORDERMGMT_H
#define ORDERMGMT_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "storage/itemptr.h"

/* Business-rule SQLSTATEs of the public contract (class OM). */
#define ERRCODE_OM_ILLEGAL_TRANSITION	MAKE_SQLSTATE('O','M','0','0','1')
#define ERRCODE_OM_STOCK				MAKE_SQLSTATE('O','M','0','0','2')
#define ERRCODE_OM_UNBALANCED			MAKE_SQLSTATE('O','M','0','0','3')
#define ERRCODE_OM_LEDGER_IMMUTABLE		MAKE_SQLSTATE('O','M','0','0','4')
#define ERRCODE_OM_UNKNOWN				MAKE_SQLSTATE('O','M','0','0','5')
#define ERRCODE_OM_OVER_BILLING			MAKE_SQLSTATE('O','M','0','0','6')

/* Largest magnitude a numeric(18,4) column holds, and its scale. */
#define OM_QTY_MAX_TEXT		"99999999999999.9999"
#define OM_QTY_SCALE		4

/* Longest idempotency key (external_ref, payment reference), in characters. */
#define OM_KEY_MAX			255

/* Longest free text (reasons, notes, subjects, memos) unless setting max_text_length says otherwise. */
#define OM_MAX_TEXT_LENGTH_DEFAULT	"4096"

/* Largest factor between a receipt's unit_cost and the product's cost without an admin. */
#define OM_MAX_COST_FACTOR_DEFAULT	"10"

/* ordermgmt.c: module set-up, GUCs, API context */
typedef enum OmNotifyMode
{
	OM_NOTIFY_OFF,
	OM_NOTIFY_IMMEDIATE,
	OM_NOTIFY_RELAY
} OmNotifyMode;

extern int	om_notify_mode;

/*
 * API functions perform status changes whose side effects a plain UPDATE
 * cannot (reserving stock, shipping).  While one runs, the lifecycle
 * trigger accepts the transitions marked manual = false.
 */
extern int	om_api_depth;

#define OM_API_BEGIN()	do { om_api_depth++; PG_TRY(); {
#define OM_API_END()	} PG_FINALLY(); { om_api_depth--; } PG_END_TRY(); } while (0)

/* spi_util.c: kept plans and small SPI helpers */
typedef struct OmPlan
{
	const char *sql;
	int			nargs;
	Oid			argtypes[16];
	SPIPlanPtr	plan;
	bool		custom;			/* plan for each call's parameters */
} OmPlan;

/* A statement planned once, generically (the usual case). */
#define OM_PLAN(sql_, ...) \
	{ (sql_), sizeof((Oid[]){__VA_ARGS__}) / sizeof(Oid), {__VA_ARGS__}, NULL, false }
/*
 * A statement whose best plan depends on its arrays' sizes (a join that a
 * generic plan would run by nested loops for any number of lines).  Updates
 * by tid are not among them: their generic plan is the same TID scan.
 */
#define OM_PLAN_CUSTOM(sql_, ...) \
	{ (sql_), sizeof((Oid[]){__VA_ARGS__}) / sizeof(Oid), {__VA_ARGS__}, NULL, true }

extern int	om_exec(OmPlan *p, Datum *values, const char *nulls, bool read_only, long tcount);
extern Portal om_cursor_open(OmPlan *p, Datum *values, const char *nulls);
extern Datum om_getdatum(int row, int col, bool *isnull);
extern int64 om_getint64(int row, int col);
extern char *om_gettext(int row, int col);
extern bool om_getbool(int row, int col);
extern char *om_session_user(void);
extern bool om_caller_is_admin(void);
extern Datum om_text_datum(const char *s);
extern bool om_raw_load(void);
extern bool om_has_column(const char *relname, const char *colname);
extern Datum om_array(Datum *elems, int n, Oid elemtype);
extern Datum om_cstring_array(const char **elems, int n);

/* json_input.c: validation of caller-supplied values */
extern Numeric om_check_quantity(Numeric n, const char *what, bool allow_zero);
extern Numeric om_numeric_arg(FunctionCallInfo fcinfo, int argno, const char *what, bool allow_zero);
extern int64 om_int64_arg(FunctionCallInfo fcinfo, int argno, const char *what);
extern char *om_text_arg(FunctionCallInfo fcinfo, int argno, const char *what);
extern char *om_text_arg_or_null(FunctionCallInfo fcinfo, int argno, const char *what);
extern void om_check_text_length(const char *s, const char *what);
extern void om_check_key(const char *s, const char *what);
extern JsonbValue *om_jsonb_get(Jsonb *obj, const char *key);
extern void om_jsonb_check_keys(Jsonb *obj, const char *what, const char *const *allowed);
extern char *om_jsonb_string(JsonbValue *v, const char *what);
extern bool om_jsonb_bool(JsonbValue *v, const char *what);
extern Numeric om_jsonb_numeric(JsonbValue *v, const char *what);
extern bool om_numeric_positive(Numeric n);
extern int	om_numeric_cmp(Numeric a, Numeric b);

/* allocate.c */
extern void om_allocate_by_sku(Jsonb *lines, const char *action, int nlines, char **skus,
							   Numeric *capacity, Numeric *take);

/* events.c: transactional outbox and NOTIFY */
extern int64 om_emit_event(const char *kind, int64 order_id, const char *payload_json);
extern void om_emit_event_pair(int64 order_id, const char *kind1, const char *payload1,
							   const char *kind2, const char *payload2);
extern void om_events_init(void);
extern void om_event_notify(int64 event_id, const char *kind, int64 order_id, const char *payload_text);
extern int64 om_events_settled_upto(void);

/* worker.c: background worker (monitor ticks, NOTIFY relay) */
extern void om_worker_init(void);
extern const char *om_json_quote(const char *s);

/* monitor.c: alerts */
extern bool om_raise_alert(const char *rule_code, const char *subject_type, int64 subject_id,
						   int64 order_id, const char *details_json);
extern void om_alert_announce(int64 alert_id, const char *rule_code, int level, const char *severity,
							  int64 order_id, const char *state);
extern int	om_announce_resolved(void);

/* deadlines.c: time-based rules */
extern void om_order_monitor(int64 order_id, const char *old_status, const char *new_status,
							 bool has_promised_at, Datum promised_at, bool promised_changed,
							 const char *history_reason, bool via_pending);
extern void om_deadline_set(const char *rule_code, const char *subject_type, int64 subject_id,
							int64 order_id, const char *variant, Datum anchor_at);
extern int	om_deadline_clear(const char *rule_code, const char *subject_type, int64 subject_id,
							  const char *note);
extern void om_low_stock_check(int64 warehouse_id, Datum *product_ids, int n);
extern int	om_resolve_alerts_for_order(int64 order_id, int level, const char *keep_rules_csv,
										const char *note);

/* stock.c: reservation */
typedef struct OmStockNeed
{
	int64		product_id;
	Numeric		qty;			/* total quantity wanted across the order */
	Numeric		available;		/* filled by om_lock_stock */
	bool		found;
	ItemPointerData tid;		/* the locked row, for updating it by tid */
} OmStockNeed;

extern void om_lock_stock(int64 warehouse_id, OmStockNeed *needs, int nneeds);
extern Datum om_stock_tids(OmStockNeed *needs, int nneeds);
extern int	om_compare_need(const void *a, const void *b);
extern void om_reserve_lines(int64 order_id, int64 warehouse_id, int nlines, Datum *line_nos,
							 Datum *product_ids, Datum *qtys, int nneeds, OmStockNeed *needs);
extern void om_release_reservations(int64 order_id);

/* ledger.c */
extern Numeric om_money_round(Numeric n);
extern int64 om_post(const char *event, const char *source_type, int64 source_id, const char *memo,
					 const char *currency, int n, const char **roles, Numeric *debits, Numeric *credits);

/* billing.c */
extern void om_maybe_complete(int64 order_id);

/* cache.c: small configuration tables cached per backend */
typedef struct OmL1Rules
{
	bool		customer_blocked;
	bool		product_inactive;
	bool		price_deviation;
	bool		credit_limit;
	Numeric		tolerance;		/* in TopMemoryContext */
} OmL1Rules;

extern void om_cache_init(void);
extern bool om_transition_allowed(const char *from, const char *to, bool *manual);
extern void om_l1_rules(OmL1Rules *rules);
extern int	om_max_text_length(void);

/* confirm.c: the level-1 checks */
typedef struct OmConfirmLine
{
	int32		line_no;
	int64		product_id;
	Numeric		qty;
	Numeric		unit_price;
	Numeric		list_price;
	Numeric		tax_rate;
	bool		active;
	bool		reserved;		/* already holds its stock */
	char	   *sku;
} OmConfirmLine;

typedef struct OmCheckInput
{
	int64		order_id;		/* 0 while the order is not stored yet */
	int64		customer_id;
	int64		warehouse_id;
	bool		approved;
	bool		blocked;
	bool		has_limit;
	const char *customer_code;
	OmConfirmLine *lines;
	int			nlines;
} OmCheckInput;

typedef struct OmCheckResult
{
	OmL1Rules	rules;
	StringInfoData failed;		/* comma-separated failed rule codes */
	StringInfoData inactive;
	StringInfoData deviations;
	StringInfoData shortage;
	StringInfoData credit;
	OmStockNeed *needs;			/* per product, sorted, rows locked */
	int			nneeds;
} OmCheckResult;

extern bool om_level1_checks(OmCheckInput *in, OmCheckResult *res);
extern void om_reserve_checked(int64 order_id, OmCheckInput *in, OmCheckResult *res);
extern char *om_confirm(int64 order_id, const char *approver);

/* fulfilment.c */
extern bool om_last_delivery(int64 order_id, TimestampTz *at);
extern void om_count_delivery(int64 customer_id, TimestampTz delivered_at, TimestampTz promised_at,
							  int sign);

/* system_columns.c: columns only the extension writes */
extern void om_check_system_columns(const char *table, TupleDesc desc, HeapTuple oldtup,
									HeapTuple newtup, const char *const *stamped);

/* lifecycle.c */
extern void om_set_status(int64 order_id, const char *to_status, const char *reason);
extern char *om_lock_order(int64 order_id);

#endif							/* ORDERMGMT_H */
