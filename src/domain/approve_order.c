/*
 * approve_order.c
 *		approve_order: a person's approval of what a held order waits for
 *		(approvals.c says what that is).
 *
 * Approving is a person's act, so the approver is the session user, never
 * a name the caller passes, and is checked against the rule's required
 * role by membership (superusers are no exception).  Approvals are given
 * level by level, lowest first; the same person approves at most one level
 * of an order, and never an order they entered.  The approval that leaves
 * nothing waiting confirms the order again, which never overrides stock.
 *
 * Lock order: the order row first, as every operation on an order.
 */
#include "domain/domain.h"

#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

/*
 * approve_order: the session user approves what the order waits for at its
 * lowest level, as far as their roles allow; the last approval confirms the
 * order again.  Returns the order's status.
 */
const char *
om_approve_order(int64 order_id, const char *note)
{
	static OmPlan lock_order = OM_PLAN(
		"SELECT status::text, created_by FROM ordermgmt.orders WHERE order_id = $1 FOR NO KEY UPDATE",
		INT8OID);
	/* Result columns of lock_order. */
	enum
	{
		LOCK_STATUS = 1,
		LOCK_CREATED_BY
	};
	static OmPlan select_waiting = OM_PLAN(
		"SELECT a.rule_id, r.level, r.required_role::oid, r.required_role::text, "
		"       EXISTS (SELECT 1 FROM ordermgmt.order_approvals g "
		"                 JOIN ordermgmt.approval_rules gr ON gr.rule_id = g.rule_id "
		"                WHERE g.order_id = a.order_id AND g.approved_by = $2 AND gr.level <> r.level) "
		"  FROM ordermgmt.order_approvals a JOIN ordermgmt.approval_rules r ON r.rule_id = a.rule_id "
		" WHERE a.order_id = $1 AND a.approved_by IS NULL AND r.enabled "
		" ORDER BY r.level, a.rule_id",
		INT8OID, TEXTOID);
	/* Result columns of select_waiting. */
	enum
	{
		WAITING_RULE_ID = 1,
		WAITING_LEVEL,
		WAITING_ROLE,
		WAITING_ROLE_NAME,
		WAITING_APPROVED_OTHER_LEVEL
	};
	static OmPlan record_approvals = OM_PLAN(
		"UPDATE ordermgmt.order_approvals SET approved_by = $2, approved_at = now(), note = $3 "
		" WHERE order_id = $1 AND rule_id = ANY ($4) AND approved_by IS NULL",
		INT8OID, TEXTOID, TEXTOID, INT8ARRAYOID);
	static OmPlan mark_order = OM_PLAN(
		"UPDATE ordermgmt.orders SET approved_by = $2, approved_at = now() WHERE order_id = $1",
		INT8OID, TEXTOID);
	Oid			session_user = GetSessionUserId();
	char	   *approver = GetUserNameFromId(session_user, false);
	char	   *status;
	Datum		v[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	bool		isnull;
	Datum		created_by;
	Datum	   *mine;
	StringInfoData mine_json;
	StringInfoData roles;
	int			nwaiting;
	int			nmine = 0;
	int			level;
	int			i;
	const char *result;

	SPI_connect();
	v[0] = Int64GetDatum(order_id);
	if (om_exec(&lock_order, v, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("order " INT64_FORMAT " does not exist", order_id)));
	status = om_gettext(0, LOCK_STATUS);
	created_by = om_getdatum(0, LOCK_CREATED_BY, &isnull);
	if (strcmp(status, "on_hold") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("order " INT64_FORMAT " is %s: only an order on hold waits for approval",
						order_id, status)));
	if (!isnull && strcmp(TextDatumGetCString(created_by), approver) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_APPROVAL_REFUSED),
				 errmsg("%s entered order " INT64_FORMAT " and cannot approve it", approver, order_id),
				 errdetail("An order is never approved by the login that entered it."),
				 errhint("Another member of the required role approves it.")));

	v[1] = om_text_datum(approver);
	nwaiting = om_exec(&select_waiting, v, NULL, false, 0);
	if (nwaiting == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("order " INT64_FORMAT " waits for no approval", order_id),
				 errdetail("It is on hold for checks no approval overrides."),
				 errhint("Resolve the cause, then confirm_order runs the checks again.")));

	/* The lowest level still waiting; the rules of it this person may approve. */
	level = DatumGetInt16(om_getdatum(0, WAITING_LEVEL, &isnull));
	mine = palloc(nwaiting * sizeof(Datum));
	initStringInfo(&mine_json);
	initStringInfo(&roles);
	for (i = 0; i < nwaiting; i++)
	{
		Oid			role = DatumGetObjectId(om_getdatum(i, WAITING_ROLE, &isnull));

		if (DatumGetInt16(om_getdatum(i, WAITING_LEVEL, &isnull)) != level)
			break;
		appendStringInfo(&roles, "%s%s", roles.len ? ", " : "", om_gettext(i, WAITING_ROLE_NAME));
		if (!is_member_of_role_nosuper(session_user, role))
			continue;
		if (om_getbool(i, WAITING_APPROVED_OTHER_LEVEL))
			ereport(ERROR,
					(errcode(ERRCODE_OM_APPROVAL_REFUSED),
					 errmsg("%s approved another level of order " INT64_FORMAT
							" and cannot approve level %d too", approver, order_id, level),
					 errdetail("Each level of an order is approved by a different person.")));
		mine[nmine++] = om_getdatum(i, WAITING_RULE_ID, &isnull);
		appendStringInfo(&mine_json, "%s" INT64_FORMAT, mine_json.len ? ", " : "",
						 DatumGetInt64(mine[nmine - 1]));
	}
	if (nmine == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_APPROVAL_REFUSED),
				 errmsg("%s may not approve order " INT64_FORMAT " at level %d", approver, order_id, level),
				 errdetail("The approval needs a member of %s.", roles.data),
				 errhint("Grant the role to the login, or have a member approve.")));

	v[2] = note ? om_text_datum(note) : (Datum) 0;
	nulls[2] = note ? ' ' : 'n';
	v[3] = om_array(mine, nmine, INT8OID);
	om_exec(&record_approvals, v, nulls, false, 0);
	OM_API_BEGIN();
	om_exec(&mark_order, v, NULL, false, 0);
	OM_API_END();
	om_emit_event("order.approved", order_id,
				  psprintf("{\"approver\": %s, \"level\": %d, \"rule_ids\": [%s], \"note\": %s}",
						   om_json_quote(approver), level, mine_json.data,
						   note ? om_json_quote(note) : "null"));

	/* The last approval: confirm again (stock is never overridden). */
	result = nmine == nwaiting ? om_confirm(order_id) : "on_hold";
	SPI_finish();
	return result;
}
