/*
 * customer_logins.c
 *		Who calls: a customer login (a member of ordermgmt_customer) and the
 *		customers customer_logins maps it to.
 *
 * The API functions run as the extension's owner, which row-level security
 * lets through; they find their caller from the outer role, the one the
 * session logged in as or SET ROLE chose (the same role current_user names
 * in the policies).  Staff pay two cached catalogue look-ups for the test.
 */
#include "store/store.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/syscache.h"

/*
 * The calling role if it is a customer login, else InvalidOid.  A superuser
 * is a member of every role and no customer.
 */
Oid
om_customer_caller(void)
{
	Oid			outer = GetOuterUserId();
	Oid			customer_role;

	if (superuser_arg(outer))
		return InvalidOid;
	customer_role = get_role_oid("ordermgmt_customer", true);
	if (!OidIsValid(customer_role) || !has_privs_of_role(outer, customer_role))
		return InvalidOid;
	return outer;
}

/* Does customer_logins map role to the customer with this code? */
bool
om_customer_login_has_code(Oid role, const char *code)
{
	static OmPlan has_code = OM_PLAN(
		"SELECT 1 FROM ordermgmt.customer_logins l "
		"  JOIN ordermgmt.customers c ON c.customer_id = l.customer_id "
		" WHERE l.role_name = $1 AND c.code = $2",
		REGROLEOID, TEXTOID);
	Datum		v[2];

	v[0] = ObjectIdGetDatum(role);
	v[1] = om_text_datum(code);
	return om_exec(&has_code, v, NULL, true, 1) > 0;
}

/* Does customer_logins map role to the customer of this order? */
bool
om_customer_login_has_order(Oid role, int64 order_id)
{
	static OmPlan has_order = OM_PLAN(
		"SELECT 1 FROM ordermgmt.orders o "
		"  JOIN ordermgmt.customer_logins l ON l.customer_id = o.customer_id "
		" WHERE o.order_id = $2 AND l.role_name = $1",
		REGROLEOID, INT8OID);
	Datum		v[2];

	v[0] = ObjectIdGetDatum(role);
	v[1] = Int64GetDatum(order_id);
	return om_exec(&has_order, v, NULL, true, 1) > 0;
}

/* Does the customer with this id exist? */
bool
om_customer_id_exists(int64 customer_id)
{
	static OmPlan exists = OM_PLAN(
		"SELECT 1 FROM ordermgmt.customers WHERE customer_id = $1",
		INT8OID);
	Datum		v[1];

	v[0] = Int64GetDatum(customer_id);
	return om_exec(&exists, v, NULL, true, 1) > 0;
}

/* Does a role with this oid exist? */
bool
om_role_exists(Oid role)
{
	return SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(role));
}
