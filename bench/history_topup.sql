-- Top-up of a database loaded by bench/views_load.sql (and
-- bench/history_load.sql) before a throughput run on it (bench/history.sh,
-- bench/history_audit.sh): every order the workloads place must confirm.
--
--   psql -v ON_ERROR_STOP=1 -d DB -f bench/history_topup.sql
--
-- As superuser (an admin would do).  Can be run again: what is already
-- topped up stays as it is.
--   * the default warehouse is WH1 (the load has two, and the workloads
--     name none);
--   * no customer is blocked, and every credit limit is raised far above
--     anything a run can reach.  The limits stay set, so the credit check
--     still runs on every confirmation of the 30 % of customers that have
--     one, as it would in production;
--   * every product has ample available stock in WH1: a receipt (through
--     the API, with its stock move and journal entry) brings the available
--     quantity back to 100,000,000 wherever it is under 10,000,000.
\set ON_ERROR_STOP 1

INSERT INTO ordermgmt.settings (key, value) VALUES ('default_warehouse', 'WH1')
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;

UPDATE ordermgmt.customers SET blocked = false WHERE blocked;
UPDATE ordermgmt.customers SET credit_limit = 1000000000000
 WHERE credit_limit IS NOT NULL AND credit_limit < 1000000000000;

SELECT count(ordermgmt.receive_stock(p.sku, 'WH1', 100000000 - coalesce(s.on_hand - s.reserved, 0)))
       AS products_topped_up
  FROM ordermgmt.products p
  JOIN ordermgmt.warehouses w ON w.code = 'WH1'
  LEFT JOIN ordermgmt.stock s ON s.product_id = p.product_id AND s.warehouse_id = w.warehouse_id
 WHERE coalesce(s.on_hand - s.reserved, 0) < 10000000;

ANALYZE ordermgmt.customers;
ANALYZE ordermgmt.stock;
