-- receive_purchase of a random open purchase order: everything still open,
-- or 1-10 units of one of its lines (more than is open: OM002); one in ten
-- is cancelled instead
\set part random(1, 10)
\set what random(1, 10)
SELECT try(CASE WHEN :what = 1 THEN 'cancel_purchase' ELSE 'receive_purchase' END,
           CASE WHEN po IS NULL THEN NULL
                WHEN :what = 1 THEN format('SELECT ordermgmt.cancel_purchase_order(%s, %L)', po, 'not needed any more')
                WHEN :what <= 5 THEN format('SELECT ordermgmt.receive_purchase(%s)', po)
                ELSE format('SELECT ordermgmt.receive_purchase(%s, %L)', po,
                            (SELECT jsonb_build_array(jsonb_build_object('sku', p.sku, 'qty', :part))
                               FROM ordermgmt.purchase_lines l JOIN ordermgmt.products p USING (product_id)
                              WHERE l.po_id = po ORDER BY l.line_no LIMIT 1)) END)
  FROM pick('ordermgmt.purchase_orders', 'po_id', $$status IN ('ordered', 'partially_received')$$) AS po;
