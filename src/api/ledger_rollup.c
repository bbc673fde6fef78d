/*
 * ledger_rollup.c
 *		rollup_ledger (domain/ledger_rollup.c).
 */
#include "api/api.h"

/*
 * rollup_ledger() returns bigint: how many postings were added to the totals.
 */
PG_FUNCTION_INFO_V1(ordermgmt_rollup_ledger);
Datum
ordermgmt_rollup_ledger(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(om_rollup_ledger());
}
