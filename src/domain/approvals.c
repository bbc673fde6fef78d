/*
 * approvals.c
 *		Approval rules: who must approve an order before it may confirm.
 *
 * Confirmation (level1.c) asks which enabled rules of approval_rules the
 * order trips: price_deviation and credit_exceeded when the level-1 check
 * of that name fails, order_value and discount_pct against their
 * thresholds.  A tripped rule the order has no approval of holds it, and a
 * row of order_approvals records that it waits (approved_by NULL).
 *
 * approve_order (approve_order.c) gives the approvals.
 */
#include "domain/domain.h"

#include "miscadmin.h"
#include "utils/builtins.h"

static bool
rule_approved(OmCheckInput *in, int64 rule_id)
{
	int			i;

	for (i = 0; i < in->napproved; i++)
		if (in->approved_rules[i] == rule_id)
			return true;
	return false;
}

/*
 * Before the checks: may the price and credit checks be skipped?  Only
 * when the order has an approval of every enabled rule of that kind (and
 * there is at least one: without a rule nobody can approve the check).
 */
void
om_approval_checks(OmCheckInput *in, OmCheckResult *res, bool *waive_price, bool *waive_credit)
{
	int			n;
	const OmApprovalRule *rules = om_approval_rules(&n);
	bool		price_rules = false;
	bool		credit_rules = false;
	int			i;

	*waive_price = *waive_credit = in->napproved > 0;
	for (i = 0; i < n; i++)
	{
		bool		approved = rule_approved(in, rules[i].rule_id);

		if (rules[i].kind == OM_APPROVE_PRICE_DEVIATION)
		{
			price_rules = true;
			*waive_price = *waive_price && approved;
		}
		else if (rules[i].kind == OM_APPROVE_CREDIT_EXCEEDED)
		{
			credit_rules = true;
			*waive_credit = *waive_credit && approved;
		}
	}
	*waive_price = *waive_price && price_rules;
	*waive_credit = *waive_credit && credit_rules;
	initStringInfo(&res->approvals);
	res->waiting = NULL;
	res->nwaiting = 0;
}

/* The largest discount off the expected price (level1.c) among the lines, in percent. */
static Numeric
largest_discount_pct(OmCheckInput *in)
{
	Numeric		zero = int64_to_numeric(0);
	Numeric		largest = zero;
	int			i;

	for (i = 0; i < in->nlines; i++)
	{
		OmConfirmLine *l = &in->lines[i];
		Numeric		pct;

		if (om_numeric_cmp(l->expected_price, zero) <= 0 ||
			om_numeric_cmp(l->unit_price, l->expected_price) >= 0)
			continue;
		pct = om_numeric_div(om_numeric_mul(om_numeric_sub(l->expected_price, l->unit_price),
											int64_to_numeric(100)),
							 l->expected_price);
		if (om_numeric_cmp(pct, largest) > 0)
			largest = pct;
	}
	return largest;
}

/*
 * After the checks: every enabled rule the order trips and has no approval
 * of goes to res->waiting; the order value and discount rules are also
 * described in res->approvals (the L1_APPROVAL_REQUIRED alert's details).
 */
void
om_approvals_tripped(OmCheckInput *in, OmCheckResult *res)
{
	int			n;
	const OmApprovalRule *rules = om_approval_rules(&n);
	Numeric		discount = NULL;
	Numeric		value = om_money_round(res->order_value);
	int			i;

	/*
	 * Sized here, not before the checks: their locks may have let in an
	 * admin's change of the rules, and the cache then holds the new ones.
	 */
	res->waiting = palloc(Max(n, 1) * sizeof(int64));
	for (i = 0; i < n; i++)
	{
		const OmApprovalRule *r = &rules[i];
		bool		tripped = false;
		const char *kind = NULL;
		Numeric		figure = NULL;

		switch (r->kind)
		{
			case OM_APPROVE_PRICE_DEVIATION:
				tripped = res->deviations.len > 0;
				break;
			case OM_APPROVE_CREDIT_EXCEEDED:
				tripped = res->credit.len > 0;
				break;
			case OM_APPROVE_ORDER_VALUE:
				kind = "order_value";
				figure = value;
				tripped = om_numeric_cmp(value, r->threshold) > 0;
				break;
			case OM_APPROVE_DISCOUNT_PCT:
				if (discount == NULL)
					discount = largest_discount_pct(in);
				kind = "discount_pct";
				figure = discount;
				tripped = om_numeric_cmp(discount, r->threshold) > 0;
				break;
		}
		if (!tripped || rule_approved(in, r->rule_id))
			continue;
		res->waiting[res->nwaiting++] = r->rule_id;
		if (kind != NULL)
			appendStringInfo(&res->approvals,
							 "%s{\"rule_id\": " INT64_FORMAT ", \"kind\": \"%s\", \"threshold\": %s, "
							 "\"value\": %s, \"required_role\": %s, \"level\": %d}",
							 res->approvals.len ? ", " : "", r->rule_id, kind,
							 om_numeric_out(r->threshold), om_numeric_out(om_money_round(figure)),
							 om_json_quote(GetUserNameFromId(r->required_role, false)), r->level);
	}
}

/* The order is held for the rules in res->waiting: record that it waits. */
void
om_request_approvals(int64 order_id, OmCheckResult *res)
{
	static OmPlan insert_waiting = OM_PLAN(
		"INSERT INTO ordermgmt.order_approvals (order_id, rule_id) "
		"SELECT $1, r FROM pg_catalog.unnest($2::bigint[]) AS r "
		"ON CONFLICT (order_id, rule_id) DO NOTHING "
		"RETURNING rule_id",
		INT8OID, INT8ARRAYOID);
	Datum		v[2];
	Datum	   *ids;
	StringInfoData rules;
	int			n;
	int			i;

	if (res->nwaiting == 0)
		return;
	ids = palloc(res->nwaiting * sizeof(Datum));
	for (i = 0; i < res->nwaiting; i++)
		ids[i] = Int64GetDatum(res->waiting[i]);
	v[0] = Int64GetDatum(order_id);
	v[1] = om_array(ids, res->nwaiting, INT8OID);
	n = om_exec(&insert_waiting, v, NULL, false, 0);
	if (n == 0)
		return;					/* it waited for these already */
	initStringInfo(&rules);
	for (i = 0; i < n; i++)
		appendStringInfo(&rules, "%s" INT64_FORMAT, i ? ", " : "", om_getint64(i, 1));
	om_emit_event("order.approval_requested", order_id, psprintf("{\"rule_ids\": [%s]}", rules.data));
}

/* The rules an order has approvals of (orders.approved_by says it has some). */
const int64 *
om_order_approved_rules(int64 order_id, int *n)
{
	static OmPlan select_approved = OM_PLAN(
		"SELECT rule_id FROM ordermgmt.order_approvals WHERE order_id = $1 AND approved_by IS NOT NULL",
		INT8OID);
	Datum		v[1];
	int64	   *ids;
	int			i;

	v[0] = Int64GetDatum(order_id);
	*n = om_exec(&select_approved, v, NULL, false, 0);
	ids = palloc(Max(*n, 1) * sizeof(int64));
	for (i = 0; i < *n; i++)
		ids[i] = om_getint64(i, 1);
	return ids;
}

/* The order confirmed: whatever it still waited for no longer applies. */
void
om_forget_waiting_approvals(int64 order_id)
{
	static OmPlan delete_waiting = OM_PLAN(
		"DELETE FROM ordermgmt.order_approvals WHERE order_id = $1 AND approved_by IS NULL",
		INT8OID);
	Datum		v[1];

	v[0] = Int64GetDatum(order_id);
	om_exec(&delete_waiting, v, NULL, false, 0);
}
