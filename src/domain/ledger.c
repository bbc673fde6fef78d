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
 * Post one journal entry for a business event.  roles name the accounts
 * through posting_accounts(event, role); amounts are rounded to cents by
 * the caller so that they balance as stored.  Lines of zero are left out,
 * and an entry with no line at all is not written.  Returns the entry id.
 */
int64
om_post(const char *event, const char *source_type, int64 source_id, const char *memo,
		const char *currency, int n, const char **roles, Numeric *debits, Numeric *credits)
{
	static OmPlan insert_entry = OM_PLAN(
		"WITH lines AS ("
		"  SELECT pa.account_id, u.d, u.c, u.ord "
		"    FROM unnest($6::text[], $7::numeric[], $8::numeric[]) WITH ORDINALITY AS u(role, d, c, ord) "
		"    JOIN ordermgmt.posting_accounts pa ON pa.event = $5 AND pa.role = u.role "
		"   WHERE u.d <> 0 OR u.c <> 0), "
		"entry AS ("
		"  INSERT INTO ordermgmt.journal_entries (memo, source_type, source_id, posted_by) "
		"  SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM lines) RETURNING entry_id) "
		"INSERT INTO ordermgmt.postings (entry_id, account_id, currency, debit, credit) "
		"SELECT entry.entry_id, lines.account_id, $9, lines.d, lines.c "
		"  FROM entry, lines ORDER BY lines.ord RETURNING entry_id",
		TEXTOID, TEXTOID, INT8OID, TEXTOID, TEXTOID, TEXTARRAYOID, NUMERICARRAYOID,
		NUMERICARRAYOID, TEXTOID);
	/* Result column of insert_entry. */
	enum
	{
		POST_ENTRY_ID = 1
	};
	Datum		v[9];
	int			expected = 0;
	int			got;
	int			i;

	for (i = 0; i < n; i++)
	{
		Numeric		zero = int64_to_numeric(0);

		if ((debits[i] && om_numeric_cmp(debits[i], zero) != 0) ||
			(credits[i] && om_numeric_cmp(credits[i], zero) != 0))
			expected++;
	}
	if (expected == 0)
		return 0;

	v[0] = om_text_datum(memo);
	v[1] = om_text_datum(source_type);
	v[2] = Int64GetDatum(source_id);
	v[3] = om_text_datum(om_session_user());
	v[4] = om_text_datum(event);
	v[5] = om_cstring_array(roles, n);
	v[6] = numeric_array(debits, n);
	v[7] = numeric_array(credits, n);
	v[8] = om_text_datum(currency);
	got = om_exec(&insert_entry, v, NULL, false, 0);
	if (got != expected)
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNBALANCED),
				 errmsg("no account is configured for every role of a %s posting", event),
				 errhint("Check ordermgmt.posting_accounts for event '%s'.", event)));
	return om_getint64(0, POST_ENTRY_ID);
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
 * entry balances per currency (OM003).
 */
void
om_check_entry_balanced(int64 entry_id, int64 posting_id)
{
	/* The entry's first unbalanced currency, else any; and its last posting. */
	static OmPlan imbalance = OM_PLAN(
		"SELECT c.currency, c.debit::text, c.credit::text, c.upto, c.debit = c.credit "
		"  FROM (SELECT currency::text, sum(debit) AS debit, sum(credit) AS credit, "
		"               max(max(posting_id)) OVER () AS upto "
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
		IMBALANCE_BALANCED
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
	if (om_exec(&imbalance, v, NULL, false, 1) > 0 && !om_getbool(0, IMBALANCE_BALANCED))
		ereport(ERROR,
				(errcode(ERRCODE_OM_UNBALANCED),
				 errmsg("journal entry " INT64_FORMAT " does not balance", entry_id),
				 errdetail("In %s, debits total %s and credits total %s.",
						   om_gettext(0, IMBALANCE_CURRENCY), om_gettext(0, IMBALANCE_DEBIT),
						   om_gettext(0, IMBALANCE_CREDIT)),
				 errhint("Every entry must balance per currency; correct it with more postings before commit.")));
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
 * "currency"?}, ...]; returns the entry id.
 */
int64
om_post_entry(const char *memo, Jsonb *lines)
{
	static OmPlan default_currency = OM_PLAN(
		"SELECT coalesce((SELECT value FROM ordermgmt.settings WHERE key = $1), 'EUR')",
		TEXTOID);
	/* Result column of default_currency. */
	enum
	{
		DEFAULT_CURRENCY_CODE = 1
	};
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
		"INSERT INTO ordermgmt.postings (entry_id, account_id, currency, debit, credit) "
		"SELECT entry.entry_id, a.account_id, u.cur, u.d, u.c "
		"  FROM entry, unnest($3::text[], $4::text[], $5::numeric[], $6::numeric[]) "
		"       WITH ORDINALITY AS u(code, cur, d, c, ord) "
		"  JOIN ordermgmt.accounts a ON a.code = u.code ORDER BY u.ord RETURNING entry_id",
		TEXTOID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID);
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
	char	   *currency;
	char	   *unknown;
	Datum		v[6];
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
	v[0] = om_text_datum("currency");
	om_exec(&default_currency, v, NULL, true, 1);
	currency = om_gettext(0, DEFAULT_CURRENCY_CODE);

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

	v[0] = om_text_datum(memo);
	v[1] = om_text_datum(om_session_user());
	v[2] = om_cstring_array(codes, n);
	v[3] = om_cstring_array(currencies, n);
	v[4] = numeric_array(debits, n);
	v[5] = numeric_array(credits, n);
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
		"INSERT INTO ordermgmt.postings (entry_id, account_id, currency, debit, credit) "
		"SELECT entry.entry_id, p.account_id, p.currency, p.credit, p.debit "
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
