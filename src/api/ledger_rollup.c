/*
 * ledger_rollup.c
 *		rollup_ledger (domain/ledger_rollup.c) and rollup_reports
 *		(domain/report_totals.c): the roll-ups the worker runs.
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
 * rollup_reports() returns bigint: how many logged changes were added to
 * the reporting summaries.
 */
PG_FUNCTION_INFO_V1(ordermgmt_rollup_reports);
Datum
ordermgmt_rollup_reports(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(om_rollup_reports());
}
