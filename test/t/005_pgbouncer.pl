# Behind PgBouncer in transaction mode (docs/pgbouncer.md): the extension
# keeps no session state between transactions, so every API function and
# every view works through a pool where each transaction may run on
# another server connection.
#
#  1. the whole order-to-cash cycle, the after-sales calls, the alert
#     calls, a notice claimed and marked, and the admin functions, one call per transaction through the
#     pooler (two server connections, so that consecutive calls land on
#     different ones), and every reporting view read through it;
#  2. 40 pgbench clients on 2 server connections run the order-to-cash
#     cycle one statement per transaction without an error, and verify()
#     finds nothing wrong afterwards;
#  3. a setting a pooled client must not SET per session
#     (ordermgmt.notify) works when set for the role instead.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

plan skip_all => 'pgbouncer is not installed (scripts/common.sh installs it)'
  unless grep { -x "$_/pgbouncer" } (split(/:/, $ENV{PATH}), '/usr/sbin');
my ($pgbouncer) = grep { -x $_ } map { "$_/pgbouncer" } (split(/:/, $ENV{PATH}), '/usr/sbin');

my $db = 'shop';
my $node = PostgreSQL::Test::Cluster->new('pooled');
$node->init;
$node->append_conf('postgresql.conf', "max_connections = 40\n");
$node->start;
$node->safe_psql('postgres', "CREATE DATABASE $db");
$node->safe_psql($db, q{
CREATE EXTENSION ordermgmt;
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name, email, credit_limit) VALUES ('ACME', 'Acme', 'buyer@acme.example', NULL);
UPDATE ordermgmt.notification_templates SET enabled = true WHERE kind = 'order.confirmed';
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost, tax_rate) VALUES ('A', 'Widget', 10, 4, 0.2);
CREATE ROLE cfo LOGIN IN ROLE ordermgmt_approver;
});

# PgBouncer on its own Unix socket, transaction pooling, trusting the
# test's user as the cluster does.
my $user = $node->safe_psql('postgres', 'SELECT current_user');
my $dir = PostgreSQL::Test::Utils::tempdir;
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $host = $node->host;
my $node_port = $node->port;
PostgreSQL::Test::Utils::append_to_file("$dir/users.txt", qq{"$user" ""\n"cfo" ""\n});
PostgreSQL::Test::Utils::append_to_file("$dir/pgbouncer.ini", qq{
[databases]
$db = host=$host port=$node_port dbname=$db
[pgbouncer]
listen_addr =
unix_socket_dir = $dir
listen_port = $port
auth_type = trust
auth_file = $dir/users.txt
pool_mode = transaction
admin_users = $user
default_pool_size = 2
max_client_conn = 100
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
});
my $bouncer = IPC::Run::start([ $pgbouncer, "$dir/pgbouncer.ini" ]);
my $pooled = "host=$dir port=$port dbname=$db";
# pooled(SQL [, LOGIN]): one statement through the pooler, as the test's
# user or as LOGIN.
sub pooled
{
	my ($sql, $login) = @_;
	my ($out, $err) = ('', '');
	my $connstr = $login ? "$pooled user=$login" : $pooled;
	IPC::Run::run([ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $connstr, '-c', $sql ],
		'>', \$out, '2>', \$err);
	chomp $out;
	return ($out, $err);
}
my $ready = 0;
foreach (1 .. 50)
{
	my ($out) = pooled('SELECT 1');
	if ($out eq '1') { $ready = 1; last; }
	sleep 0.2;
}
ok($ready, 'pgbouncer accepts connections') or BAIL_OUT('pgbouncer did not start');

# 1. One call per transaction; two server connections serve them.
my ($order, $e1) = pooled(q{SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 2}]', '{"submit": false}')});
like($order, qr/^\d+$/, 'create_order (a draft) through the pooler') or diag($e1);
my @steps = (
	[ 'receive_stock', q{SELECT ordermgmt.receive_stock('A', 'MAIN', 100) > 0} ],
	[ 'submit_order', "SELECT ordermgmt.submit_order($order) = 'confirmed'" ],
	# its confirmation notice, claimed and marked as ordermgmt-notify does
	[ 'claim_notifications', "SELECT count(*) = 1 FROM ordermgmt.claim_notifications(10)" ],
	[ 'finish_notification', "SELECT ordermgmt.finish_notification(notification_id, attempts) = 'sent' FROM ordermgmt.notifications WHERE status = 'sending'" ],
	[ 'start_processing', "SELECT true FROM (SELECT ordermgmt.start_processing($order)) AS x" ],
	[ 'ship_order', "SELECT ordermgmt.ship_order($order) > 0" ],
	[ 'confirm_delivery', "SELECT true FROM (SELECT ordermgmt.confirm_delivery(max(shipment_id)) FROM ordermgmt.shipments WHERE order_id = $order) AS x" ],
	[ 'invoice_order', "SELECT ordermgmt.invoice_order($order) > 0" ],
	[ 'record_payment', "SELECT ordermgmt.record_payment(i.invoice_id, i.due) > 0 FROM ordermgmt.invoices i WHERE i.order_id = $order" ],
	[ 'record_feedback', "SELECT ordermgmt.record_feedback($order, 5) > 0" ],
	[ 'open_ticket', "SELECT ordermgmt.open_ticket($order, 'question') > 0" ],
	[ 'return_items', qq{SELECT ordermgmt.return_items($order, '[{"sku": "A", "qty": 1}]', 'damaged') > 0} ],
	[ 'monitor_tick', 'SELECT ordermgmt.monitor_tick() >= 0' ],
	[ 'rollup_ledger', 'SELECT ordermgmt.rollup_ledger() >= 0' ],
	[ 'rollup_reports (arm)', 'SELECT ordermgmt.rollup_reports() >= 0' ],
	[ 'rollup_reports (settle)', 'SELECT ordermgmt.rollup_reports() >= 0' ],
	[ 'events_since', 'SELECT count(*) > 0 FROM ordermgmt.events_since(0)' ],
	[ 'create_orders', q{SELECT bool_and(sqlstate IS NULL) FROM ordermgmt.create_orders('[{"customer": "ACME", "lines": [{"sku": "A", "qty": 1}]}]')} ],
	[ 'cancel_order', q{SELECT true FROM (SELECT ordermgmt.cancel_order(max(order_id), 'by the test') FROM ordermgmt.orders WHERE status = 'confirmed') AS x} ],
	# holds, approvals and alerts: a line at 1 against a list price of 10
	[ 'create_order (held)', q{SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1, "unit_price": 1}]') > 0} ],
	[ 'acknowledge_alert', q{SELECT true FROM (SELECT ordermgmt.acknowledge_alert(max(alert_id), 'looking') FROM ordermgmt.alerts WHERE status = 'open') AS x} ],
	# an approver's login, who did not enter the order, approves it
	[ 'approve_order', q{SELECT ordermgmt.approve_order(max(order_id), 'contract price') = 'confirmed' FROM ordermgmt.v_order_status WHERE status = 'on_hold'}, 'cfo' ],
	[ 'hold_order', q{SELECT true FROM (SELECT ordermgmt.hold_order(max(order_id), 'customer asked') FROM ordermgmt.orders WHERE status = 'confirmed') AS x} ],
	[ 'confirm_order', q{SELECT ordermgmt.confirm_order(max(order_id)) = 'confirmed' FROM ordermgmt.orders WHERE status = 'on_hold'} ],
	[ 'create_order (held again)', q{SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1, "unit_price": 1}]') > 0} ],
	[ 'resolve_alert', q{SELECT true FROM (SELECT ordermgmt.resolve_alert(max(alert_id), 'by hand') FROM ordermgmt.alerts WHERE status = 'open') AS x} ],
	[ 'resolve_ticket', q{SELECT true FROM (SELECT ordermgmt.resolve_ticket(max(ticket_id), 'answered') FROM ordermgmt.tickets) AS x} ],
	# the batch entry points
	[ 'ship_orders', q{SELECT bool_and(sqlstate IS NULL) FROM ordermgmt.ship_orders((SELECT jsonb_agg(jsonb_build_object('order_id', order_id)) FROM ordermgmt.orders WHERE status = 'confirmed'))} ],
	[ 'invoice_orders', q{SELECT bool_and(sqlstate IS NULL) FROM ordermgmt.invoice_orders((SELECT array_agg(order_id) FROM ordermgmt.orders o WHERE status = 'shipped' AND NOT EXISTS (SELECT 1 FROM ordermgmt.invoices i WHERE i.order_id = o.order_id)))} ],
	[ 'record_payments', q{SELECT bool_and(sqlstate IS NULL) FROM ordermgmt.record_payments((SELECT jsonb_agg(jsonb_build_object('invoice_id', invoice_id, 'amount', due)) FROM ordermgmt.invoices WHERE due > 0))} ],
	# the ledger by hand, and housekeeping
	[ 'post_entry', q{SELECT ordermgmt.post_entry('owner puts in cash', '[{"account": "1000", "debit": 500}, {"account": "2000", "credit": 500}]') > 0} ],
	[ 'reverse_entry', q{SELECT ordermgmt.reverse_entry(max(entry_id), 'typo') > 0 FROM ordermgmt.journal_entries} ],
	[ 'purge_history', q{SELECT events >= 0 FROM ordermgmt.purge_history('1 day')} ],
	# the sales pipeline: an opportunity by plain SQL, its quotation
	[ 'opportunities', q{INSERT INTO ordermgmt.opportunities (customer_id, title, expected_value) SELECT customer_id, 'pooled deal', 100 FROM ordermgmt.customers WHERE code = 'ACME' RETURNING true} ],
	[ 'quote_opportunity', q{SELECT ordermgmt.quote_opportunity(max(opportunity_id), '[{"sku": "A", "qty": 3}]') > 0 FROM ordermgmt.opportunities} ],
	[ 'verify', 'SELECT bool_and(ok) FROM ordermgmt.verify()' ]);
foreach my $step (@steps)
{
	my ($name, $sql, $login) = @$step;
	my ($out, $err) = pooled($sql, $login);
	is($out, 't', "$name through the pooler") or diag($err);
}
my @views = split /\n/, $node->safe_psql($db, q{
SELECT c.relname FROM pg_class c
 WHERE c.relnamespace = 'ordermgmt'::regnamespace AND c.relkind = 'v' AND c.relname LIKE 'v\_%' ORDER BY 1});
foreach my $view (@views)
{
	my ($out, $err) = pooled("SELECT count(*) >= 0 FROM ordermgmt.$view");
	is($out, 't', "$view through the pooler") or diag($err);
}
cmp_ok($node->safe_psql($db, q{SELECT count(*) FROM pg_stat_activity WHERE datname = 'shop' AND pid <> pg_backend_pid()}),
	'<=', 3, 'the pooler served them all on its two server connections (and one of the approver\'s pool)');

# 2. Many clients, few server connections: the order-to-cash cycle, each
#    statement its own transaction, so that one order's steps run on
#    whichever server connection is free.
$node->safe_psql($db, q{SELECT ordermgmt.receive_stock('A', 'MAIN', 1000000)});
PostgreSQL::Test::Utils::append_to_file("$dir/cycle.sql", q{
\set q random(1, 3)
SELECT ordermgmt.create_order('ACME', jsonb_build_array(jsonb_build_object('sku', 'A', 'qty', :q::int))) AS o \gset
SELECT ordermgmt.ship_order(:o::bigint) AS s \gset
SELECT ordermgmt.confirm_delivery(:s::bigint);
SELECT ordermgmt.invoice_order(:o::bigint) AS i \gset
SELECT ordermgmt.record_payment(:i::bigint, (SELECT due FROM ordermgmt.invoices WHERE invoice_id = :i::bigint));
});
my ($out, $err) = ('', '');
IPC::Run::run([ 'pgbench', '-n', '-M', 'extended', '-c', '40', '-j', '2', '-T', '10', '-f', "$dir/cycle.sql", $pooled ],
	'>', \$out, '2>', \$err);
like($out, qr/number of transactions actually processed: [1-9]/, '40 clients on 2 server connections ran the cycle')
  or diag("$out\n$err");
like($out, qr/number of failed transactions: 0 /, 'no failed transaction') or diag("$out\n$err");
unlike($err, qr/ERROR/, 'and no error') or diag($err);
is($node->safe_psql($db, 'SELECT count(*) FROM ordermgmt.verify() WHERE NOT ok'), '0',
	'verify() finds nothing wrong after it');

# 3. A session SET does not survive the transaction in transaction mode:
#    ordermgmt.notify is set for the role (or the database) instead.
$node->safe_psql($db, "ALTER ROLE \"$user\" IN DATABASE $db SET ordermgmt.notify = relay");
# (role settings apply as a server connection opens: let the pool reopen)
IPC::Run::run([ 'psql', '-XAtq', '-d', "host=$dir port=$port dbname=pgbouncer", '-c', "RECONNECT $db" ]);
my ($mode) = pooled('SHOW ordermgmt.notify');
is($mode, 'relay', 'a role setting reaches every pooled transaction');
$node->safe_psql($db, "ALTER ROLE \"$user\" IN DATABASE $db RESET ordermgmt.notify");

$bouncer->kill_kill;
$node->stop;
done_testing();
