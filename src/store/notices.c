/*
 * notices.c
 *		Notices to customers: the kinds of notice and their placeholders,
 *		the check of a template as it is saved, and the notification an
 *		event writes in its own transaction.
 *
 * Each kind of notice is caused by one kind of event (notice_kinds
 * below); the outbox calls om_notices_for_event for every event it
 * writes.  Whether a kind has an enabled template comes from the
 * backend's cache (config_cache.c), so an event without one costs no
 * query.  With one, a single query reads the values of the placeholders
 * and the recipient, and one INSERT writes the notification: a rollback
 * of the business transaction takes it back with the event.
 *
 * Recipient: the customer's primary contact's e-mail address, else the
 * customer's own (customers.email).  Without a usable address the
 * notification is written as failed with the reason, and the business
 * transaction goes on: a notice never refuses an order.
 *
 * Escaping (docs/notifications.md): a value never adds a line.  Control
 * characters in a value (CR, LF, tab, ...) become spaces, in the subject
 * and in the body alike, so nothing an order or customer row holds can
 * reach a mail header or forge lines of the text.  The templates' own
 * text is checked when saved: a one-line subject, a body whose only
 * control characters are line feeds and tabs.
 */
#include "store/store.h"

#include "catalog/pg_type_d.h"
#include "utils/builtins.h"

/* The kinds of notice, as bits, to say which placeholders each offers. */
#define K_CONFIRMED		0x01
#define K_SHIPPED		0x02
#define K_DELIVERED		0x04
#define K_INVOICED		0x08
#define K_OVERDUE		0x10
#define K_SHIPMENT		(K_SHIPPED | K_DELIVERED)
#define K_INVOICE		(K_INVOICED | K_OVERDUE)
#define K_ALL			(K_CONFIRMED | K_SHIPMENT | K_INVOICE)

/* Parameters of select_facts that name the notice's document. */
typedef enum DocumentParam
{
	DOC_NONE = 0,
	DOC_SHIPMENT = 1,			/* $2 */
	DOC_INVOICE = 2,			/* $3 */
	DOC_ALERT = 3				/* $4: an alert on an invoice */
} DocumentParam;

typedef struct NoticeKind
{
	const char *kind;			/* notification_templates.kind */
	const char *event_kind;		/* the event that causes it ... */
	const char *match_key;		/* ... when this payload member (or always) */
	const char *match_value;	/* ... has this value */
	const char *document_key;	/* payload member naming its document */
	DocumentParam document;
	int			bit;
} NoticeKind;

/*
 * "Order on backorder" has no event yet: its notice comes with the event
 * that puts a line on backorder.
 */
static const NoticeKind notice_kinds[] = {
	{"order.confirmed", "order.status_changed", "to", "confirmed", NULL, DOC_NONE, K_CONFIRMED},
	{"shipment.created", "shipment.created", NULL, NULL, "shipment_id", DOC_SHIPMENT, K_SHIPPED},
	{"shipment.delivered", "shipment.delivered", NULL, NULL, "shipment_id", DOC_SHIPMENT, K_DELIVERED},
	{"invoice.created", "invoice.created", NULL, NULL, "invoice_id", DOC_INVOICE, K_INVOICED},
	{"payment.overdue", "alert.raised", "rule_code", "L3_PAYMENT_OVERDUE", "alert_id", DOC_ALERT, K_OVERDUE},
};

/*
 * The facts of a notice: the customer, both addresses, and every
 * placeholder's value as text (times in UTC, so that a notice reads the
 * same whatever the writing session's time zone).  A probe per table
 * (LATERAL ... LIMIT 1): a join lets the generic plan hash a whole table.
 */
static OmPlan select_facts = OM_PLAN(
	"SELECT o.customer_id, pc.email, c.email, c.code, c.name, coalesce(pc.name, c.name), "
	"       o.order_id::text, o.external_ref, o.currency::text, o.ordered_net::text, "
	"       to_char(o.promised_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"'), "
	"       s.shipment_id::text, s.carrier, s.tracking, "
	"       to_char(s.shipped_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"'), "
	"       to_char(s.delivered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"'), "
	"       i.invoice_id::text, i.total::text, i.due::text, "
	"       to_char(i.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), "
	"       to_char(i.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') "
	"  FROM ordermgmt.orders o "
	" CROSS JOIN LATERAL (SELECT x.code, x.name, x.email FROM ordermgmt.customers x "
	"                      WHERE x.customer_id = o.customer_id LIMIT 1) c "
	"  LEFT JOIN LATERAL (SELECT x.name, x.email FROM ordermgmt.customer_contacts x "
	"                      WHERE x.customer_id = o.customer_id AND x.is_primary LIMIT 1) pc ON true "
	"  LEFT JOIN LATERAL (SELECT x.* FROM ordermgmt.shipments x WHERE x.shipment_id = $2 LIMIT 1) s ON true "
	"  LEFT JOIN LATERAL (SELECT x.* FROM ordermgmt.invoices x "
	"                      WHERE x.invoice_id = coalesce($3, (SELECT a.subject_id FROM ordermgmt.alerts a "
	"                                                          WHERE a.alert_id = $4 AND a.subject_type = 'invoice')) "
	"                      LIMIT 1) i ON true "
	" WHERE o.order_id = $1",
	INT8OID, INT8OID, INT8OID, INT8OID);

/* Result columns of select_facts. */
enum
{
	FACT_CUSTOMER_ID = 1,
	FACT_CONTACT_EMAIL,
	FACT_CUSTOMER_EMAIL,
	FACT_CUSTOMER_CODE,
	FACT_CUSTOMER_NAME,
	FACT_CONTACT_NAME,
	FACT_ORDER_ID,
	FACT_EXTERNAL_REF,
	FACT_CURRENCY,
	FACT_ORDER_NET,
	FACT_PROMISED_AT,
	FACT_SHIPMENT_ID,
	FACT_CARRIER,
	FACT_TRACKING,
	FACT_SHIPPED_AT,
	FACT_DELIVERED_AT,
	FACT_INVOICE_ID,
	FACT_INVOICE_TOTAL,
	FACT_AMOUNT_DUE,
	FACT_DUE_AT,
	FACT_ISSUED_AT
};

typedef struct Placeholder
{
	const char *name;
	int			column;			/* of select_facts */
	int			kinds;			/* the notices that offer it */
} Placeholder;

static const Placeholder placeholders[] = {
	{"customer_name", FACT_CUSTOMER_NAME, K_ALL},
	{"customer_code", FACT_CUSTOMER_CODE, K_ALL},
	{"contact_name", FACT_CONTACT_NAME, K_ALL},
	{"order_id", FACT_ORDER_ID, K_ALL},
	{"external_ref", FACT_EXTERNAL_REF, K_ALL},
	{"currency", FACT_CURRENCY, K_ALL},
	{"order_net", FACT_ORDER_NET, K_ALL},
	{"promised_at", FACT_PROMISED_AT, K_ALL},
	{"shipment_id", FACT_SHIPMENT_ID, K_SHIPMENT},
	{"carrier", FACT_CARRIER, K_SHIPMENT},
	{"tracking", FACT_TRACKING, K_SHIPMENT},
	{"shipped_at", FACT_SHIPPED_AT, K_SHIPMENT},
	{"delivered_at", FACT_DELIVERED_AT, K_DELIVERED},
	{"invoice_id", FACT_INVOICE_ID, K_INVOICE},
	{"invoice_total", FACT_INVOICE_TOTAL, K_INVOICE},
	{"amount_due", FACT_AMOUNT_DUE, K_INVOICE},
	{"due_at", FACT_DUE_AT, K_INVOICE},
	{"issued_at", FACT_ISSUED_AT, K_INVOICE},
};

static const NoticeKind *
notice_kind(const char *kind)
{
	int			i;

	for (i = 0; i < (int) lengthof(notice_kinds); i++)
		if (strcmp(notice_kinds[i].kind, kind) == 0)
			return &notice_kinds[i];
	return NULL;
}

/* The placeholder of a kind named by name[0..len), or NULL. */
static const Placeholder *
placeholder(const NoticeKind *nk, const char *name, int len)
{
	int			i;

	for (i = 0; i < (int) lengthof(placeholders); i++)
		if ((int) strlen(placeholders[i].name) == len &&
			strncmp(placeholders[i].name, name, len) == 0 &&
			(placeholders[i].kinds & nk->bit) != 0)
			return &placeholders[i];
	return NULL;
}

/*
 * The placeholder name of the "{{" at p: *name and *len, trimmed of
 * spaces; returns the text after its "}}", or NULL if it is unterminated.
 */
static const char *
parse_placeholder(const char *p, const char **name, int *len)
{
	const char *end = strstr(p + 2, "}}");

	if (end == NULL)
		return NULL;
	*name = p + 2;
	while (*name < end && **name == ' ')
		(*name)++;
	*len = (int) (end - *name);
	while (*len > 0 && (*name)[*len - 1] == ' ')
		(*len)--;
	return end + 2;
}

static void
check_text(const NoticeKind *nk, const char *what, const char *text)
{
	const char *p;

	for (p = text; *p; p++)
	{
		unsigned char c = (unsigned char) *p;

		if ((c < 0x20 || c == 0x7f) && !(strcmp(what, "body") == 0 && (c == '\n' || c == '\t')))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the %s of notification template \"%s\" contains a control character (code %d)",
							what, nk->kind, c),
					 errdetail("A subject is one line; a body may hold line feeds and tabs only.")));
	}
	for (p = strstr(text, "{{"); p != NULL; p = strstr(p, "{{"))
	{
		const char *name;
		int			len;

		p = parse_placeholder(p, &name, &len);
		if (p == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the %s of notification template \"%s\" has a \"{{\" without \"}}\"",
							what, nk->kind)));
		if (placeholder(nk, name, len) == NULL)
		{
			StringInfoData known;
			int			i;

			initStringInfo(&known);
			for (i = 0; i < (int) lengthof(placeholders); i++)
				if (placeholders[i].kinds & nk->bit)
					appendStringInfo(&known, "%s{{%s}}", known.len ? ", " : "", placeholders[i].name);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown placeholder {{%s}} in the %s of notification template \"%s\"",
							pnstrdup(name, len), what, nk->kind),
					 errhint("The placeholders of %s are %s.", nk->kind, known.data)));
		}
	}
}

/* A template as it is saved: a known kind, known placeholders, clean text. */
void
om_notice_template_check(const char *kind, const char *subject, const char *body)
{
	const NoticeKind *nk = notice_kind(kind);

	if (nk == NULL)
	{
		StringInfoData known;
		int			i;

		initStringInfo(&known);
		for (i = 0; i < (int) lengthof(notice_kinds); i++)
			appendStringInfo(&known, "%s%s", i ? ", " : "", notice_kinds[i].kind);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown kind of notification \"%s\"", kind),
				 errhint("The kinds are %s.", known.data)));
	}
	check_text(nk, "subject", subject);
	check_text(nk, "body", body);
}

/* Append a value, each control character a space: it never adds a line. */
static void
append_value(StringInfo out, const char *value)
{
	const char *p;

	if (value == NULL)
		return;
	for (p = value; *p; p++)
	{
		unsigned char c = (unsigned char) *p;

		appendStringInfoChar(out, (c < 0x20 || c == 0x7f) ? ' ' : *p);
	}
}

/* The template with each placeholder replaced by its value (SPI row 0). */
static char *
render(const NoticeKind *nk, const char *text)
{
	StringInfoData out;
	const char *p = text;
	const char *open;

	initStringInfo(&out);
	while ((open = strstr(p, "{{")) != NULL)
	{
		const char *name;
		int			len;
		const char *after = parse_placeholder(open, &name, &len);
		const Placeholder *ph = after ? placeholder(nk, name, len) : NULL;

		/* Checked when saved; a row loaded raw is rendered as it stands. */
		if (ph == NULL)
			break;
		appendBinaryStringInfo(&out, p, (int) (open - p));
		append_value(&out, om_gettext(0, ph->column));
		p = after;
	}
	appendStringInfoString(&out, p);
	return out.data;
}

/*
 * Is this an address a mail header can carry as it is: one local part,
 * one domain, nothing that ends or splits a header or a list?
 */
static bool
address_usable(const char *addr)
{
	const char *at = strchr(addr, '@');
	const char *p;

	if (at == NULL || at == addr || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
		strlen(addr) > 254)
		return false;
	for (p = addr; *p; p++)
		if ((unsigned char) *p <= 0x20 || *p == 0x7f || strchr("<>()[],;:\"\\", *p) != NULL)
			return false;
	return true;
}

/* The member key of a JSON object, as text, or NULL. */
static char *
payload_member(Jsonb *payload, const char *key)
{
	JsonbValue *v = om_jsonb_get(payload, key);

	if (v == NULL)
		return NULL;
	if (v->type == jbvString)
		return pnstrdup(v->val.string.val, v->val.string.len);
	if (v->type == jbvNumeric)
		return om_numeric_out(v->val.numeric);
	return NULL;
}

static void
write_notification(int64 event_id, const NoticeKind *nk, const OmNoticeTemplate *tmpl)
{
	static OmPlan insert_notification = OM_PLAN(
		"INSERT INTO ordermgmt.notifications "
		"  (event_id, kind, customer_id, recipient, channel, subject, body, status, last_error) "
		"VALUES ($1, $2, $3, $4, 'email', $5, $6, $7, $8)",
		INT8OID, TEXTOID, INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID);
	Datum		v[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', 'n'};
	char	   *contact_email = om_gettext(0, FACT_CONTACT_EMAIL);
	char	   *customer_email = om_gettext(0, FACT_CUSTOMER_EMAIL);
	char	   *recipient = contact_email ? contact_email : customer_email;
	const char *error = NULL;

	/* Copy everything out of the facts row before the INSERT replaces it. */
	v[0] = Int64GetDatum(event_id);
	v[1] = om_text_datum(nk->kind);
	v[2] = Int64GetDatum(om_getint64(0, FACT_CUSTOMER_ID));
	v[4] = om_text_datum(render(nk, tmpl->subject));
	v[5] = om_text_datum(render(nk, tmpl->body));
	if (recipient == NULL || recipient[0] == '\0')
		error = psprintf("customer %s has no e-mail address (neither a primary contact with one nor customers.email)",
						 om_gettext(0, FACT_CUSTOMER_CODE));
	else if (!address_usable(recipient))
		error = psprintf("the e-mail address of customer %s is not usable in a mail header",
						 om_gettext(0, FACT_CUSTOMER_CODE));
	if (error != NULL)
	{
		nulls[3] = 'n';
		v[6] = om_text_datum("failed");
		v[7] = om_text_datum(error);
		nulls[7] = ' ';
	}
	else
	{
		v[3] = om_text_datum(recipient);
		v[6] = om_text_datum("queued");
	}
	om_exec(&insert_notification, v, nulls, false, 0);
}

/*
 * The event just written causes a notice if its kind has an enabled
 * template (and, for some kinds, its payload says so): write it.
 */
void
om_notices_for_event(int64 event_id, const char *event_kind, int64 order_id, const char *payload_text)
{
	const NoticeKind *nk = NULL;
	const OmNoticeTemplate *tmpl;
	Jsonb	   *payload;
	Datum		v[4];
	char		nulls[4] = {' ', 'n', 'n', 'n'};
	int			i;

	for (i = 0; i < (int) lengthof(notice_kinds) && nk == NULL; i++)
		if (strcmp(notice_kinds[i].event_kind, event_kind) == 0)
			nk = &notice_kinds[i];
	if (nk == NULL || order_id <= 0 || (tmpl = om_notice_template(nk->kind)) == NULL)
		return;

	payload = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(payload_text ? payload_text : "{}")));
	if (nk->match_key != NULL)
	{
		char	   *value = payload_member(payload, nk->match_key);

		if (value == NULL || strcmp(value, nk->match_value) != 0)
			return;
	}
	v[0] = Int64GetDatum(order_id);
	if (nk->document != DOC_NONE)
	{
		char	   *doc = payload_member(payload, nk->document_key);

		if (doc == NULL)
			return;
		v[nk->document] = DirectFunctionCall1(int8in, CStringGetDatum(doc));
		nulls[nk->document] = ' ';
	}
	if (om_exec(&select_facts, v, nulls, false, 1) == 0)
		return;
	write_notification(event_id, nk, tmpl);
}
