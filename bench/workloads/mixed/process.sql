-- start_processing of a random confirmed order
SELECT try('process', 'SELECT ordermgmt.start_processing(' || o || ')')
  FROM pick_order('{confirmed}') AS o;
