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

-- A random row of a table that meets a condition, by its bigint id column:
-- the first one above a random id, or else the first one (NULL if none).
CREATE FUNCTION pick(tbl regclass, id_col text, cond text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  start bigint;
  found bigint;
BEGIN
  EXECUTE format('SELECT floor(random() * coalesce(max(%I), 0))::bigint FROM %s', id_col, tbl)
     INTO start;
  EXECUTE format('SELECT %1$I FROM %2$s WHERE (%3$s) AND %1$I > $1 ORDER BY %1$I LIMIT 1',
                 id_col, tbl, cond)
     INTO found USING start;
  IF found IS NULL THEN
    EXECUTE format('SELECT %1$I FROM %2$s WHERE (%3$s) ORDER BY %1$I LIMIT 1', id_col, tbl, cond)
       INTO found;
  END IF;
  RETURN found;
END $$;

-- A random order in one of the given statuses.
CREATE FUNCTION pick_order(statuses text[]) RETURNS bigint LANGUAGE sql AS $$
  SELECT pick('ordermgmt.orders', 'order_id', format('status::text = ANY (%L)', statuses))
$$;
