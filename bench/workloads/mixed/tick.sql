-- monitor_tick at a simulated time that runs :speedup times faster than
-- the real one from :start_epoch (a Unix time), so that deadlines of hours
-- and days fall due during a run of minutes
SELECT ordermgmt.monitor_tick(now() + (extract(epoch FROM clock_timestamp()) - :start_epoch)
                                      * :speedup * interval '1 second');
