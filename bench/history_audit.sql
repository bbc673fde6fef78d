-- Every statement the hot paths run, with its plan, rows and buffers: the
-- audit behind docs/benchmarks.md, "Cost with history (0.6.0)".  Run by
-- bench/history_audit.sh on a database loaded by bench/views_load.sql and
-- topped up by bench/history_topup.sql; it prints auto_explain's plans as
-- NOTICEs (JSON), each path after a NOTICE "PHASE <path>".
--
--   psql -X -q -v samples=5 -d DB -f bench/history_audit.sql 2>plans.log
--   psql -X -q -v customer_list=SKEW-1 -d DB -f bench/history_audit.sql 2>plans.log
--
-- As superuser (auto_explain's settings and a monitor_tick at a time of
-- one's choosing need it).  Everything happens in one transaction that is
-- rolled back: the database is left as it was, and the next run sees the
-- same data.  Each path runs for the same `samples` customers C-1 ... (or
-- for the customers of `customer_list`, codes separated by commas); those
-- with a credit limit get the credit check.  The calls of a path are one
-- statement over the sample table, so every statement of the path is
-- logged once per sample.  The sample's own orders change several times in
-- that one transaction, so a lookup of one of them may visit a few row
-- versions more than it would in a transaction per step.
\set ON_ERROR_STOP 1
\if :{?customer_list}
SELECT cardinality(string_to_array(:'customer_list', ',')) AS samples \gset
\else
\set customer_list ''
\if :{?samples}
\else
\set samples 5
\endif
\endif
\echo samples :samples
SET client_min_messages = notice;
LOAD 'auto_explain';
SET auto_explain.log_level = notice;
SET auto_explain.log_format = json;
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_timing = off;
SET auto_explain.log_triggers = on;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_min_duration = -1;
SET ordermgmt.notify = off;

BEGIN;
-- The samples: the biggest customers of the load (its draw is skewed
-- towards low numbers) and three products each.
CREATE TEMP TABLE audit_sample AS
SELECT i, coalesce((string_to_array(nullif(:'customer_list', ''), ','))[i], 'C-' || i) AS customer,
       jsonb_build_array(jsonb_build_object('sku', 'SKU-' || (10 * i + 1), 'qty', 1),
                         jsonb_build_object('sku', 'SKU-' || (10 * i + 2), 'qty', 2),
                         jsonb_build_object('sku', 'SKU-' || (10 * i + 3), 'qty', 1)) AS lines,
       'SKU-' || (10 * i + 1) AS return_sku,
       NULL::bigint AS placed, NULL::bigint AS pending, NULL::bigint AS shipment,
       NULL::bigint AS invoice, NULL::bigint AS ret_order, NULL::bigint AS late
  FROM generate_series(1, :samples) AS i;
-- Set-up, not logged: an order waiting for confirmation, and one that is
-- shipped and invoiced, for the return.
UPDATE audit_sample SET pending = ordermgmt.create_order(customer, lines, '{"auto_confirm": false}'),
                        ret_order = ordermgmt.create_order(customer, lines, '{}');
SELECT count(ordermgmt.ship_order(ret_order)), count(ordermgmt.invoice_order(ret_order)) FROM audit_sample;
-- Whatever the load left due fires now, unlogged: the logged ticks see only
-- their own due items.
SELECT ordermgmt.monitor_tick(now()) AS backlog_raised;

SET auto_explain.log_min_duration = 0;
DO $$ BEGIN RAISE NOTICE 'PHASE placement'; END $$;
UPDATE audit_sample SET placed = ordermgmt.create_order(customer, lines, '{}');
DO $$ BEGIN RAISE NOTICE 'PHASE confirmation'; END $$;
SELECT ordermgmt.confirm_order(pending) FROM audit_sample ORDER BY i;
DO $$ BEGIN RAISE NOTICE 'PHASE shipping'; END $$;
UPDATE audit_sample SET shipment = ordermgmt.ship_order(placed);
DO $$ BEGIN RAISE NOTICE 'PHASE delivery'; END $$;
SELECT ordermgmt.confirm_delivery(shipment) FROM audit_sample ORDER BY i;
DO $$ BEGIN RAISE NOTICE 'PHASE invoicing'; END $$;
UPDATE audit_sample SET invoice = ordermgmt.invoice_order(placed);
DO $$ BEGIN RAISE NOTICE 'PHASE payment'; END $$;
SELECT ordermgmt.record_payment(s.invoice, i.due, 'bank', 'AUDIT-' || s.i)
  FROM audit_sample s JOIN ordermgmt.invoices i ON i.invoice_id = s.invoice ORDER BY s.i;
DO $$ BEGIN RAISE NOTICE 'PHASE return'; END $$;
SELECT ordermgmt.return_items(ret_order, jsonb_build_array(jsonb_build_object('sku', return_sku, 'qty', 1)),
                              'damaged') FROM audit_sample ORDER BY i;
DO $$ BEGIN RAISE NOTICE 'PHASE tick_idle'; END $$;
SELECT ordermgmt.monitor_tick(now());
-- samples orders whose promise has passed: the next tick raises their
-- L3_DELIVERY_LATE alerts, one per due item.
SET auto_explain.log_min_duration = -1;
UPDATE audit_sample
   SET late = ordermgmt.create_order(customer, lines,
                                     jsonb_build_object('promised_at', now() - interval '1 minute'));
SET auto_explain.log_min_duration = 0;
DO $$ BEGIN RAISE NOTICE 'PHASE tick_due'; END $$;
SELECT ordermgmt.monitor_tick(now());
SET auto_explain.log_min_duration = -1;
DO $$ BEGIN RAISE NOTICE 'PHASE end'; END $$;
ROLLBACK;
