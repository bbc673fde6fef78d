-- create_purchase_order of 1-2 SKUs, 10-50 units each, at a cost near the
-- product's; one in four expected already (L2_PURCHASE_LATE fires on the
-- next tick), the others after the supplier's lead time
\set sku random(1, :skus)
\set other random(1, :skus)
\set qty random(10, 50)
\set late random(1, 4)
SELECT ordermgmt.create_purchase_order('MIXSUP', 'MIX',
         jsonb_build_array(jsonb_build_object('sku', format('SKU%s', lpad(:sku::text, 2, '0')), 'qty', :qty,
                                              'unit_cost', round((5 + :sku) * (0.5 + random()::numeric * 0.2), 2)))
         || CASE WHEN :other <> :sku
                 THEN jsonb_build_array(jsonb_build_object('sku', format('SKU%s', lpad(:other::text, 2, '0')),
                                                           'qty', :qty))
                 ELSE '[]' END,
         CASE WHEN :late = 1 THEN jsonb_build_object('expected_at', now() - interval '1 hour')
              ELSE '{}' END);
