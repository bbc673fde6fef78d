-- Invariants of an ordermgmt database that must hold exactly whenever no
-- transaction is running: after a concurrent workload, after a crash and
-- restart, after a restore.  One row per check: its name and the number of
-- violations found, always expected to be 0.
--
--   psql -X -At -F '|' -v ON_ERROR_STOP=1 -d DB -f test/invariants.sql
--
-- Two checks assume that nobody resolved an alert by hand (resolve_alert)
-- and every check on events assumes that purge_history() has not removed
-- any: both are the case for the concurrent order-to-cash workload
-- (bench/workloads/mixed).
--
-- Kept in one statement so that every check reads the same snapshot.
SELECT check_name, violations
  FROM (VALUES
--------------------------------------------------------------------------
-- Ledger
--------------------------------------------------------------------------
(101, 'currencies whose trial balance does not sum to zero',
 (SELECT count(*) FROM (SELECT currency FROM ordermgmt.v_trial_balance
                         GROUP BY currency HAVING sum(balance) <> 0) x)),
(102, 'journal entries out of balance',
 (SELECT count(*) FROM (SELECT entry_id FROM ordermgmt.postings
                         GROUP BY entry_id, currency HAVING sum(debit) <> sum(credit)) x)),
(103, 'cash account differs from the sum of payments',
 (SELECT count(*) WHERE coalesce((SELECT sum(balance) FROM ordermgmt.v_trial_balance WHERE account_code = '1000'), 0)
                        <> (SELECT coalesce(sum(amount), 0) FROM ordermgmt.payments))),
(104, 'receivable account differs from invoices due - unapplied credit',
 (SELECT count(*) WHERE coalesce((SELECT sum(balance) FROM ordermgmt.v_trial_balance WHERE account_code = '1100'), 0)
                        <> (SELECT coalesce(sum(due), 0) FROM ordermgmt.invoices)
                           - (SELECT coalesce(sum(amount), 0) FROM ordermgmt.credit_applications
                               WHERE invoice_id IS NULL))),
(105, 'returns whose credit note differs from its applications',
 (SELECT count(*) FROM ordermgmt.returns r
   WHERE r.credit_net + r.credit_tax <> (SELECT coalesce(sum(c.amount), 0)
                                           FROM ordermgmt.credit_applications c
                                          WHERE c.return_id = r.return_id))),
--------------------------------------------------------------------------
-- Stock
--------------------------------------------------------------------------
(201, 'stock rows whose on_hand differs from the sum of their moves',
 (SELECT count(*) FROM ordermgmt.stock s
    FULL JOIN (SELECT product_id, warehouse_id, sum(qty) AS q FROM ordermgmt.stock_moves
                GROUP BY product_id, warehouse_id) m USING (product_id, warehouse_id)
   WHERE s.on_hand IS DISTINCT FROM m.q)),
(202, 'stock rows whose reserved differs from the sum of their reservations',
 (SELECT count(*) FROM ordermgmt.stock s
    LEFT JOIN (SELECT product_id, warehouse_id, sum(qty) AS q FROM ordermgmt.reservations
                GROUP BY product_id, warehouse_id) r USING (product_id, warehouse_id)
   WHERE s.reserved <> coalesce(r.q, 0))),
(203, 'stock rows with reserved outside 0..on_hand',
 (SELECT count(*) FROM ordermgmt.stock WHERE reserved < 0 OR reserved > on_hand)),
(204, 'lines of shippable orders whose reservation is not qty - shipped_qty',
 (SELECT count(*) FROM ordermgmt.order_lines l
    JOIN ordermgmt.orders o USING (order_id)
    LEFT JOIN ordermgmt.reservations r USING (order_id, line_no)
   WHERE o.status IN ('confirmed', 'processing', 'partially_shipped')
     AND coalesce(r.qty, 0) <> l.qty - l.shipped_qty)),
(205, 'reservations of orders that cannot ship',
 (SELECT count(*) FROM ordermgmt.reservations r JOIN ordermgmt.orders o USING (order_id)
   WHERE o.status NOT IN ('confirmed', 'processing', 'partially_shipped', 'on_hold'))),
--------------------------------------------------------------------------
-- Invoices
--------------------------------------------------------------------------
(301, 'invoices whose paid differs from the sum of their payments',
 (SELECT count(*) FROM ordermgmt.invoices i
   WHERE i.paid <> (SELECT coalesce(sum(p.amount), 0) FROM ordermgmt.payments p
                     WHERE p.invoice_id = i.invoice_id))),
(302, 'invoices whose credited differs from the credit applied to them',
 (SELECT count(*) FROM ordermgmt.invoices i
   WHERE i.credited <> (SELECT coalesce(sum(c.amount), 0) FROM ordermgmt.credit_applications c
                         WHERE c.invoice_id = i.invoice_id))),
(303, 'invoices whose due is not total - payments - credits',
 (SELECT count(*) FROM ordermgmt.invoices i
   WHERE i.due <> i.total
                 - (SELECT coalesce(sum(p.amount), 0) FROM ordermgmt.payments p
                     WHERE p.invoice_id = i.invoice_id)
                 - (SELECT coalesce(sum(c.amount), 0) FROM ordermgmt.credit_applications c
                     WHERE c.invoice_id = i.invoice_id)
      OR i.due < 0)),
(304, 'invoices whose total differs from their lines',
 (SELECT count(*) FROM ordermgmt.invoices i
   WHERE i.net IS DISTINCT FROM (SELECT sum(il.net) FROM ordermgmt.invoice_lines il
                                  WHERE il.invoice_id = i.invoice_id)
      OR i.tax IS DISTINCT FROM (SELECT sum(il.tax) FROM ordermgmt.invoice_lines il
                                  WHERE il.invoice_id = i.invoice_id))),
--------------------------------------------------------------------------
-- Order lines (their four counters against the documents are checked at
-- the end, in one pass)
--------------------------------------------------------------------------
(405, 'order lines billed beyond what was kept (invoiced - credited > shipped - returned)',
 (SELECT count(*) FROM ordermgmt.order_lines
   WHERE invoiced_qty - credited_qty > shipped_qty - returned_qty)),
--------------------------------------------------------------------------
-- Statuses
--------------------------------------------------------------------------
(501, 'shipped, delivered or completed orders with unshipped quantity',
 (SELECT count(*) FROM ordermgmt.orders o
   WHERE o.status IN ('shipped', 'delivered', 'completed')
     AND EXISTS (SELECT 1 FROM ordermgmt.order_lines l
                  WHERE l.order_id = o.order_id AND l.shipped_qty < l.qty))),
(502, 'partially shipped orders with nothing or everything shipped',
 (SELECT count(*) FROM ordermgmt.orders o
   WHERE o.status = 'partially_shipped'
     AND (NOT EXISTS (SELECT 1 FROM ordermgmt.order_lines l
                       WHERE l.order_id = o.order_id AND l.shipped_qty < l.qty)
          OR NOT EXISTS (SELECT 1 FROM ordermgmt.order_lines l
                          WHERE l.order_id = o.order_id AND l.shipped_qty > 0)))),
(503, 'orders never shipped that have shipments',
 (SELECT count(*) FROM ordermgmt.orders o
   WHERE o.status IN ('draft', 'pending', 'on_hold', 'confirmed', 'processing', 'cancelled')
     AND EXISTS (SELECT 1 FROM ordermgmt.shipments s WHERE s.order_id = o.order_id))),
(504, 'delivered or completed orders with an undelivered shipment',
 (SELECT count(*) FROM ordermgmt.orders o
   WHERE o.status IN ('delivered', 'completed')
     AND EXISTS (SELECT 1 FROM ordermgmt.shipments s
                  WHERE s.order_id = o.order_id AND s.delivered_at IS NULL))),
(505, 'completed orders not fully billed and paid',
 (SELECT count(*) FROM ordermgmt.orders o
   WHERE o.status = 'completed'
     AND (EXISTS (SELECT 1 FROM ordermgmt.order_lines l WHERE l.order_id = o.order_id
                     AND l.shipped_qty - l.returned_qty <> l.invoiced_qty - l.credited_qty)
          OR EXISTS (SELECT 1 FROM ordermgmt.invoices i
                      WHERE i.order_id = o.order_id AND i.due > 0)))),
(506, 'orders whose status is not the last one in their history',
 (SELECT count(*) FROM ordermgmt.orders o
   WHERE o.status IS DISTINCT FROM
         (SELECT h.to_status FROM ordermgmt.order_status_history h
           WHERE h.order_id = o.order_id ORDER BY h.history_id DESC LIMIT 1))),
(507, 'orders whose history does not start with exactly one creation row',
 (SELECT count(*) FROM ordermgmt.orders o
   WHERE (SELECT count(*) FROM ordermgmt.order_status_history h
           WHERE h.order_id = o.order_id AND h.from_status IS NULL) <> 1)),
(508, 'history rows whose from-status is not the previous row''s to-status',
 (SELECT count(*) FROM (SELECT from_status,
                               lag(to_status) OVER (PARTITION BY order_id ORDER BY history_id) AS prev
                          FROM ordermgmt.order_status_history) h
   WHERE h.from_status IS DISTINCT FROM h.prev)),
--------------------------------------------------------------------------
-- Events: every committed change has its event, every event its subject
--------------------------------------------------------------------------
(601, 'orders without exactly one order.created event of their first status',
 (SELECT count(*) FROM ordermgmt.orders o
   WHERE (SELECT count(*) FROM ordermgmt.events e
           WHERE e.order_id = o.order_id AND e.kind = 'order.created') <> 1
      OR NOT EXISTS (SELECT 1 FROM ordermgmt.events e
                       JOIN ordermgmt.order_status_history h
                         ON h.order_id = e.order_id AND h.from_status IS NULL
                      WHERE e.order_id = o.order_id AND e.kind = 'order.created'
                        AND e.payload ->> 'status' = h.to_status::text
                        AND (e.payload ->> 'customer_id')::bigint = o.customer_id))),
(602, 'status changes without their order.status_changed event, in order, or events without a change',
 (SELECT count(*)
    FROM (SELECT order_id, from_status::text AS f, to_status::text AS t,
                 row_number() OVER (PARTITION BY order_id ORDER BY history_id) AS n
            FROM ordermgmt.order_status_history WHERE from_status IS NOT NULL) h
    FULL JOIN (SELECT order_id, payload ->> 'from' AS f, payload ->> 'to' AS t,
                      row_number() OVER (PARTITION BY order_id ORDER BY event_id) AS n
                 FROM ordermgmt.events WHERE kind = 'order.status_changed') e
      USING (order_id, n)
   WHERE h.f IS DISTINCT FROM e.f OR h.t IS DISTINCT FROM e.t)),
(603, 'events of orders that do not exist',
 (SELECT count(*) FROM ordermgmt.events e
   WHERE e.order_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM ordermgmt.orders o WHERE o.order_id = e.order_id))),
(604, 'documents without exactly one creation event of their order (shipment, invoice, payment, return, ticket, feedback)',
 (SELECT count(*)
    FROM (SELECT 'shipment.created', shipment_id, order_id FROM ordermgmt.shipments
          UNION ALL SELECT 'invoice.created', invoice_id, order_id FROM ordermgmt.invoices
          UNION ALL SELECT 'payment.recorded', p.payment_id, i.order_id
                      FROM ordermgmt.payments p JOIN ordermgmt.invoices i USING (invoice_id)
          UNION ALL SELECT 'return.created', return_id, order_id FROM ordermgmt.returns
          UNION ALL SELECT 'ticket.opened', ticket_id, order_id FROM ordermgmt.tickets
          UNION ALL SELECT 'feedback.recorded', feedback_id, order_id FROM ordermgmt.feedback
          UNION ALL SELECT 'shipment.delivered', shipment_id, order_id FROM ordermgmt.shipments
                     WHERE delivered_at IS NOT NULL
          UNION ALL SELECT 'ticket.resolved', ticket_id, order_id FROM ordermgmt.tickets
                     WHERE status = 'resolved') AS d(kind, id, order_id)
    FULL JOIN (SELECT kind, id, count(*) AS copies, count(DISTINCT order_id) AS orders,
                      min(order_id) AS order_id
                 FROM (SELECT kind, order_id,
                              (payload ->> (CASE split_part(kind, '.', 1)
                                              WHEN 'shipment' THEN 'shipment_id'
                                              WHEN 'invoice' THEN 'invoice_id'
                                              WHEN 'payment' THEN 'payment_id'
                                              WHEN 'return' THEN 'return_id'
                                              WHEN 'ticket' THEN 'ticket_id'
                                              ELSE 'feedback_id' END))::bigint AS id
                         FROM ordermgmt.events
                        WHERE kind IN ('shipment.created', 'shipment.delivered', 'invoice.created',
                                       'payment.recorded', 'return.created', 'ticket.opened',
                                       'ticket.resolved', 'feedback.recorded')) x
                GROUP BY kind, id) e
      USING (kind, id)
   WHERE d.order_id IS DISTINCT FROM e.order_id OR e.copies IS DISTINCT FROM 1 OR e.orders > 1)),
(605, 'alerts without exactly one alert.raised event, or one alert.resolved event once resolved',
 (SELECT count(*)
    FROM ordermgmt.alerts a
    FULL JOIN (SELECT (payload ->> 'alert_id')::bigint AS alert_id,
                      count(*) FILTER (WHERE kind = 'alert.raised') AS raised,
                      count(*) FILTER (WHERE kind = 'alert.resolved') AS resolved,
                      count(DISTINCT order_id) AS orders, min(order_id) AS order_id
                 FROM ordermgmt.events WHERE kind IN ('alert.raised', 'alert.resolved')
                GROUP BY 1) e USING (alert_id)
   WHERE e.raised IS DISTINCT FROM 1
      OR e.resolved <> (a.status = 'resolved')::int
      OR e.order_id IS DISTINCT FROM a.order_id
      OR e.orders > 1)),
(606, 'events that events_since(0) does not return once everything has committed',
 (SELECT count(*) FROM ordermgmt.events e
    FULL JOIN ordermgmt.events_since(0, 2147483647) s USING (event_id)
   WHERE e.kind IS DISTINCT FROM s.kind)),
--------------------------------------------------------------------------
-- Alerts: each about something that exists and still holds
--------------------------------------------------------------------------
(701, 'alerts whose subject does not exist or belongs to another order',
 (SELECT count(*) FROM ordermgmt.alerts a
    LEFT JOIN (SELECT 'order', order_id, order_id FROM ordermgmt.orders
               UNION ALL SELECT 'stock', stock_id, NULL FROM ordermgmt.stock
               UNION ALL SELECT 'invoice', invoice_id, order_id FROM ordermgmt.invoices
               UNION ALL SELECT 'ticket', ticket_id, order_id FROM ordermgmt.tickets
               UNION ALL SELECT 'feedback', feedback_id, order_id FROM ordermgmt.feedback)
              AS s(subject_type, subject_id, order_id) USING (subject_type, subject_id)
   WHERE s.subject_id IS NULL OR s.order_id IS DISTINCT FROM a.order_id)),
(702, 'open alerts per rule and subject above one',
 (SELECT count(*) FROM (SELECT 1 FROM ordermgmt.alerts WHERE status <> 'resolved'
                         GROUP BY rule_code, subject_type, subject_id HAVING count(*) > 1) x)),
(703, 'open level-1 check alerts of orders no longer waiting for confirmation',
 (SELECT count(*) FROM ordermgmt.alerts a JOIN ordermgmt.orders o USING (order_id)
   WHERE a.status <> 'resolved' AND a.level = 1 AND a.rule_code <> 'L1_CONFIRMATION_OVERDUE'
     AND o.status NOT IN ('pending', 'on_hold'))),
(704, 'stock rows whose open L2_LOW_STOCK alert disagrees with available < reorder point',
 (SELECT count(*) FROM ordermgmt.stock s JOIN ordermgmt.products p USING (product_id)
   WHERE (s.on_hand - s.reserved < p.reorder_point
          AND (SELECT enabled FROM ordermgmt.monitor_rules WHERE rule_code = 'L2_LOW_STOCK'))
         <> EXISTS (SELECT 1 FROM ordermgmt.alerts a
                     WHERE a.rule_code = 'L2_LOW_STOCK' AND a.subject_type = 'stock'
                       AND a.subject_id = s.stock_id AND a.status <> 'resolved'))),
(705, 'open alerts of time-based rules without a fired deadline (condition cleared, alert left open)',
 (SELECT count(*) FROM ordermgmt.alerts a
   WHERE a.status <> 'resolved'
     AND a.rule_code IN ('L1_CONFIRMATION_OVERDUE', 'L2_PROCESSING_OVERDUE', 'L2_STALLED',
                         'L3_DELIVERY_LATE', 'L3_PAYMENT_OVERDUE', 'L3_TICKET_OVERDUE')
     AND NOT EXISTS (SELECT 1 FROM ordermgmt.deadlines d
                      WHERE (d.rule_code, d.subject_type, d.subject_id)
                            = (a.rule_code, a.subject_type, a.subject_id) AND d.fired))),
(706, 'fired deadlines of enabled rules without an open alert',
 (SELECT count(*) FROM ordermgmt.deadlines d JOIN ordermgmt.monitor_rules r USING (rule_code)
   WHERE d.fired AND r.enabled
     AND NOT EXISTS (SELECT 1 FROM ordermgmt.alerts a
                      WHERE (a.rule_code, a.subject_type, a.subject_id)
                            = (d.rule_code, d.subject_type, d.subject_id)
                        AND a.status <> 'resolved'))),
--------------------------------------------------------------------------
-- Deadlines: exactly one for each subject in the state its rule watches,
-- none for anything else, due when the rule's delay says
--------------------------------------------------------------------------
(801, 'deadlines and watched subjects that do not match (missing, or for a subject not in the watched state)',
 (SELECT count(*)
    FROM (SELECT rule_code, subject_type, subject_id FROM ordermgmt.deadlines) d
    FULL JOIN (SELECT w.rule_code, 'order', o.order_id FROM ordermgmt.orders o
                CROSS JOIN LATERAL (VALUES
                  ('L1_CONFIRMATION_OVERDUE', o.status IN ('pending', 'on_hold')),
                  ('L2_PROCESSING_OVERDUE', o.confirmed_at IS NOT NULL
                                            AND o.status NOT IN ('shipped', 'delivered', 'completed', 'cancelled')),
                  ('L2_STALLED', o.status IN ('pending', 'on_hold', 'confirmed', 'processing',
                                              'partially_shipped', 'shipped')),
                  ('L3_DELIVERY_LATE', o.promised_at IS NOT NULL
                                       AND o.status NOT IN ('draft', 'delivered', 'completed', 'cancelled')))
                  AS w(rule_code, watched)
                WHERE w.watched
               UNION ALL
               SELECT 'L3_PAYMENT_OVERDUE', 'invoice', invoice_id FROM ordermgmt.invoices
                WHERE due > 0
               UNION ALL
               SELECT 'L3_TICKET_OVERDUE', 'ticket', ticket_id FROM ordermgmt.tickets
                WHERE status = 'open') AS w(rule_code, subject_type, subject_id)
      USING (rule_code, subject_type, subject_id)
   WHERE d.subject_id IS NULL OR w.subject_id IS NULL)),
(802, 'order deadlines whose anchor is not the time they watch from (status change, promise)',
 (SELECT count(*) FROM ordermgmt.deadlines d JOIN ordermgmt.orders o ON o.order_id = d.subject_id
   WHERE d.subject_type = 'order'
     AND (d.order_id IS DISTINCT FROM o.order_id
          OR (d.rule_code = 'L2_STALLED' AND d.anchor_at <> o.status_changed_at)
          OR (d.rule_code = 'L3_DELIVERY_LATE' AND d.anchor_at <> o.promised_at)
          OR (d.rule_code = 'L2_PROCESSING_OVERDUE' AND d.anchor_at > o.confirmed_at)))),
(803, 'deadlines whose due time is not their anchor plus the rule''s delay',
 (SELECT count(*) FROM ordermgmt.deadlines d JOIN ordermgmt.monitor_rules r USING (rule_code)
   WHERE d.due_at IS DISTINCT FROM d.anchor_at + ordermgmt.rule_delay(r.rule_code, r.thresholds, d.variant))),
--------------------------------------------------------------------------
-- Kept summaries: equal to their recomputation from the facts
--------------------------------------------------------------------------
-- A customer and currency with nothing open may have a row of zeros or
-- none; any other difference (a row missing, extra or off) counts.
(901, 'customer exposures that differ from their recomputation (open orders'' value still to bill, invoices due)',
 (SELECT count(*)
    FROM ordermgmt.customer_exposure e
    FULL JOIN (SELECT customer_id, currency, sum(open_orders) AS open_orders, sum(receivables) AS receivables
                 FROM (SELECT o.customer_id, o.currency,
                              ((l.qty - l.returned_qty) - (l.invoiced_qty - l.credited_qty))
                                * l.unit_price * (1 + l.tax_rate) AS open_orders,
                              0 AS receivables
                         FROM ordermgmt.orders o JOIN ordermgmt.order_lines l USING (order_id)
                        WHERE o.status IN ('confirmed', 'processing', 'partially_shipped', 'shipped', 'delivered')
                       UNION ALL
                       SELECT customer_id, currency, 0, due FROM ordermgmt.invoices) f
                GROUP BY customer_id, currency) r USING (customer_id, currency)
   WHERE coalesce(e.open_orders, 0) IS DISTINCT FROM coalesce(r.open_orders, 0)
      OR coalesce(e.receivables, 0) IS DISTINCT FROM coalesce(r.receivables, 0))),
(902, 'order lines whose tax rate is missing out of draft, or recorded in a draft',
 (SELECT count(*) FROM ordermgmt.order_lines l JOIN ordermgmt.orders o USING (order_id)
   WHERE (l.tax_rate IS NULL) <> (o.status = 'draft')))
UNION ALL
-- Order lines: each counter against the documents it counts, in one pass
SELECT v.* FROM (
  SELECT count(*) FILTER (WHERE l.shipped_qty <> coalesce(s.qty, 0)) AS shipped,
         count(*) FILTER (WHERE l.returned_qty <> coalesce(r.qty, 0)) AS returned,
         count(*) FILTER (WHERE l.invoiced_qty <> coalesce(i.qty, 0)) AS invoiced,
         count(*) FILTER (WHERE l.credited_qty <> coalesce(r.credited, 0)) AS credited
    FROM ordermgmt.order_lines l
    LEFT JOIN (SELECT order_id, line_no, sum(qty) AS qty FROM ordermgmt.shipment_lines
                GROUP BY order_id, line_no) s USING (order_id, line_no)
    LEFT JOIN (SELECT order_id, line_no, sum(qty) AS qty, sum(credited_qty) AS credited
                 FROM ordermgmt.return_lines GROUP BY order_id, line_no) r USING (order_id, line_no)
    LEFT JOIN (SELECT order_id, line_no, sum(qty) AS qty FROM ordermgmt.invoice_lines
                GROUP BY order_id, line_no) i USING (order_id, line_no)) x
CROSS JOIN LATERAL (VALUES
  (401, 'order lines whose shipped_qty differs from the sum of their shipment_lines.qty', x.shipped),
  (402, 'order lines whose returned_qty differs from the sum of their return_lines.qty', x.returned),
  (403, 'order lines whose invoiced_qty differs from the sum of their invoice_lines.qty', x.invoiced),
  (404, 'order lines whose credited_qty differs from the sum of their return_lines.credited_qty', x.credited)) v
) AS c(n, check_name, violations)
 ORDER BY n;
