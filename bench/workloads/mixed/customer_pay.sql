-- record_customer_payment of a customer with open invoices: half of the
-- receipts name one or two of its open invoices (a part of each one's due,
-- which another client may have paid meanwhile: OM006), half pay oldest due
-- first, often more than is due, leaving unapplied credit.  An oldest-first
-- receipt's reference repeats across clients with the same arguments (a
-- retry); an explicit one's is its own.
\set explicit random(0, 1)
\set amount random(1, 4)
SELECT try('customer_pay',
           (SELECT format('SELECT ordermgmt.record_customer_payment(%L, %s, %L, %L, %L, %L)',
                          c.code, amt, i.currency, 'bank',
                          CASE WHEN :explicit = 1
                               THEN 'CPX-' || md5(random()::text || clock_timestamp()::text)
                               ELSE 'CP-' || c.code || '-' || i.currency || '-' || amt || '-' || floor(random() * 3) END,
                          CASE WHEN :explicit = 1
                               THEN (SELECT jsonb_agg(jsonb_build_object('invoice_id', o.invoice_id,
                                                                         'amount', greatest(0.01, round(o.due / 2, 2))))
                                       FROM (SELECT x.invoice_id, x.due FROM ordermgmt.invoices x
                                              WHERE x.customer_id = i.customer_id AND x.currency = i.currency
                                                AND x.due > 0
                                              ORDER BY random() LIMIT 2) o) END)
              FROM pick('ordermgmt.invoices', 'invoice_id', 'due > 0') AS x
              JOIN ordermgmt.invoices i ON i.invoice_id = x
              JOIN ordermgmt.customers c ON c.customer_id = i.customer_id
             CROSS JOIN LATERAL (SELECT (50 * :amount)::numeric AS amt) a));
