# Failover without a lost event (docs/ordermgmt-listen.md, *Failover*).
# A primary with a synchronous standby; ordermgmt-listen follows the
# primary through a multi-host connection string with
# target_session_attrs=read-write and a state file.  In the middle of a
# workload the primary is stopped hard and the standby promoted; the
# listener reconnects to the new primary by itself, and its output is
# every event the new primary has, exactly once, in event id order, with
# its state file at the last one.  A listener ahead of the server (what
# asynchronous replication can leave) says which events are gone and
# skips none committed afterwards.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $db = 'shop';
my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->start;
$primary->safe_psql('postgres', "CREATE DATABASE $db");
$primary->safe_psql($db, q{
CREATE EXTENSION ordermgmt;
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name, credit_limit) VALUES ('ACME', 'Acme', NULL);
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost) VALUES ('A', 'Widget', 10, 4);
});
$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby, 'replay');
# Synchronous from here on: a commit is visible (and so can be notified
# and read by the listener) only once the standby has it.
$primary->safe_psql('postgres', q{ALTER SYSTEM SET synchronous_standby_names = '*'});
$primary->reload;
ok($primary->poll_query_until('postgres', q{SELECT sync_state = 'sync' FROM pg_stat_replication}),
	'the standby is synchronous');
$primary->safe_psql($db, q{SELECT ordermgmt.receive_stock('A', 'MAIN', 100000)});

# The listener: both servers, the writable one wins.
my $connstr = join(' ',
	'host=' . $primary->host . ',' . $standby->host,
	'port=' . $primary->port . ',' . $standby->port,
	"dbname=$db target_session_attrs=read-write connect_timeout=2");
my $dir = PostgreSQL::Test::Utils::tempdir;
my ($out, $err) = ('', '');
my $listener = IPC::Run::start(
	[ 'ordermgmt-listen', '-d', $connstr, '--events-only', '--since', '0', '-s', "$dir/position",
		'--poll-interval', '1' ],
	'>', \$out, '2>', \$err);

# A workload on whichever server is the primary: one order per transaction.
sub place
{
	my ($node, $n) = @_;
	my $placed = 0;
	foreach (1 .. $n)
	{
		my ($rc) = $node->psql($db, q{SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]')});
		$placed++ if $rc == 0;
	}
	return $placed;
}
ok(place($primary, 30) == 30, 'orders placed on the first primary');
# A writer still running when the primary goes down.
my $writer = IPC::Run::start(
	[ 'psql', '-XAtq', '-d', $primary->connstr($db), '-c',
		q{DO $$ BEGIN FOR i IN 1 .. 100000 LOOP
                 PERFORM ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]'); COMMIT;
              END LOOP; END $$} ],
	'>', \my $wout, '2>', \my $werr);
usleep(300_000);
$primary->stop('immediate');
$writer->finish;
$standby->promote;
$standby->poll_query_until($db, 'SELECT NOT pg_is_in_recovery()');
ok(place($standby, 30) == 30, 'orders placed on the new primary');

# The listener catches up on the new primary by itself.
my $last = $standby->safe_psql($db, 'SELECT max(event_id) FROM ordermgmt.events');
my $caught_up = 0;
foreach (1 .. 600)
{
	$listener->pump_nb;
	if ($out =~ /"event_id": $last,/) { $caught_up = 1; last; }
	usleep(100_000);
}
ok($caught_up, "the listener reached the new primary's last event ($last)") or diag($err);
$listener->signal('TERM');
$listener->finish;

my @printed = map { /"event_id": (\d+),/ ? $1 : () } split /\n/, $out;
my @kept = split /\n/, $standby->safe_psql($db, 'SELECT event_id FROM ordermgmt.events ORDER BY event_id');
is(scalar(@printed), scalar(@kept), 'as many lines as the new primary has events (' . scalar(@kept) . ')');
is(join(',', @printed), join(',', @kept), 'every event exactly once, in event id order');
like($err, qr/reconnect|connect/i, 'the listener said on standard error that it reconnected');
is(PostgreSQL::Test::Utils::slurp_file("$dir/position"), "$last\n", 'its state file holds the last event');

cmp_ok($standby->safe_psql($db, 'SELECT count(*) FROM ordermgmt.orders'), '>', 60,
	'the writer running at the failover had committed orders the new primary has');

# With asynchronous replication a listener can be ahead of the promoted
# standby: it printed events the old primary committed and never sent.
# Simulated by a state file past the newest event: the listener says which
# ids are gone and goes on from the server's newest event, so the next
# order's events (whose ids the sequence may hand out again) are printed.
PostgreSQL::Test::Utils::append_to_file("$dir/ahead", ($last + 500) . "\n");
($out, $err) = ('', '');
$listener = IPC::Run::start(
	[ 'ordermgmt-listen', '-d', $connstr, '--events-only', '-s', "$dir/ahead", '--poll-interval', '1' ],
	'>', \$out, '2>', \$err);
foreach (1 .. 100)
{
	$listener->pump_nb;
	last if $err =~ /not on this server/;
	usleep(100_000);
}
like($err, qr/newest event is $last, before event @{[$last + 500]} printed last: events @{[$last + 1]} to @{[$last + 500]} are not on this server/,
	'a listener ahead of the server says which events are gone');
my $next = $standby->safe_psql($db, q{SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]')});
my $found = 0;
foreach (1 .. 100)
{
	$listener->pump_nb;
	if ($out =~ /"order_id": $next\b/) { $found = 1; last; }
	usleep(100_000);
}
ok($found, 'and prints the events committed after it reconnected');
$listener->signal('TERM');
$listener->finish;

$standby->stop;
done_testing();
