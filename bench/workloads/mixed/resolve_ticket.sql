-- resolve_ticket of a random open ticket
SELECT try('resolve_ticket', CASE WHEN t IS NOT NULL
                                  THEN format('SELECT ordermgmt.resolve_ticket(%s, %L)', t, 'answered') END)
  FROM pick('ordermgmt.tickets', 'ticket_id', 'status = ''open''') AS t;
