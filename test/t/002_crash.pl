# Crashes: kill -9 of the postmaster under a concurrent consume load, then
# restart. Every acknowledged operation is there, none is partial, and the
# ledger verifies; an uncommitted consume leaves no trace and its key applies
# once on retry; a prepared transaction holding a consume survives the crash
# and then commits, or rolls back, exactly once.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

# kill -9 of the postmaster; returns once the killed process is gone (in a
# container it can linger as a zombie for a moment, and a new postmaster
# refuses to start while the old PID answers).
sub crash
{
	my ($node) = @_;
	my $pid = $node->{_pid};
	$node->kill9;
	my $deadline = time() + 60;
	while (kill(0, $pid) && time() < $deadline) { select(undef, undef, undef, 0.1); }
}

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', qq{
max_prepared_transactions = 10
synchronous_commit = on
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION credit_ledger;
SELECT credit_type_create('usd', 2);
SELECT count(credit_grant('c' || i, 'usd', 1000000)) FROM generate_series(1, 20) i;
});

# 1. Four clients consume in a loop, each call its own transaction with its
# own key; a client writes a key to its file only after psql reported the
# commit. Then the postmaster is killed mid-stream.
my $dir = PostgreSQL::Test::Utils::tempdir;
my ($host, $port) = ($node->host, $node->port);
my @workers;
for my $w (1 .. 4)
{
	my $script = qq{
for i in \$(seq 1 100000); do
  psql -X -q -At -h '$host' -p $port -d postgres -v ON_ERROR_STOP=1 \\
    -c "SELECT operation_id FROM credit_consume('c\$(( (i + $w) % 20 + 1 ))', 'usd', 1.5, 'w$w-\$i')" \\
    >/dev/null 2>&1 || break
  echo "w$w-\$i" >> '$dir/acked_$w'
done};
	push @workers, IPC::Run::start([ 'bash', '-c', $script ]);
}
# Let some work commit (at least 50 acknowledged operations), then crash.
my $deadline = time() + 60;
while (time() < $deadline)
{
	my $n = 0;
	for my $w (1 .. 4) { $n += () = slurp_file("$dir/acked_$w") =~ /\n/g if -e "$dir/acked_$w"; }
	last if $n >= 50;
	sleep 0.2;
}
crash($node);
$_->finish for @workers;
$node->start;

my @acked;
for my $w (1 .. 4)
{
	push @acked, split /\n/, slurp_file("$dir/acked_$w") if -e "$dir/acked_$w";
}
ok(@acked >= 50, scalar(@acked) . ' operations were acknowledged before the crash');
my $keys = join(',', map { "'$_'" } @acked);
is($node->safe_psql('postgres',
	"SELECT count(*) FROM credit_ledger.operations o, unnest(ARRAY[$keys]) k
	  WHERE o.key_hash = substr(sha256(convert_to(k, 'UTF8')), 1, 16)"),
	scalar(@acked), 'every acknowledged operation survived the crash');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM credit_ledger.operations o
	 WHERE o.operation_type = 'consume'
	   AND (SELECT count(*) FROM credit_ledger.entries e
	         WHERE e.wallet_id = o.wallet_id AND e.customer_id = o.customer_id
	           AND e.seq BETWEEN o.first_seq AND o.last_seq
	           AND e.operation_id = o.operation_id) <> o.last_seq - o.first_seq + 1}),
	'0', 'no operation is partial: each has all its entries');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM credit_ledger.wallets w
	 WHERE w.balance <> (SELECT sum(amount) FROM credit_ledger.entries e
	                      WHERE e.wallet_id = w.wallet_id AND e.customer_id = w.customer_id)}),
	'0', 'every wallet balance is the sum of its entries');
is($node->safe_psql('postgres', 'SELECT count(*) FROM credit_verify()'),
	'0', 'credit_verify() is clean after recovery');
# Retrying acknowledged keys replays them: the crash doubled nothing.
my $sample = join(',', map { "'$_'" } @acked[0 .. 9]);
is($node->safe_psql('postgres', qq{
	SELECT bool_and(r.replayed) FROM
	  (SELECT k, c.replayed
	     FROM credit_ledger.operations o, unnest(ARRAY[$sample]) k,
	          credit_consume(o.customer_id, 'usd', 1.5, k) c
	    WHERE o.key_hash = substr(sha256(convert_to(k, 'UTF8')), 1, 16)) r}),
	't', 'retrying acknowledged keys after the crash replays them');

# 2. An uncommitted consume leaves no trace; its key applies once on retry.
my $open = $node->background_psql('postgres');
$open->query_safe('BEGIN');
$open->query_safe(q{SELECT credit_consume('c1', 'usd', 7, 'uncommitted-1')});
crash($node);
eval { $open->quit };
$node->start;
is($node->safe_psql('postgres',
	q{SELECT count(*) FROM credit_ledger.operations WHERE key_hash = substr(sha256('uncommitted-1'), 1, 16)}),
	'0', 'an uncommitted consume left no trace');
is($node->safe_psql('postgres',
	q{SELECT replayed FROM credit_consume('c1', 'usd', 7, 'uncommitted-1')}),
	'f', 'its key applies on retry');
is($node->safe_psql('postgres',
	q{SELECT replayed FROM credit_consume('c1', 'usd', 7, 'uncommitted-1')}),
	't', '...once');

# 3. Prepared transactions holding consumes survive the crash, then commit
# or roll back exactly once.
my $balance_before = $node->safe_psql('postgres', q{SELECT credit_balance('c2', 'usd')});
$node->safe_psql('postgres', q{
BEGIN;
SELECT credit_consume('c2', 'usd', 11, 'prepared-commit');
PREPARE TRANSACTION 'p_commit';
BEGIN;
SELECT credit_consume('c3', 'usd', 13, 'prepared-rollback');
PREPARE TRANSACTION 'p_rollback';
});
crash($node);
$node->start;
is($node->safe_psql('postgres', q{SELECT string_agg(gid, ',' ORDER BY gid) FROM pg_prepared_xacts}),
	'p_commit,p_rollback', 'both prepared transactions survived the crash');
is($node->safe_psql('postgres',
	q{SELECT count(*) FROM credit_ledger.operations
	   WHERE key_hash IN (substr(sha256('prepared-commit'), 1, 16), substr(sha256('prepared-rollback'), 1, 16))}),
	'0', 'their consumes are not visible before they are resolved');
# The prepared transaction still holds the wallet: a consume does not slip past it.
my ($ret, $out, $err) = $node->psql('postgres',
	q{SET lock_timeout = '200ms'; SELECT credit_consume('c2', 'usd', 1)});
like($err, qr/lock timeout/, 'the prepared consume still holds its wallet after the crash');
$node->safe_psql('postgres', q{COMMIT PREPARED 'p_commit'});
$node->safe_psql('postgres', q{ROLLBACK PREPARED 'p_rollback'});
is($node->safe_psql('postgres',
	q{SELECT string_agg(k, ',') FROM credit_ledger.operations, unnest(ARRAY['prepared-commit', 'prepared-rollback']) k
	   WHERE key_hash = substr(sha256(convert_to(k, 'UTF8')), 1, 16)}),
	'prepared-commit', 'the committed one applied, the rolled-back one did not');
is($node->safe_psql('postgres', q{SELECT credit_balance('c2', 'usd')}),
	sprintf('%.2f', $balance_before - 11), 'the committed consume was charged exactly once');
is($node->safe_psql('postgres',
	q{SELECT replayed FROM credit_consume('c2', 'usd', 11, 'prepared-commit')}),
	't', 'retrying the committed key replays it');
is($node->safe_psql('postgres',
	q{SELECT replayed FROM credit_consume('c3', 'usd', 13, 'prepared-rollback')}),
	'f', 'retrying the rolled-back key applies it, once');
is($node->safe_psql('postgres', 'SELECT count(*) FROM credit_verify()'),
	'0', 'credit_verify() is clean at the end');

$node->stop;
done_testing();
