-- Errors: the contract's SQLSTATEs for bad input and broken business
-- rules, on a tiny dataset made inside this transaction.
BEGIN;
SELECT plan(19);

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name) VALUES ('ACME', 'Acme');
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost) VALUES ('WID', 'Widget', 10, 4);
SELECT ordermgmt.receive_stock('WID', 'MAIN', 10) AS move_id \gset
-- a confirmed order of 2 (auto-confirm is the default)
SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 2}]') AS order_id \gset
-- a balanced manual entry
SELECT ordermgmt.post_entry('opening cash',
       '[{"account": "1000", "debit": 5}, {"account": "4000", "credit": 5}]') AS entry_id \gset

SELECT is((SELECT status::text FROM ordermgmt.orders WHERE order_id = :order_id), 'confirmed',
          'the order to test with is confirmed');

--------------------------------------------------------------------------
-- OM001: illegal status transition, by plain SQL as by the API
--------------------------------------------------------------------------
SELECT throws_ok(format($$UPDATE ordermgmt.orders SET status = 'draft' WHERE order_id = %s$$, :order_id),
                 'OM001', NULL, 'UPDATE confirmed -> draft is refused (OM001)');
SELECT throws_ok(format($$UPDATE ordermgmt.orders SET status = 'delivered' WHERE order_id = %s$$, :order_id),
                 'OM001', NULL, 'UPDATE confirmed -> delivered (skipping shipment) is refused (OM001)');
SELECT throws_ok(format('SELECT ordermgmt.submit_order(%s)', :order_id),
                 'OM001', NULL, 'submit_order of a confirmed order is refused (OM001)');
SELECT throws_ok(format('UPDATE ordermgmt.order_lines SET qty = 1 WHERE order_id = %s', :order_id),
                 'OM001', NULL, 'a confirmed order''s lines cannot be edited (OM001)');

--------------------------------------------------------------------------
-- OM005: unknown customer, product, order
--------------------------------------------------------------------------
SELECT throws_ok($$SELECT ordermgmt.create_order('NOBODY', '[{"sku": "WID", "qty": 1}]')$$,
                 'OM005', NULL, 'create_order for an unknown customer (OM005)');
SELECT throws_ok($$SELECT ordermgmt.create_order('ACME', '[{"sku": "NOPE", "qty": 1}]')$$,
                 'OM005', NULL, 'create_order of an unknown SKU (OM005)');
SELECT throws_ok('SELECT ordermgmt.confirm_order(-1)',
                 'OM005', NULL, 'confirm_order of an unknown order (OM005)');

--------------------------------------------------------------------------
-- 22023: malformed argument
--------------------------------------------------------------------------
SELECT throws_ok($$SELECT ordermgmt.create_order('ACME', '{"sku": "WID", "qty": 1}')$$,
                 '22023', NULL, 'lines that are not a JSON array (22023)');
SELECT throws_ok($$SELECT ordermgmt.create_order('ACME', '[{"qty": 1}]')$$,
                 '22023', NULL, 'a line without sku (22023)');
SELECT throws_ok($$SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 0}]')$$,
                 '22023', NULL, 'a non-positive quantity (22023)');

--------------------------------------------------------------------------
-- OM002: more shipped than ordered
--------------------------------------------------------------------------
SELECT throws_ok(format($$SELECT ordermgmt.ship_order(%s, '[{"sku": "WID", "qty": 3}]')$$, :order_id),
                 'OM002', NULL, 'shipping more than the order has left (OM002)');

--------------------------------------------------------------------------
-- OM003: an unbalanced journal entry
--------------------------------------------------------------------------
SELECT throws_ok($$SELECT ordermgmt.post_entry('off by one',
                   '[{"account": "1000", "debit": 1}, {"account": "4000", "credit": 2}]')$$,
                 'OM003', NULL, 'post_entry of an unbalanced entry (OM003)');

--------------------------------------------------------------------------
-- OM004: ledger rows are never changed or deleted, even by a superuser
--------------------------------------------------------------------------
SELECT throws_ok(format('UPDATE ordermgmt.postings SET debit = debit WHERE entry_id = %s', :entry_id),
                 'OM004', NULL, 'UPDATE of a posting (OM004)');
SELECT throws_ok(format('DELETE FROM ordermgmt.postings WHERE entry_id = %s', :entry_id),
                 'OM004', NULL, 'DELETE of a posting (OM004)');
SELECT throws_ok(format($$UPDATE ordermgmt.journal_entries SET memo = 'changed' WHERE entry_id = %s$$, :entry_id),
                 'OM004', NULL, 'UPDATE of a journal entry (OM004)');

--------------------------------------------------------------------------
-- OM006: over-payment
--------------------------------------------------------------------------
SELECT ordermgmt.ship_order(:order_id) AS shipment_id \gset
SELECT ordermgmt.invoice_order(:order_id) AS invoice_id \gset
SELECT throws_ok(format('SELECT ordermgmt.record_payment(%s, 20.01)', :invoice_id),
                 'OM006', NULL, 'paying more than the invoice''s 20.00 due (OM006)');

--------------------------------------------------------------------------
-- OM007: approval refused (the session user entered the order)
--------------------------------------------------------------------------
SELECT ordermgmt.create_order('ACME', '[{"sku": "WID", "qty": 1, "unit_price": 1}]') AS held_id \gset
SELECT throws_ok(format('SELECT ordermgmt.approve_order(%s)', :held_id),
                 'OM007', NULL, 'approving an order one entered (OM007)');

--------------------------------------------------------------------------
-- OM008: period closed (an entry dated on or before the books' close)
--------------------------------------------------------------------------
SELECT ordermgmt.close_period('2020-01-31') AS closed_through \gset
SELECT throws_ok($$INSERT INTO ordermgmt.journal_entries (posted_at, memo, source_type, posted_by)
                   VALUES ('2020-01-15', 'back-dated', 'manual', 'test')$$,
                 'OM008', NULL, 'an entry dated in a closed period (OM008)');

SELECT * FROM finish();
ROLLBACK;
