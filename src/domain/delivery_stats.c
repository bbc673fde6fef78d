/*
 * delivery_stats.c
 *		Deliveries as the reports count them: when an order's last shipment
 *		arrived, and the weekly on-time counts per customer.
 */
#include "domain/domain.h"

#include "catalog/pg_type.h"
#include "utils/timestamp.h"

/* When the last of an order's shipments was delivered; false if none was. */
bool
om_last_delivery(int64 order_id, TimestampTz *at)
{
	static OmPlan last_delivery = OM_PLAN(
		"SELECT max(delivered_at) FROM ordermgmt.shipments WHERE order_id = $1",
		INT8OID);
	/* Result column of last_delivery. */
	enum
	{
		LAST_DELIVERY_AT = 1
	};
	Datum		v[1];
	bool		isnull;
	Datum		d;

	v[0] = Int64GetDatum(order_id);
	om_exec(&last_delivery, v, NULL, false, 1);
	d = om_getdatum(0, LAST_DELIVERY_AT, &isnull);
	if (!isnull)
		*at = DatumGetTimestampTz(d);
	return !isnull;
}

/*
 * Count an order delivered against its promise in delivery_weeks (sign 1),
 * or take it back out (sign -1) when its promise moves after delivery.
 * One row per UTC week of delivery and customer, so v_on_time_delivery
 * never reads the order history.  The same statement logs the change in
 * delivery_changes, from which rollup_reports sums the totals per week and
 * per customer (report_totals.c).
 */
void
om_count_delivery(int64 customer_id, TimestampTz delivered_at, TimestampTz promised_at, int sign)
{
	static OmPlan count_delivery = OM_PLAN(
		"WITH log AS (INSERT INTO ordermgmt.delivery_changes (week, customer_id, delivered, on_time) "
		"             VALUES (date_trunc('week', timezone('UTC', $2))::date, $1, 1, "
		"                     CASE WHEN $2 <= $3 THEN 1 ELSE 0 END)) "
		"INSERT INTO ordermgmt.delivery_weeks AS w (week, customer_id, delivered, on_time) "
		"VALUES (date_trunc('week', timezone('UTC', $2))::date, $1, 1, "
		"        CASE WHEN $2 <= $3 THEN 1 ELSE 0 END) "
		"ON CONFLICT (week, customer_id) DO UPDATE "
		"   SET delivered = w.delivered + 1, on_time = w.on_time + excluded.on_time",
		INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID);
	/* Not an upsert with -1: CHECK constraints apply to the proposed row. */
	static OmPlan uncount_delivery = OM_PLAN(
		"WITH log AS (INSERT INTO ordermgmt.delivery_changes (week, customer_id, delivered, on_time) "
		"             VALUES (date_trunc('week', timezone('UTC', $2))::date, $1, -1, "
		"                     CASE WHEN $2 <= $3 THEN -1 ELSE 0 END)) "
		"UPDATE ordermgmt.delivery_weeks "
		"   SET delivered = delivered - 1, on_time = on_time - CASE WHEN $2 <= $3 THEN 1 ELSE 0 END "
		" WHERE week = date_trunc('week', timezone('UTC', $2))::date AND customer_id = $1",
		INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID);
	Datum		v[3];

	v[0] = Int64GetDatum(customer_id);
	v[1] = TimestampTzGetDatum(delivered_at);
	v[2] = TimestampTzGetDatum(promised_at);
	om_exec(sign > 0 ? &count_delivery : &uncount_delivery, v, NULL, false, 0);
}
