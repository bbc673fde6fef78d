-- record_feedback: a rating of 1-5 for a random delivered order (1 and 2
-- raise L3_NEGATIVE_FEEDBACK)
\set rating random(1, 5)
SELECT try('feedback', CASE WHEN o IS NOT NULL
                            THEN format('SELECT ordermgmt.record_feedback(%s, %s)', o, :rating) END)
  FROM pick_order('{delivered,completed}') AS o;
