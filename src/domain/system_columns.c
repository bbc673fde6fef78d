/*
 * system_columns.c
 *		The columns of orders and order lines that only the extension writes.
 *
 * The C code trusts these columns: approved_by says the order has
 * approvals, created_by who may not give them, shipped_qty decides what may be
 * invoiced, the timestamps drive the monitoring deadlines and the reports,
 * a line's expected_price is what its price is checked against.
 * A plain INSERT, UPDATE or MERGE from a client (outside an API function)
 * may therefore not set them: an inserted row must carry their initial
 * value, an updated row must leave them as they are.  The lifecycle
 * triggers then stamp them as the rules say (status_changed_at,
 * confirmed_at, ordered_net, delivered_at, the lines' tax_rate and
 * expected_price; a client's update of a draft's line sets the latter back
 * to NULL, to be priced again as the draft is submitted).  Refused writes
 * raise OM001.  The line counters and tax rate are also what a
 * customer's credit exposure is kept from (exposure.c).
 *
 * This list is the one place that names them; docs/security.md repeats it.
 */
#include "domain/domain.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

typedef enum OmInitialValue
{
	OM_INITIAL_NULL,			/* nothing yet */
	OM_INITIAL_ZERO,			/* a quantity: none yet */
	OM_INITIAL_NOW,				/* the inserting transaction's start, as DEFAULT now() gives */
	OM_INITIAL_SESSION_USER		/* the session user, as DEFAULT SESSION_USER gives */
} OmInitialValue;

typedef struct OmSystemColumn
{
	const char *table;
	const char *column;
	OmInitialValue initial;
	const char *written_by;		/* for the error's detail */
} OmSystemColumn;

static const OmSystemColumn system_columns[] = {
	{"orders", "created_at", OM_INITIAL_NOW, "the insert of the order"},
	{"orders", "status_changed_at", OM_INITIAL_NOW, "the lifecycle trigger, at every status change"},
	{"orders", "confirmed_at", OM_INITIAL_NULL, "the lifecycle trigger, as the order becomes confirmed"},
	{"orders", "approved_by", OM_INITIAL_NULL, "ordermgmt.approve_order()"},
	{"orders", "approved_at", OM_INITIAL_NULL, "ordermgmt.approve_order()"},
	{"orders", "ordered_net", OM_INITIAL_NULL, "the lifecycle trigger, from the lines, as the order leaves draft"},
	{"orders", "delivered_at", OM_INITIAL_NULL, "ordermgmt.confirm_delivery(), as the order becomes delivered"},
	{"orders", "created_by", OM_INITIAL_SESSION_USER, "the insert of the order (who entered it may not approve it)"},
	{"orders", "opportunity_id", OM_INITIAL_NULL, "ordermgmt.quote_opportunity(), as it links its quotation"},
	{"orders", "valid_until", OM_INITIAL_NULL, "ordermgmt.create_order() (options.valid_until), with the quotation's expiry"},
	{"order_lines", "shipped_qty", OM_INITIAL_ZERO, "ordermgmt.ship_order()"},
	{"order_lines", "returned_qty", OM_INITIAL_ZERO, "ordermgmt.return_items()"},
	{"order_lines", "invoiced_qty", OM_INITIAL_ZERO, "ordermgmt.invoice_order()"},
	{"order_lines", "credited_qty", OM_INITIAL_ZERO, "ordermgmt.return_items(), as it credits an invoice"},
	{"order_lines", "tax_rate", OM_INITIAL_NULL, "the lifecycle trigger, from the product, as the order leaves draft"},
	{"order_lines", "reserved_qty", OM_INITIAL_ZERO, "confirmation, shipping, backorder fills and cancellation"},
	{"order_lines", "backordered_qty", OM_INITIAL_ZERO, "confirmation under allocation partial, backorder fills and cancellation"},
	{"order_lines", "expected_price", OM_INITIAL_NULL,
	"ordermgmt.create_order(), or the lifecycle trigger as the order leaves draft"},
};

static bool
has_initial_value(const OmSystemColumn *c, HeapTuple tuple, TupleDesc desc, int attnum)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, attnum, desc, &isnull);

	switch (c->initial)
	{
		case OM_INITIAL_NULL:
			return isnull;
		case OM_INITIAL_ZERO:
			return !isnull && om_numeric_cmp(DatumGetNumeric(d), int64_to_numeric(0)) == 0;
		case OM_INITIAL_NOW:
			return !isnull && DatumGetTimestampTz(d) == GetCurrentTransactionStartTimestamp();
		case OM_INITIAL_SESSION_USER:
			return !isnull &&
				strcmp(TextDatumGetCString(d), GetUserNameFromId(GetSessionUserId(), false)) == 0;
	}
	return false;
}

static bool
column_unchanged(HeapTuple oldtup, HeapTuple newtup, TupleDesc desc, int attnum)
{
	Form_pg_attribute att = TupleDescAttr(desc, attnum - 1);
	bool		oldnull;
	bool		newnull;
	Datum		oldval = heap_getattr(oldtup, attnum, desc, &oldnull);
	Datum		newval = heap_getattr(newtup, attnum, desc, &newnull);

	if (oldnull || newnull)
		return oldnull == newnull;
	return datum_image_eq(oldval, newval, att->attbyval, att->attlen);
}

static bool
listed(const char *column, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(*list, column) == 0)
			return true;
	return false;
}

/*
 * Refuse a client's write of a system column of ordermgmt.<table>: oldtup
 * is NULL for an INSERT.  stamped (NULL-terminated, or NULL) names the
 * columns the caller's trigger overwrites in this very update, whatever
 * the client gave.  Callers skip this inside API functions and for raw
 * loads (pg_restore).
 */
void
om_check_system_columns(const char *table, TupleDesc desc, HeapTuple oldtup, HeapTuple newtup,
						const char *const *stamped)
{
	int			i;

	for (i = 0; i < (int) lengthof(system_columns); i++)
	{
		const OmSystemColumn *c = &system_columns[i];
		int			attnum;

		if (strcmp(c->table, table) != 0 || listed(c->column, stamped))
			continue;
		attnum = SPI_fnumber(desc, c->column);
		if (attnum <= 0)
			elog(ERROR, "ordermgmt: column %s.%s is missing", table, c->column);
		if (oldtup == NULL ? has_initial_value(c, newtup, desc, attnum)
			: column_unchanged(oldtup, newtup, desc, attnum))
			continue;
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("column %s of ordermgmt.%s is maintained by the extension and cannot be %s",
						c->column, table, oldtup == NULL ? "given" : "changed"),
				 errdetail("It is written by %s.", c->written_by),
				 errhint("Leave %s out of the %s.", c->column, oldtup == NULL ? "INSERT" : "UPDATE")));
	}
}
