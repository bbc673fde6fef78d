-- approve_order of a random order on hold
SELECT try('approve', CASE WHEN o IS NOT NULL
                           THEN format('SELECT ordermgmt.approve_order(%s, %L)', o, 'credit desk') END)
  FROM pick_order('{on_hold}') AS o;
