-- approve_order of a random order waiting for an approval, by an
-- approver's login: the approver is the session user, who may not be the
-- one who entered the order (the workload enters them as the superuser)
SELECT coalesce(pick('ordermgmt.order_approvals', 'order_id', 'approved_by IS NULL'), 0) AS held \gset
SET SESSION AUTHORIZATION mix_approver;
SELECT try('approve', CASE WHEN :held > 0
                           THEN format('SELECT ordermgmt.approve_order(%s, %L)', :held, 'credit desk') END);
RESET SESSION AUTHORIZATION;
