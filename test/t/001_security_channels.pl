# Security of what runs outside a client's own statement: the background
# worker (a superuser session) and the NOTIFY channels (which every role
# may LISTEN on and NOTIFY to).  docs/security.md describes the threats.
#
#  1. A login with no ordermgmt privilege that may create objects in
#     "public" plants look-alikes of what the worker's statements call; the
#     worker relays alerts and never runs them (it would make the login a
#     superuser).
#  2. Notification payloads, in relay and immediate mode, carry ids and
#     codes only: no reasons, subjects, carriers, approvers or amounts.
#  3. A forged notification with a huge event id costs ordermgmt-listen one
#     check, not a poll every second for ever.
#  4. An idle transaction holds every listener back until the timeout that
#     docs/security.md recommends ends it.
use strict;
use warnings;
use JSON::PP;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $db = 'shop';
my $node = PostgreSQL::Test::Cluster->new('primary');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ordermgmt'
ordermgmt.database = '$db'
ordermgmt.monitor_interval = 1
ordermgmt.notify_delay = 50ms
log_statement = 'all'
log_line_prefix = '%m [%p] %u '
});
$node->start;

# The attacker: no ordermgmt role, but CREATE on schema public (as every
# database created before PostgreSQL 15 has it).  Its look-alikes exist
# before the worker plans anything in this database.
$node->safe_psql('postgres', "CREATE DATABASE $db");
$node->safe_psql($db, q{
CREATE ROLE mallory LOGIN;
GRANT CREATE ON SCHEMA public TO mallory;
SET ROLE mallory;
CREATE FUNCTION public.format(text, jsonb, jsonb, jsonb, jsonb, text, jsonb) RETURNS text
    LANGUAGE sql AS $$ ALTER ROLE mallory SUPERUSER; SELECT '{"hijacked": true}' $$;
CREATE FUNCTION public.format(text, VARIADIC text[]) RETURNS text
    LANGUAGE sql AS $$ ALTER ROLE mallory SUPERUSER; SELECT '{"hijacked": true}' $$;
CREATE FUNCTION public.text_eq(text, text) RETURNS boolean
    LANGUAGE sql AS $$ ALTER ROLE mallory SUPERUSER; SELECT true $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.text_eq);
CREATE FUNCTION public.jsonb_field(jsonb, text) RETURNS jsonb
    LANGUAGE sql AS $$ ALTER ROLE mallory SUPERUSER; SELECT 'null'::jsonb $$;
CREATE OPERATOR public.-> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = public.jsonb_field);
RESET ROLE;
CREATE EXTENSION ordermgmt;
INSERT INTO ordermgmt.warehouses (code, name) VALUES ('MAIN', 'Main');
INSERT INTO ordermgmt.customers (code, name, credit_limit)
VALUES ('ACME', 'Acme', NULL), ('BAD', 'Blocked', NULL), ('OTHER', 'Other', NULL);
UPDATE ordermgmt.customers SET blocked = true WHERE code = 'BAD';
INSERT INTO ordermgmt.products (sku, name, list_price, unit_cost) VALUES ('A', 'Widget', 100, 40);
SELECT ordermgmt.receive_stock('A', 'MAIN', 1000);
CREATE ROLE cfo LOGIN IN ROLE ordermgmt_approver;
});
ok($node->poll_query_until($db,
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'ordermgmt worker' AND datname = '$db'"),
	'the worker runs in the database');

# listen(ROLE, SECONDS, ACTION): the notifications a psql session of ROLE
# receives on both channels while ACTION runs, as [channel, payload] pairs.
sub listen_during
{
	my ($role, $seconds, $action) = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[
			'psql', '-X', '-q', '-d', $node->connstr($db) . " user=$role",
			'-c', 'LISTEN ordermgmt_events', '-c', 'LISTEN ordermgmt_alerts',
			'-c', "SELECT pg_sleep($seconds)"
		],
		'>', \$out, '2>', \$err);
	sleep 1;
	$action->();
	$h->finish;
	my @got;
	while ($out =~ /Asynchronous notification "(\w+)" with payload "(.*)" received/g)
	{
		push @got, [ $1, $2 ];
	}
	return @got;
}

# ---------------------------------------------------------------------------
# 1 and 2: the relay (worker) mode
# ---------------------------------------------------------------------------
my $order_sql = q{
SELECT ordermgmt.create_order('BAD', '[{"sku": "A", "qty": 1}]');
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 2}]') AS o \gset
SELECT ordermgmt.hold_order(:o, 'SECRET-REASON customer is a competitor');
SELECT ordermgmt.confirm_order(:o);
SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1, "unit_price": 1}]') AS h \gset
SET SESSION AUTHORIZATION cfo;
SELECT ordermgmt.approve_order(:h, 'SECRET-APPROVAL-NOTE');
RESET SESSION AUTHORIZATION;
SELECT ordermgmt.ship_order(:o, NULL, 'SECRET-CARRIER', 'SECRET-TRACKING') AS s \gset
SELECT ordermgmt.confirm_delivery(:s);
SELECT ordermgmt.invoice_order(:o) AS i \gset
SELECT ordermgmt.record_payment(:i, 12.34, 'bank', 'SECRET-REF');
SELECT ordermgmt.open_ticket(:o, 'SECRET-SUBJECT', 'high');
SELECT ordermgmt.record_feedback(:o, 1, 'SECRET-COMMENT');
};
my @relayed = listen_during('mallory', 6, sub { $node->safe_psql($db, $order_sql) });

is($node->safe_psql($db, "SELECT rolsuper FROM pg_roles WHERE rolname = 'mallory'"),
	'f', 'the worker ran none of the look-alikes: the attacker is no superuser');
ok((grep { $_->[0] eq 'ordermgmt_alerts' && $_->[1] =~ /"rule_code": "L1_CUSTOMER_BLOCKED"/ } @relayed),
	'the worker relayed the raised alert with its real payload');
ok(!(grep { $_->[1] =~ /hijacked/ } @relayed), 'no relayed payload comes from a look-alike');
ok(!$node->log_contains(qr/ordermgmt worker.*ERROR|ERROR.*ordermgmt: relaying/),
	'the worker logged no error');

# Payload members: ids (…_id) and codes only.
my %codes = map { $_ => 1 } qw(event_id kind order_id alert_id rule_code level severity state
  status from to priority);
sub payload_problems
{
	my (@notifications) = @_;
	my @problems;
	for my $n (@notifications)
	{
		my $payload = eval { decode_json($n->[1]) };
		if (!$payload)
		{
			push @problems, "not JSON: $n->[1]";
			next;
		}
		for my $key (sort keys %$payload)
		{
			push @problems, "$n->[0] carries $key" unless $codes{$key} || $key =~ /_id$/;
		}
		push @problems, "$n->[0] carries free text: $n->[1]" if $n->[1] =~ /SECRET|12\.34/;
	}
	return @problems;
}

my @events = grep { $_->[0] eq 'ordermgmt_events' } @relayed;
cmp_ok(scalar(@events), '>=', 10, 'relay: the events of the workload were notified (' . scalar(@events) . ')');
is_deeply([ payload_problems(@relayed) ], [], 'relay: every payload carries ids and codes only');
ok((grep { $_->[1] =~ /"kind": "order.status_changed".*"to": "on_hold"/ } @events),
	'relay: a status change still says where the order went');

# ---------------------------------------------------------------------------
# 2: the immediate mode sends the same kind of payload
# ---------------------------------------------------------------------------
my @immediate = listen_during('mallory', 4,
	sub { $node->safe_psql($db, "SET ordermgmt.notify = immediate;\n$order_sql") });
cmp_ok(scalar(grep { $_->[0] eq 'ordermgmt_events' } @immediate), '>=', 10,
	'immediate: the events of the workload were notified');
is_deeply([ payload_problems(@immediate) ], [], 'immediate: every payload carries ids and codes only');

# ---------------------------------------------------------------------------
# 3: a forged notification costs the listener one check
# ---------------------------------------------------------------------------
$node->safe_psql($db, 'CREATE ROLE listener LOGIN IN ROLE ordermgmt_app');
my ($lout, $lerr) = ('', '');
my $listener = IPC::Run::start(
	[ 'ordermgmt-listen', '-d', $node->connstr($db) . ' user=listener' ],
	'>', \$lout, '2>', \$lerr);
ok($node->poll_query_until($db,
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE usename = 'listener' AND state = 'idle'"),
	'ordermgmt-listen is connected and idle');
my $log_offset = -s $node->logfile;
$node->safe_psql($db,
	q{SET ROLE mallory; NOTIFY ordermgmt_events, '{"event_id": 999999999999, "kind": "order.created", "order_id": 1}'});
sleep 4;
my $log = slurp_file($node->logfile, $log_offset);
my $catchups = () = $log =~ /listener LOG:  (?:statement|execute [^:]*): SELECT e\.event_id/g;
cmp_ok($catchups, '<=', 1, "the listener asked the outbox at most once in 4 s after a forged id ($catchups)");
$node->safe_psql($db, q{SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]')});
ok($node->poll_query_until($db, "SELECT true", 't'), 'server still answers');
sleep 2;
$listener->signal('TERM');
$listener->finish;
like($lerr, qr/ignoring a notification of event 999999999999/, 'the listener says it ignored the forged id');
like($lout, qr/"kind": "order.created"/, 'the listener still prints the next real event');

# ---------------------------------------------------------------------------
# 4: an idle transaction holds every listener back until its timeout ends it
# ---------------------------------------------------------------------------
# docs/security.md: a session that wrote an event and went idle keeps
# events_since (and so the relay and every listener) from passing its
# event; idle_in_transaction_session_timeout, set per login, ends it.
# The later order is another customer's: one of the same customer would
# wait for the idle session's lock on the customer row (the hold changed
# the customer's credit exposure) instead of committing.
my $held = $node->safe_psql($db, q{SELECT ordermgmt.create_order('ACME', '[{"sku": "A", "qty": 1}]')});
my $clerk = $node->background_psql($db, on_error_stop => 0);
$clerk->query_safe("SET idle_in_transaction_session_timeout = '3s'");
$clerk->query_safe('BEGIN');
$clerk->query_safe("SELECT ordermgmt.hold_order($held, 'gone for lunch')");
my $before = $node->safe_psql($db, 'SELECT max(event_id) FROM ordermgmt.events');
my $later = $node->safe_psql($db, q{SELECT ordermgmt.create_order('OTHER', '[{"sku": "A", "qty": 1}]')});
is($node->safe_psql($db, "SELECT count(*) FROM ordermgmt.events_since($before) WHERE order_id = $later"),
	'0', 'an idle transaction that wrote an event holds back the events committed after it');
ok($node->poll_query_until($db,
		"SELECT count(*) > 0 FROM ordermgmt.events_since($before) WHERE order_id = $later"),
	'idle_in_transaction_session_timeout ends it, and the events come through');
is($node->safe_psql($db, "SELECT status FROM ordermgmt.orders WHERE order_id = $held"),
	'confirmed', 'the idle session\'s hold was rolled back');
ok($node->log_contains(qr/terminating connection due to idle-in-transaction timeout/),
	'the server logged why');
eval { $clerk->quit };

$node->stop;
done_testing();
