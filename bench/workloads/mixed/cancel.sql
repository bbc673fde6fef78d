-- cancel_order of a random open order
SELECT try('cancel', CASE WHEN o IS NOT NULL
                          THEN format('SELECT ordermgmt.cancel_order(%s, %L)', o, 'changed mind') END)
  FROM pick_order('{pending,on_hold,confirmed,processing}') AS o;
