/*
 * ledger_rollup.c
 *		rollup_ledger (domain/ledger_rollup.c) and compact_report_totals
 *		(domain/report_totals.c): the worker's housekeeping after a tick.
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

/*
 * compact_report_totals() returns bigint: how many slot rows of past days
 * were folded, or -1 when another compaction was running.
 */
PG_FUNCTION_INFO_V1(ordermgmt_compact_report_totals);
Datum
ordermgmt_compact_report_totals(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(om_compact_report_totals());
}
