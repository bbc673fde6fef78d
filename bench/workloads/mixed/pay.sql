-- record_payment of a random open invoice: the whole due amount or a random
-- part of it; half of the payments carry a reference that other clients
-- may repeat (a retry)
\set whole random(0, 2)
SELECT try('pay',
           (SELECT format('SELECT ordermgmt.record_payment(%s, %s, %L, %L)', i.invoice_id,
                          CASE WHEN :whole = 0 THEN i.due
                               ELSE greatest(0.01, round(i.due * random()::numeric, 2)) END,
                          'bank',
                          CASE WHEN random() < 0.5
                               THEN 'PAY-' || i.invoice_id || '-' || floor(random() * 3) END)
              FROM pick('ordermgmt.invoices', 'invoice_id', 'due > 0') AS x
              JOIN ordermgmt.invoices i ON i.invoice_id = x));
