-- Currencies: exchange rates to the company currency (EUR here), every
-- posting's company amount, invoices carried at their issue date's rate,
-- exchange differences on payments and credit notes, stock valued in the
-- company currency, credit limits converted, statements in the company
-- currency.  Amounts checked to the cent.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;
-- The postings of the last entry of a document, in both currencies.
CREATE FUNCTION pg_temp.entry(kind text, id bigint)
RETURNS TABLE (account text, currency char(3), debit numeric, credit numeric,
               company_debit numeric, company_credit numeric)
LANGUAGE sql AS $$
  SELECT a.code, p.currency, p.debit, p.credit, p.company_debit, p.company_credit
    FROM ordermgmt.postings p JOIN ordermgmt.accounts a USING (account_id)
   WHERE p.entry_id = (SELECT max(entry_id) FROM ordermgmt.journal_entries
                        WHERE source_type = kind AND source_id = id)
   ORDER BY p.posting_id $$;
CREATE VIEW pg_temp.today AS SELECT timezone('UTC', now())::date AS d;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate) VALUES
  ('P', 'Pump', 100, 40, 0.2);
INSERT INTO ordermgmt.customers (code, name, credit_limit, credit_currency) VALUES
  ('YANK', 'US customer, limit in EUR', 1000, NULL),
  ('FREE', 'No limit', NULL, NULL),
  ('DOLLAR', 'Limit in USD', 300, 'USD');
SELECT v.value AS company_currency FROM ordermgmt.v_settings v WHERE v.key = 'company_currency';

--------------------------------------------------------------------------
-- Stock is valued in the company currency whatever the orders' currency
--------------------------------------------------------------------------
SELECT ordermgmt.receive_stock('P', 'MAIN', 20, 40) AS m1 \gset
SELECT * FROM pg_temp.entry('receipt', :m1);

--------------------------------------------------------------------------
-- Rates: none for the company currency, positive, ISO codes
--------------------------------------------------------------------------
SELECT q, pg_temp.try(q) AS result FROM (VALUES
  ($$INSERT INTO ordermgmt.exchange_rates VALUES ('EUR', '2000-01-01', 1)$$),
  ($$INSERT INTO ordermgmt.exchange_rates VALUES ('USD', '2000-01-01', 0)$$),
  ($$INSERT INTO ordermgmt.exchange_rates VALUES ('USD', '2000-01-01', -1)$$),
  ($$INSERT INTO ordermgmt.exchange_rates VALUES ('usd', '2000-01-01', 1)$$),
  ($$INSERT INTO ordermgmt.exchange_rates VALUES ('USD', NULL, 1)$$),
  ($$INSERT INTO ordermgmt.settings VALUES ('company_currency', 'euro')$$),
  ($$UPDATE ordermgmt.customers SET credit_currency = 'us' WHERE code = 'FREE'$$)
) AS t(q);

--------------------------------------------------------------------------
-- A missing rate is refused, and nothing is written
--------------------------------------------------------------------------
-- the credit check must convert: refused before the order exists
SELECT pg_temp.try($$SELECT ordermgmt.create_order('YANK', '[{"sku": "P", "qty": 2}]', '{"currency": "USD"}')$$);
SELECT count(*) AS orders FROM ordermgmt.orders;
-- without a limit the order confirms; invoicing needs the rate
SELECT ordermgmt.create_order('FREE', '[{"sku": "P", "qty": 1}]', '{"currency": "USD"}') AS f1 \gset
SELECT ordermgmt.ship_order(:f1, NULL) > 0 AS shipped;
SELECT pg_temp.try(format('SELECT ordermgmt.invoice_order(%s)', :f1));
SELECT count(*) AS invoices FROM ordermgmt.invoices;

--------------------------------------------------------------------------
-- An order in USD for a limit in EUR: 2 P = 200 + 40 tax = 240 USD, at
-- 0.9 EUR per USD 216 EUR, within 1000
--------------------------------------------------------------------------
INSERT INTO ordermgmt.exchange_rates VALUES ('USD', '2000-01-01', 0.9);
SELECT ordermgmt.create_order('YANK', '[{"sku": "P", "qty": 2}]', '{"currency": "USD"}') AS o1 \gset
SELECT status, currency FROM ordermgmt.orders WHERE order_id = :o1;
-- shipping posts the cost of goods in EUR: 2 x 40
SELECT ordermgmt.ship_order(:o1, NULL) AS s1 \gset
SELECT * FROM pg_temp.entry('shipment', :s1);
-- the invoice: 240 USD, carried at 0.9 = 216 EUR (180 revenue, 36 tax)
SELECT ordermgmt.invoice_order(:o1) AS i1 \gset
SELECT total, currency, company_rate FROM ordermgmt.invoices WHERE invoice_id = :i1;
SELECT * FROM pg_temp.entry('invoice', :i1);

--------------------------------------------------------------------------
-- The dollar rises to 0.95 today: payments bring more euros than the
-- receivable carries, the difference is an exchange gain
--------------------------------------------------------------------------
INSERT INTO ordermgmt.exchange_rates SELECT 'USD', d, 0.95 FROM pg_temp.today;
-- 100 USD: cash 95 EUR, receivable cleared 216 x 100/240 = 90, gain 5
SELECT ordermgmt.record_payment(:i1, 100, 'wire', 'Y-1') AS p1 \gset
SELECT * FROM pg_temp.entry('payment', :p1);
-- the rest, 140 USD: cash 133, cleared 216 - 90 = 126, gain 7
SELECT ordermgmt.record_payment(:i1, 140, 'wire', 'Y-2') AS p2 \gset
SELECT * FROM pg_temp.entry('payment', :p2);
-- the invoice's receivable is cleared in both currencies
SELECT currency, sum(debit - credit) AS balance, sum(company_debit - company_credit) AS company_balance
  FROM ordermgmt.postings p JOIN ordermgmt.accounts a USING (account_id)
 WHERE a.code = '1100' GROUP BY currency ORDER BY currency;

--------------------------------------------------------------------------
-- A credit note clears the receivable at its invoice's rate
--------------------------------------------------------------------------
-- o2: 3 P = 360 USD invoiced at 0.95 (342 EUR); 1 P comes back at 1.00
SELECT ordermgmt.create_order('YANK', '[{"sku": "P", "qty": 3}]', '{"currency": "USD"}') AS o2 \gset
SELECT ordermgmt.ship_order(:o2, NULL) > 0 AS shipped;
SELECT ordermgmt.invoice_order(:o2) AS i2 \gset
SELECT total, company_rate FROM ordermgmt.invoices WHERE invoice_id = :i2;
UPDATE ordermgmt.exchange_rates SET rate = 1.00 WHERE currency = 'USD' AND valid_from = (SELECT d FROM pg_temp.today);
-- the credit note, 100 + 20 tax = 120 USD: returns and tax at today's
-- 1.00 (120 EUR), the receivable cleared at the invoice's rate,
-- 342 x 120/360 = 114 EUR; the 6 between them is an exchange difference;
-- the goods come back at their cost, 40 EUR
SELECT ordermgmt.return_items(:o2, '[{"sku": "P", "qty": 1}]', 'damaged') AS r1 \gset
SELECT * FROM pg_temp.entry('return', :r1);
SELECT due, credited FROM ordermgmt.invoices WHERE invoice_id = :i2;

--------------------------------------------------------------------------
-- One receipt in EUR for a dollar invoice: converted at today's rate,
-- through the currency exchange account, each currency balanced
--------------------------------------------------------------------------
-- i2 still has 240 USD due, carried at 0.95; 50 EUR at today's 1.00 EUR
-- per USD pay 50 USD of it, which clear, cumulatively at the invoice's
-- rate, round(342 x 170/360) - round(342 x 120/360) = 161.50 - 114.00 =
-- 47.50 EUR of its receivable: an exchange gain of 2.50
SELECT ordermgmt.record_customer_payment('YANK', 50, 'EUR', 'wire', 'EU-1',
         jsonb_build_array(jsonb_build_object('invoice_id', :i2, 'amount', 50))) AS cp1 \gset
SELECT amount, currency, source_amount, source_currency FROM ordermgmt.payment_allocations
 WHERE customer_payment_id = :cp1;
SELECT * FROM pg_temp.entry('payment', (SELECT payment_id FROM ordermgmt.payment_allocations
                                        WHERE customer_payment_id = :cp1));
SELECT due FROM ordermgmt.invoices WHERE invoice_id = :i2;
SELECT currency, unapplied FROM ordermgmt.customer_credit
 WHERE customer_id = (SELECT customer_id FROM ordermgmt.customers WHERE code = 'YANK') ORDER BY currency;

--------------------------------------------------------------------------
-- A limit in USD: a EUR order converts into it at today's rate (1.25)
--------------------------------------------------------------------------
UPDATE ordermgmt.exchange_rates SET rate = 1.25 WHERE currency = 'USD' AND valid_from = (SELECT d FROM pg_temp.today);
-- 2 P in EUR = 240 EUR = 192 USD at 1.25 EUR per USD: within 300
SELECT ordermgmt.create_order('DOLLAR', '[{"sku": "P", "qty": 2}]') AS d1 \gset
SELECT status FROM ordermgmt.orders WHERE order_id = :d1;
-- another 1 P = 120 EUR = 96 USD; 192 + 96 = 288 fits; 1 more does not
SELECT ordermgmt.create_order('DOLLAR', '[{"sku": "P", "qty": 1}]') AS d2 \gset
SELECT status FROM ordermgmt.orders WHERE order_id = :d2;
SELECT ordermgmt.create_order('DOLLAR', '[{"sku": "P", "qty": 1}]') AS d3 \gset
SELECT status, hold_reason FROM ordermgmt.orders WHERE order_id = :d3;
SELECT details FROM ordermgmt.alerts WHERE order_id = :d3 AND rule_code = 'L1_CREDIT_LIMIT';

--------------------------------------------------------------------------
-- Manual entries: company amounts at today's rate, rounded per currency
-- so that they balance
--------------------------------------------------------------------------
UPDATE ordermgmt.exchange_rates SET rate = 0.333 WHERE currency = 'USD' AND valid_from = (SELECT d FROM pg_temp.today);
-- three debits of 1.00 USD are 0.33 EUR each; the 3.00 USD credit is
-- 1.00 EUR, moved to 0.99 so that the entry balances
SELECT ordermgmt.post_entry('rounding', '[{"account": "1000", "debit": 1, "currency": "USD"},
  {"account": "1000", "debit": 1, "currency": "USD"}, {"account": "1000", "debit": 1, "currency": "USD"},
  {"account": "4000", "credit": 3, "currency": "USD"}]') AS e1 \gset
SELECT a.code, p.debit, p.credit, p.company_debit, p.company_credit
  FROM ordermgmt.postings p JOIN ordermgmt.accounts a USING (account_id)
 WHERE p.entry_id = :e1 ORDER BY p.posting_id;
-- a reversal takes back the same company amounts, whatever today's rate
UPDATE ordermgmt.exchange_rates SET rate = 2 WHERE currency = 'USD' AND valid_from = (SELECT d FROM pg_temp.today);
SELECT ordermgmt.reverse_entry(:e1) AS e2 \gset
SELECT a.code, p.debit, p.credit, p.company_debit, p.company_credit
  FROM ordermgmt.postings p JOIN ordermgmt.accounts a USING (account_id)
 WHERE p.entry_id = :e2 ORDER BY p.posting_id;
-- a plain INSERT without company amounts gets them at its entry's rate
BEGIN;
INSERT INTO ordermgmt.journal_entries (memo, source_type, posted_by) VALUES ('by hand', 'manual', 'test');
INSERT INTO ordermgmt.postings (entry_id, account_id, currency, debit, credit)
SELECT currval('ordermgmt.journal_entries_entry_id_seq'), account_id, 'USD', d, c
  FROM ordermgmt.accounts, (VALUES ('1000', 10, 0), ('4000', 0, 10)) AS v(code, d, c) WHERE accounts.code = v.code;
COMMIT;
SELECT currency, debit, credit, company_debit, company_credit FROM ordermgmt.postings
 WHERE entry_id = currval('ordermgmt.journal_entries_entry_id_seq') ORDER BY posting_id;
-- ... and one whose company amounts do not balance is refused at commit
BEGIN;
INSERT INTO ordermgmt.journal_entries (memo, source_type, posted_by) VALUES ('skewed', 'manual', 'test');
INSERT INTO ordermgmt.postings (entry_id, account_id, currency, debit, credit, company_debit, company_credit)
SELECT currval('ordermgmt.journal_entries_entry_id_seq'), account_id, 'USD', d, c, cd, cc
  FROM ordermgmt.accounts, (VALUES ('1000', 10, 0, 20, 0), ('4000', 0, 10, 0, 19)) AS v(code, d, c, cd, cc)
 WHERE accounts.code = v.code;
COMMIT;

--------------------------------------------------------------------------
-- The statements, in the company currency
--------------------------------------------------------------------------
SELECT account_code, currency, balance, company_balance FROM ordermgmt.v_trial_balance ORDER BY 1, 2;
SELECT sum(company_balance) AS company_total FROM ordermgmt.v_trial_balance;
SELECT account_code, account_name, amount, currency FROM ordermgmt.v_profit_and_loss ORDER BY account_code;
SELECT account_type, account_code, balance, currency FROM ordermgmt.v_balance_sheet;
SELECT sum(balance) FILTER (WHERE account_type = 'asset')
       = sum(balance) FILTER (WHERE account_type <> 'asset') AS balanced
  FROM ordermgmt.v_balance_sheet;
-- the roll-up keeps the company amounts; the statements do not move
-- (the first call arms the roll-up, the second adds what has settled)
SELECT ordermgmt.rollup_ledger() >= 0 AS armed;
SELECT ordermgmt.rollup_ledger() > 0 AS rolled;
SELECT count(*) > 0 AS rows, sum(company_debit) = sum(company_credit) AS totals_balance FROM ordermgmt.ledger_totals;
SELECT account_code, amount FROM ordermgmt.v_profit_and_loss ORDER BY account_code;

SELECT check_name, detail FROM ordermgmt.verify() WHERE NOT ok;

DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
