-- amend_order of a random confirmed or processing order: one of its SKUs
-- one or two up or down (0 removes it), or now and then a new SKU
SELECT try('amend',
           (SELECT format('SELECT ordermgmt.amend_order(%s, %L)', o, c)
              FROM pick_order('{confirmed,processing}') AS o
             CROSS JOIN LATERAL (
                    SELECT CASE WHEN random() < 0.25
                                THEN (SELECT jsonb_build_array(jsonb_build_object(
                                               'sku', p.sku, 'qty', 1 + floor(random() * 3)::int))
                                        FROM ordermgmt.products p ORDER BY random() LIMIT 1)
                                ELSE (SELECT jsonb_build_array(jsonb_build_object(
                                               'sku', p.sku,
                                               'qty', greatest(sum(l.qty) + (ARRAY[-2, -1, 1, 2])[1 + floor(random() * 4)::int], 0)))
                                        FROM ordermgmt.order_lines l JOIN ordermgmt.products p USING (product_id)
                                       WHERE l.order_id = o
                                       GROUP BY p.sku ORDER BY random() LIMIT 1) END AS c) x
             WHERE o IS NOT NULL AND c IS NOT NULL));
