/*
 * exchange_rates.c
 *		Exchange rates to the company currency (ordermgmt.exchange_rates)
 *		and conversion of amounts with them.
 *
 * A rate is in force from its valid_from, a UTC day, until the currency's
 * next row.  The company currency's rate is 1 and has no row.  A currency
 * without a rate in force is refused (OM005) rather than taken at 1:
 * amounts of different currencies are never added as they stand.
 */
#include "store/store.h"

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/timestamp.h"

/* The UTC day of a timestamp. */
DateADT
om_utc_date(TimestampTz ts)
{
	int64		day = ts / USECS_PER_DAY;

	if (ts < 0 && ts % USECS_PER_DAY != 0)
		day--;
	/* Timestamps count from 2000-01-01, like dates. */
	return (DateADT) day;
}

/* The UTC day the transaction's entries are dated (posted_at = now()). */
DateADT
om_entry_date(void)
{
	return om_utc_date(GetCurrentTransactionStartTimestamp());
}

bool
om_is_company_currency(const char *currency)
{
	return strncmp(currency, om_company_currency(), 3) == 0;
}

/*
 * Units of the company currency for one unit of currency on day.  The
 * caller is connected to SPI.
 */
Numeric
om_exchange_rate(const char *currency, DateADT day)
{
	static OmPlan rate_in_force = OM_PLAN(
		"SELECT rate FROM ordermgmt.exchange_rates "
		" WHERE currency = $1::bpchar AND valid_from <= $2 ORDER BY valid_from DESC LIMIT 1",
		TEXTOID, DATEOID);
	/* Result column of rate_in_force. */
	enum
	{
		RATE_IN_FORCE_RATE = 1
	};
	Datum		v[2];
	bool		isnull;

	if (om_is_company_currency(currency))
		return int64_to_numeric(1);
	v[0] = om_text_datum(currency);
	v[1] = DateADTGetDatum(day);
	if (om_exec(&rate_in_force, v, NULL, true, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("no exchange rate for %s on %s", currency,
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(day)))),
				 errdetail("Amounts in %s are converted to the company currency %s.",
						   currency, om_company_currency()),
				 errhint("Add a rate to ordermgmt.exchange_rates valid from that day or earlier.")));
	return DatumGetNumericCopy(om_getdatum(0, RATE_IN_FORCE_RATE, &isnull));
}

/* amount in currency, in the company currency on day, rounded to cents. */
Numeric
om_to_company(Numeric amount, const char *currency, DateADT day)
{
	if (om_is_company_currency(currency))
		return amount;
	return om_money_round(om_numeric_mul(amount, om_exchange_rate(currency, day)));
}

/*
 * amount in currency `from`, expressed in currency `to` at the rates of
 * day (through the company currency), rounded to cents.
 */
Numeric
om_convert(Numeric amount, const char *from, const char *to, DateADT day)
{
	if (strncmp(from, to, 3) == 0)
		return amount;
	return om_money_round(om_numeric_div(om_numeric_mul(amount, om_exchange_rate(from, day)),
										 om_exchange_rate(to, day)));
}
