/*
 * store/store.h
 *		The storage layer: kept SPI plans and result accessors, input checks,
 *		per-backend caches of configuration, the transactional outbox, the
 *		notices it writes, and alert rows.  It calls nothing above it.
 */
#ifndef OM_STORE_H
#define OM_STORE_H

#include "ordermgmt.h"

#include "nodes/execnodes.h"
#include "utils/date.h"
#include "utils/relcache.h"

/* outbox.c: how committed events reach LISTEN clients (GUC ordermgmt.notify) */
typedef enum OmNotifyMode
{
	OM_NOTIFY_OFF,
	OM_NOTIFY_IMMEDIATE,
	OM_NOTIFY_RELAY
} OmNotifyMode;

extern int	om_notify_mode;

/* spi.c: kept plans and small SPI helpers */
typedef struct OmPlan
{
	const char *sql;
	int			nargs;
	Oid			argtypes[16];
	SPIPlanPtr	plan;
	bool		custom;			/* plan for each call's parameters */
	bool		by_tid;			/* reaches its rows by tid: never planned as a scan */
} OmPlan;

/* A statement planned once, generically (the usual case). */
#define OM_PLAN(sql_, ...) \
	{ (sql_), sizeof((Oid[]){__VA_ARGS__}) / sizeof(Oid), {__VA_ARGS__}, NULL, false, false }
/* A statement without parameters. */
#define OM_PLAN0(sql_) \
	{ (sql_), 0, {InvalidOid}, NULL, false, false }
/*
 * A statement that updates rows already locked by their tids ("ctid = ANY
 * ($1)").  A generic plan counts ten elements in the array; on a small
 * table (a shop's thousand stock rows) ten tid fetches cost more than a
 * sequential scan, and the plan it picks then, or after a new ANALYZE,
 * reads every row of the table for each order.  It is planned and run
 * with sequential scans disabled, so it is always a tid scan.
 */
#define OM_PLAN_TID(sql_, ...) \
	{ (sql_), sizeof((Oid[]){__VA_ARGS__}) / sizeof(Oid), {__VA_ARGS__}, NULL, false, true }
/*
 * A statement whose best plan depends on its arrays' sizes (a join that a
 * generic plan would run by nested loops for any number of lines).  Updates
 * by tid are not among them: their generic plan is the same TID scan.
 */
#define OM_PLAN_CUSTOM(sql_, ...) \
	{ (sql_), sizeof((Oid[]){__VA_ARGS__}) / sizeof(Oid), {__VA_ARGS__}, NULL, true, false }

extern int	om_exec(OmPlan *p, Datum *values, const char *nulls, bool read_only, long tcount);
extern int	om_exec_latest(OmPlan *p, Datum *values, const char *nulls, long tcount);
extern Portal om_cursor_open(OmPlan *p, Datum *values, const char *nulls);
extern Datum om_getdatum(int row, int col, bool *isnull);
extern int64 om_getint64(int row, int col);
extern char *om_gettext(int row, int col);
extern bool om_getbool(int row, int col);
extern char *om_session_user(void);
extern bool om_caller_is_admin(void);
extern Datum om_text_datum(const char *s);
extern bool om_raw_load(void);
extern Datum om_array(Datum *elems, int n, Oid elemtype);
extern Datum om_array_with_nulls(Datum *elems, bool *isnull, int n, Oid elemtype);
extern Datum om_cstring_array(const char **elems, int n);

/* input.c: validation of caller-supplied values, numeric helpers */
extern Numeric om_check_quantity(Numeric n, const char *what, bool allow_zero);
extern void om_check_text_length(const char *s, const char *what);
extern void om_check_key(const char *s, const char *what);
extern JsonbValue *om_jsonb_get(Jsonb *obj, const char *key);
extern void om_jsonb_check_keys(Jsonb *obj, const char *what, const char *const *allowed);
extern char *om_jsonb_string(JsonbValue *v, const char *what);
extern bool om_jsonb_bool(JsonbValue *v, const char *what);
extern Numeric om_jsonb_numeric(JsonbValue *v, const char *what);
extern bool om_numeric_positive(Numeric n);
extern bool om_numeric_int64(Numeric n, int64 *out);
extern int	om_numeric_cmp(Numeric a, Numeric b);
extern Numeric om_money_round(Numeric n);
extern char *om_numeric_out(Numeric n);
extern Numeric om_numeric_from_cstring(const char *s);
extern Numeric om_numeric_add(Numeric a, Numeric b);
extern Numeric om_numeric_sub(Numeric a, Numeric b);
extern Numeric om_numeric_mul(Numeric a, Numeric b);
extern Numeric om_numeric_div(Numeric a, Numeric b);
extern Numeric om_numeric_abs(Numeric n);

/* outbox.c: transactional outbox and NOTIFY */
extern int64 om_emit_event(const char *kind, int64 order_id, const char *payload_json);
extern void om_events_init(void);
extern void om_events_since(int64 after_id, int32 max_rows, ReturnSetInfo *rsinfo);
extern void om_events_lock(void);
extern void om_events_announce(int n, const int64 *event_ids, const char *const *kinds,
							   const int64 *order_ids, char *const *payloads);
extern void om_event_notify(int64 event_id, const char *kind, int64 order_id, const char *payload_text);
extern int64 om_events_settled_upto(void);
extern const char *om_json_quote(const char *s);
extern void om_notify(const char *channel, const char *payload);
extern void om_notify_hold(MemoryContext cxt);
extern void om_notify_release(bool send);

/* alerts.c: alert rows and their announcements */
extern bool om_raise_alert(const char *rule_code, const char *subject_type, int64 subject_id,
						   int64 order_id, const char *details_json);
extern void om_alert_announce(int64 alert_id, const char *rule_code, int level, const char *severity,
							  int64 order_id, const char *state);
extern int	om_announce_resolved(void);
extern int	om_resolve_alerts_for_order(int64 order_id, int level, const char *keep_rules_csv,
										const char *note);
extern void om_alert_set_state(int64 alert_id, const char *note, bool resolve);

/*
 * Result columns of every statement that resolves alerts, as
 * om_announce_resolved reads them after it:
 * RETURNING alert_id, rule_code, level, severity, order_id.
 */
enum
{
	OM_RESOLVED_ALERT_ID = 1,
	OM_RESOLVED_RULE_CODE,
	OM_RESOLVED_LEVEL,
	OM_RESOLVED_SEVERITY,
	OM_RESOLVED_ORDER_ID
};

/* customer_logins.c: customer logins and the customers they act for */
extern Oid	om_customer_caller(void);
extern bool om_customer_login_has_code(Oid role, const char *code);
extern bool om_customer_login_has_order(Oid role, int64 order_id);
extern bool om_customer_id_exists(int64 customer_id);
extern bool om_role_exists(Oid role);

/* config_cache.c: small configuration tables cached per backend */
typedef struct OmL1Rules
{
	bool		customer_blocked;
	bool		product_inactive;
	bool		price_deviation;
	bool		credit_limit;
	Numeric		tolerance;		/* in TopMemoryContext */
} OmL1Rules;

/* An approval rule (approval_rules), cached per backend. */
typedef enum OmApprovalKind
{
	OM_APPROVE_ORDER_VALUE,
	OM_APPROVE_DISCOUNT_PCT,
	OM_APPROVE_CREDIT_EXCEEDED,
	OM_APPROVE_PRICE_DEVIATION
} OmApprovalKind;

typedef struct OmApprovalRule
{
	int64		rule_id;
	OmApprovalKind kind;
	Numeric		threshold;		/* in TopMemoryContext; NULL unless value or discount */
	Oid			required_role;
	int			level;
} OmApprovalRule;

/* An enabled notice template (notices.c renders it). */
typedef struct OmNoticeTemplate
{
	char	   *kind;
	char	   *subject;
	char	   *body;
} OmNoticeTemplate;

extern void om_cache_init(void);
extern bool om_transition_allowed(const char *from, const char *to, bool *manual);
extern bool om_purchase_transition_allowed(const char *from, const char *to, bool *manual);
extern void om_l1_rules(OmL1Rules *rules);
extern const OmApprovalRule *om_approval_rules(int *nrules);
extern int	om_max_text_length(void);
extern const char *om_company_currency(void);
extern void om_config_changed(Relation rel);
extern const OmNoticeTemplate *om_notice_template(const char *kind);

/* exchange_rates.c: the rates to the company currency and conversions */
extern DateADT om_utc_date(TimestampTz ts);
extern DateADT om_entry_date(void);
extern bool om_is_company_currency(const char *currency);
extern Numeric om_exchange_rate(const char *currency, DateADT day);
extern Numeric om_to_company(Numeric amount, const char *currency, DateADT day);
extern Numeric om_convert(Numeric amount, const char *from, const char *to, DateADT day);

/* notices.c: notices to customers, written with the events that cause them */
extern void om_notices_for_event(int64 event_id, const char *event_kind, int64 order_id,
								 const char *payload_text);
extern void om_notice_template_check(const char *kind, const char *subject, const char *body);

#endif							/* OM_STORE_H */
