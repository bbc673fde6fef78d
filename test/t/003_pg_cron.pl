# The pg_cron path of the README, really run: the ordermgmt worker not
# preloaded, pg_cron (the Debian package) scheduling monitor_tick,
# rollup_ledger and rollup_reports every minute as the README says.
# Within the schedule a due alert is raised, the ledger and the reports
# are rolled up, and a failing job is visible in cron.job_run_details.
#
# pg_cron 1.4 (Debian 12) schedules by the minute: the test waits for up
# to three runs, about three minutes.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $pkglibdir = `pg_config --pkglibdir`;
chomp $pkglibdir;
plan skip_all => 'pg_cron is not installed (scripts/common.sh installs postgresql-15-cron)'
  unless -e "$pkglibdir/pg_cron.so";

my $db = 'shop';
my $node = PostgreSQL::Test::Cluster->new('cron');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_cron'
cron.database_name = '$db'
# jobs run in background workers: no libpq connection to configure
cron.use_background_workers = on
max_worker_processes = 16
});
$node->start;
$node->safe_psql('postgres', "CREATE DATABASE $db");
$node->safe_psql($db, q{
CREATE EXTENSION pg_cron;
CREATE EXTENSION ordermgmt;
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name, credit_limit) VALUES ('ACME', 'Acme', NULL);
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost) VALUES ('A', 'Widget', 10, 4);
SELECT ordermgmt.receive_stock('A', 'MAIN', 100);
});

# An order promised an hour ago: its delivery is late, which only a tick
# can tell (L3_DELIVERY_LATE is a deadline rule).
my $order = $node->safe_psql($db, q{
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 2}]',
                              jsonb_build_object('promised_at', now() - interval '1 hour'))});
$node->safe_psql($db, "SELECT ordermgmt.ship_order($order)");
$node->safe_psql($db, "SELECT ordermgmt.invoice_order($order)");
my $last_posting = $node->safe_psql($db, 'SELECT max(posting_id) FROM ordermgmt.postings');
my $last_event = $node->safe_psql($db, 'SELECT max(event_id) FROM ordermgmt.events');
is($node->safe_psql($db, "SELECT count(*) FROM ordermgmt.alerts WHERE rule_code = 'L3_DELIVERY_LATE'"),
	'0', 'no late-delivery alert before a tick');

# The README's schedule, plus a job that fails (a negative retention).
$node->safe_psql($db, q{
SELECT cron.schedule('ordermgmt', '* * * * *', 'SELECT ordermgmt.monitor_tick()');
SELECT cron.schedule('ordermgmt-ledger', '* * * * *', 'SELECT ordermgmt.rollup_ledger()');
SELECT cron.schedule('ordermgmt-reports', '* * * * *', 'SELECT ordermgmt.rollup_reports()');
SELECT cron.schedule('ordermgmt-broken', '* * * * *', $$SELECT ordermgmt.purge_history('-1 day')$$);
});

my $minutes = 4;
$PostgreSQL::Test::Utils::timeout_default = 60 * $minutes;
ok($node->poll_query_until($db, q{
SELECT count(*) = 1 FROM ordermgmt.alerts WHERE rule_code = 'L3_DELIVERY_LATE' AND status = 'open'}),
	'the scheduled monitor_tick raised the late-delivery alert');
# Each roll-up arms its horizon on one run and adds up to it on the next.
ok($node->poll_query_until($db, qq{
SELECT coalesce((SELECT upto_posting_id FROM ordermgmt.ledger_rollup), 0) >= $last_posting}),
	'the scheduled rollup_ledger rolled the ledger up');
ok($node->poll_query_until($db, qq{
SELECT coalesce((SELECT upto_event_id FROM ordermgmt.report_rollup), 0) >= $last_event}),
	'the scheduled rollup_reports rolled the reports up');
ok($node->poll_query_until($db, q{
SELECT EXISTS (SELECT 1 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                WHERE j.jobname = 'ordermgmt-broken' AND d.status = 'failed'
                  AND d.return_message LIKE '%older_than must not be negative%')}),
	'the failing job is recorded as failed, with its error');
is($node->safe_psql($db, q{
SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
 WHERE j.jobname <> 'ordermgmt-broken' AND d.status = 'failed'}),
	'0', 'no other job failed');
is($node->safe_psql($db, q{SELECT count(*) FROM ordermgmt.verify() WHERE NOT ok}),
	'0', 'verify() finds nothing wrong');

$node->stop;
done_testing();
