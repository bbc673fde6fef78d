-- One receipt filling 1,000 backorders: 1,000 partial orders of one unit of
-- SKU-FILL (no stock) wait; then one statement brings 1,000 units, by
-- receive_stock or by receive_purchase of a purchase order placed for them,
-- and fills every one (lines, reservations, events, in FIFO order).  The
-- time is the statement's, commit included.  Three rounds of each.  Run by
-- bench/allocation.sh after its set-up.
\set QUIET on
\pset footer off
CREATE TEMP TABLE fill_timing (round int, path text, backorders bigint, ms numeric, left_waiting bigint);
INSERT INTO ordermgmt.suppliers (code, name, lead_time_days) VALUES ('BENCH-SUP', 'Bench supplier', 3)
    ON CONFLICT DO NOTHING;
\set n 1000
\set round 0
\ir backorder_fill_round.sql
\ir backorder_fill_round.sql
\ir backorder_fill_round.sql
\set QUIET off
SELECT path, round, backorders, ms, left_waiting FROM fill_timing ORDER BY path, round;
SELECT path, min(ms) AS min_ms, max(ms) AS max_ms FROM fill_timing GROUP BY path ORDER BY path;
