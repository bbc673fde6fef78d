-- today's USD rate to the company currency moves between 0.85 and 0.95
SELECT try('rate', format($$INSERT INTO ordermgmt.exchange_rates VALUES ('USD', %L, %s)
                            ON CONFLICT (currency, valid_from) DO UPDATE SET rate = excluded.rate$$,
                          timezone('UTC', now())::date, round(0.85 + random()::numeric * 0.1, 4)));
