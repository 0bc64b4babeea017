# Cancellation during a drawdown over 10,000 grants (a consume that writes
# 10,000 usage entries and updates 10,000 grants):
# statement_timeout and pg_cancel_backend give 57014, lock_timeout gives
# 55P03; each writes nothing and leaves the session usable.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('cancel');
$node->init;
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION credit_ledger;
SELECT credit_type_create('usd', 2);
SELECT count(credit_grant('big1', 'usd', 1, expires_at => now() + interval '1 day' + (g || ' minutes')::interval))
  FROM generate_series(1, 10000) g;
SELECT count(credit_grant('big2', 'usd', 1, expires_at => now() + interval '1 day' + (g || ' minutes')::interval))
  FROM generate_series(1, 10000) g;
SELECT count(credit_grant('big3', 'usd', 1, expires_at => now() + interval '1 day' + (g || ' minutes')::interval))
  FROM generate_series(1, 10000) g;
});
my $state = q{SELECT (SELECT count(*) FROM credit_ledger.entries) || '/'
                  || (SELECT count(*) FROM credit_ledger.operations)};
my ($entries, $operations) = split m{/}, $node->safe_psql('postgres', $state);

# statement_timeout: the drawdown over 10,000 grants is cut off; the same
# session then runs a consume that fits.
my ($ret, $out, $err) = $node->psql('postgres', q{
SET statement_timeout = '20ms';
SELECT amount FROM credit_consume('big1', 'usd', 10000);
RESET statement_timeout;
SELECT amount FROM credit_consume('big1', 'usd', 1);
}, on_error_stop => 0, extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/57014/, 'statement_timeout during the drawdown raises 57014');
is($out, '1.00', '...and the session still works afterwards');
is($node->safe_psql('postgres', $state), ($entries + 1) . '/' . ($operations + 1),
	'the cancelled consume wrote nothing (only the later one did)');
is($node->safe_psql('postgres', q{SELECT credit_balance('big1', 'usd')}), '9999.00',
	'...and took nothing');

# pg_cancel_backend from another session, while the drawdown runs.
my $cancelled = 0;
for my $attempt (1 .. 10)
{
	my ($c_out, $c_err) = ('', '');
	my $h = IPC::Run::start(
		[ 'psql', '-X', '-At', '-v', 'VERBOSITY=verbose', '-h', $node->host,
		  '-p', $node->port, '-d', 'postgres',
		  '-c', q{SELECT amount FROM credit_consume('big2', 'usd', 10000)} ],
		'>', \$c_out, '2>', \$c_err);
	$node->poll_query_until('postgres', q{
		SELECT pg_cancel_backend(pid) FROM pg_stat_activity
		 WHERE query LIKE '%credit_consume(''big2''%' AND state = 'active'
		   AND pid <> pg_backend_pid()});
	$h->finish;
	if ($c_err =~ /57014/) { $cancelled = 1; last; }
	# The drawdown finished before the cancel arrived: undo it and try again.
	$node->safe_psql('postgres', q{
		SELECT credit_reverse(max(operation_id)) FROM credit_ledger.operations
		 WHERE customer_id = 'big2' AND operation_type = 'consume'});
}
ok($cancelled, 'pg_cancel_backend during the drawdown raises 57014');
is($node->safe_psql('postgres',
	q{SELECT count(*) FROM credit_ledger.entries WHERE customer_id = 'big2' AND entry_type = 'usage'})
	- $node->safe_psql('postgres',
	q{SELECT count(*) FROM credit_ledger.entries WHERE customer_id = 'big2' AND entry_type = 'reversal'}),
	'0', 'the cancelled consume wrote nothing');

# lock_timeout: another session holds the wallet; the drawdown gives up
# waiting with 55P03, and the session goes on.
my $holder = $node->background_psql('postgres');
$holder->query_safe('BEGIN');
$holder->query_safe(q{SELECT credit_consume('big3', 'usd', 1)});
($ret, $out, $err) = $node->psql('postgres', q{
SET lock_timeout = '100ms';
SELECT amount FROM credit_consume('big3', 'usd', 9000);
RESET lock_timeout;
SELECT credit_balance('big3', 'usd');
}, on_error_stop => 0, extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/55P03/, 'lock_timeout while another transaction holds the wallet raises 55P03');
is($out, '10000.00', '...the session goes on, and nothing was taken');
$holder->query_safe('ROLLBACK');
$holder->quit;

is($node->safe_psql('postgres', 'SELECT count(*) FROM credit_verify()'),
	'0', 'credit_verify() is clean');
$node->stop;
done_testing();
