-- create_order: 1-3 distinct SKUs, 1-5 units each, for a random customer;
-- one order in three is promised between 2 hours ago and 2 days ahead, one
-- in four is in USD
\set cust random(1, :customers)
\set first random(0, :skus - 1)
\set step random(1, 9)
\set n random(1, 3)
\set promise random(0, 2)
\set dollars random(0, 3)
SELECT ordermgmt.create_order(format('C%s', lpad(:cust::text, 2, '0')),
       (SELECT jsonb_agg(jsonb_build_object(
                 'sku', format('SKU%s', lpad(((:first + k * :step) % :skus + 1)::text, 2, '0')),
                 'qty', 1 + floor(random() * 5)::int))
          FROM generate_series(0, :n - 1) AS k),
       CASE WHEN :promise = 0
            THEN jsonb_build_object('promised_at', now() + (random() * 50 - 2) * interval '1 hour')
            ELSE '{}' END
       || CASE WHEN :dollars = 0 THEN '{"currency": "USD"}'::jsonb ELSE '{}'::jsonb END);
