-- One round of backorder_fill.sql: :n backorders filled by receive_stock,
-- then :n filled by receive_purchase.
SELECT :round + 1 AS round \gset
SELECT count(ordermgmt.create_order('C-' || (i % 100 + 1), '[{"sku": "SKU-FILL", "qty": 1}]',
                                    '{"allocation": "partial"}'))
  FROM generate_series(1, :n) AS i \gset
SELECT clock_timestamp() AS t0 \gset
SELECT ordermgmt.receive_stock('SKU-FILL', 'WH1', :n, 4) \gset
INSERT INTO fill_timing
SELECT :round, 'receive_stock', :count, round(extract(epoch FROM clock_timestamp() - :'t0') * 1000, 1),
       (SELECT count(*) FROM ordermgmt.order_lines l JOIN ordermgmt.products p USING (product_id)
         WHERE p.sku = 'SKU-FILL' AND l.backordered_qty > 0);
SELECT count(ordermgmt.create_order('C-' || (i % 100 + 1), '[{"sku": "SKU-FILL", "qty": 1}]',
                                    '{"allocation": "partial"}'))
  FROM generate_series(1, :n) AS i \gset
SELECT ordermgmt.create_purchase_order('BENCH-SUP', 'WH1',
           jsonb_build_array(jsonb_build_object('sku', 'SKU-FILL', 'qty', :n, 'unit_cost', 4))) AS po \gset
SELECT clock_timestamp() AS t0 \gset
SELECT ordermgmt.receive_purchase(:po) \gset
INSERT INTO fill_timing
SELECT :round, 'receive_purchase', :count, round(extract(epoch FROM clock_timestamp() - :'t0') * 1000, 1),
       (SELECT count(*) FROM ordermgmt.order_lines l JOIN ordermgmt.products p USING (product_id)
         WHERE p.sku = 'SKU-FILL' AND l.backordered_qty > 0);
