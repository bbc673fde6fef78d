-- What the test suites check after a concurrent workload, a crash and
-- restart, a soak run: every check of ordermgmt.verify() (docs/verify.md),
-- then three expectations of those workloads that are not invariants of a
-- live database.  One row per check: its name and "0" when it holds, else
-- how many rows break it and the first of them.
--
--   psql -X -At -F '|' -v ON_ERROR_STOP=1 -d DB -f test/invariants.sql
--
-- The three expectations hold only once every writer has stopped, and
-- only for a workload in which nobody resolves an alert by hand, changes a
-- reorder point, or disables a rule (bench/workloads/mixed):
--   * events_since(0) returns every event: it stops before the ids of any
--     transaction still running;
--   * a stock row has an open L2_LOW_STOCK alert exactly while its
--     available stock is under the reorder point: an alert resolved by
--     hand, or a reorder point changed, is only caught up with at the next
--     stock change of that row;
--   * a fired deadline of an enabled rule has an open alert: an alert
--     resolved by hand leaves its deadline fired, and a deadline that fired
--     while its rule was disabled raised nothing.
--
-- One statement, so that every row reads the same snapshot (verify() runs
-- on its caller's).
SELECT x.check_name, coalesce(x.detail, '0') AS violations
  FROM (SELECT v.check_name, v.detail FROM ordermgmt.verify() v
        UNION ALL
        SELECT w.check_name,
               CASE WHEN w.n > 0 THEN w.n || ' rows; first: ' || array_to_string(w.firsts, '; ') END
          FROM (SELECT 'workload.events_since_returns_every_event' AS check_name, count(*) AS n,
                       (array_agg(format('event %s', coalesce(e.event_id, s.event_id))
                                  ORDER BY coalesce(e.event_id, s.event_id)))[1:5] AS firsts
                  FROM ordermgmt.events e
                  FULL JOIN ordermgmt.events_since(0, 2147483647) s USING (event_id)
                 WHERE e.kind IS DISTINCT FROM s.kind
                UNION ALL
                SELECT 'workload.low_stock_alerts_match_stock', count(*),
                       (array_agg(format('stock %s: available %s, reorder point %s', s.stock_id,
                                         s.on_hand - s.reserved, p.reorder_point) ORDER BY s.stock_id))[1:5]
                  FROM ordermgmt.stock s JOIN ordermgmt.products p USING (product_id)
                 WHERE (s.on_hand - s.reserved < p.reorder_point
                        AND (SELECT enabled FROM ordermgmt.monitor_rules WHERE rule_code = 'L2_LOW_STOCK'))
                       <> EXISTS (SELECT 1 FROM ordermgmt.alerts a
                                   WHERE a.rule_code = 'L2_LOW_STOCK' AND a.subject_type = 'stock'
                                     AND a.subject_id = s.stock_id AND a.status <> 'resolved')
                UNION ALL
                SELECT 'workload.fired_deadlines_have_open_alerts', count(*),
                       (array_agg(format('%s on %s %s', d.rule_code, d.subject_type, d.subject_id)
                                  ORDER BY d.subject_id))[1:5]
                  FROM ordermgmt.deadlines d JOIN ordermgmt.monitor_rules r USING (rule_code)
                 WHERE d.fired AND r.enabled
                   AND NOT EXISTS (SELECT 1 FROM ordermgmt.alerts a
                                    WHERE (a.rule_code, a.subject_type, a.subject_id)
                                          = (d.rule_code, d.subject_type, d.subject_id)
                                      AND a.status <> 'resolved')) w) x
 ORDER BY x.check_name;
