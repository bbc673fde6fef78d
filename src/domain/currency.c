/*
 * currency.c
 *		The company currency in the books: company amounts of postings
 *		written by plain SQL, and the guard on exchange_rates.
 *
 * Every posting carries its amount in its own currency (debit, credit) and
 * in the company currency (company_debit, company_credit).  The API writes
 * both (ledger.c); a posting inserted without its company amounts gets
 * them here, at the rate of its entry's date, so that an accountant's
 * plain INSERT is held to the same commit-time balance in both.
 */
#include "domain/domain.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

static Numeric
tuple_numeric(HeapTuple tuple, TupleDesc desc, const char *column, bool *isnull)
{
	Datum		d = heap_getattr(tuple, SPI_fnumber(desc, column), desc, isnull);

	return *isnull ? NULL : DatumGetNumeric(d);
}

/*
 * BEFORE INSERT on postings: fill in the company amounts left out.  One
 * left out of two is 0; both left out are the amounts converted at the
 * rate of the entry's date (no lookup in the company currency).
 */
HeapTuple
om_posting_company_amounts(HeapTuple tuple, TupleDesc desc)
{
	static OmPlan entry_date = OM_PLAN(
		"SELECT posted_at FROM ordermgmt.journal_entries WHERE entry_id = $1",
		INT8OID);
	/* Result column of entry_date. */
	enum
	{
		ENTRY_DATE_POSTED_AT = 1
	};
	int			cols[2];
	Datum		values[2];
	bool		nulls[2] = {false, false};
	bool		cd_null;
	bool		cc_null;
	bool		isnull;
	Numeric		debit;
	Numeric		credit;
	Datum		currency_datum;
	char	   *currency;
	Datum		entry_id;
	DateADT		day;

	(void) tuple_numeric(tuple, desc, "company_debit", &cd_null);
	(void) tuple_numeric(tuple, desc, "company_credit", &cc_null);
	if (!cd_null && !cc_null)
		return tuple;
	cols[0] = SPI_fnumber(desc, "company_debit");
	cols[1] = SPI_fnumber(desc, "company_credit");
	if (!cd_null || !cc_null)
	{
		values[0] = cd_null ? NumericGetDatum(int64_to_numeric(0)) : heap_getattr(tuple, cols[0], desc, &isnull);
		values[1] = cc_null ? NumericGetDatum(int64_to_numeric(0)) : heap_getattr(tuple, cols[1], desc, &isnull);
		return heap_modify_tuple_by_cols(tuple, desc, 2, cols, values, nulls);
	}

	debit = tuple_numeric(tuple, desc, "debit", &isnull);
	credit = tuple_numeric(tuple, desc, "credit", &isnull);
	currency_datum = heap_getattr(tuple, SPI_fnumber(desc, "currency"), desc, &isnull);
	entry_id = heap_getattr(tuple, SPI_fnumber(desc, "entry_id"), desc, &cd_null);
	/* The NOT NULL and CHECK constraints refuse what is missing or malformed. */
	if (isnull || cd_null || debit == NULL || credit == NULL)
		return tuple;
	currency = TextDatumGetCString(currency_datum);

	SPI_connect();
	if (om_is_company_currency(currency))
	{
		values[0] = NumericGetDatum(debit);
		values[1] = NumericGetDatum(credit);
	}
	else
	{
		Datum		v[1];

		v[0] = entry_id;
		if (om_exec(&entry_date, v, NULL, false, 1) == 0)
		{
			/* The foreign key refuses it. */
			SPI_finish();
			return tuple;
		}
		day = om_utc_date(DatumGetTimestampTz(om_getdatum(0, ENTRY_DATE_POSTED_AT, &isnull)));
		values[0] = NumericGetDatum(om_to_company(debit, currency, day));
		values[1] = NumericGetDatum(om_to_company(credit, currency, day));
	}
	SPI_finish();
	return heap_modify_tuple_by_cols(tuple, desc, 2, cols, values, nulls);
}

/* BEFORE INSERT OR UPDATE on exchange_rates: none for the company currency. */
void
om_exchange_rate_check(const char *currency)
{
	bool		company;

	SPI_connect();
	company = om_is_company_currency(currency);
	SPI_finish();
	if (company)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is the company currency", currency),
				 errdetail("The company currency's rate is 1; exchange_rates holds the other currencies' rates to it."),
				 errhint("Change the setting company_currency before the first posting if the books are kept in another currency.")));
}
