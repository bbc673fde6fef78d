-- ship_order: everything still reserved of a random order that can ship
SELECT try('ship', CASE WHEN o IS NOT NULL
                        THEN format('SELECT ordermgmt.ship_order(%s, NULL, %L, %L)', o, 'DHL', 'T-' || o) END)
  FROM pick_order('{confirmed,processing,partially_shipped}') AS o;
