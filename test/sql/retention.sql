-- purge_history: old events and resolved alerts go; what a listener may
-- still need to catch up on (inside the window, unsettled, not yet relayed)
-- and every open alert stay.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name, blocked) VALUES ('ACME', 'Acme', false), ('BAD', 'Blocked', true);
INSERT INTO ordermgmt.products (sku, name, list_price) VALUES ('A', 'Widget', 10);
SELECT ordermgmt.receive_stock('A', 'MAIN', 100) > 0 AS received;
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]') AS o1 \gset
SELECT ordermgmt.create_order('BAD', '[{"sku": "A", "qty": 1}]') AS o2 \gset
SELECT ordermgmt.create_order('BAD', '[{"sku": "A", "qty": 1}]') AS o3 \gset
SELECT ordermgmt.cancel_order(:o2, 'blocked customer');   -- resolves its alert
-- age everything but the last order's events, and the resolved alert
UPDATE ordermgmt.events SET occurred_at = now() - interval '40 days' WHERE order_id IS DISTINCT FROM :o3;
UPDATE ordermgmt.alerts SET resolved_at = now() - interval '40 days' WHERE status = 'resolved';
SELECT count(*) AS events, count(*) FILTER (WHERE occurred_at < now() - interval '30 days') AS old_events FROM ordermgmt.events;

-- the default window is 30 days; the setting changes it; silly values are refused
SELECT * FROM ordermgmt.v_settings WHERE key = 'event_retention';
SELECT pg_temp.try($$INSERT INTO ordermgmt.settings VALUES ('event_retention', '5 minutes')$$);
SELECT pg_temp.try($$INSERT INTO ordermgmt.settings VALUES ('event_retention', 'forever')$$);
SELECT pg_temp.try($$SELECT ordermgmt.purge_history('-1 day')$$);

-- nothing goes that the reports' roll-up has not passed: v_order_status
-- tells the orders changed since by their events
SELECT * FROM ordermgmt.purge_history();
SELECT ordermgmt.rollup_reports() >= 0 AS armed;
SELECT ordermgmt.rollup_reports() >= 0 AS rolled_up;
SELECT upto_event_id = (SELECT max(event_id) FROM ordermgmt.events) AS events_rolled_up FROM ordermgmt.report_rollup;

-- with the relay on, nothing past its position goes
SET ordermgmt.notify = relay;
INSERT INTO ordermgmt.relay_state (last_event_id) VALUES (2);
SELECT * FROM ordermgmt.purge_history();
SELECT min(event_id) AS first_event_left FROM ordermgmt.events;
RESET ordermgmt.notify;

-- in immediate mode, everything old and settled goes; recent events and open alerts stay
SELECT * FROM ordermgmt.purge_history();
SELECT count(*) AS events_left, bool_and(order_id = :o3) AS only_recent FROM ordermgmt.events;
SELECT rule_code, status FROM ordermgmt.alerts ORDER BY alert_id;
-- a wider window keeps more: nothing left to purge at 100 days
SELECT * FROM ordermgmt.purge_history('100 days');
-- events_since still serves what is left
SELECT count(*) > 0 AS catch_up_works FROM ordermgmt.events_since(0);
-- a window longer than the calendar reaches back keeps everything
SELECT * FROM ordermgmt.purge_history('178000000 years');
INSERT INTO ordermgmt.settings VALUES ('event_retention', '1000000 years');
SELECT * FROM ordermgmt.purge_history();
SELECT count(*) AS events_left FROM ordermgmt.events;

-- a purge of several batches (10,000 rows each) takes every old row once,
-- whatever recent rows and open alerts lie between them
DELETE FROM ordermgmt.settings WHERE key = 'event_retention';
INSERT INTO ordermgmt.events (occurred_at, kind)
SELECT now() - CASE WHEN n % 7 = 0 THEN interval '1 day' ELSE interval '40 days' END, 'test.bulk'
  FROM generate_series(1, 25000) AS n;
INSERT INTO ordermgmt.alerts (rule_code, level, severity, subject_type, subject_id, status, resolved_at)
SELECT 'L2_LOW_STOCK', 2, 'warning', 'stock', n, CASE WHEN n % 5 = 0 THEN 'open' ELSE 'resolved' END,
       CASE WHEN n % 5 <> 0 THEN now() - interval '40 days' END
  FROM generate_series(1, 13000) AS n;
SELECT count(*) AS events, count(*) FILTER (WHERE occurred_at < now() - interval '30 days') AS old_events
  FROM ordermgmt.events;
SELECT ordermgmt.rollup_reports() >= 0 AS armed;
SELECT ordermgmt.rollup_reports() >= 0 AS rolled_up;
SELECT * FROM ordermgmt.purge_history();
SELECT count(*) AS events_left, count(*) FILTER (WHERE occurred_at < now() - interval '30 days') AS old_left
  FROM ordermgmt.events;
SELECT count(*) AS alerts_left, count(*) FILTER (WHERE status = 'resolved') AS resolved_left FROM ordermgmt.alerts;

DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
