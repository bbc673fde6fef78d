-- Notices to customers: templates checked when saved (unknown kind or
-- placeholder, control characters), notifications written in the
-- transaction of their event (order confirmed, shipped with carrier and
-- tracking, delivered, invoice issued, payment overdue), rendered with
-- each value kept on one line, the recipient from the primary contact
-- else the customer, a customer without an address (the notification
-- failed, the order taken), rollback leaving none; claiming and marking.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;
CREATE FUNCTION pg_temp.try_hint(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE h text;
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
  RETURN SQLSTATE || ': ' || SQLERRM || ' / ' || h; END $$;
CREATE VIEW pg_temp.n AS
SELECT notification_id - (SELECT coalesce(min(notification_id), 1) FROM ordermgmt.notifications) + 1 AS n,
       kind, (SELECT code FROM ordermgmt.customers c WHERE c.customer_id = x.customer_id) AS customer,
       recipient, status, attempts, subject, body, last_error,
       (SELECT e.kind FROM ordermgmt.events e WHERE e.event_id = x.event_id) AS event
  FROM ordermgmt.notifications x;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate) VALUES ('A', 'Widget', 10, 4, 0.2);
SELECT ordermgmt.receive_stock('A', 'MAIN', 100) > 0 AS received;
-- ACME: a primary contact with an address, and one of its own; SOLO: its
-- own only; NOMAIL: none; BADMAIL: one that would split a header.
INSERT INTO ordermgmt.customers (code, name, email) VALUES
  ('ACME', 'Acme Ltd', 'office@acme.example'),
  ('SOLO', E'Solo\r\nBcc: victim@example.org', 'solo@solo.example'),
  ('NOMAIL', 'No Mail Inc', NULL),
  ('BADMAIL', 'Bad Mail', E'x@example.org\r\nBcc: victim@example.org');
INSERT INTO ordermgmt.customer_contacts (customer_id, name, email, is_primary)
SELECT customer_id, 'Ann Buyer', 'ann@acme.example', true FROM ordermgmt.customers WHERE code = 'ACME';
INSERT INTO ordermgmt.customer_contacts (customer_id, name, email, is_primary)
SELECT customer_id, 'Bob Other', 'bob@acme.example', false FROM ordermgmt.customers WHERE code = 'ACME';

-- The seeded templates are disabled: no notification yet.
SELECT kind, enabled FROM ordermgmt.notification_templates ORDER BY kind;
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]') IS NOT NULL AS ordered;
SELECT count(*) AS notifications_while_disabled FROM ordermgmt.notifications;

-- Bad templates, refused when saved (22023), nothing changed.
SELECT pg_temp.try_hint($$INSERT INTO ordermgmt.notification_templates (kind, subject, body)
                          VALUES ('order.backordered', 'x', 'y')$$);
SELECT pg_temp.try_hint($$UPDATE ordermgmt.notification_templates SET body = 'Hello {{customer_nmae}}'
                           WHERE kind = 'order.confirmed'$$);
-- a placeholder of another kind of notice
SELECT pg_temp.try_hint($$UPDATE ordermgmt.notification_templates SET subject = 'Parcel {{tracking}}'
                           WHERE kind = 'invoice.created'$$);
SELECT pg_temp.try($$UPDATE ordermgmt.notification_templates SET body = 'Hello {{contact_name'
                      WHERE kind = 'order.confirmed'$$);
SELECT pg_temp.try($$UPDATE ordermgmt.notification_templates SET subject = E'Order\r\nBcc: x@example.org'
                      WHERE kind = 'order.confirmed'$$);
SELECT pg_temp.try($$UPDATE ordermgmt.notification_templates SET body = E'Hello\r\n'
                      WHERE kind = 'order.confirmed'$$);
SELECT pg_temp.try($$UPDATE ordermgmt.notification_templates SET channel = 'sms'
                      WHERE kind = 'order.confirmed'$$);
SELECT pg_temp.try($$UPDATE ordermgmt.notification_templates SET subject = ''
                      WHERE kind = 'order.confirmed'$$);
SELECT kind, subject FROM ordermgmt.notification_templates WHERE kind = 'order.confirmed';

-- Enable them all; {{ name }} may hold spaces.
UPDATE ordermgmt.notification_templates SET enabled = true;
UPDATE ordermgmt.notification_templates
   SET subject = 'Order {{ order_id }} confirmed for {{customer_name}}',
       body = E'Dear {{contact_name}},\n\norder {{order_id}} ({{customer_code}}, ref {{external_ref}}): {{order_net}} {{currency}}.\n'
 WHERE kind = 'order.confirmed';

-- Order confirmed (create_order confirms at once): to the primary contact.
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 2}]', '{"external_ref": "PO-1"}') AS o1 \gset
SELECT customer, recipient, status, attempts, event, subject, body = format(E'Dear Ann Buyer,\n\norder %s (ACME, ref PO-1): 20.00 EUR.\n', :o1) AS body_ok
  FROM pg_temp.n WHERE kind = 'order.confirmed';
-- The notification belongs to the event of that transaction.
SELECT count(*) AS confirmed_events_with_notice
  FROM ordermgmt.events e JOIN ordermgmt.notifications x USING (event_id)
 WHERE e.order_id = :o1 AND e.kind = 'order.status_changed' AND e.payload ->> 'to' = 'confirmed';

-- Values never add a line: SOLO's name holds CR LF, it becomes two spaces
-- in the subject and in the body; no primary contact: customers.email.
SELECT ordermgmt.create_order('SOLO', '[{"sku": "A", "qty": 1}]') AS o2 \gset
SELECT recipient, status, subject, position(E'\r' IN body) = 0 AND position(E'\n' IN subject) = 0 AS one_line,
       body LIKE E'Dear Solo  Bcc: victim@example.org,\n%' AS body_escaped
  FROM pg_temp.n WHERE kind = 'order.confirmed' AND customer = 'SOLO';

-- No address: the notification is failed with the reason, the order taken.
SELECT ordermgmt.create_order('NOMAIL', '[{"sku": "A", "qty": 1}]') AS o3 \gset
SELECT (SELECT status FROM ordermgmt.orders WHERE order_id = :o3) AS order_status,
       recipient, status, attempts, last_error
  FROM pg_temp.n WHERE customer = 'NOMAIL';
-- An address that would split a header is not used either.
SELECT ordermgmt.create_order('BADMAIL', '[{"sku": "A", "qty": 1}]') IS NOT NULL AS ordered;
SELECT recipient, status, last_error FROM pg_temp.n WHERE customer = 'BADMAIL';

-- Shipped with carrier and tracking, delivered, invoiced.
SELECT ordermgmt.ship_order(:o1, NULL, 'DHL', E'TR-1\nX-Injected: 1') AS s1 \gset
SELECT subject, body FROM pg_temp.n WHERE kind = 'shipment.created';
SELECT ordermgmt.confirm_delivery(:s1, now() + interval '1 hour');
SELECT subject, body ~ E'^Dear Ann Buyer,\n\nshipment \\d+ of your order \\d+ was delivered on \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\.\n$' AS body_ok
  FROM pg_temp.n WHERE kind = 'shipment.delivered';
SELECT ordermgmt.invoice_order(:o1, 14) AS i1 \gset
SELECT subject, body ~ 'is 24\.00 EUR, due on \d{4}-\d\d-\d\d\.' AS body_ok
  FROM pg_temp.n WHERE kind = 'invoice.created';

-- Payment overdue: the reminder comes with L3_PAYMENT_OVERDUE's alert.
SELECT ordermgmt.monitor_tick(now() + interval '10 days') AS raised_early;
SELECT count(*) AS reminders_early FROM ordermgmt.notifications WHERE kind = 'payment.overdue';
SELECT ordermgmt.monitor_tick(now() + interval '20 days') >= 1 AS raised;
SELECT subject, body LIKE E'Dear Ann Buyer,\n\n24.00 EUR of our invoice%' AS body_ok, event
  FROM pg_temp.n WHERE kind = 'payment.overdue';
-- another tick does not remind again (one open alert per invoice)
SELECT ordermgmt.monitor_tick(now() + interval '21 days') AS raised_again;
SELECT count(*) AS reminders FROM ordermgmt.notifications WHERE kind = 'payment.overdue';

-- Rollback: no order, no event, no notification.
SELECT count(*) AS before FROM ordermgmt.notifications \gset
BEGIN;
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]') IS NOT NULL AS ordered;
SELECT count(*) - :before AS written_inside FROM ordermgmt.notifications;
ROLLBACK;
SELECT count(*) - :before AS left_after_rollback FROM ordermgmt.notifications;
-- A refused order writes nothing either (OM005).
SELECT pg_temp.try($$SELECT ordermgmt.create_order('NOBODY', '[{"sku": "A", "qty": 1}]')$$);
SELECT count(*) - :before AS after_refusal FROM ordermgmt.notifications;

-- A disabled template writes nothing, at once in this backend.
UPDATE ordermgmt.notification_templates SET enabled = false WHERE kind = 'order.confirmed';
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]') IS NOT NULL AS ordered;
SELECT count(*) - :before AS after_disabled FROM ordermgmt.notifications;

-- Claiming and marking.  The queue: every queued one, oldest first.
SELECT count(*) AS queued FROM ordermgmt.notifications WHERE status = 'queued';
CREATE TEMP TABLE claimed AS SELECT * FROM ordermgmt.claim_notifications(2, '5 minutes');
SELECT count(*) AS claimed, bool_and(attempt = 1) AS first_attempt,
       bool_and(message_id ~ '^<notification-\d+\.\d+\.\d+@ordermgmt>$') AS message_ids
  FROM claimed;
SELECT status, count(*) FROM ordermgmt.notifications GROUP BY status ORDER BY status;
-- claimed ones are not claimed again while their lease runs
SELECT count(*) AS claimed_twice FROM ordermgmt.claim_notifications(1000) c JOIN claimed USING (notification_id);
UPDATE ordermgmt.notifications SET status = 'queued', attempts = 0
 WHERE status = 'sending' AND notification_id NOT IN (SELECT notification_id FROM claimed);
SELECT min(notification_id) AS first, max(notification_id) AS second FROM claimed \gset
-- sent; a failure with retries left is queued again, later; the last one failed
SELECT ordermgmt.finish_notification(:first, 1) AS first_sent;
SELECT ordermgmt.finish_notification(:first, 1) AS finished_twice;
SELECT ordermgmt.finish_notification(:second, 1, 'exit status 75: try later', 2, '1 minute') AS second_failed_once;
SELECT status, attempts, last_error, next_attempt_at > now() + interval '59 seconds' AS backed_off
  FROM ordermgmt.notifications WHERE notification_id = :second;
UPDATE ordermgmt.notifications SET next_attempt_at = now() WHERE notification_id = :second;
SELECT notification_id = :second AS same, attempt FROM ordermgmt.claim_notifications(1) c
 WHERE notification_id = :second;
-- a stale attempt number cannot mark it
SELECT ordermgmt.finish_notification(:second, 1, 'late') AS stale_attempt;
SELECT ordermgmt.finish_notification(:second, 2, 'exit status 1: no such user', 2) AS second_failed;
SELECT status, attempts, last_error, sent_at IS NULL AS unsent FROM ordermgmt.notifications WHERE notification_id = :second;
SELECT status, attempts, last_error, sent_at IS NOT NULL AS sent FROM ordermgmt.notifications WHERE notification_id = :first;
-- a lapsed lease: the row is claimed again, the earlier claim cannot mark it
UPDATE ordermgmt.notifications SET status = 'sending', attempts = 1, next_attempt_at = now() - interval '1 second'
 WHERE notification_id = (SELECT max(notification_id) FROM ordermgmt.notifications WHERE status = 'queued')
RETURNING notification_id AS lapsed \gset
SELECT attempt FROM ordermgmt.claim_notifications(1000) WHERE notification_id = :lapsed;
SELECT ordermgmt.finish_notification(:lapsed, 1) AS old_claim, ordermgmt.finish_notification(:lapsed, 2) AS new_claim;

-- Bad arguments (22023).
SELECT pg_temp.try('SELECT * FROM ordermgmt.claim_notifications(0)');
SELECT pg_temp.try('SELECT * FROM ordermgmt.claim_notifications(1001)');
SELECT pg_temp.try($$SELECT * FROM ordermgmt.claim_notifications(1, '0 seconds')$$);
SELECT pg_temp.try($$SELECT * FROM ordermgmt.claim_notifications(1, NULL)$$);
SELECT pg_temp.try($$SELECT * FROM ordermgmt.claim_notifications(1, '178000000 years')$$);
SELECT pg_temp.try('SELECT ordermgmt.finish_notification(NULL, 1)');
SELECT pg_temp.try('SELECT ordermgmt.finish_notification(1, 0)');
SELECT pg_temp.try($$SELECT ordermgmt.finish_notification(1, 1, 'x', 0)$$);
SELECT pg_temp.try($$SELECT ordermgmt.finish_notification(1, 1, 'x', 3, '-1 second')$$);
SELECT pg_temp.try($$SELECT ordermgmt.finish_notification(1, 1, 'x', 3, '2147483647 days')$$);

-- Privileges: the service claims; readers see nothing; admins edit templates.
SELECT has_table_privilege('ordermgmt_reader', 'ordermgmt.notifications', 'SELECT') AS reader_reads,
       has_table_privilege('ordermgmt_service', 'ordermgmt.notifications', 'SELECT') AS service_reads,
       has_table_privilege('ordermgmt_service', 'ordermgmt.notifications', 'UPDATE') AS service_updates,
       has_function_privilege('ordermgmt_service', 'ordermgmt.claim_notifications(int, interval)', 'EXECUTE') AS service_claims,
       has_function_privilege('ordermgmt_reader', 'ordermgmt.claim_notifications(int, interval)', 'EXECUTE') AS reader_claims,
       has_table_privilege('ordermgmt_app', 'ordermgmt.notification_templates', 'UPDATE') AS app_edits,
       has_table_privilege('ordermgmt_admin', 'ordermgmt.notification_templates', 'UPDATE') AS admin_edits;

DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
