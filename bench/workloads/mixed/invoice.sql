-- invoice_order of a random shipped order
SELECT try('invoice', 'SELECT ordermgmt.invoice_order(' || o || ')')
  FROM pick_order('{partially_shipped,shipped,delivered}') AS o;
