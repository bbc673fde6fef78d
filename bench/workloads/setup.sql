-- The database of the placement and cycle benchmarks (bench/placement.sh,
-- bench/relay.sh, bench/cycle.sh): master data whose ids the baselines know
-- up front, ample stock, and the plain tables the baselines write into.
-- Run with psql in a new database, with two variables set (-v):
--   tax_rate     every product's tax rate (placement 0, cycle 0.2)
--   base_tables  the extension's tables the baseline writes, separated by
--                white space
CREATE EXTENSION ordermgmt;

-- Master data: 1 warehouse, 1,000 products, 100 customers without credit
-- limit.  Ids follow the generate_series order: product n is SKU-n with
-- list price 5 + n % 97, customer n is C-n.
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('WH1', 'Main warehouse');
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate)
SELECT 'SKU-' || n, 'Product ' || n, 5 + n % 97, 2 + n % 41, :tax_rate
  FROM generate_series(1, 1000) AS n ORDER BY n;
INSERT INTO ordermgmt.customers (code, name, email)
SELECT 'C-' || n, 'Customer ' || n, 'c' || n || '@example.com'
  FROM generate_series(1, 100) AS n ORDER BY n;

-- Ample stock: nothing runs short however long the run.  One receipt per
-- SKU, so the average cost stays 2 + n % 41.
SELECT count(ordermgmt.receive_stock('SKU-' || n, 'WH1', 100000000, 2 + n % 41))
  FROM generate_series(1, 1000) AS n;

DO $check$
BEGIN
    IF EXISTS (SELECT 1 FROM ordermgmt.products WHERE sku <> 'SKU-' || product_id
                                                   OR list_price <> 5 + product_id % 97)
       OR EXISTS (SELECT 1 FROM ordermgmt.stock WHERE avg_cost <> 2 + product_id % 41)
       OR EXISTS (SELECT 1 FROM ordermgmt.customers WHERE code <> 'C-' || customer_id)
       OR (SELECT warehouse_id FROM ordermgmt.warehouses) <> 1
       OR (SELECT count(*) FROM ordermgmt.stock) <> 1000 THEN
        RAISE EXCEPTION 'master data ids are not what the baselines in bench/workloads assume';
    END IF;
END
$check$;

-- Baseline: tables shaped like the extension's (same columns, defaults,
-- identity and generated columns, primary keys and indexes), without
-- triggers, foreign keys or CHECK constraints.
CREATE SCHEMA bench_base;
SELECT format('CREATE TABLE bench_base.%I (LIKE ordermgmt.%I INCLUDING DEFAULTS INCLUDING IDENTITY'
              ' INCLUDING GENERATED INCLUDING INDEXES)', t, t)
  FROM regexp_split_to_table(:'base_tables', '\s+') AS t \gexec
INSERT INTO bench_base.stock OVERRIDING SYSTEM VALUE SELECT * FROM ordermgmt.stock;

VACUUM ANALYZE;
