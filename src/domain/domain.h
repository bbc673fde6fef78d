/*
 * domain/domain.h
 *		The rules: the order lifecycle, level-1 checks, reservation,
 *		fulfilment, billing, returns, the ledger, monitoring.  Domain code
 *		calls the store and other domain files, never the API layer; each
 *		API function is a thin wrapper around one of the om_* operations
 *		declared here.
 */
#ifndef OM_DOMAIN_H
#define OM_DOMAIN_H

#include "store/store.h"

#include "commands/trigger.h"
#include "utils/date.h"

/*
 * order_status.c: status changes the extension makes itself.
 *
 * API functions perform status changes whose side effects a plain UPDATE
 * cannot (reserving stock, shipping).  They write the order row inside
 * OM_API_BEGIN/OM_API_END; while om_api_depth > 0 the lifecycle trigger
 * accepts the transitions marked manual = false and lets the extension
 * write its own columns (system_columns.c).
 */
extern int	om_api_depth;

#define OM_API_BEGIN()	do { om_api_depth++; PG_TRY(); {
#define OM_API_END()	} PG_FINALLY(); { om_api_depth--; } PG_END_TRY(); } while (0)

extern void om_set_status(int64 order_id, const char *to_status, const char *reason);
extern char *om_lock_order(int64 order_id);

/* An order row as the operations on it read it, locked by om_load_order. */
typedef struct OmOrder
{
	int64		order_id;
	char	   *status;
	int64		customer_id;
	int64		warehouse_id;
	char	   *currency;
	bool		split;			/* sourcing split: reservations in several warehouses */
} OmOrder;

extern void om_load_order(int64 order_id, OmOrder *order);
extern char *om_allowed_targets(const char *from);
extern void om_require_transition(int64 order_id, const char *status, const char *to_status,
								  const char *action);
extern void om_hold_order(int64 order_id, const char *reason);
extern void om_cancel_order(int64 order_id, const char *reason);
extern void om_start_processing(int64 order_id);

/* lifecycle.c: the triggers on orders and order_lines */
extern HeapTuple om_orders_lifecycle(TriggerData *trigdata);
extern HeapTuple om_order_lines_guard(TriggerData *trigdata);

/* monitoring.c: time-based rules, low stock, the tick */
extern void om_order_monitor(int64 order_id, const char *old_status, const char *new_status,
							 bool has_promised_at, Datum promised_at, bool promised_changed,
							 const char *history_reason);
extern void om_deadline_set(const char *rule_code, const char *subject_type, int64 subject_id,
							int64 order_id, const char *variant, Datum anchor_at);
extern int	om_deadline_clear(const char *rule_code, const char *subject_type, int64 subject_id,
							  const char *note);
extern void om_low_stock_check(int64 warehouse_id, Datum *product_ids, int n);

/* stock_ops.c: transfers between warehouses, stock counts */
extern int64 om_transfer_stock(const char *sku, const char *from, const char *to, Numeric qty,
							   const char *reference);
extern int64 om_count_stock(const char *sku, const char *warehouse, Numeric counted, const char *reason);
extern int	om_monitor_tick(TimestampTz at);
extern void om_reschedule_rule(const char *rule);

/* stock.c: reservation */
/* One warehouse's locked stock row of a product (split sourcing). */
typedef struct OmStockSource
{
	int64		warehouse_id;
	Numeric		available;		/* what is left of it while lines take from it */
	Numeric		taken;			/* what the order's lines took */
	ItemPointerData tid;
} OmStockSource;

typedef struct OmStockNeed
{
	int64		product_id;
	Numeric		qty;			/* total quantity wanted across the order */
	Numeric		available;		/* filled by om_lock_stock (split: over every warehouse) */
	bool		found;
	ItemPointerData tid;		/* the locked row, for updating it by tid */
	OmStockSource *sources;		/* split: every warehouse's row, in priority order */
	int			nsources;
} OmStockNeed;

extern void om_lock_stock(int64 warehouse_id, OmStockNeed *needs, int nneeds);
extern Datum om_stock_tids(OmStockNeed *needs, int nneeds);
extern int	om_compare_need(const void *a, const void *b);
extern void om_reserve_lines(int64 order_id, int64 warehouse_id, int nlines, Datum *line_nos,
							 Datum *product_ids, Datum *qtys, int nneeds, OmStockNeed *needs,
							 bool count_on_lines);
extern void om_release_reservations(int64 order_id);
extern int	om_release_stock(int64 order_id, int64 **warehouses, Datum **product_ids);
extern void om_stock_freed(int64 *warehouses, Datum *product_ids, int n);
/* sourcing.c: split orders, reserved from the warehouses in priority order */
extern void om_lock_stock_split(OmStockNeed *needs, int nneeds);
extern void om_reserve_split(int64 order_id, int nlines, Datum *line_nos, Datum *product_ids, Datum *qtys,
							 int nneeds, OmStockNeed *needs);
extern void om_refuse_split(int64 order_id, const char *action);
extern void om_lock_stock_pairs(Datum *product_ids, Datum *warehouse_ids, int n);
extern Datum *om_shipped_from(int64 order_id, Datum *line_nos, int n);
extern int64 om_receive_stock(const char *sku, const char *warehouse, Numeric qty, Numeric unit_cost);
/* purchasing.c, purchase_lifecycle.c */
extern int64 om_create_purchase_order(const char *supplier, const char *warehouse, Jsonb *lines,
									  Jsonb *options);
extern int64 om_receive_purchase(int64 po_id, Jsonb *lines);
extern void om_cancel_purchase_order(int64 po_id, const char *reason);
extern HeapTuple om_purchase_orders_lifecycle(TriggerData *trigdata);
extern int64 om_stock_arrived(int64 product_id, int64 warehouse_id, Numeric qty, Numeric unit_cost,
							  const char *memo, Datum waiting, int nwaiting);
extern void om_check_cost_bound(const char *sku, Numeric unit_cost, Datum reference, bool no_reference,
								Numeric factor);

/* backorders.c: partial allocation's waiting lines, filled as stock arrives */
extern int	om_exec_on_lines(OmPlan *plan, Datum *v);
extern Datum om_backorders_lock(int64 warehouse_id, Datum *product_ids, int nproducts, bool wait, int *n);
extern int	om_backorders_fill(int64 warehouse_id, int64 product_id, Datum locked_orders, int nlocked);
extern void om_backorders_fill_all(int64 warehouse_id, Datum *product_ids, int nproducts,
								   Datum locked_orders, int nlocked);
extern void om_backorders_fill_free(int64 warehouse_id, Datum *product_ids, int nproducts);
extern void om_backorders_created(int64 order_id, const char *lines_json);
extern void om_backorders_drop(int64 order_id);

/* ledger.c: postings, manual entries and reversals, the ledger's guards */
typedef struct OmPostLine
{
	const char *role;			/* posting_accounts role; "exchange": the difference */
	const char *currency;		/* NULL: the entry's currency */
	Numeric		debit;			/* NULL or 0: none */
	Numeric		credit;
	Numeric		company;		/* fixed company amount, debit positive; NULL: at the day's rate */
} OmPostLine;

extern int64 om_post_lines(const char *event, const char *source_type, int64 source_id, const char *memo,
						   const char *currency, int n, const OmPostLine *lines);
extern int64 om_post(const char *event, const char *source_type, int64 source_id, const char *memo,
					 const char *currency, int n, const char **roles, Numeric *debits, Numeric *credits);
extern void om_check_entry_balanced(int64 entry_id, int64 posting_id);
extern void om_refuse_ledger_change(const char *relname);
extern int64 om_post_entry(const char *memo, Jsonb *lines);
extern int64 om_reverse_entry(int64 entry_id, const char *memo);
extern HeapTuple om_posting_company_amounts(HeapTuple tuple, TupleDesc desc);
extern void om_exchange_rate_check(const char *currency);

/* report_totals.c: the reporting summaries the BI views read, rolled up */
extern int64 om_rollup_reports(void);

/* exposure.c: each customer's open credit exposure, per currency */
extern bool om_status_open(const char *status);
extern void om_lock_customer(int64 customer_id);
extern void om_exposure_add(int64 customer_id, const char *currency, Numeric open_orders,
							Numeric receivables);
extern void om_exposure_add_many(int n, const int64 *customer_ids, const char *const *currencies,
								 const Numeric *open_orders);
extern void om_exposure_order_moved(int64 order_id, int64 customer_id, const char *currency, int sign);
extern Numeric om_exposure_convert(Jsonb *elsewhere, const char *limit_currency, DateADT day);
extern Numeric om_exposure_read(int64 customer_id, const char *currency, Jsonb **elsewhere);

/*
 * revision.c: a revision of an order's lines (amend_order, short_close),
 * loaded with the order row locked, then written whole.
 */
typedef struct OmRevisionLine
{
	int32		line_no;
	int64		product_id;
	char	   *sku;
	Numeric		qty;			/* before (0 for an added line) */
	Numeric		new_qty;		/* after; 0: the line is removed */
	Numeric		unit_price;
	Numeric		new_price;
	Numeric		expected_price;
	Numeric		tax_rate;
	Numeric		shipped;
	Numeric		billed;			/* returned + invoiced - credited: left out of the open quantity */
	Numeric		reserved;		/* its reservation now */
	Numeric		backordered;	/* what it waits for now (allocation partial) */
	Numeric		new_reserved;	/* after (om_revision_plan_lines, then the stock) */
	Numeric		new_backordered;
	bool		active;
	bool		added;
} OmRevisionLine;

typedef struct OmRevision
{
	int64		order_id;
	char	   *status;
	int64		customer_id;
	int64		warehouse_id;
	char	   *currency;
	char	   *customer_code;
	bool		blocked;
	bool		has_limit;
	bool		approved;		/* has approvals (orders.approved_by) */
	bool		partial;		/* allocation partial: what cannot be reserved waits */
	bool		split;			/* sourcing split: reservations in several warehouses */
	Datum		day;			/* UTC day of entry: the order's row of order_day_totals */
	Numeric		net_before;		/* orders.ordered_net */
	Numeric		net_after;		/* set by om_revision_write */
	Numeric		value_before;	/* what it counts in the customer's exposure (exposure.c) */
	int32		revision;		/* the latest one, 0 for none */
	OmRevisionLine *lines;		/* in line order, added lines last */
	int			nlines;
	int			nadded;
} OmRevision;

extern void om_revision_load(int64 order_id, OmRevision *r);
extern void om_revision_plan_lines(OmRevision *r);
extern Numeric om_revision_reserve_change(const OmRevisionLine *l);
extern bool om_revision_changes_anything(const OmRevision *r);
extern int32 om_revision_write(OmRevision *r, OmStockNeed *needs, int nneeds, const char *kind,
							   const char *reason);

/* amendment.c: changes of a confirmed order's lines, and giving up what was not shipped */
extern int32 om_amend_order(int64 order_id, Jsonb *changes);
extern void om_short_close(int64 order_id, const char *reason);

/* completion.c */
extern void om_maybe_complete(int64 order_id);

/* delivery_stats.c: deliveries counted for the reports */
extern bool om_last_delivery(int64 order_id, TimestampTz *at);
extern void om_count_delivery(int64 customer_id, TimestampTz delivered_at, TimestampTz promised_at,
							  int sign);

/* allocation.c */
extern void om_allocate_by_sku(Jsonb *lines, const char *action, int nlines, char **skus,
							   Numeric *capacity, Numeric *take);
/* new_orders.c: what a new order records as it is inserted */
typedef struct OmNewOrderRecord
{
	int64		order_id;
	int64		customer_id;
	const char *status;			/* as inserted */
	bool		via_pending;	/* inserted confirmed: recorded as created pending, then confirmed */
	bool		has_promised_at;
	Datum		promised_at;
	bool		net_null;
	Datum		ordered_net;
} OmNewOrderRecord;

extern void om_record_new_orders(int n, const OmNewOrderRecord *orders);

#define OM_MAX_NEW_DEADLINES 8
extern int	om_new_order_deadlines(const char *status, bool has_promised_at, Datum promised_at,
								   const char **rules, Datum *ats);
extern int	om_collect_takes(int nlines, const int32 *line_nos, const int64 *product_ids, Numeric *take,
							 Datum **lines, Datum **products, Datum **qtys, OmStockNeed **needs,
							 int *nneeds);

/* system_columns.c: columns only the extension writes */
extern void om_check_system_columns(const char *table, TupleDesc desc, HeapTuple oldtup,
									HeapTuple newtup, const char *const *stamped);

/* level1.c: the level-1 checks and confirmation */
typedef struct OmConfirmLine
{
	int32		line_no;
	int64		product_id;
	Numeric		qty;
	Numeric		open_qty;		/* still to bill: (qty - returned) - (invoiced - credited) */
	Numeric		unit_price;
	Numeric		expected_price; /* price_for's at entry: L1_PRICE_DEVIATION's reference */
	Numeric		tax_rate;		/* the line's (recorded as the order left draft) */
	bool		active;
	bool		reserved;		/* already holds its stock */
	char	   *sku;
	Numeric		take;			/* om_allocate_lines: what it reserves now */
	Numeric		wait;			/* om_allocate_lines: what it backorders */
} OmConfirmLine;

typedef struct OmCheckInput
{
	int64		order_id;		/* 0 while the order is not stored yet */
	int64		customer_id;
	int64		warehouse_id;
	const char *currency;
	bool		counted;		/* already in the customer's exposure (open status) */
	Numeric		counted_value;	/* counted with this value (NULL: the order's value as checked) */
	const int64 *approved_rules;	/* approval_rules the order has approvals of */
	int			napproved;
	bool		blocked;
	bool		has_limit;
	bool		partial;		/* allocation partial: short lines wait, not fail */
	bool		split;			/* sourcing split: every warehouse, in priority order */
	bool		lines_hold;		/* the lines were stored holding their allotment
								 * (om_allocate_lines ran before they were inserted) */
	const char *customer_code;
	OmConfirmLine *lines;
	int			nlines;
	const struct OmKnownState *known;	/* NULL: the checks lock and read for themselves */
} OmCheckInput;

/*
 * What the checks of an order read, read beforehand for many orders at
 * once (bulk_entry.c) under the same locks: the credit limit and exposure
 * of the order's customer, and a function that fills in the stock needs
 * from rows already locked.
 */
typedef struct OmKnownState
{
	Numeric		limit;			/* the credit limit to check against; NULL: none */
	const char *limit_currency;
	Numeric		exposure;		/* in the order's currency, unrounded (om_exposure_read) */
	Jsonb	   *elsewhere;		/* in the customer's other currencies, or NULL */
	void		(*fill_stock) (void *arg, int64 warehouse_id, OmStockNeed *needs, int nneeds);
	void	   *arg;
} OmKnownState;

typedef struct OmCheckResult
{
	OmL1Rules	rules;
	StringInfoData failed;		/* comma-separated failed rule codes */
	StringInfoData inactive;
	StringInfoData deviations;
	StringInfoData shortage;
	StringInfoData credit;
	StringInfoData approvals;	/* order value and discount rules waiting, as JSON */
	int64	   *waiting;		/* every approval rule tripped and not approved */
	int			nwaiting;
	OmStockNeed *needs;			/* per product, sorted, rows locked */
	int			nneeds;
	Numeric		order_value;	/* what the order adds to the exposure (exposure.c) */
} OmCheckResult;

extern Numeric om_lock_credit_limit(int64 customer_id, char **limit_currency);
extern bool om_level1_checks(OmCheckInput *in, OmCheckResult *res);
extern void om_allocate_lines(OmCheckInput *in, OmCheckResult *res);
extern void om_reserve_checked(int64 order_id, OmCheckInput *in, OmCheckResult *res);
extern void om_hold_for_checks(int64 order_id, OmCheckInput *in, OmCheckResult *res);
extern char *om_confirm(int64 order_id);
extern const char *om_confirm_order(int64 order_id);

/* approvals.c: which approval rules an order trips and waits for */
extern void om_approval_checks(OmCheckInput *in, OmCheckResult *res, bool *waive_price, bool *waive_credit);
extern void om_approvals_tripped(OmCheckInput *in, OmCheckResult *res);
extern void om_request_approvals(int64 order_id, OmCheckResult *res);
extern const int64 *om_order_approved_rules(int64 order_id, int *n);
extern void om_forget_waiting_approvals(int64 order_id);

/* approve_order.c: a person's approval */
extern const char *om_approve_order(int64 order_id, const char *note);

/* aftersales.c: feedback and tickets */
extern int64 om_record_feedback(int64 order_id, int32 rating, const char *comment);
extern int64 om_open_ticket(int64 order_id, const char *subject, const char *priority);
extern void om_resolve_ticket(int64 ticket_id, const char *resolution);

/* billing.c: invoices and payments */
extern Numeric om_receivable_cleared(Numeric company_total, Numeric total, Numeric settled_before,
									 Numeric settled_after);
extern void om_check_due_days(int32 due_days);
extern int64 om_invoice_order(int64 order_id, int32 due_days);
extern int64 om_record_payment(int64 invoice_id, Numeric amount, const char *method, const char *reference);

/* A payment of an invoice whose order and invoice rows are locked (om_pay_invoice). */
typedef struct OmInvoicePayment
{
	int64		invoice_id;
	int64		order_id;
	int64		customer_id;
	const char *currency;		/* the invoice's */
	Numeric		amount;			/* in the invoice's currency, at most its due */
	const char *method;
	const char *reference;		/* NULL: none */
	const char *debit_role;		/* "cash", or "customer_credit" for allocated credit */
	const char *from_currency;	/* the money's currency when not the invoice's, else NULL */
	Numeric		from_amount;	/* the money taken, in from_currency */
} OmInvoicePayment;

extern int64 om_pay_invoice(const OmInvoicePayment *p);

/* customer_payments.c: one receipt over several invoices, the rest left as credit */
extern int64 om_record_customer_payment(const char *customer, Numeric amount, const char *currency,
										const char *method, const char *reference, Jsonb *allocations);

/* customer_credit.c: apply_credit and refund_credit */
extern int64 om_apply_credit(const char *customer, int64 invoice_id, Numeric amount);
extern int64 om_refund_credit(const char *customer, Numeric amount, const char *reference,
							  const char *currency);

/* customer_money.c: what receipts and credit share */
extern void om_check_money(Numeric amount, const char *what);
extern void om_check_currency(const char *currency, const char *what);
extern int64 om_customer_payment_retry(int64 customer_id, const char *customer, const char *reference,
									   const char *kind, Numeric amount, const char *currency,
									   const char *method, Jsonb *allocations);
extern int64 om_customer_id(const char *customer);
extern Numeric om_credit_lock(int64 customer_id, const char *currency);
extern void om_credit_add(int64 customer_id, const char *currency, Numeric change);
extern void om_record_allocation(int64 payment_id, int64 receipt_id, const OmInvoicePayment *p);
extern void om_customer_invoice(int64 customer_id, const char *customer, int64 invoice_id,
								OmInvoicePayment *p);
extern Numeric om_invoice_due(int64 invoice_id);

/* fulfilment.c: shipping and delivery */
extern int64 om_ship_order(int64 order_id, Jsonb *request, const char *carrier, const char *tracking);
extern void om_confirm_delivery(int64 shipment_id, TimestampTz delivered_at);

/*
 * pricing.c: price lists.  SQL fragments shared by every statement that
 * prices a line, so that price_for, create_order and the submission of a
 * draft agree: is a list or item (alias l) in force at at, and the price
 * of the best break of a list for a product and quantity (NULL: none).
 */
#define OM_IN_FORCE(l, at) \
	"(" l ".valid_from IS NULL OR " l ".valid_from <= " at ") " \
	"AND (" l ".valid_to IS NULL OR " at " < " l ".valid_to)"
#define OM_BEST_BREAK(list, product, qty, at) \
	"(SELECT i.unit_price FROM ordermgmt.price_list_items i " \
	"  WHERE i.price_list_id = " list " AND i.product_id = " product \
	"    AND i.min_qty <= " qty " AND " OM_IN_FORCE("i", at) \
	"  ORDER BY i.min_qty DESC LIMIT 1)"

extern Numeric om_price_for(const char *customer, const char *sku, Numeric qty, TimestampTz at);

/*
 * order_entry.c; by_customer: a customer login's order, which never
 * confirms itself.  om_prepare_order parses a request and looks up what it
 * names, writing nothing: create_order and the set-based entry of
 * create_orders (bulk_entry.c) both start from it.
 */
typedef struct OmNewOrder
{
	int64		existing_id;	/* a repeated external_ref: the first order (nothing below is set) */
	bool		submit;
	bool		auto_confirm;	/* submitted, and to be confirmed at once */
	const char *external_ref;
	bool		has_promised_at;
	Datum		promised_at;
	bool		has_valid_until;
	Datum		valid_until;
	const char *allocation;
	Datum	   *product_ids;	/* per line */
	Datum	   *prices;
	Datum	   *tax_rates;
	Datum	   *expected_prices;
	Datum		qty_array;		/* numeric[] of the lines' quantities */
	Datum		price_array;	/* numeric[] of their unit prices */
	OmCheckInput in;			/* customer, warehouse, currency, lines */
} OmNewOrder;

typedef struct OmEntryLookups OmEntryLookups;
extern OmEntryLookups *om_entry_lookups(const char **customers, const char **warehouses, int n,
										const char **skus, int nskus);
extern void om_prepare_order(const char *customer, Jsonb *lines, Jsonb *options, bool by_customer,
							 OmNewOrder *o, OmEntryLookups *lk);
extern int64 om_order_by_ref(int64 customer_id, const char *external_ref, bool read_only);
extern int64 om_create_order(const char *customer, Jsonb *lines, Jsonb *options, bool by_customer);

/* bulk_entry.c: create_orders' set-based path for plain auto-confirmed orders */
typedef struct OmBulkItem
{
	const char *customer;
	Jsonb	   *lines;
	Jsonb	   *options;			/* or NULL */
	bool		repeated;		/* repeats an earlier item's external_ref: not for this path */
} OmBulkItem;

extern bool om_bulk_entry_writing;
extern int	om_bulk_create_orders(const OmBulkItem *items, int n, int64 *ids, int *preparing);
extern const char *om_submit_order(int64 order_id, bool by_customer);

/* customer_access.c: what a customer login may ask of the API */
extern bool om_customer_check_code(const char *customer);
extern bool om_customer_check_order(int64 order_id);
extern void om_customer_login_check(Oid role, int64 customer_id);

/* opportunities.c: the sales pipeline's stage rules, and a quotation's fate */
extern HeapTuple om_opportunities_stage(TriggerData *trigdata);
extern void om_opportunity_order_fate(TriggerData *trigdata);

/* quotation.c */
extern int64 om_quote_opportunity(int64 opportunity_id, Jsonb *lines, Jsonb *options);

/* quotation_expiry.c: drafts with options.valid_until, cancelled as 'expired' by the tick */
#define OM_QUOTATION_EXPIRY "QUOTATION_EXPIRY"
extern void om_quotation_expiry_set(int64 order_id, Datum valid_until);
extern void om_quotation_expiry_clear(int64 order_id);
extern int	om_expire_quotations(TimestampTz at);

/* returns.c */
extern int64 om_return_items(int64 order_id, Jsonb *request, const char *reason);

/* retention.c */
extern void om_purge_history(Interval *keep, int64 *events, int64 *alerts);

/* ledger_close.c: close_period and the closed-period guard */
extern void om_check_entry_open(int64 entry_id, TimestampTz posted_at);
extern void om_check_posting_open(int64 entry_id);
extern DateADT om_close_period(DateADT through);

/* ledger_rollup.c */
extern int64 om_rollup_ledger(void);

/* batch_locks.c: what a batch locks before its first item, in the global lock order */
extern void om_lock_for_order_entry(const char **customers, int ncustomers,
									const char **skus, const char **warehouses, int nlines);
extern void om_lock_for_shipping(const int64 *order_ids, int n);
extern void om_lock_for_invoicing(const int64 *order_ids, int n);
extern void om_lock_for_payments(const int64 *invoice_ids, int n);

/* notice_queue.c: notifiers claim and mark the notices to customers */
extern void om_claim_notifications(int32 max_rows, Interval *lease, ReturnSetInfo *rsinfo);
extern char *om_finish_notification(int64 notification_id, int32 attempt, const char *error,
									int32 max_attempts, Interval *retry_delay);

/* config_rows.c: configuration rows kept through pg_restore */
extern HeapTuple om_config_merge(TriggerData *trigdata);
extern void om_refuse_builtin_delete(const char *table);

#endif							/* OM_DOMAIN_H */
