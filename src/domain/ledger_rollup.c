/*
 * ledger_rollup.c
 *		rollup_ledger: keep ledger_totals and ledger_month_totals, the sums
 *		of the postings up to ledger_rollup.upto_posting_id (in all and per
 *		month of their entries' dates), so that v_trial_balance and the
 *		statements add only the postings after it instead of the whole
 *		history.
 *
 * Postings never change once committed (OM004), so totals never need
 * correcting; the only care is not to roll past a posting id that a running
 * transaction may still commit.  Ids come from a sequence before commit, so
 * a lower id can commit later.  Each run therefore arms the next one in two
 * steps: it reads the sequence's last value N, then the next transaction
 * id X to be assigned.  A transaction that drew an id <= N had
 * its transaction id by then (every path inserts the journal entry before
 * its postings), so that id is below X.  The next run rolls up to N only
 * once the oldest running transaction is at or above X: every posting up to
 * N is then committed (and visible to a fresh snapshot) or gone for good.
 * X is read with ReadNextFullTransactionId, not as a snapshot's xmax:
 * that is only the latest completed id plus one, and a transaction still
 * running that started after the latest one to complete is at or above
 * it (test/isolation/specs/report-totals.spec shows the difference).
 *
 * An armed horizon that has not settled is kept, not replaced by a newer
 * one, so that a steady stream of transactions cannot hold the roll-up off.
 * The background worker runs this with each monitor tick.  Rolling up is
 * an optimisation: v_trial_balance is right whether it ran or not.
 */
#include "domain/domain.h"

#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/xid8.h"
#include "fmgr.h"

/* Roll the ledger totals forward; returns how many postings were added. */
int64
om_rollup_ledger(void)
{
	static OmPlan ensure_state = OM_PLAN0(
		"INSERT INTO ordermgmt.ledger_rollup (singleton) VALUES (true) ON CONFLICT DO NOTHING");
	/* Serializes concurrent runs; tells whether the armed horizon is settled. */
	static OmPlan lock_state = OM_PLAN0(
		"SELECT upto_posting_id, next_upto, coalesce(next_upto > upto_posting_id, false), "
		"       coalesce(pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()) >= next_xmax, false) "
		"  FROM ordermgmt.ledger_rollup WHERE singleton FOR UPDATE");
	/* Result columns of lock_state. */
	enum
	{
		LOCK_STATE_UPTO = 1,
		LOCK_STATE_NEXT_UPTO,
		LOCK_STATE_ARMED,
		LOCK_STATE_SETTLED
	};
	/*
	 * Per UTC month of the entry's date, then per account and currency.
	 * The range is walked id by id, each posting and its entry read by
	 * key: a join on the range could hash every entry ever posted to add a
	 * tick's few.
	 */
	static OmPlan add_totals = OM_PLAN(
		"WITH p AS (SELECT date_trunc('month', timezone('UTC', e.posted_at))::date AS month, "
		"                  x.account_id, x.currency, sum(x.debit) AS debit, sum(x.credit) AS credit, "
		"                  sum(x.company_debit) AS company_debit, sum(x.company_credit) AS company_credit, "
		"                  count(*) AS n "
		"             FROM generate_series($1 + 1, $2) AS g(id) "
		"             JOIN ordermgmt.postings x ON x.posting_id = g.id "
		"             JOIN ordermgmt.journal_entries e ON e.entry_id = x.entry_id "
		"            GROUP BY 1, x.account_id, x.currency), "
		"     m AS (INSERT INTO ordermgmt.ledger_month_totals AS mt "
		"                  (month, account_id, currency, debit, credit, company_debit, company_credit) "
		"           SELECT month, account_id, currency, debit, credit, company_debit, company_credit FROM p "
		"           ON CONFLICT (month, account_id, currency) DO UPDATE "
		"              SET debit = mt.debit + excluded.debit, credit = mt.credit + excluded.credit, "
		"                  company_debit = mt.company_debit + excluded.company_debit, "
		"                  company_credit = mt.company_credit + excluded.company_credit), "
		"     t AS (INSERT INTO ordermgmt.ledger_totals AS lt "
		"                  (account_id, currency, debit, credit, company_debit, company_credit) "
		"           SELECT account_id, currency, sum(debit), sum(credit), sum(company_debit), sum(company_credit) "
		"             FROM p GROUP BY account_id, currency "
		"           ON CONFLICT (account_id, currency) DO UPDATE "
		"              SET debit = lt.debit + excluded.debit, credit = lt.credit + excluded.credit, "
		"                  company_debit = lt.company_debit + excluded.company_debit, "
		"                  company_credit = lt.company_credit + excluded.company_credit) "
		"SELECT coalesce(sum(n), 0)::bigint FROM p",
		INT8OID, INT8OID);
	/* Result column of add_totals. */
	enum
	{
		ADD_TOTALS_POSTINGS = 1
	};
	static OmPlan last_posting = OM_PLAN0(
		"SELECT coalesce(pg_catalog.pg_sequence_last_value("
		"           pg_catalog.pg_get_serial_sequence('ordermgmt.postings', 'posting_id')::regclass), 0)");
	/* Result column of last_posting. */
	enum
	{
		LAST_POSTING_ID = 1
	};
	/* $4: the next transaction id, read after last_posting (see above). */
	static OmPlan arm_next = OM_PLAN(
		"UPDATE ordermgmt.ledger_rollup "
		"   SET upto_posting_id = $1, next_upto = $2, "
		"       next_xmax = $4, "
		"       rolled_at = CASE WHEN $3 THEN now() ELSE rolled_at END "
		" WHERE singleton",
		INT8OID, INT8OID, BOOLOID, XID8OID);
	int64		upto;
	int64		next_upto;
	int64		rolled = 0;
	bool		armed;
	bool		isnull;
	Datum		v[4];

	/* Both steps need snapshots newer than the transaction's start. */
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("rollup_ledger must run at the READ COMMITTED isolation level"),
				 errhint("Call it in its own transaction, as the background worker does.")));

	SPI_connect();
	om_exec(&ensure_state, NULL, NULL, false, 0);
	om_exec(&lock_state, NULL, NULL, false, 1);
	upto = om_getint64(0, LOCK_STATE_UPTO);
	next_upto = DatumGetInt64(om_getdatum(0, LOCK_STATE_NEXT_UPTO, &isnull));
	armed = om_getbool(0, LOCK_STATE_ARMED);

	/*
	 * An armed horizon that has not settled yet stays as it is: arming a
	 * newer one would only push the roll-up further away under load.
	 */
	if (armed && !om_getbool(0, LOCK_STATE_SETTLED))
	{
		SPI_finish();
		return 0;
	}
	if (armed)
	{
		v[0] = Int64GetDatum(upto);
		v[1] = Int64GetDatum(next_upto);
		om_exec(&add_totals, v, NULL, false, 1);
		rolled = om_getint64(0, ADD_TOTALS_POSTINGS);
		upto = next_upto;
	}

	om_exec(&last_posting, NULL, NULL, false, 1);
	v[0] = Int64GetDatum(upto);
	v[1] = Int64GetDatum(om_getint64(0, LAST_POSTING_ID));
	v[2] = BoolGetDatum(armed);
	v[3] = FullTransactionIdGetDatum(ReadNextFullTransactionId());
	om_exec(&arm_next, v, NULL, false, 0);
	SPI_finish();
	return rolled;
}
