-- open_ticket of a random priority for a random shipped order
\set priority random(1, 4)
SELECT try('ticket', CASE WHEN o IS NOT NULL
                          THEN format('SELECT ordermgmt.open_ticket(%s, %L, %L)', o, 'where is my parcel',
                                      (ARRAY['low', 'normal', 'high', 'urgent'])[:priority]) END)
  FROM pick_order('{shipped,delivered,completed}') AS o;
