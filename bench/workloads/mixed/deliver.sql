-- confirm_delivery of a random undelivered shipment
SELECT try('deliver', 'SELECT ordermgmt.confirm_delivery(' || s || ')')
  FROM pick('ordermgmt.shipments', 'shipment_id', 'delivered_at IS NULL') AS s;
