-- return_items: one unit of a random shipped line
SELECT try('return',
           (SELECT format('SELECT ordermgmt.return_items(%s, %L, %L)', l.order_id,
                          jsonb_build_array(jsonb_build_object('sku', p.sku, 'qty', 1)), 'damaged')
              FROM pick_order('{partially_shipped,shipped,delivered,completed}') AS o
              JOIN ordermgmt.order_lines l ON l.order_id = o
              JOIN ordermgmt.products p ON p.product_id = l.product_id
             WHERE l.shipped_qty > l.returned_qty
             ORDER BY random() LIMIT 1));
