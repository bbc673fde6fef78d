-- apply_credit: a customer's unapplied credit to one of its open invoices
-- in the same currency (any one, found through the extension's index of
-- open invoices per customer rather than by walking every invoice in id
-- order), at most what either holds (a concurrent client may have taken
-- either first: OM006).  The credit is drawn first, so that only its
-- customer's open invoices are looked at.
SELECT try('apply_credit',
           (SELECT format('SELECT ordermgmt.apply_credit(%L, %s, %s)', c.code, i.invoice_id,
                          least(k.unapplied, i.due))
              FROM (SELECT y.customer_id, y.currency, y.unapplied FROM ordermgmt.customer_credit y
                     WHERE y.unapplied > 0 ORDER BY random() LIMIT 1) k
              JOIN ordermgmt.customers c ON c.customer_id = k.customer_id
              JOIN LATERAL (SELECT x.invoice_id, x.due FROM ordermgmt.invoices x
                             WHERE x.customer_id = k.customer_id AND x.currency = k.currency AND x.due > 0
                             LIMIT 1) i ON true));
