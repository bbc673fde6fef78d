/*
 * ledger.c
 *		Double-entry ledger: automatic postings, manual entries, reversals,
 *		and the two guards that keep the books honest.
 *
 *	- postings_balanced: a deferred constraint trigger on postings checks,
 *	  at commit, that each journal entry touched balances per currency;
 *	  otherwise the commit fails with OM003, however the rows were written.
 *	- ledger_immutable: entries and postings are never updated, deleted or
 *	  truncated (OM004); corrections are reversing entries.
 */
#include "domain/domain.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"

static Datum
numeric_array(Numeric *elems, int n)
{
	Datum	   *d = palloc(n * sizeof(Datum));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = NumericGetDatum(elems[i] ? elems[i] : int64_to_numeric(0));
	return om_array(d, n, NUMERICOID);
}

/*
 * Company amounts of lines in their own currencies, at the rates of day:
 * each rounded to cents, then, per currency whose lines balance, the
 * rounding difference moved onto its largest line, so that an entry that
 * balances in each currency balances in the company currency too.  Lines
 * with fixed[i] keep the company amounts they have.
 */
static void
company_amounts(int n, const char **currencies, Numeric *debits, Numeric *credits,
				Numeric *cdebits, Numeric *ccredits, const bool *fixed, DateADT day)
{
	Numeric		zero = int64_to_numeric(0);
	bool	   *done = palloc0(n * sizeof(bool));
	int			i;

	for (i = 0; i < n; i++)
	{
		if (fixed && fixed[i])
			continue;
		cdebits[i] = debits[i] ? om_to_company(debits[i], currencies[i], day) : zero;
		ccredits[i] = credits[i] ? om_to_company(credits[i], currencies[i], day) : zero;
	}
	for (i = 0; i < n; i++)
	{
		Numeric		d = zero,
					c = zero,
					cd = zero,
					cc = zero,
					diff;
		int			largest = -1;
		Numeric		largest_amount = zero;
		bool		all_computed = true;
		int			j;

		if (done[i] || om_is_company_currency(currencies[i]))
			continue;
		for (j = i; j < n; j++)
		{
			Numeric		amount;

			if (done[j] || strcmp(currencies[j], currencies[i]) != 0)
				continue;
			done[j] = true;
			if (fixed && fixed[j])
				all_computed = false;
			if (debits[j])
				d = om_numeric_add(d, debits[j]);
			if (credits[j])
				c = om_numeric_add(c, credits[j]);
			cd = om_numeric_add(cd, cdebits[j]);
			cc = om_numeric_add(cc, ccredits[j]);
			amount = om_numeric_add(debits[j] ? debits[j] : zero, credits[j] ? credits[j] : zero);
			if (om_numeric_cmp(amount, largest_amount) > 0)
			{
				largest = j;
				largest_amount = amount;
			}
		}
		diff = om_numeric_sub(cd, cc);
		if (!all_computed || largest < 0 || om_numeric_cmp(d, c) != 0 || om_numeric_cmp(diff, zero) == 0)
			continue;
		if (debits[largest] && om_numeric_positive(debits[largest]))
			cdebits[largest] = om_numeric_sub(cdebits[largest], diff);
		else
			ccredits[largest] = om_numeric_add(ccredits[largest], diff);
	}
}

/*
 * Post one journal entry for a business event.  Each line names its
 * account by role through posting_accounts(event, role); amounts are
 * rounded to cents by the caller so that they balance as stored.  A line
 * in no currency of its own is in currency; one without a fixed company
 * amount is converted at the rate of the entry's date.  A line of role
 * "exchange" carries no amount of its own: it is the difference that
 * leaves the entry balanced in the company currency (left out when
 * there is none).  Lines of zero are left out, and an entry with no line
 * at all is not written.  Returns the entry id.
 */
int64
om_post_lines(const char *event, const char *source_type, int64 source_id, const char *memo,
			  const char *currency, int n, const OmPostLine *lines)
{
	static OmPlan insert_entry = OM_PLAN(
		"WITH lines AS ("
		"  SELECT pa.account_id, u.cur, u.d, u.c, u.cd, u.cc, u.ord "
		"    FROM unnest($6::text[], $7::text[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[]) "
		"         WITH ORDINALITY AS u(role, cur, d, c, cd, cc, ord) "
		"    JOIN ordermgmt.posting_accounts pa ON pa.event = $5 AND pa.role = u.role), "
		"entry AS ("
		"  INSERT INTO ordermgmt.journal_entries (memo, source_type, source_id, posted_by) "
		"  SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM lines) RETURNING entry_id) "
		"INSERT INTO ordermgmt.postings (entry_id, account_id, currency, debit, credit, company_debit, company_credit) "
		"SELECT entry.entry_id, lines.account_id, lines.cur, lines.d, lines.c, lines.cd, lines.cc "
		"  FROM entry, lines ORDER BY lines.ord RETURNING entry_id",
		TEXTOID, TEXTOID, INT8OID, TEXTOID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID, NUMERICARRAYOID,
		NUMERICARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID);
	/* Result column of insert_entry. */
	enum
	{
		POST_ENTRY_ID = 1
	};
	Numeric		zero = int64_to_numeric(0);
	const char **roles = palloc(n * sizeof(char *));
	const char **currencies = palloc(n * sizeof(char *));
	Numeric    *debits = palloc(n * sizeof(Numeric));
	Numeric    *credits = palloc(n * sizeof(Numeric));
	Numeric    *cdebits = palloc(n * sizeof(Numeric));
	Numeric    *ccredits = palloc(n * sizeof(Numeric));
	bool	   *fixed = palloc(n * sizeof(bool));
	Numeric		balance = zero;
	int			exchange = -1;
	int			m = 0;
	int			i;
	Datum		v[11];

	/* The lines that post something, the exchange difference last. */
	for (i = 0; i < n; i++)
	{
		const OmPostLine *l = &lines[i];
		bool		has_debit = l->debit && om_numeric_cmp(l->debit, zero) != 0;
		bool		has_credit = l->credit && om_numeric_cmp(l->credit, zero) != 0;

		if (strcmp(l->role, "exchange") == 0)
		{
			exchange = i;
			continue;
		}
		if (!has_debit && !has_credit)
			continue;
		roles[m] = l->role;
		currencies[m] = l->currency ? l->currency : currency;
		debits[m] = has_debit ? l->debit : zero;
		credits[m] = has_credit ? l->credit : zero;
		fixed[m] = l->company != NULL;
		if (fixed[m])
		{
			bool		debit_side = om_numeric_cmp(l->company, zero) >= 0;

			cdebits[m] = debit_side ? l->company : zero;
			ccredits[m] = debit_side ? zero : om_numeric_abs(l->company);
		}
		m++;
	}
	if (m == 0)
		return 0;
	company_amounts(m, currencies, debits, credits, cdebits, ccredits, fixed, om_entry_date());
	for (i = 0; i < m; i++)
		balance = om_numeric_add(balance, om_numeric_sub(cdebits[i], ccredits[i]));
	if (exchange >= 0 && om_numeric_cmp(balance, zero) != 0)
	{
		bool		gain = om_numeric_positive(balance);

		roles[m] = "exchange";
		currencies[m] = lines[exchange].currency ? lines[exchange].currency : currency;
		debits[m] = zero;
		credits[m] = zero;
		cdebits[m] = gain ? zero : om_numeric_abs(balance);
		ccredits[m] = gain ? balance : zero;
		m++;
	}

	v[0] = om_text_datum(memo);
	v[1] = om_text_datum(source_type);
	v[2] = Int64GetDatum(source_id);
	v[3] = om_text_datum(om_session_user());
	v[4] = om_text_datum(event);
	v[5] = om_cstring_array(roles, m);
	v[6] = om_cstring_array(currencies, m);
	v[7] = numeric_array(debits, m);
	v[8] = numeric_array(credits, m);
	v[9] = numeric_array(cdebits, m);
	v[10] = numeric_array(ccredits, m);
	if (om_exec(&insert_entry, v, NULL, false, 0) != m)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNBALANCED),
				 errmsg("no account is configured for every role of a %s posting", event),
				 errhint("Check ordermgmt.posting_accounts for event '%s'.", event)));
	return om_getint64(0, POST_ENTRY_ID);
}

/* om_post_lines for an entry whose lines are all in one currency. */
int64
om_post(const char *event, const char *source_type, int64 source_id, const char *memo,
		const char *currency, int n, const char **roles, Numeric *debits, Numeric *credits)
{
	OmPostLine *lines = palloc0(n * sizeof(OmPostLine));
	int			i;

	for (i = 0; i < n; i++)
	{
		lines[i].role = roles[i];
		lines[i].debit = debits[i];
		lines[i].credit = credits[i];
	}
	return om_post_lines(event, source_type, source_id, memo, currency, n, lines);
}

/*
 * The trigger fires once per posting, and at commit every posting of an
 * entry fires in a row.  Summing the whole entry each time would cost n^2
 * for an entry of n postings (a minute for 10000), so the last entry found
 * balanced is remembered with the highest posting id that check counted:
 * a later firing for a posting it counted needs no new sum.  Only within
 * the same (sub)transaction: postings counted in a subtransaction that
 * aborted may be gone, and subtransaction ids are never reused.
 */
static LocalTransactionId balanced_lxid = InvalidLocalTransactionId;
static SubTransactionId balanced_subid = InvalidSubTransactionId;
static int64 balanced_entry_id;
static int64 balanced_upto;

/*
 * The commit-time check of the posting posting_id of entry entry_id: its
 * entry balances per currency and in the company currency (OM003).
 */
void
om_check_entry_balanced(int64 entry_id, int64 posting_id)
{
	/*
	 * The entry's first unbalanced currency, else any; its company-currency
	 * totals; and its last posting.
	 */
	static OmPlan imbalance = OM_PLAN(
		"SELECT c.currency, c.debit::text, c.credit::text, c.upto, c.debit = c.credit, "
		"       c.cdebit::text, c.ccredit::text, c.cdebit = c.ccredit "
		"  FROM (SELECT currency::text, sum(debit) AS debit, sum(credit) AS credit, "
		"               max(max(posting_id)) OVER () AS upto, "
		"               sum(sum(company_debit)) OVER () AS cdebit, sum(sum(company_credit)) OVER () AS ccredit "
		"          FROM ordermgmt.postings WHERE entry_id = $1 GROUP BY currency) c "
		" ORDER BY c.debit = c.credit, c.currency LIMIT 1",
		INT8OID);
	/* Result columns of imbalance. */
	enum
	{
		IMBALANCE_CURRENCY = 1,
		IMBALANCE_DEBIT,
		IMBALANCE_CREDIT,
		IMBALANCE_UPTO,
		IMBALANCE_BALANCED,
		IMBALANCE_COMPANY_DEBIT,
		IMBALANCE_COMPANY_CREDIT,
		IMBALANCE_COMPANY_BALANCED
	};
	Datum		v[1];

	if (om_raw_load())
		return;
	if (balanced_lxid == MyProc->lxid && balanced_subid == GetCurrentSubTransactionId() &&
		balanced_entry_id == entry_id && posting_id <= balanced_upto)
		return;

	SPI_connect();
	v[0] = Int64GetDatum(entry_id);
	/* Not read-only: the check must see the rows of the statement that fired it. */
	if (om_exec(&imbalance, v, NULL, false, 1) > 0)
	{
		if (!om_getbool(0, IMBALANCE_BALANCED))
			ereport(ERROR,
					(errcode(ERRCODE_OM_UNBALANCED),
					 errmsg("journal entry " INT64_FORMAT " does not balance", entry_id),
					 errdetail("In %s, debits total %s and credits total %s.",
							   om_gettext(0, IMBALANCE_CURRENCY), om_gettext(0, IMBALANCE_DEBIT),
							   om_gettext(0, IMBALANCE_CREDIT)),
					 errhint("Every entry must balance per currency; correct it with more postings before commit.")));
		if (!om_getbool(0, IMBALANCE_COMPANY_BALANCED))
			ereport(ERROR,
					(errcode(ERRCODE_OM_UNBALANCED),
					 errmsg("journal entry " INT64_FORMAT " does not balance in the company currency", entry_id),
					 errdetail("In %s, debits total %s and credits total %s.",
							   om_company_currency(), om_gettext(0, IMBALANCE_COMPANY_DEBIT),
							   om_gettext(0, IMBALANCE_COMPANY_CREDIT)),
					 errhint("Give the postings company_debit and company_credit that balance, or post the difference to the exchange differences account.")));
	}
	if (SPI_processed > 0)
	{
		balanced_lxid = MyProc->lxid;
		balanced_subid = GetCurrentSubTransactionId();
		balanced_entry_id = entry_id;
		balanced_upto = om_getint64(0, IMBALANCE_UPTO);
	}
	SPI_finish();
}

/* Postings and entries are never updated, deleted or truncated (OM004). */
void
om_refuse_ledger_change(const char *relname)
{
	ereport(ERROR,
			(errcode(ERRCODE_OM_LEDGER_IMMUTABLE),
			 errmsg("%s rows are never changed or deleted", relname),
			 errhint("Correct the books with ordermgmt.reverse_entry() and a new entry.")));
}

static const char *const manual_line_keys[] = {"account", "debit", "credit", "currency", NULL};

static Numeric
money_field(Jsonb *line, const char *key, const char *what)
{
	JsonbValue *f = om_jsonb_get(line, key);
	Numeric		n;

	if (f == NULL || f->type == jbvNull)
		return NULL;
	n = om_check_quantity(om_jsonb_numeric(f, what), what, true);
	if (om_numeric_cmp(n, om_money_round(n)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s has more than 2 decimal places", what)));
	return n;
}

/*
 * A manual journal entry of lines [{"account": code, "debit"?, "credit"?,
 * "currency"?}, ...] (currency: the company currency); each currency
 * balances, and the company amounts at today's rates; returns the entry
 * id.
 */
int64
om_post_entry(const char *memo, Jsonb *lines)
{
	static OmPlan unknown_accounts = OM_PLAN(
		"SELECT string_agg(DISTINCT u.code, ', ') FROM unnest($1::text[]) AS u(code) "
		" WHERE NOT EXISTS (SELECT 1 FROM ordermgmt.accounts a WHERE a.code = u.code)",
		TEXTARRAYOID);
	/* Result column of unknown_accounts. */
	enum
	{
		UNKNOWN_ACCOUNTS_CODES = 1
	};
	static OmPlan unbalanced = OM_PLAN(
		"SELECT u.cur, sum(u.d)::text, sum(u.c)::text "
		"  FROM unnest($1::text[], $2::numeric[], $3::numeric[]) AS u(cur, d, c) "
		" GROUP BY u.cur HAVING sum(u.d) <> sum(u.c) ORDER BY u.cur LIMIT 1",
		TEXTARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID);
	/* Result columns of unbalanced. */
	enum
	{
		UNBALANCED_CURRENCY = 1,
		UNBALANCED_DEBIT,
		UNBALANCED_CREDIT
	};
	static OmPlan insert_entry = OM_PLAN(
		"WITH entry AS (INSERT INTO ordermgmt.journal_entries (memo, source_type, posted_by) "
		"               VALUES ($1, 'manual', $2) RETURNING entry_id) "
		"INSERT INTO ordermgmt.postings (entry_id, account_id, currency, debit, credit, company_debit, company_credit) "
		"SELECT entry.entry_id, a.account_id, u.cur, u.d, u.c, u.cd, u.cc "
		"  FROM entry, unnest($3::text[], $4::text[], $5::numeric[], $6::numeric[], $7::numeric[], $8::numeric[]) "
		"       WITH ORDINALITY AS u(code, cur, d, c, cd, cc, ord) "
		"  JOIN ordermgmt.accounts a ON a.code = u.code ORDER BY u.ord RETURNING entry_id",
		TEXTOID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID,
		NUMERICARRAYOID, NUMERICARRAYOID);
	/* Result column of insert_entry. */
	enum
	{
		MANUAL_ENTRY_ID = 1
	};
	JsonbIterator *it;
	JsonbValue	jv;
	JsonbIteratorToken tok;
	int			n;
	int			i = 0;
	const char **codes;
	const char **currencies;
	Numeric    *debits;
	Numeric    *credits;
	Numeric    *cdebits;
	Numeric    *ccredits;
	char	   *currency;
	char	   *unknown;
	Datum		v[8];
	int64		entry_id;

	if (!JB_ROOT_IS_ARRAY(lines) || JB_ROOT_IS_SCALAR(lines))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lines must be a JSON array")));
	n = JB_ROOT_COUNT(lines);
	if (n < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a journal entry needs at least two lines")));
	if (n > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a journal entry has at most 10000 lines")));

	SPI_connect();
	/* A line in no currency of its own is in the currency of the books. */
	currency = pstrdup(om_company_currency());

	codes = palloc(n * sizeof(char *));
	currencies = palloc(n * sizeof(char *));
	debits = palloc(n * sizeof(Numeric));
	credits = palloc(n * sizeof(Numeric));
	it = JsonbIteratorInit(&lines->root);
	while ((tok = JsonbIteratorNext(&it, &jv, true)) != WJB_DONE)
	{
		Jsonb	   *line;
		JsonbValue *f;
		char		what[64];
		bool		has_debit;
		bool		has_credit;

		if (tok != WJB_ELEM)
			continue;
		CHECK_FOR_INTERRUPTS();
		if (jv.type != jbvBinary || !JsonContainerIsObject(jv.val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("line %d must be a JSON object", i + 1)));
		line = JsonbValueToJsonb(&jv);
		snprintf(what, sizeof(what), "line %d", i + 1);
		om_jsonb_check_keys(line, what, manual_line_keys);
		if ((f = om_jsonb_get(line, "account")) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("line %d has no account", i + 1)));
		snprintf(what, sizeof(what), "line %d account", i + 1);
		codes[i] = om_jsonb_string(f, what);
		currencies[i] = currency;
		if ((f = om_jsonb_get(line, "currency")) != NULL && f->type != jbvNull)
		{
			snprintf(what, sizeof(what), "line %d currency", i + 1);
			currencies[i] = om_jsonb_string(f, what);
			if (strlen(currencies[i]) != 3 || strspn(currencies[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s must be a three-letter ISO 4217 code", what)));
		}
		snprintf(what, sizeof(what), "line %d debit", i + 1);
		debits[i] = money_field(line, "debit", what);
		snprintf(what, sizeof(what), "line %d credit", i + 1);
		credits[i] = money_field(line, "credit", what);
		has_debit = debits[i] && om_numeric_positive(debits[i]);
		has_credit = credits[i] && om_numeric_positive(credits[i]);
		if (has_debit == has_credit)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("line %d must have either a positive debit or a positive credit", i + 1)));
		i++;
	}

	v[0] = om_cstring_array(codes, n);
	om_exec(&unknown_accounts, v, NULL, true, 1);
	unknown = om_gettext(0, UNKNOWN_ACCOUNTS_CODES);
	if (unknown)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("unknown account %s", unknown)));

	v[0] = om_cstring_array(currencies, n);
	v[1] = numeric_array(debits, n);
	v[2] = numeric_array(credits, n);
	if (om_exec(&unbalanced, v, NULL, true, 1) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNBALANCED),
				 errmsg("journal entry does not balance"),
				 errdetail("In %s, debits total %s and credits total %s.",
						   om_gettext(0, UNBALANCED_CURRENCY), om_gettext(0, UNBALANCED_DEBIT),
						   om_gettext(0, UNBALANCED_CREDIT))));

	/* Each currency balances: so do the company amounts, rounded per currency. */
	cdebits = palloc(n * sizeof(Numeric));
	ccredits = palloc(n * sizeof(Numeric));
	company_amounts(n, currencies, debits, credits, cdebits, ccredits, NULL, om_entry_date());

	v[0] = om_text_datum(memo);
	v[1] = om_text_datum(om_session_user());
	v[2] = om_cstring_array(codes, n);
	v[3] = om_cstring_array(currencies, n);
	v[4] = numeric_array(debits, n);
	v[5] = numeric_array(credits, n);
	v[6] = numeric_array(cdebits, n);
	v[7] = numeric_array(ccredits, n);
	om_exec(&insert_entry, v, NULL, false, 0);
	entry_id = om_getint64(0, MANUAL_ENTRY_ID);
	SPI_finish();
	return entry_id;
}

/*
 * The correcting entry of entry_id, with every debit and credit swapped.
 * An entry is reversed once.  Returns the new entry's id.
 */
int64
om_reverse_entry(int64 entry_id, const char *memo)
{
	static OmPlan lock_entry = OM_PLAN(
		"SELECT e.memo, EXISTS (SELECT 1 FROM ordermgmt.journal_entries r WHERE r.reverses_entry_id = e.entry_id) "
		"  FROM ordermgmt.journal_entries e WHERE e.entry_id = $1 FOR UPDATE",
		INT8OID);
	/* Result columns of lock_entry. */
	enum
	{
		LOCK_ENTRY_MEMO = 1,
		LOCK_ENTRY_REVERSED
	};
	static OmPlan insert_reversal = OM_PLAN(
		"WITH entry AS (INSERT INTO ordermgmt.journal_entries "
		"                 (memo, source_type, source_id, reverses_entry_id, posted_by) "
		"               VALUES ($2, 'reversal', $1, $1, $3) RETURNING entry_id) "
		"INSERT INTO ordermgmt.postings (entry_id, account_id, currency, debit, credit, company_debit, company_credit) "
		"SELECT entry.entry_id, p.account_id, p.currency, p.credit, p.debit, p.company_credit, p.company_debit "
		"  FROM entry, ordermgmt.postings p WHERE p.entry_id = $1 ORDER BY p.posting_id "
		"RETURNING entry_id",
		INT8OID, TEXTOID, TEXTOID);
	/* Result column of insert_reversal. */
	enum
	{
		REVERSAL_ENTRY_ID = 1
	};
	Datum		v[3];
	int64		reversal_id;

	SPI_connect();
	v[0] = Int64GetDatum(entry_id);
	if (om_exec(&lock_entry, v, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNKNOWN),
				 errmsg("journal entry " INT64_FORMAT " does not exist", entry_id)));
	if (om_getbool(0, LOCK_ENTRY_REVERSED))
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("journal entry " INT64_FORMAT " is already reversed", entry_id)));
	v[1] = om_text_datum(memo ? memo : psprintf("reversal of entry " INT64_FORMAT ": %s",
												entry_id, om_gettext(0, LOCK_ENTRY_MEMO)));
	v[2] = om_text_datum(om_session_user());
	if (om_exec(&insert_reversal, v, NULL, false, 0) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OM_ILLEGAL_TRANSITION),
				 errmsg("journal entry " INT64_FORMAT " has no postings to reverse", entry_id)));
	reversal_id = om_getint64(0, REVERSAL_ENTRY_ID);
	SPI_finish();
	return reversal_id;
}
