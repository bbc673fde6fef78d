-- short_close of a random partially shipped order: the rest is given up
SELECT try('short_close', CASE WHEN o IS NOT NULL
                               THEN format('SELECT ordermgmt.short_close(%s, %L)', o, 'rest not wanted') END)
  FROM pick_order('{partially_shipped}') AS o;
