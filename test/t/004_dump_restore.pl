# Backup and restore: pg_dump -Fc + pg_restore --exit-on-error, and a plain
# SQL dump + psql -v ON_ERROR_STOP=1, round-trip a populated ledger: every
# row identical, credit_verify() clean, idempotency keys still replay,
# sequences continue, grants of access kept, and new writes work.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE ROLE app_writer; CREATE DATABASE src');
$node->safe_psql('src', q{
CREATE EXTENSION credit_ledger;
SELECT credit_ledger.grant_access('app_writer');
SET credit_ledger.clock = '2026-03-01 00:00+00';
SELECT credit_type_create('usd', 2, 'credit', 'credits');
SELECT credit_type_create('tok');
SELECT credit_wallet_configure('acme', 'usd', 50, '{100, 10}');
SELECT credit_grant('acme', 'usd', 500, cost_basis => 0.5, expires_at => '2026-06-01', idempotency_key => 'g-1');
SELECT credit_grant('acme', 'usd', 100, promotional => true, expires_at => '2026-03-10', metadata => '{"campaign": "spring"}');
SELECT credit_grant('acme', 'usd', 70, effective_at => '2026-04-01');
SELECT credit_grant('acme', 'tok', 10000);
SELECT credit_consume('acme', 'usd', 120, 'evt-' || i, 'chat') FROM generate_series(1, 3) i;
SELECT credit_consume('acme', 'tok', 42, 'tok-1', 'embed');
SELECT credit_reverse((SELECT min(operation_id) FROM credit_ledger.operations WHERE operation_type = 'consume'), 20, 'refund');
SELECT credit_adjust('acme', 'usd', -5, 'correction', 'adj-1');
SELECT credit_void((SELECT max(grant_id) FROM credit_ledger.grants WHERE credit_type = 'tok'));
SELECT count(*) FROM credit_consume_batch('[{"customer_id": "beta", "credit_type": "usd", "amount": 1},
                                           {"customer_id": "acme", "credit_type": "usd", "amount": 2, "idempotency_key": "b-1"}]');
SET credit_ledger.clock = '2026-03-15 00:00+00';
SELECT credit_expire();
SELECT credit_events_ack(ARRAY(SELECT event_id FROM credit_ledger.events ORDER BY event_id LIMIT 3));
RESET credit_ledger.clock;
SELECT count(*) FROM credit_revenue('2026-01-01', '2027-01-01');  -- builds credit_revenue's summary
});

# Every table's rows, in a fixed order, plus the sequences' positions.
my $content = q{
SELECT string_agg(t || ':' || md5, ' ' ORDER BY t) FROM (
  SELECT 'credit_types' t, md5(string_agg(x::text, '|' ORDER BY x.credit_type)) FROM credit_ledger.credit_types x
  UNION ALL SELECT 'wallets', md5(string_agg(x::text, '|' ORDER BY x.wallet_id)) FROM credit_ledger.wallets x
  UNION ALL SELECT 'grants', md5(string_agg(x::text, '|' ORDER BY x.grant_id)) FROM credit_ledger.grants x
  UNION ALL SELECT 'operations', md5(string_agg(x::text, '|' ORDER BY x.operation_id)) FROM credit_ledger.operations x
  UNION ALL SELECT 'entries', md5(string_agg(x::text, '|' ORDER BY x.wallet_id, x.seq)) FROM credit_ledger.entries x
  UNION ALL SELECT 'events', md5(string_agg(x::text, '|' ORDER BY x.event_id)) FROM credit_ledger.events x
  UNION ALL SELECT 'revenue_buckets', md5(string_agg(x::text, '|' ORDER BY x.credit_type, x.bucket_start))
              FROM credit_ledger.revenue_buckets x
  UNION ALL SELECT 'revenue_closed', md5(string_agg(x::text, '|')) FROM credit_ledger.revenue_closed x
  UNION ALL SELECT 'sequences', md5(string_agg(s.last_value::text, '|' ORDER BY s.sequencename))
              FROM pg_sequences s WHERE s.schemaname = 'credit_ledger') c};
my $original = $node->safe_psql('src', $content);
is($node->safe_psql('src', 'SELECT count(*) > 0 FROM credit_ledger.revenue_buckets'), 't',
   'credit_revenue summarized the ledger before the dump');
is($node->safe_psql('src', 'SELECT count(*) FROM credit_verify()'), '0', 'the source verifies');

my $dir = PostgreSQL::Test::Utils::tempdir;
my ($host, $port) = ($node->host, $node->port);
my @conn = ('-h', $host, '-p', $port);

sub check_restored
{
	my ($db, $how) = @_;
	is($node->safe_psql($db, $content), $original, "$how: every row and sequence position identical");
	is($node->safe_psql($db, 'SELECT count(*) FROM credit_verify()'), '0', "$how: credit_verify() is clean");
	is($node->safe_psql($db, q{SELECT replayed FROM credit_consume('acme', 'usd', 120, 'evt-2', 'chat')}),
		't', "$how: an idempotency key still replays");
	my ($ret, $out, $err) = $node->psql($db,
		q{SELECT credit_consume('acme', 'usd', 121, 'evt-2', 'chat')});
	like($err, qr/idempotency key was already used/, "$how: a changed request on an old key is still LG002");
	is($node->safe_psql($db, q{
		SET credit_ledger.clock = '2026-03-16 00:00+00';
		SELECT (SELECT operation_id FROM credit_consume('acme', 'usd', 1, 'after-restore'))
		       > (SELECT max(operation_id) FROM credit_ledger.operations
		                WHERE key_hash IS DISTINCT FROM substr(sha256('after-restore'), 1, 16))}),
		't', "$how: new writes work and ids continue past the restored ones");
	is($node->safe_psql($db, q{SELECT has_function_privilege('app_writer', 'credit_consume(text,text,numeric,text,text,text,timestamptz,jsonb,boolean)', 'EXECUTE')}),
		't', "$how: access granted with grant_access is kept");
	is($node->safe_psql($db, q{SELECT has_table_privilege('public', 'credit_ledger.entries', 'SELECT')}),
		'f', "$how: nothing was opened to PUBLIC");
	is($node->safe_psql($db, 'SELECT count(*) FROM credit_verify()'), '0', "$how: still clean after new writes");
}

# Custom format, restored with --exit-on-error.
command_ok([ 'pg_dump', @conn, '-Fc', '-f', "$dir/ledger.dump", 'src' ], 'pg_dump -Fc');
$node->safe_psql('postgres', 'CREATE DATABASE restored_fc');
command_ok([ 'pg_restore', @conn, '--exit-on-error', '-d', 'restored_fc', "$dir/ledger.dump" ],
	'pg_restore --exit-on-error succeeds');
check_restored('restored_fc', 'custom format');

# Plain SQL, replayed with ON_ERROR_STOP.
command_ok([ 'pg_dump', @conn, '-f', "$dir/ledger.sql", 'src' ], 'pg_dump (plain SQL)');
$node->safe_psql('postgres', 'CREATE DATABASE restored_sql');
command_ok([ 'psql', @conn, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'restored_sql', '-f', "$dir/ledger.sql" ],
	'psql -v ON_ERROR_STOP=1 replays the plain dump');
check_restored('restored_sql', 'plain SQL');

$node->stop;
done_testing();
