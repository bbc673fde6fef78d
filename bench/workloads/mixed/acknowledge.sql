-- acknowledge_alert of a random open alert
SELECT try('acknowledge', 'SELECT ordermgmt.acknowledge_alert(' || a || ')')
  FROM pick('ordermgmt.alerts', 'alert_id', 'status = ''open''') AS a;
