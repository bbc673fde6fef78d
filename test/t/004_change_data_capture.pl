# Change data capture (docs/change-data-capture.md):
#
#  1. a publication of the outbox (ordermgmt.events) and one of the
#     business tables, consumed by a second cluster through logical
#     replication: after a mixed workload (placement, holds, shipments,
#     invoices, payments, returns, cancellations) the subscriber's copy of
#     every published table equals the source's;
#  2. the same outbox read by pg_recvlogical with test_decoding, as a
#     downstream system without PostgreSQL would: every event committed
#     on the source is in its stream, once (in commit order, which is id
#     order here: one writer).
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $db = 'shop';
my @business = qw(customers products warehouses orders order_lines order_status_history
  stock stock_moves shipments shipment_lines invoices invoice_lines payments returns return_lines);

my $source = PostgreSQL::Test::Cluster->new('source');
$source->init(allows_streaming => 'logical');
$source->start;
$source->safe_psql('postgres', "CREATE DATABASE $db");
$source->safe_psql($db, q{
CREATE EXTENSION ordermgmt;
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name, credit_limit) VALUES ('ACME', 'Acme', NULL), ('BETA', 'Beta', 120);
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate)
VALUES ('A', 'Widget', 10, 4, 0.2), ('B', 'Gadget', 25, 10, 0.1);
SELECT ordermgmt.receive_stock('A', 'MAIN', 500), ordermgmt.receive_stock('B', 'MAIN', 500);
});

# The publications, and a slot for the outbox stream, before the workload.
my $tables = join(', ', map { "ordermgmt.$_" } @business);
$source->safe_psql($db, qq{
CREATE PUBLICATION ordermgmt_outbox FOR TABLE ordermgmt.events;
CREATE PUBLICATION ordermgmt_business FOR TABLE $tables;
SELECT pg_create_logical_replication_slot('outbox_stream', 'test_decoding');
});

# The subscriber: the same schema (the extension, installed, no worker),
# filled by the apply worker, which runs as replica: the extension's
# triggers do not fire again there.
my $sink = PostgreSQL::Test::Cluster->new('sink');
$sink->init;
$sink->start;
$sink->safe_psql('postgres', "CREATE DATABASE $db");
$sink->safe_psql($db, 'CREATE EXTENSION ordermgmt');
my $connstr = 'host=' . $source->host . ' port=' . $source->port . " dbname=$db";
$sink->safe_psql($db, qq{
CREATE SUBSCRIPTION warehouse_feed CONNECTION '$connstr'
    PUBLICATION ordermgmt_outbox, ordermgmt_business});
$sink->wait_for_subscription_sync($source, 'warehouse_feed');

# A mixed workload after the initial copy.
$source->safe_psql($db, q{
SELECT ordermgmt.create_order(CASE WHEN i % 4 = 0 THEN 'BETA' ELSE 'ACME' END,
                              jsonb_build_array(jsonb_build_object('sku', 'A', 'qty', 1 + i % 3),
                                                jsonb_build_object('sku', 'B', 'qty', 1)))
  FROM generate_series(1, 60) AS i;
SELECT ordermgmt.cancel_order(o.order_id, 'changed their mind')
  FROM ordermgmt.orders o WHERE o.status = 'on_hold' AND o.order_id % 2 = 0;
SELECT ordermgmt.confirm_delivery(ordermgmt.ship_order(o.order_id))
  FROM ordermgmt.orders o WHERE o.status = 'confirmed' AND o.order_id % 3 <> 0;
SELECT ordermgmt.invoice_order(o.order_id) FROM ordermgmt.orders o WHERE o.status = 'delivered';
SELECT ordermgmt.record_payment(i.invoice_id, i.due, 'bank') FROM ordermgmt.invoices i WHERE i.invoice_id % 2 = 0;
SELECT ordermgmt.return_items(o.order_id, '[{"sku": "B", "qty": 1}]', 'damaged')
  FROM ordermgmt.orders o WHERE o.status IN ('delivered', 'completed') AND o.order_id % 5 = 0;
});
$source->wait_for_catchup('warehouse_feed');

foreach my $table ('events', @business)
{
	my $sql = qq{SELECT count(*) || ' rows, ' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))
                   FROM ordermgmt.$table t};
	my $at_source = $source->safe_psql($db, $sql);
	is($sink->safe_psql($db, $sql), $at_source, "$table: the subscriber's copy equals the source ($at_source)");
}
cmp_ok($source->safe_psql($db, 'SELECT count(*) FROM ordermgmt.events'), '>', 300,
	'the workload wrote hundreds of events');

# The outbox as a stream, read up to the source's current position.
my $endpos = $source->safe_psql($db, 'SELECT pg_current_wal_lsn()');
my $stream = "${PostgreSQL::Test::Utils::tmp_check}/outbox_stream.txt";
my ($out, $err);
IPC::Run::run([ 'pg_recvlogical', '-d', $connstr, '--slot', 'outbox_stream',
		'--start', '--endpos', $endpos, '--no-loop', '-f', $stream ], '>', \$out, '2>', \$err)
  or diag("pg_recvlogical: $err");
my @ids = map { /table ordermgmt\.events: INSERT: event_id\[bigint\]:(\d+)/ ? $1 : () }
  split /\n/, slurp_file($stream);
my @committed = split /\n/, $source->safe_psql($db, 'SELECT event_id FROM ordermgmt.events ORDER BY event_id');
is(join(',', @ids), join(',', @committed), 'the stream carries every committed event once (one writer: in id order)');

$sink->stop;
$source->stop;
done_testing();
