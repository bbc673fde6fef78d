-- Batch placement on a database loaded by bench/views_load.sql
-- (bench/history.sh, WORKLOADS=batch): one create_orders call of 100
-- orders per transaction, each shaped as in history_placement.sql (three
-- distinct products of -D products=M, qty 1 each, list prices; a customer
-- of -D customers=N), the array built in the statement as in
-- batch_create.sql.  The call fails the run if any item failed (a division
-- by zero ends the transaction).  pgbench's TPS counts calls: 100 orders
-- each.
SELECT 1 / (count(*) FILTER (WHERE b.order_id IS NULL) = 0)::int AS all_placed
  FROM ordermgmt.create_orders(
         (SELECT jsonb_agg(jsonb_build_object(
                   'customer', 'C-' || (1 + floor(random() * :customers)::int),
                   'lines', jsonb_build_array(jsonb_build_object('sku', 'SKU-' || (r.a + 1), 'qty', 1),
                                              jsonb_build_object('sku', 'SKU-' || ((r.a + r.b) % :products + 1), 'qty', 1),
                                              jsonb_build_object('sku', 'SKU-' || ((r.a + r.b + r.d) % :products + 1), 'qty', 1)))
                   ORDER BY r.i)
            FROM (SELECT i, floor(random() * :products)::int AS a, 1 + floor(random() * ((:products - 1) / 2))::int AS b,
                         1 + floor(random() * ((:products - 1) / 2))::int AS d
                    FROM generate_series(1, 100) AS i) AS r)) AS b;
