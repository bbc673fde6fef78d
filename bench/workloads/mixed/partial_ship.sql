-- ship_order: one unit of one reserved line
SELECT try('partial_ship',
           (SELECT format('SELECT ordermgmt.ship_order(%s, %L)', r.order_id,
                          jsonb_build_array(jsonb_build_object('sku', p.sku, 'qty', 1)))
              FROM pick_order('{confirmed,processing,partially_shipped}') AS o
              JOIN ordermgmt.reservations r ON r.order_id = o
              JOIN ordermgmt.products p ON p.product_id = r.product_id
             WHERE r.qty > 0
             ORDER BY random() LIMIT 1));
