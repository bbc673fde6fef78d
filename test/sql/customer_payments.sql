-- Customer payments: one receipt allocated across several invoices
-- (explicitly or oldest due first), the rest kept as unapplied credit,
-- apply_credit, refund_credit, idempotent references, the ledger and
-- v_customer_balance to the cent, and the bad input refused without a write.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.products (sku, name, list_price, tax_rate)
SELECT 'P' || p, 'Product at ' || p, p, 0.2 FROM unnest(ARRAY[100, 50, 25.5, 20, 10]) AS p;
SELECT count(ordermgmt.receive_stock(sku, 'MAIN', 100)) AS stocked FROM ordermgmt.products;
INSERT INTO ordermgmt.customers (code, name) VALUES ('ACME', 'Acme'), ('OTHER', 'Other');
-- dollar invoices need a rate to the company currency (EUR)
INSERT INTO ordermgmt.exchange_rates VALUES ('USD', '2000-01-01', 0.9);

-- inv(customer, list price, due days, currency): one piece of the product
-- at that price ordered, shipped and invoiced (tax 20 %).
CREATE FUNCTION pg_temp.inv(customer text, price numeric, days int, cur text DEFAULT 'EUR')
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE o bigint;
BEGIN
  o := ordermgmt.create_order(customer, jsonb_build_array(jsonb_build_object('sku', 'P' || price, 'qty', 1)),
                              jsonb_build_object('currency', cur, 'auto_confirm', true));
  PERFORM ordermgmt.ship_order(o);
  RETURN ordermgmt.invoice_order(o, days);
END $$;
SELECT pg_temp.inv('ACME', 100, 10) AS i1 \gset
SELECT pg_temp.inv('ACME', 50, 20) AS i2 \gset
SELECT pg_temp.inv('ACME', 25.5, 30) AS i3 \gset
SELECT pg_temp.inv('ACME', 10, 5, 'USD') AS iusd \gset
SELECT pg_temp.inv('OTHER', 10, 5) AS iother \gset
CREATE FUNCTION pg_temp.invoices()
RETURNS TABLE (invoice_id bigint, customer text, currency text, total numeric, paid numeric, due numeric)
LANGUAGE sql AS $$
SELECT i.invoice_id, c.code, i.currency, i.total, i.paid, i.due
  FROM ordermgmt.invoices i JOIN ordermgmt.customers c USING (customer_id) ORDER BY i.invoice_id $$;
SELECT * FROM pg_temp.invoices();

-- One receipt, explicit allocations over two invoices: 40.00 stays as credit.
SELECT ordermgmt.record_customer_payment('ACME', 200.00, 'EUR', 'bank', 'R1',
         jsonb_build_array(jsonb_build_object('invoice_id', :i1, 'amount', 120.00),
                           jsonb_build_object('invoice_id', :i2, 'amount', 40))) AS r1 \gset
SELECT * FROM pg_temp.invoices();
SELECT customer_id, currency, unapplied FROM ordermgmt.customer_credit ORDER BY customer_id, currency;
SELECT customer_payment_id = :r1 AS r1, invoice_id, amount, kind FROM ordermgmt.payment_allocations ORDER BY payment_id;
-- Each allocation is a payment of its invoice, as record_payment makes it.
SELECT p.invoice_id, p.amount, p.method, p.reference FROM ordermgmt.payments p ORDER BY p.payment_id;
SELECT kind, payload->>'invoice_id' AS invoice, payload->>'amount' AS amount
  FROM ordermgmt.events WHERE kind = 'payment.recorded' ORDER BY event_id;
-- i1 is paid: its overdue deadline is gone; i2 still waits.
SELECT subject_id FROM ordermgmt.deadlines WHERE rule_code = 'L3_PAYMENT_OVERDUE' ORDER BY subject_id;

-- The same reference with the same arguments returns the first receipt and writes nothing.
SELECT ordermgmt.record_customer_payment('ACME', 200, 'EUR', 'bank', 'R1',
         jsonb_build_array(jsonb_build_object('invoice_id', :i1, 'amount', 120),
                           jsonb_build_object('invoice_id', :i2, 'amount', 40.00))) = :r1 AS same_receipt;
SELECT count(*) AS receipts, (SELECT count(*) FROM ordermgmt.payments) AS payments FROM ordermgmt.customer_payments;
-- With other arguments it is refused.
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', 201, 'EUR', 'bank', 'R1')$$) AS other_amount;
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', 200, 'EUR', 'bank', 'R1')$$) AS other_allocations;
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', 200, 'EUR', 'card', 'R1',
         jsonb_build_array(jsonb_build_object('invoice_id', 1, 'amount', 120),
                           jsonb_build_object('invoice_id', 2, 'amount', 40)))$$) AS other_method;
-- A reference is per customer: OTHER may use R1 too.
SELECT ordermgmt.record_customer_payment('OTHER', 5.00, 'EUR', 'bank', 'R1') > :r1 AS other_customer_r1;

-- Oldest due first: i2's remaining 20.00, then 30.00 of i3; nothing left over.
SELECT ordermgmt.record_customer_payment('ACME', 50.00, 'EUR', 'bank', 'R2') AS r2 \gset
SELECT * FROM pg_temp.invoices();
SELECT customer_payment_id = :r2 AS r2, invoice_id, amount FROM ordermgmt.payment_allocations
 WHERE customer_payment_id = :r2 ORDER BY payment_id;
-- More than every open invoice: the rest is credit (i3's 0.60 paid).
SELECT ordermgmt.record_customer_payment('ACME', 10.00, 'EUR', 'bank', 'R3') AS r3 \gset
SELECT * FROM pg_temp.invoices();
SELECT currency, unapplied FROM ordermgmt.customer_credit WHERE customer_id = 1 ORDER BY currency;
-- Nothing open at all: all of it is credit.
SELECT ordermgmt.record_customer_payment('ACME', 0.60, 'EUR', 'bank', 'R4') > 0 AS all_credit;
SELECT currency, unapplied FROM ordermgmt.customer_credit WHERE customer_id = 1 ORDER BY currency;

-- A receipt in USD pays only the USD invoice, oldest first.
SELECT ordermgmt.record_customer_payment('ACME', 5.00, 'USD', 'bank', 'U1') > 0 AS usd;
SELECT * FROM pg_temp.invoices() WHERE currency = 'USD';

-- apply_credit: no USD credit is left, refused.  A new EUR invoice paid
-- from the EUR credit.
SELECT pg_temp.try(format('SELECT ordermgmt.apply_credit(%L, %s, 5)', 'ACME', :iusd)) AS no_usd_credit;
SELECT pg_temp.inv('ACME', 20, 40) AS i6 \gset
SELECT ordermgmt.apply_credit('ACME', :i6, 24.00) > 0 AS applied;
SELECT * FROM pg_temp.invoices() WHERE invoice_id = :i6;
SELECT invoice_id, amount, kind, customer_payment_id FROM ordermgmt.payment_allocations WHERE kind = 'credit';
SELECT currency, unapplied FROM ordermgmt.customer_credit WHERE customer_id = 1 ORDER BY currency;
SELECT pg_temp.try(format('SELECT ordermgmt.apply_credit(%L, %s, 1)', 'ACME', :i6)) AS beyond_due;
SELECT pg_temp.try(format('SELECT ordermgmt.apply_credit(%L, %s, 1)', 'ACME', :i1)) AS paid_invoice;
SELECT pg_temp.try(format('SELECT ordermgmt.apply_credit(%L, %s, 1)', 'ACME', :iother)) AS other_customers;

-- refund_credit: ACME's credit is in EUR only (its USD row is at zero).
SELECT currency, unapplied FROM ordermgmt.customer_credit ORDER BY customer_id, currency;
SELECT ordermgmt.refund_credit('ACME', 6.60, 'RF1') AS rf1 \gset
SELECT ordermgmt.refund_credit('ACME', 6.60, 'RF1') = :rf1 AS same_refund;
SELECT pg_temp.try($$SELECT ordermgmt.refund_credit('ACME', 6.61, 'RF1')$$) AS refund_other_amount;
SELECT pg_temp.try($$SELECT ordermgmt.refund_credit('ACME', 0.01, 'R1')$$) AS refund_receipt_reference;
SELECT pg_temp.try($$SELECT ordermgmt.refund_credit('ACME', 100, 'RF2')$$) AS refund_beyond_credit;
SELECT pg_temp.try($$SELECT ordermgmt.refund_credit('ACME', 1, 'RF2', 'USD')$$) AS refund_no_usd_credit;
SELECT currency, unapplied FROM ordermgmt.customer_credit WHERE customer_id = 1 ORDER BY currency;
-- Credit in two currencies: the currency must be named.
SELECT ordermgmt.record_customer_payment('ACME', 10.00, 'USD', 'bank', 'U2') > 0 AS usd_credit;
SELECT currency, unapplied FROM ordermgmt.customer_credit WHERE customer_id = 1 ORDER BY currency;
SELECT pg_temp.try($$SELECT ordermgmt.refund_credit('ACME', 1, 'RF3')$$) AS refund_which_currency;
SELECT ordermgmt.refund_credit('ACME', 3.00, 'RF3', 'USD') > 0 AS refunded_usd;
SELECT customer_id, kind, amount, currency, method, reference FROM ordermgmt.customer_payments
 ORDER BY customer_payment_id;

-- Over-allocation (OM006), another customer's invoice, a currency without a rate (OM005).
SELECT pg_temp.inv('ACME', 10, 50) AS i7 \gset
SELECT count(*) AS receipts_before FROM ordermgmt.customer_payments;
SELECT pg_temp.try(format($$SELECT ordermgmt.record_customer_payment('ACME', 100, 'EUR', 'bank', 'X1', '[{"invoice_id": %s, "amount": 12.01}]')$$, :i7)) AS beyond_due;
SELECT pg_temp.try(format($$SELECT ordermgmt.record_customer_payment('ACME', 10, 'EUR', 'bank', 'X1', '[{"invoice_id": %s, "amount": 10.01}]')$$, :i7)) AS beyond_receipt;
SELECT pg_temp.try(format($$SELECT ordermgmt.record_customer_payment('ACME', 100, 'EUR', 'bank', 'X1', '[{"invoice_id": %s, "amount": 1}]')$$, :i1)) AS paid_invoice;
SELECT pg_temp.try(format($$SELECT ordermgmt.record_customer_payment('ACME', 100, 'EUR', 'bank', 'X1', '[{"invoice_id": %s, "amount": 1}]')$$, :iother)) AS other_customers;
SELECT pg_temp.try(format($$SELECT ordermgmt.record_customer_payment('ACME', 100, 'GBP', 'bank', 'X1', '[{"invoice_id": %s, "amount": 1}]')$$, :i7)) AS other_currency_without_rate;
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', 100, 'EUR', 'bank', 'X1', '[{"invoice_id": 999, "amount": 1}]')$$) AS unknown_invoice;
-- Malformed allocations.
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', 10, 'EUR', 'bank', 'X1', '{"invoice_id": 7, "amount": 1}')$$) AS not_an_array;
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', 10, 'EUR', 'bank', 'X1', '7')$$) AS scalar;
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', 10, 'EUR', 'bank', 'X1', '[]')$$) AS empty;
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', 10, 'EUR', 'bank', 'X1', '[7]')$$) AS not_an_object;
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', 10, 'EUR', 'bank', 'X1', '[{"amount": 1}]')$$) AS no_invoice_id;
SELECT pg_temp.try(format($$SELECT ordermgmt.record_customer_payment('ACME', 10, 'EUR', 'bank', 'X1', '[{"invoice_id": %s}]')$$, :i7)) AS no_amount;
SELECT pg_temp.try(format($$SELECT ordermgmt.record_customer_payment('ACME', 10, 'EUR', 'bank', 'X1', '[{"invoice_id": %s, "amount": 1, "note": "x"}]')$$, :i7)) AS unknown_key;
SELECT pg_temp.try(format($$SELECT ordermgmt.record_customer_payment('ACME', 10, 'EUR', 'bank', 'X1', '[{"invoice_id": %s, "amount": 1}, {"invoice_id": %s, "amount": 2}]')$$, :i7, :i7)) AS duplicate_invoice;
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', 10, 'EUR', 'bank', 'X1', '[{"invoice_id": 1.5, "amount": 1}]')$$) AS fractional_id;
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', 10, 'EUR', 'bank', 'X1', '[{"invoice_id": "7", "amount": 1}]')$$) AS string_id;
SELECT pg_temp.try(format($$SELECT ordermgmt.record_customer_payment('ACME', 10, 'EUR', 'bank', 'X1', '[{"invoice_id": %s, "amount": 0}]')$$, :i7)) AS zero_allocation;
SELECT pg_temp.try(format($$SELECT ordermgmt.record_customer_payment('ACME', 10, 'EUR', 'bank', 'X1', '[{"invoice_id": %s, "amount": -1}]')$$, :i7)) AS negative_allocation;
SELECT pg_temp.try(format($$SELECT ordermgmt.record_customer_payment('ACME', 10, 'EUR', 'bank', 'X1', '[{"invoice_id": %s, "amount": 0.001}]')$$, :i7)) AS sub_cent_allocation;
-- The arguments.
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('NOBODY', 10, 'EUR', 'bank', 'X1')$$) AS unknown_customer;
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment(NULL, 10, 'EUR', 'bank', 'X1')$$) AS null_customer;
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', NULL, 'EUR', 'bank', 'X1')$$) AS null_amount;
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', 10, NULL, 'bank', 'X1')$$) AS null_currency;
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', 10, 'EUR', NULL, 'X1')$$) AS null_method;
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', 10, 'EUR', 'bank', NULL)$$) AS null_reference;
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', 0, 'EUR', 'bank', 'X1')$$) AS zero_amount;
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', -5, 'EUR', 'bank', 'X1')$$) AS negative_amount;
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', 1.005, 'EUR', 'bank', 'X1')$$) AS sub_cent_amount;
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', 10, 'eur', 'bank', 'X1')$$) AS bad_currency;
SELECT pg_temp.try($$SELECT ordermgmt.record_customer_payment('ACME', 10, 'EUR', 'bank', '')$$) AS empty_reference;
SELECT pg_temp.try($$SELECT ordermgmt.apply_credit('NOBODY', 1, 1)$$) AS apply_unknown_customer;
SELECT pg_temp.try($$SELECT ordermgmt.apply_credit('ACME', 999, 1)$$) AS apply_unknown_invoice;
SELECT pg_temp.try($$SELECT ordermgmt.apply_credit('ACME', NULL, 1)$$) AS apply_null_invoice;
SELECT pg_temp.try($$SELECT ordermgmt.apply_credit('ACME', 1, 0)$$) AS apply_zero;
SELECT pg_temp.try($$SELECT ordermgmt.apply_credit('ACME', 1, 0.001)$$) AS apply_sub_cent;
SELECT pg_temp.try($$SELECT ordermgmt.refund_credit('NOBODY', 1, 'X')$$) AS refund_unknown_customer;
SELECT pg_temp.try($$SELECT ordermgmt.refund_credit('ACME', -1, 'X')$$) AS refund_negative;
SELECT pg_temp.try($$SELECT ordermgmt.refund_credit('ACME', 1, NULL)$$) AS refund_null_reference;
SELECT pg_temp.try($$SELECT ordermgmt.refund_credit('ACME', 1, 'X', 'usd')$$) AS refund_bad_currency;
SELECT count(*) AS receipts_after, (SELECT count(*) FROM ordermgmt.payment_allocations) AS allocations
  FROM ordermgmt.customer_payments;

-- The ledger: cash received 200 + 5 (OTHER) + 50 + 10 + 0.60 in EUR,
-- 5 + 10 in USD, less 6.60 EUR and 3 USD refunded; receivables are what
-- the invoices still say is due; customer credit holds what is unapplied.
SELECT account_code, currency, debit, credit, balance FROM ordermgmt.v_trial_balance
 WHERE account_code IN ('1000', '1100', '2300') ORDER BY account_code, currency;
SELECT currency, sum(balance) AS zero FROM ordermgmt.v_trial_balance GROUP BY currency ORDER BY currency;
SELECT * FROM ordermgmt.v_customer_balance ORDER BY customer, currency;
SELECT * FROM ordermgmt.v_customer_balance WHERE customer = 'OTHER';

SELECT check_name, detail FROM ordermgmt.verify() WHERE NOT ok;
-- verify() catches a credit row that does not match the receipts.
SET session_replication_role = replica;
UPDATE ordermgmt.customer_credit SET unapplied = unapplied + 1 WHERE customer_id = 2;
RESET session_replication_role;
SELECT check_name, detail FROM ordermgmt.verify() WHERE NOT ok;

DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
