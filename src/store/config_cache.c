/*
 * config_cache.c
 *		Per-backend caches of small configuration tables read on every order:
 *		the allowed transitions, the level-1 rules, the approval rules, the
 *		settings that bound every call's input and the enabled notice
 *		templates (so that an event without one costs no query).
 *
 * An admin's change to those tables fires config_changed, which queues a
 * relcache invalidation of the table; every backend (this one included)
 * receives it at its next command and drops the cache, so the next order
 * sees the change.
 */
#include "store/store.h"

#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

typedef struct CachedTransition
{
	char		from[32];
	char		to[32];
	bool		manual;
} CachedTransition;

static CachedTransition *transitions = NULL;
static int	ntransitions = 0;
static bool transitions_valid = false;
static bool l1_rules_valid = false;
static OmL1Rules l1_rules;
static bool max_text_length_valid = false;
static int	max_text_length;
static bool company_currency_valid = false;
static char company_currency[4];
static bool approval_rules_valid = false;
static OmApprovalRule *approval_rules = NULL;
static int	napproval_rules = 0;
static MemoryContext templates_cxt = NULL;
static OmNoticeTemplate *templates = NULL;
static int	ntemplates = 0;
static bool templates_valid = false;

static void
config_relcache_callback(Datum arg pg_attribute_unused(), Oid relid pg_attribute_unused())
{
	/* Any relation: cheap to reload, and relids change with DROP/CREATE EXTENSION. */
	transitions_valid = false;
	l1_rules_valid = false;
	max_text_length_valid = false;
	company_currency_valid = false;
	approval_rules_valid = false;
	templates_valid = false;
}

void
om_cache_init(void)
{
	CacheRegisterRelcacheCallback(config_relcache_callback, (Datum) 0);
}

static void
load_transitions(void)
{
	static OmPlan select_transitions = OM_PLAN0(
		"SELECT from_status::text, to_status::text, manual FROM ordermgmt.order_transitions "
		" WHERE enabled");
	/* Result columns of select_transitions. */
	enum
	{
		TRANSITION_FROM = 1,
		TRANSITION_TO,
		TRANSITION_MANUAL
	};
	int			n;
	int			i;

	n = om_exec(&select_transitions, NULL, NULL, true, 0);
	if (transitions)
		pfree(transitions);
	transitions = MemoryContextAllocZero(TopMemoryContext, Max(n, 1) * sizeof(CachedTransition));
	for (i = 0; i < n; i++)
	{
		strlcpy(transitions[i].from, om_gettext(i, TRANSITION_FROM), sizeof(transitions[i].from));
		strlcpy(transitions[i].to, om_gettext(i, TRANSITION_TO), sizeof(transitions[i].to));
		transitions[i].manual = om_getbool(i, TRANSITION_MANUAL);
	}
	ntransitions = n;
	transitions_valid = true;
}

/* Is from -> to an enabled transition?  *manual says whether plain SQL may make it. */
bool
om_transition_allowed(const char *from, const char *to, bool *manual)
{
	int			i;

	if (!transitions_valid)
		load_transitions();
	for (i = 0; i < ntransitions; i++)
		if (strcmp(transitions[i].from, from) == 0 && strcmp(transitions[i].to, to) == 0)
		{
			*manual = transitions[i].manual;
			return true;
		}
	return false;
}

/* The level-1 rules' switches and the price tolerance. */
void
om_l1_rules(OmL1Rules *rules)
{
	static OmPlan select_rules = OM_PLAN(
		"SELECT rule_code, enabled, (thresholds->>'tolerance')::numeric "
		"  FROM ordermgmt.monitor_rules WHERE level = $1",
		INT4OID);
	/* Result columns of select_rules. */
	enum
	{
		L1_RULE_CODE = 1,
		L1_RULE_ENABLED,
		L1_RULE_TOLERANCE
	};

	if (!l1_rules_valid)
	{
		Datum		v[1];
		int			n;
		int			i;
		Numeric		tolerance = NULL;

		memset(&l1_rules, 0, sizeof(l1_rules));
		v[0] = Int32GetDatum(1);
		n = om_exec(&select_rules, v, NULL, true, 0);
		for (i = 0; i < n; i++)
		{
			char	   *code = om_gettext(i, L1_RULE_CODE);
			bool		enabled = om_getbool(i, L1_RULE_ENABLED);

			if (strcmp(code, "L1_CUSTOMER_BLOCKED") == 0)
				l1_rules.customer_blocked = enabled;
			else if (strcmp(code, "L1_PRODUCT_INACTIVE") == 0)
				l1_rules.product_inactive = enabled;
			else if (strcmp(code, "L1_CREDIT_LIMIT") == 0)
				l1_rules.credit_limit = enabled;
			else if (strcmp(code, "L1_PRICE_DEVIATION") == 0)
			{
				bool		isnull;
				Datum		tol = om_getdatum(i, L1_RULE_TOLERANCE, &isnull);

				l1_rules.price_deviation = enabled;
				if (!isnull)
					tolerance = DatumGetNumeric(tol);
			}
		}
		if (tolerance == NULL)
			tolerance = int64_to_numeric(0);
		l1_rules.tolerance = MemoryContextAlloc(TopMemoryContext, VARSIZE(tolerance));
		memcpy(l1_rules.tolerance, tolerance, VARSIZE(tolerance));
		l1_rules_valid = true;
	}
	*rules = l1_rules;
}

/*
 * The enabled approval rules, by level then id.  Kept in TopMemoryContext:
 * confirmation reads them for every order, and most databases have only
 * the two built-in ones.
 */
const OmApprovalRule *
om_approval_rules(int *nrules)
{
	static OmPlan select_rules = OM_PLAN0(
		"SELECT rule_id, kind, threshold, required_role::oid, level "
		"  FROM ordermgmt.approval_rules WHERE enabled ORDER BY level, rule_id");
	/* Result columns of select_rules. */
	enum
	{
		APPROVAL_RULE_ID = 1,
		APPROVAL_RULE_KIND,
		APPROVAL_RULE_THRESHOLD,
		APPROVAL_RULE_ROLE,
		APPROVAL_RULE_LEVEL
	};

	if (!approval_rules_valid)
	{
		int			n;
		int			i;

		if (approval_rules != NULL)
		{
			for (i = 0; i < napproval_rules; i++)
				if (approval_rules[i].threshold != NULL)
					pfree(approval_rules[i].threshold);
			pfree(approval_rules);
			approval_rules = NULL;
		}
		n = om_exec(&select_rules, NULL, NULL, true, 0);
		approval_rules = MemoryContextAllocZero(TopMemoryContext, Max(n, 1) * sizeof(OmApprovalRule));
		for (i = 0; i < n; i++)
		{
			OmApprovalRule *r = &approval_rules[i];
			char	   *kind = om_gettext(i, APPROVAL_RULE_KIND);
			bool		isnull;
			Datum		d;

			r->rule_id = om_getint64(i, APPROVAL_RULE_ID);
			if (strcmp(kind, "order_value") == 0)
				r->kind = OM_APPROVE_ORDER_VALUE;
			else if (strcmp(kind, "discount_pct") == 0)
				r->kind = OM_APPROVE_DISCOUNT_PCT;
			else if (strcmp(kind, "credit_exceeded") == 0)
				r->kind = OM_APPROVE_CREDIT_EXCEEDED;
			else
				r->kind = OM_APPROVE_PRICE_DEVIATION;
			d = om_getdatum(i, APPROVAL_RULE_THRESHOLD, &isnull);
			if (!isnull)
			{
				Numeric		t = DatumGetNumeric(d);

				r->threshold = MemoryContextAlloc(TopMemoryContext, VARSIZE(t));
				memcpy(r->threshold, t, VARSIZE(t));
			}
			r->required_role = DatumGetObjectId(om_getdatum(i, APPROVAL_RULE_ROLE, &isnull));
			r->level = DatumGetInt16(om_getdatum(i, APPROVAL_RULE_LEVEL, &isnull));
		}
		napproval_rules = n;
		approval_rules_valid = true;
	}
	*nrules = napproval_rules;
	return approval_rules;
}

/* Setting max_text_length: the longest free text an argument may carry, in characters. */
int
om_max_text_length(void)
{
	static OmPlan select_setting = OM_PLAN(
		"SELECT coalesce((SELECT value::int4 FROM ordermgmt.settings WHERE key = $1), "
		OM_MAX_TEXT_LENGTH_DEFAULT ")",
		TEXTOID);
	/* Result column of select_setting. */
	enum
	{
		SETTING_MAX_TEXT_LENGTH = 1
	};

	if (!max_text_length_valid)
	{
		Datum		v[1];
		bool		isnull;

		/* Argument checks run before their function connects to SPI. */
		SPI_connect();
		v[0] = om_text_datum("max_text_length");
		om_exec(&select_setting, v, NULL, true, 1);
		max_text_length = DatumGetInt32(om_getdatum(0, SETTING_MAX_TEXT_LENGTH, &isnull));
		SPI_finish();
		max_text_length_valid = true;
	}
	return max_text_length;
}

/*
 * Setting company_currency: the currency of the books.  The caller is
 * connected to SPI.
 */
const char *
om_company_currency(void)
{
	static OmPlan select_setting = OM_PLAN(
		"SELECT coalesce((SELECT value FROM ordermgmt.settings WHERE key = $1), 'EUR')",
		TEXTOID);
	/* Result column of select_setting. */
	enum
	{
		SETTING_COMPANY_CURRENCY = 1
	};

	if (!company_currency_valid)
	{
		Datum		v[1];

		v[0] = om_text_datum("company_currency");
		om_exec(&select_setting, v, NULL, true, 1);
		strlcpy(company_currency, om_gettext(0, SETTING_COMPANY_CURRENCY), sizeof(company_currency));
		company_currency_valid = true;
	}
	return company_currency;
}

static void
load_templates(void)
{
	static OmPlan select_templates = OM_PLAN0(
		"SELECT kind, subject, body FROM ordermgmt.notification_templates "
		" WHERE enabled AND channel = 'email'");
	/* Result columns of select_templates. */
	enum
	{
		TEMPLATE_KIND = 1,
		TEMPLATE_SUBJECT,
		TEMPLATE_BODY
	};
	MemoryContext old;
	int			n;
	int			i;

	n = om_exec(&select_templates, NULL, NULL, true, 0);
	if (templates_cxt == NULL)
		templates_cxt = AllocSetContextCreate(TopMemoryContext, "ordermgmt notice templates",
											  ALLOCSET_SMALL_SIZES);
	MemoryContextReset(templates_cxt);
	old = MemoryContextSwitchTo(templates_cxt);
	templates = palloc0(Max(n, 1) * sizeof(OmNoticeTemplate));
	for (i = 0; i < n; i++)
	{
		templates[i].kind = om_gettext(i, TEMPLATE_KIND);
		templates[i].subject = om_gettext(i, TEMPLATE_SUBJECT);
		templates[i].body = om_gettext(i, TEMPLATE_BODY);
	}
	MemoryContextSwitchTo(old);
	ntemplates = n;
	templates_valid = true;
}

/* The enabled e-mail template of a kind of notice, or NULL. */
const OmNoticeTemplate *
om_notice_template(const char *kind)
{
	int			i;

	if (!templates_valid)
		load_templates();
	for (i = 0; i < ntemplates; i++)
		if (strcmp(templates[i].kind, kind) == 0)
			return &templates[i];
	return NULL;
}

/*
 * A cached table changed: every backend (this one included) drops its
 * caches at its next command, through a relcache invalidation of the table.
 */
void
om_config_changed(Relation rel)
{
	CacheInvalidateRelcache(rel);
}
