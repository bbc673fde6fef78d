/*
 * alert_payload.h
 *		The payload of an ordermgmt_alerts notification, written in one
 *		place: the extension sends it (immediate mode, and the worker in
 *		relay mode) and ordermgmt-listen rebuilds it from the outbox with the
 *		same format.  Plain C, so that both the server module and the libpq
 *		client include it.
 *
 * Each argument is the member's value as JSON text: alert_id, rule_code,
 * level, severity, order_id ("null" for an alert about no order), state.
 */
#ifndef OM_ALERT_PAYLOAD_H
#define OM_ALERT_PAYLOAD_H

#define OM_ALERT_PAYLOAD_FORMAT \
	"{\"alert_id\": %s, \"rule_code\": %s, \"level\": %s, \"severity\": %s, " \
	"\"order_id\": %s, \"state\": %s}"

/*
 * The members of an alert event's stored payload that the notification
 * repeats, as SQL expressions over an events row "e" giving JSON text,
 * in the order of the format above (order_id comes from the row itself).
 */
#define OM_ALERT_PAYLOAD_COLUMNS \
	"coalesce((e.payload OPERATOR(pg_catalog.->) 'alert_id')::pg_catalog.text, 'null'), " \
	"coalesce((e.payload OPERATOR(pg_catalog.->) 'rule_code')::pg_catalog.text, 'null'), " \
	"coalesce((e.payload OPERATOR(pg_catalog.->) 'level')::pg_catalog.text, 'null'), " \
	"coalesce((e.payload OPERATOR(pg_catalog.->) 'severity')::pg_catalog.text, 'null'), " \
	"coalesce(e.order_id::pg_catalog.text, 'null'), " \
	"coalesce((e.payload OPERATOR(pg_catalog.->) 'state')::pg_catalog.text, 'null')"

#endif							/* OM_ALERT_PAYLOAD_H */
