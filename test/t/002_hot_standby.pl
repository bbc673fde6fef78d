# Reporting on a hot standby.  A streaming replica made with pg_basebackup
# from a primary with history on it:
#
#  1. once it has replayed, every reporting view returns the same rows on
#     the standby as on the primary (the columns computed from now()
#     aside: they move between the two reads);
#  2. the background worker, preloaded on both, does nothing on the
#     standby (no worker process, no error in its log) and starts working
#     when the standby is promoted: its roll-up then covers the orders
#     placed on the new primary;
#  3. the API, monitor_tick, the roll-ups and events_since() fail on the
#     standby with SQLSTATE 25006 (read-only transaction), not a crash.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $db = 'shop';
my $conf = qq{
shared_preload_libraries = 'ordermgmt'
ordermgmt.database = '$db'
ordermgmt.monitor_interval = 1
};

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', $conf);
$primary->start;
$primary->safe_psql('postgres', "CREATE DATABASE $db");
$primary->safe_psql($db, q{
CREATE EXTENSION ordermgmt;
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name, credit_limit) VALUES ('ACME', 'Acme', NULL), ('BETA', 'Beta', 100);
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate)
VALUES ('A', 'Widget', 10, 4, 0.2), ('B', 'Gadget', 25, 10, 0.1);
SELECT ordermgmt.receive_stock('A', 'MAIN', 1000), ordermgmt.receive_stock('B', 'MAIN', 1000);
});

# Some history of every kind: delivered, paid, returned and rated orders,
# orders on hold (BETA's credit limit), drafts, a ticket.
sub business
{
	my ($node, $n) = @_;
	$node->safe_psql($db, qq{
SELECT ordermgmt.create_order(CASE WHEN i % 5 = 0 THEN 'BETA' ELSE 'ACME' END,
                              jsonb_build_array(jsonb_build_object('sku', 'A', 'qty', 1 + i % 3),
                                                jsonb_build_object('sku', 'B', 'qty', 1)),
                              jsonb_build_object('submit', i % 7 <> 0))
  FROM generate_series(1, $n) AS i;
SELECT ordermgmt.confirm_delivery(ordermgmt.ship_order(o.order_id))
  FROM ordermgmt.orders o WHERE o.status = 'confirmed' AND o.order_id % 2 = 0;
SELECT ordermgmt.invoice_order(o.order_id)
  FROM ordermgmt.orders o WHERE o.status = 'delivered' AND o.order_id % 4 = 0
   AND NOT EXISTS (SELECT 1 FROM ordermgmt.invoices i WHERE i.order_id = o.order_id);
SELECT ordermgmt.record_payment(i.invoice_id, i.due, 'bank')
  FROM ordermgmt.invoices i WHERE i.due > 0 AND i.order_id % 8 = 0;
SELECT ordermgmt.record_feedback(o.order_id, 1 + o.order_id::int % 5, NULL)
  FROM ordermgmt.orders o WHERE o.status IN ('delivered', 'completed')
   AND NOT EXISTS (SELECT 1 FROM ordermgmt.feedback f WHERE f.order_id = o.order_id);
SELECT ordermgmt.open_ticket(o.order_id, 'late', 'high')
  FROM ordermgmt.orders o WHERE o.status = 'delivered' AND o.order_id % 3 = 0
   AND NOT EXISTS (SELECT 1 FROM ordermgmt.tickets t WHERE t.order_id = o.order_id);
});
}
business($primary, 40);

$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->append_conf('postgresql.conf', $conf);
$standby->start;

# More history after the base backup: the standby has it through streaming.
business($primary, 40);
$primary->wait_for_catchup($standby, 'replay');

# 1. Every reporting view, row for row (the interval columns aside).
my @views = split /\n/, $primary->safe_psql($db, q{
SELECT c.relname FROM pg_class c
 WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind = 'v' AND c.relname LIKE 'v\_%'
 ORDER BY 1});
ok(@views >= 15, 'the reporting views are listed (' . scalar(@views) . ')');
foreach my $view (@views)
{
	my $cols = $primary->safe_psql($db, qq{
SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)
  FROM information_schema.columns
 WHERE table_schema = 'ordermgmt' AND table_name = '$view' AND data_type <> 'interval'});
	my $sql = qq{SELECT count(*) || ' rows, ' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))
                   FROM (SELECT $cols FROM ordermgmt.$view) t};
	my $on_primary = $primary->safe_psql($db, $sql);
	my $on_standby = $standby->safe_psql($db, $sql);
	is($on_standby, $on_primary, "$view: the same rows on the standby ($on_primary)");
}
isnt($primary->safe_psql($db, 'SELECT count(*) FROM ordermgmt.v_order_status'), '0',
	'the views have rows to compare');

# 2. The worker: none on the standby, and nothing in its log.
is($standby->safe_psql($db,
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'ordermgmt worker'"),
	'0', 'no ordermgmt worker runs on the standby');
ok($primary->poll_query_until($db,
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'ordermgmt worker'"),
	'the worker runs on the primary');

# 3. Writes and the catch-up refuse with 25006 on the standby.
foreach my $call (
	q{SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]')},
	q{SELECT ordermgmt.monitor_tick()},
	q{SELECT ordermgmt.rollup_reports()},
	q{SELECT ordermgmt.rollup_ledger()},
	q{SELECT * FROM ordermgmt.events_since(0)})
{
	my ($rc, $out, $err) = $standby->psql($db, "\\set VERBOSITY verbose\n$call");
	ok($rc != 0 && $err =~ /25006/, "on the standby, $call fails read-only")
	  or diag("rc $rc: $err");
}
like($standby->safe_psql($db, q{SELECT 'still up'}), qr/still up/, 'the standby is still up');
my @problems = grep { /\b(ERROR|FATAL|PANIC):/ || /ordermgmt worker started|terminated by signal/ }
  split /\n/, slurp_file($standby->logfile);
my @unexpected = grep { !/ERROR:  (cannot execute .* in a read-only transaction|events_since\(\) cannot run on a standby)/ }
  @problems;
is(scalar(@problems), 5, 'the standby logged the five refusals above');
is(join("\n", @unexpected), '', 'and nothing else: no worker, no error of its, no crash');

# Promotion: the worker starts and rolls up what the new primary writes.
$primary->stop('immediate');
$standby->promote;
ok($standby->poll_query_until($db,
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'ordermgmt worker'"),
	'the worker starts on the promoted standby');
business($standby, 10);
ok($standby->poll_query_until($db, q{
SELECT r.upto_event_id >= (SELECT max(event_id) FROM ordermgmt.events)
  FROM ordermgmt.report_rollup r}),
	'its roll-up covers the events written after the promotion');
is($standby->safe_psql($db, q{SELECT count(*) FROM ordermgmt.verify() WHERE NOT ok}),
	'0', 'verify() finds nothing wrong on the promoted standby');
isnt($standby->safe_psql($db, q{SELECT count(*) FROM ordermgmt.events_since(0)}),
	'0', 'events_since() serves the new primary');

$standby->stop;
done_testing();
