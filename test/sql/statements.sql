-- Statements and period close: a small business (receipts, a sale shipped
-- and invoiced, a part payment, a return with its credit note, a manual
-- entry) in the profit and loss, the balance sheet and the tax report with
-- exact amounts, before and after the ledger roll-up; back-dated entries
-- by plain SQL; close_period and everything it refuses (OM008), on every
-- path; a reversal of a closed period's entry, dated in the open one.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE sql; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;
-- A balanced entry of two lines written by hand, dated as given.
CREATE FUNCTION pg_temp.hand_entry(at timestamptz, memo text, debit_code text, credit_code text, amount numeric)
RETURNS bigint LANGUAGE sql AS $$
  WITH e AS (INSERT INTO ordermgmt.journal_entries (posted_at, memo, source_type, posted_by)
             VALUES (at, memo, 'manual', 'test') RETURNING entry_id),
       p AS (INSERT INTO ordermgmt.postings (entry_id, account_id, currency, debit, credit)
             SELECT e.entry_id, a.account_id, 'EUR', CASE WHEN a.code = debit_code THEN amount ELSE 0 END,
                    CASE WHEN a.code = credit_code THEN amount ELSE 0 END
               FROM e, ordermgmt.accounts a WHERE a.code IN (debit_code, credit_code))
  SELECT entry_id FROM e $$;
-- The statements, with this month's period shown as such.
CREATE VIEW pg_temp.pnl AS
SELECT CASE WHEN period = date_trunc('month', timezone('UTC', now()))::date THEN 'this month'
            ELSE period::text END AS period, account_code, account_name, amount, currency
  FROM ordermgmt.v_profit_and_loss;
CREATE VIEW pg_temp.tax AS
SELECT CASE WHEN period = date_trunc('month', timezone('UTC', now()))::date THEN 'this month'
            ELSE period::text END AS period, currency, tax_rate, invoiced_net, invoiced_tax,
       credited_net, credited_tax, net, tax
  FROM ordermgmt.v_tax_report;
-- Assets = liabilities + equity (with the result to date), per currency.
CREATE VIEW pg_temp.balanced AS
SELECT currency, sum(balance) FILTER (WHERE account_type = 'asset') AS assets,
       sum(balance) FILTER (WHERE account_type <> 'asset') AS liabilities_and_equity
  FROM ordermgmt.v_balance_sheet GROUP BY currency;

INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name) VALUES ('ACME', 'Acme');
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate) VALUES
  ('A', 'Widget', 10, 4, 0.2),
  ('B', 'Gadget', 25, 10, 0.1);
INSERT INTO ordermgmt.accounts (code, name, type) VALUES ('6000', 'Rent', 'expense'),
                                                        ('3000', 'Owner''s capital', 'equity');

-- nothing posted: empty statements
SELECT count(*) FROM ordermgmt.v_profit_and_loss;
SELECT count(*) FROM ordermgmt.v_balance_sheet;
SELECT count(*) FROM ordermgmt.v_tax_report;

-- receipts: inventory 40 + 100 against goods received
SELECT ordermgmt.receive_stock('A', 'MAIN', 10) > 0, ordermgmt.receive_stock('B', 'MAIN', 10) > 0;
-- the owner puts in 500 cash
SELECT ordermgmt.post_entry('capital', '[{"account": "1000", "debit": 500}, {"account": "3000", "credit": 500}]') > 0;
-- 4 A at 10 (20% tax) and 2 B at 25 (10% tax): shipped at cost 16 + 20,
-- invoiced 90 net + 8 + 5 tax = 103
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 4}, {"sku": "B", "qty": 2}]') AS o \gset
SELECT ordermgmt.ship_order(:o) > 0;
SELECT ordermgmt.invoice_order(:o) AS i \gset
SELECT net, tax, total FROM ordermgmt.invoices WHERE invoice_id = :i;
SELECT ordermgmt.record_payment(:i, 50) > 0;
-- one A comes back: credit note 10 + 2 tax, cost of goods 4 reversed
SELECT ordermgmt.return_items(:o, '[{"sku": "A", "qty": 1}]', 'damaged') AS r \gset
SELECT credit_net, credit_tax FROM ordermgmt.returns WHERE return_id = :r;
SELECT line_no, credited_qty, tax_rate FROM ordermgmt.return_lines WHERE return_id = :r;
-- rent paid by hand
SELECT ordermgmt.post_entry('rent', '[{"account": "6000", "debit": 30}, {"account": "1000", "credit": 30}]') > 0;

-- revenue 90 - returns 10 - cost of goods 32 - rent 30: a result of 18
SELECT * FROM pg_temp.pnl;
SELECT sum(amount) AS result FROM ordermgmt.v_profit_and_loss;
-- cash 500 + 50 - 30, receivable 103 - 50 - 12, inventory 140 - 36 + 4;
-- goods received 140, tax payable 13 - 2, capital 500, result 18
SELECT * FROM ordermgmt.v_balance_sheet;
SELECT * FROM pg_temp.balanced;
-- tax: 20% on 40 less the credit note's 10, 10% on 50
SELECT * FROM pg_temp.tax;

-- rolled up, the statements read the month totals and say the same
SELECT ordermgmt.rollup_ledger() AS rolled_nothing_yet;
SELECT ordermgmt.rollup_ledger() = (SELECT count(*) FROM ordermgmt.postings) AS rolled_everything;
SELECT count(*) > 0 AS month_totals FROM ordermgmt.ledger_month_totals;
SELECT * FROM pg_temp.pnl;
SELECT * FROM pg_temp.balanced;

-- Back-dated entries by hand (as the owner could): January and February 2020
SELECT pg_temp.hand_entry('2020-01-15 12:00+00', 'January rent', '6000', '1000', 100) AS jan \gset
SELECT pg_temp.hand_entry('2020-02-10 12:00+00', 'February cash sale', '1000', '4000', 200) AS feb \gset
SELECT * FROM pg_temp.pnl WHERE period <> 'this month';

-- close_period: bad input is refused and nothing is written
SELECT pg_temp.try('SELECT ordermgmt.close_period(NULL)');
SELECT pg_temp.try('SELECT ordermgmt.close_period(''infinity'')');
SELECT pg_temp.try('SELECT ordermgmt.close_period(''-infinity'')');
SELECT pg_temp.try('SELECT ordermgmt.close_period(current_date + 30)');
SELECT pg_temp.try('SELECT ordermgmt.close_period(timezone(''UTC'', now())::date)');
SELECT count(*) AS closes FROM ordermgmt.ledger_closes;

-- January closed; an event tells
SELECT ordermgmt.close_period('2020-01-31');
SELECT closed_through, closed_by = session_user AS by_me, closed_at <= now() AS stamped
  FROM ordermgmt.ledger_closes;
SELECT kind, order_id, payload FROM ordermgmt.events WHERE kind = 'ledger.period_closed';
-- closing it again changes nothing; moving it back is refused
SELECT ordermgmt.close_period('2020-01-31');
SELECT pg_temp.try('SELECT ordermgmt.close_period(''2019-12-31'')');
SELECT count(*) AS closes FROM ordermgmt.ledger_closes;

-- An entry dated in January is refused, on the last second of it too (UTC
-- days, whatever the session's time zone); February 1st is open
SELECT pg_temp.try('SELECT pg_temp.hand_entry(''2020-01-20 12:00+00'', ''late'', ''6000'', ''1000'', 5)');
SELECT pg_temp.try('SELECT pg_temp.hand_entry(''2020-01-31 23:59:59+00'', ''late'', ''6000'', ''1000'', 5)');
SET TimeZone = 'America/New_York';
SELECT pg_temp.try('SELECT pg_temp.hand_entry(''2020-01-31 18:59:59-05'', ''late'', ''6000'', ''1000'', 5)');
SELECT pg_temp.try('SELECT pg_temp.hand_entry(''2020-01-31 19:00:00-05'', ''first of February'', ''1000'', ''4000'', 5)');
RESET TimeZone;
-- the entry alone, or a posting added to a January entry, as well
SELECT pg_temp.try($$INSERT INTO ordermgmt.journal_entries (posted_at, memo, source_type, posted_by)
                     VALUES ('2020-01-02', 'no lines', 'manual', 'test')$$);
SELECT pg_temp.try(format($$INSERT INTO ordermgmt.postings (entry_id, account_id, currency, debit, credit)
                            SELECT %s, account_id, 'EUR', 0, 1 FROM ordermgmt.accounts WHERE code = '1000'$$, :jan));
-- the refusal names the period
SELECT pg_temp.hand_entry('2020-01-20 12:00+00', 'late', '6000', '1000', 5);
-- only the first of February got in
SELECT memo, timezone('UTC', posted_at) AS posted_at_utc FROM ordermgmt.journal_entries
 WHERE posted_at < '2020-03-01' ORDER BY entry_id;

-- February's postings may still grow; a posting to February's entry is
-- open (and must balance at commit)
BEGIN;
SELECT pg_temp.try(format($$INSERT INTO ordermgmt.postings (entry_id, account_id, currency, debit, credit)
                            SELECT %s, account_id, 'EUR', CASE WHEN code = '1000' THEN 1 ELSE 0 END,
                                   CASE WHEN code = '4000' THEN 1 ELSE 0 END
                              FROM ordermgmt.accounts WHERE code IN ('1000', '4000')$$, :feb));
ROLLBACK;

-- The correction of January's rent is a reversal dated today, in the
-- open period: January stays as closed, this month takes the reversal
SELECT ordermgmt.reverse_entry(:jan) AS rev \gset
SELECT timezone('UTC', posted_at)::date = timezone('UTC', now())::date AS dated_today, reverses_entry_id = :jan
  FROM ordermgmt.journal_entries WHERE entry_id = :rev;
SELECT * FROM pg_temp.pnl WHERE account_code = '6000';

-- A close within a transaction holds for the rest of it: February is
-- posted to, closed, and then refused
BEGIN;
SELECT pg_temp.hand_entry('2020-02-20 12:00+00', 'February rent', '6000', '1000', 100) > 0 AS posted;
SELECT ordermgmt.close_period('2020-02-29');
SELECT pg_temp.hand_entry('2020-02-21 12:00+00', 'late', '6000', '1000', 5);
ROLLBACK;
SELECT ordermgmt.close_period('2020-02-29');
SELECT closed_through FROM ordermgmt.ledger_closes ORDER BY close_id;
SELECT pg_temp.try('SELECT pg_temp.hand_entry(''2020-02-21 12:00+00'', ''late'', ''6000'', ''1000'', 5)');

-- The API posts today, as ever
SELECT ordermgmt.post_entry('rent', '[{"account": "6000", "debit": 30}, {"account": "1000", "credit": 30}]') > 0;
SELECT ordermgmt.record_payment(:i, 41) > 0;

SELECT * FROM pg_temp.pnl;
SELECT * FROM ordermgmt.v_balance_sheet;
SELECT * FROM pg_temp.balanced;
-- rolled up again: the same
SELECT ordermgmt.rollup_ledger() AS armed;
SELECT ordermgmt.rollup_ledger() > 0 AS rolled;
SELECT (SELECT max(upto_posting_id) FROM ordermgmt.ledger_rollup) = (SELECT max(posting_id) FROM ordermgmt.postings)
       AS rolled_everything;
SELECT * FROM pg_temp.pnl;
SELECT * FROM pg_temp.balanced;

-- verify() recomputes the month totals from the postings and finds a
-- change to them; every other check holds
SELECT check_name, detail FROM ordermgmt.verify() WHERE NOT ok;
UPDATE ordermgmt.ledger_month_totals SET debit = debit + 7, credit = credit + 7
 WHERE month = '2020-01-01' AND account_id = (SELECT account_id FROM ordermgmt.accounts WHERE code = '6000');
SELECT check_name, detail FROM ordermgmt.verify() WHERE NOT ok;

-- a pg_restore-like raw load (a superuser's COPY) passes old rows through
COPY ordermgmt.journal_entries (posted_at, memo, source_type, posted_by) FROM stdin;
2020-01-05 10:00:00+00	restored	manual	test
\.
SELECT count(*) AS restored FROM ordermgmt.journal_entries WHERE memo = 'restored';

DROP EXTENSION ordermgmt CASCADE;
CREATE EXTENSION ordermgmt;
