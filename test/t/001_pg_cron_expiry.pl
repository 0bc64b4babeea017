# A real PostgreSQL with pg_cron preloaded: credit_schedule_expiration()
# installs the sweep as a pg_cron job, and a grant that lapses is expired by
# the job with no manual call - once, dated at its expires_at.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('cron');
$node->init;
my $socket_dir = $node->host;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.host = '$socket_dir'
});
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION pg_cron');
$node->safe_psql('postgres', 'CREATE EXTENSION credit_ledger');
$node->safe_psql('postgres', q{SELECT credit_type_create('usd', 2)});
$node->safe_psql('postgres',
	q{SELECT credit_grant('c', 'usd', 10, cost_basis => 1, expires_at => now() + interval '2 seconds')});
$node->safe_psql('postgres', q{SELECT credit_grant('c', 'usd', 5)});

my $job = $node->safe_psql('postgres',
	q{SELECT credit_schedule_expiration('* * * * *', 100)});
like($job, qr/^\d+$/, 'credit_schedule_expiration returns the job id');
is( $node->safe_psql(
		'postgres',
		q{SELECT jobname || ' | ' || schedule || ' | ' || command FROM cron.job}),
	'credit_ledger_expire | * * * * * | CALL credit_ledger.expire_due(100)',
	'the job calls the batching procedure');
is($node->safe_psql('postgres', q{SELECT credit_schedule_expiration('*/2 * * * *')}),
	$job, 'scheduling again replaces the job');
$node->safe_psql('postgres', q{SELECT credit_schedule_expiration('* * * * *', 100)});

# pg_cron runs at the start of each minute: wait for it.
ok( $node->poll_query_until(
		'postgres',
		q{SELECT count(*) = 1 FROM credit_ledger.entries WHERE entry_type = 'expiration'}),
	'the lapsed grant was expired by the pg_cron job');

is( $node->safe_psql(
		'postgres',
		q{SELECT e.amount || ' ' || (e.occurred_at = g.expires_at) || ' ' || (e.created_at > g.expires_at)
		    FROM credit_ledger.entries e JOIN credit_ledger.grants g USING (grant_id, customer_id)
		   WHERE e.entry_type = 'expiration'}),
	'-10.00 true true',
	'one expiration entry, dated at expires_at, written after it');
is($node->safe_psql('postgres', q{SELECT credit_balance('c', 'usd')}),
	'5.00', 'only the non-expiring credit is left');
ok( $node->poll_query_until(
		'postgres',
		q{SELECT count(*) > 0 FROM cron.job_run_details WHERE status = 'succeeded'}),
	'pg_cron records a succeeded run');
is($node->safe_psql('postgres', q{SELECT count(*) FROM credit_ledger.expiration_backlog}),
	'0', 'no backlog');
is($node->safe_psql('postgres', q{SELECT count(*) FROM credit_verify()}),
	'0', 'the ledger verifies');

is($node->safe_psql('postgres', q{SELECT credit_unschedule_expiration()}),
	't', 'unscheduling removes the job');
is($node->safe_psql('postgres', q{SELECT credit_unschedule_expiration()}),
	'f', '...and says so when there is none');

$node->stop;
done_testing();
