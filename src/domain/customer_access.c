/*
 * customer_access.c
 *		What a customer login may ask of the API: orders for its own
 *		customers, and feedback, tickets and submission on its own orders.
 *
 * Row-level security keeps a customer's reads to its own rows; the API
 * functions run as the owner, past those policies, so they ask here
 * first.  Another customer's order is answered exactly as an order that
 * does not exist (OM005), so that a customer cannot learn which order ids
 * are taken; naming another customer's code is refused (42501) whether or
 * not the code exists.  Staff callers return at the first, cached test.
 */
#include "domain/domain.h"

#include "utils/builtins.h"

/*
 * For a customer login, refuse an order for any customer but its own;
 * returns whether the caller is a customer login.
 */
bool
om_customer_check_code(const char *customer)
{
	Oid			role = om_customer_caller();
	bool		mine;

	if (!OidIsValid(role))
		return false;
	SPI_connect();
	mine = om_customer_login_has_code(role, customer);
	SPI_finish();
	if (!mine)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to place an order for customer \"%s\"", customer),
				 errdetail("Role \"%s\" is a customer login, and customer_logins does not map it to that customer.",
						   om_session_user()),
				 errhint("A customer login places orders for its own customer code only.")));
	return true;
}

/*
 * For a customer login, refuse an order that is not its own as if it did
 * not exist; returns whether the caller is a customer login.
 */
bool
om_customer_check_order(int64 order_id)
{
	Oid			role = om_customer_caller();
	bool		mine;

	if (!OidIsValid(role))
		return false;
	SPI_connect();
	mine = om_customer_login_has_order(role, order_id);
	SPI_finish();
	if (!mine)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("order " INT64_FORMAT " does not exist", order_id)));
	return true;
}

/* A row of customer_logins: an existing role and an existing customer. */
void
om_customer_login_check(Oid role, int64 customer_id)
{
	bool		known;

	if (!om_role_exists(role))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role with OID %u does not exist", role),
				 errhint("Map a login role by its name: INSERT INTO ordermgmt.customer_logins VALUES ('name', customer_id).")));
	SPI_connect();
	known = om_customer_id_exists(customer_id);
	SPI_finish();
	if (!known)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("unknown customer id " INT64_FORMAT, customer_id)));
}
