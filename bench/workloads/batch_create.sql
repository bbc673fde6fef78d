-- Batch benchmark (bench/batch.sh), the batch side: one create_orders call
-- of :size orders per transaction (pgbench -D size=N), each order shaped as
-- in batch_single.sql (three distinct products out of 1,000, qty 1 each;
-- customer drawn from 100).  The array is built in the statement, as
-- batch_single.sql builds its lines; the call fails the run if any item
-- failed (a division by zero ends the transaction).
SELECT 1 / (count(*) FILTER (WHERE b.order_id IS NULL) = 0)::int AS all_placed
  FROM ordermgmt.create_orders(
         (SELECT jsonb_agg(jsonb_build_object(
                   'customer', 'C-' || (1 + floor(random() * 100)::int),
                   'lines', jsonb_build_array(jsonb_build_object('sku', 'SKU-' || (r.a + 1), 'qty', 1),
                                              jsonb_build_object('sku', 'SKU-' || ((r.a + r.b) % 1000 + 1), 'qty', 1),
                                              jsonb_build_object('sku', 'SKU-' || ((r.a + r.b + r.d) % 1000 + 1), 'qty', 1)))
                   ORDER BY r.i)
            FROM (SELECT i, floor(random() * 1000)::int AS a, 1 + floor(random() * 499)::int AS b,
                         1 + floor(random() * 499)::int AS d
                    FROM generate_series(1, :size) AS i) AS r)) AS b;
