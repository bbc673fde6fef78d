-- receive_stock of 10-50 units at a varying unit cost
\set sku random(1, :skus)
\set qty random(10, 50)
SELECT ordermgmt.receive_stock(format('SKU%s', lpad(:sku::text, 2, '0')), 'MIX', :qty,
       round((5 + :sku) * (0.5 + random()::numeric * 0.2), 2));
