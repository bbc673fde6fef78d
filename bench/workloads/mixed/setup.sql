-- The database of the concurrent workload (see workload.bash): one
-- warehouse, :customers customers, :skus products with plenty of stock,
-- and the helpers the pgbench scripts call.  Run with psql in a new
-- database, with the variables customers and skus set (-v).
SET client_min_messages = warning;
CREATE EXTENSION ordermgmt;
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MIX', 'Mixed warehouse');
-- C01-C05 have a small credit limit, the others none; the last five take
-- what there is and wait for the rest (allocation partial)
INSERT INTO ordermgmt.customers (code, name, credit_limit, allocation)
SELECT 'C' || lpad(i::text, 2, '0'), 'Mixed customer ' || i, CASE WHEN i <= 5 THEN 400 END,
       CASE WHEN i > :customers - 5 THEN 'partial' END
  FROM generate_series(1, :customers) AS i;
-- SKU01..: list price 6 and up, cost 60% of it, tax 0, 10% or 20%; the
-- last three have a reorder point just under their stock, so low-stock
-- alerts are raised and resolved while the workload runs
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate, reorder_point)
SELECT 'SKU' || lpad(i::text, 2, '0'), 'Mixed item ' || i, 5 + i, (5 + i) * 0.6,
       (i % 3) * 0.1, CASE WHEN i > :skus - 3 THEN 49980 ELSE 0 END
  FROM generate_series(1, :skus) AS i;
-- SKU17 is scarce: partial orders wait for it, receipts fill them
SELECT count(ordermgmt.receive_stock(sku, 'MIX', CASE WHEN sku = 'SKU17' THEN 40 ELSE 50000 END))
       AS skus_stocked FROM ordermgmt.products;
-- The supplier the purchase orders go to (purchase.sql, receive_purchase.sql).
INSERT INTO ordermgmt.suppliers (code, name, lead_time_days) VALUES ('MIXSUP', 'Mixed supplier', 2);
-- One order in four is in USD; rate.sql moves today's rate while invoices
-- and payments convert with it.
INSERT INTO ordermgmt.exchange_rates VALUES ('USD', '2000-01-01', 0.9);

-- Test helpers (not part of the extension).
-- What each workload step did: 'ok', the SQLSTATE of a business refusal,
-- or 'none' when there was nothing to act on.  Unlogged: a crash empties
-- it, which only the report of the run notices.
CREATE UNLOGGED TABLE mix_log (action text NOT NULL, outcome text NOT NULL);
-- approve.sql approves as this login (roles are cluster-wide: made once)
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mix_approver') THEN
    CREATE ROLE mix_approver LOGIN IN ROLE ordermgmt_approver;
  END IF;
END $$;
GRANT INSERT ON mix_log TO mix_approver;

-- Run one API call; swallow (and log) only the refusals a lost race brings:
-- OM001 illegal transition, OM002 nothing left to ship or return (or not
-- enough stock for an amendment), OM005 a line an amendment removed since
-- the target was picked, OM006 nothing to invoice or over-payment.
CREATE FUNCTION try(action text, stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  IF stmt IS NULL THEN
    INSERT INTO mix_log VALUES (action, 'none');
    RETURN 'none';
  END IF;
  EXECUTE stmt;
  INSERT INTO mix_log VALUES (action, 'ok');
  RETURN 'ok';
EXCEPTION WHEN SQLSTATE 'OM001' OR SQLSTATE 'OM002' OR SQLSTATE 'OM005' OR SQLSTATE 'OM006' THEN
  INSERT INTO mix_log VALUES (action, SQLSTATE);
  RETURN SQLSTATE;
END $$;

-- The workload's own queues: the documents in the state a step looks for,
-- in id order, as a warehouse or finance screen would keep them, so that
-- finding a target costs the same however long the history.  Not part of
-- the extension; the extension's own paths never read them.
CREATE INDEX mix_orders_status_queue ON ordermgmt.orders (status, order_id);
CREATE INDEX mix_invoices_open_queue ON ordermgmt.invoices (invoice_id) WHERE due > 0;
CREATE INDEX mix_shipments_undelivered_queue ON ordermgmt.shipments (shipment_id) WHERE delivered_at IS NULL;
CREATE INDEX mix_alerts_open_queue ON ordermgmt.alerts (alert_id) WHERE status = 'open';
CREATE INDEX mix_tickets_open_queue ON ordermgmt.tickets (ticket_id) WHERE status = 'open';
CREATE INDEX mix_purchase_orders_open_queue ON ordermgmt.purchase_orders (po_id)
    WHERE status IN ('ordered', 'partially_received');
CREATE INDEX mix_order_approvals_waiting_queue ON ordermgmt.order_approvals (order_id)
    WHERE approved_by IS NULL;

-- A random row of a table that meets a condition, by its bigint id column
-- (NULL if none): the first at or above a random id between the first and
-- the last row that meet it.  Drawing from the rows' own range, not from
-- all ids, keeps the oldest of them from being picked for every draw that
-- falls among the older rows that no longer meet it, which are most of
-- them once the history is long.  Each condition a script passes has its
-- queue index above, so both steps are index probes.
CREATE FUNCTION pick(tbl regclass, id_col text, cond text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  lo bigint;
  hi bigint;
  found bigint;
BEGIN
  EXECUTE format('SELECT min(%1$I), max(%1$I) FROM %2$s WHERE (%3$s)', id_col, tbl, cond) INTO lo, hi;
  IF lo IS NULL THEN
    RETURN NULL;
  END IF;
  EXECUTE format('SELECT %1$I FROM %2$s WHERE (%3$s) AND %1$I >= $1 ORDER BY %1$I LIMIT 1',
                 id_col, tbl, cond)
     INTO found USING lo + floor(random() * (hi - lo + 1))::bigint;
  RETURN coalesce(found, lo);
END $$;

-- A random order in one of the given statuses, drawn as pick() draws:
-- the first at or above a random id between the first and the last order
-- in these statuses.  Each step probes mix_orders_status_queue once per
-- status, by a row comparison on both its columns: with status = ...
-- instead, the planner may take the ordering by order_id from the primary
-- key and walk it, filtering on status, from the oldest order on (it does
-- once the statistics say these statuses are common).
CREATE FUNCTION pick_order(statuses text[]) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  lo bigint;
  hi bigint;
  start bigint;
  found bigint;
BEGIN
  SELECT min(f.order_id), max(l.order_id) INTO lo, hi
    FROM unnest(statuses::ordermgmt.order_status[]) AS s(status)
   CROSS JOIN LATERAL (SELECT o.status, o.order_id FROM ordermgmt.orders o
                        WHERE (o.status, o.order_id) >= (s.status, 0)
                        ORDER BY o.status, o.order_id LIMIT 1) f
   CROSS JOIN LATERAL (SELECT o.status, o.order_id FROM ordermgmt.orders o
                        WHERE (o.status, o.order_id) <= (s.status, 9223372036854775807)
                        ORDER BY o.status DESC, o.order_id DESC LIMIT 1) l
   WHERE f.status = s.status AND l.status = s.status;
  IF lo IS NULL THEN
    RETURN NULL;
  END IF;
  start := lo + floor(random() * (hi - lo + 1))::bigint;
  SELECT min(f.order_id) INTO found
    FROM unnest(statuses::ordermgmt.order_status[]) AS s(status)
   CROSS JOIN LATERAL (SELECT o.status, o.order_id FROM ordermgmt.orders o
                        WHERE (o.status, o.order_id) >= (s.status, start)
                        ORDER BY o.status, o.order_id LIMIT 1) f
   WHERE f.status = s.status;
  RETURN coalesce(found, lo);
END $$;
