-- After citus_add_node, running citus_distribute() again covers the new
-- node: the reference table gets a copy there and the node its own id
-- range; a third run finds nothing to do. scripts/test_citus.sh starts the
-- spare node and passes its port in CITUS_SPARE_PORT.
\getenv spare_port CITUS_SPARE_PORT
SELECT count(*) AS added FROM citus_add_node('127.0.0.1', :spare_port);
SELECT regexp_replace(object, ':[0-9]+\)', ':PORT)') AS object, action
  FROM credit_ledger.citus_distribute()
 WHERE action NOT LIKE 'already%';
SELECT regexp_replace(object, ':[0-9]+\)', ':PORT)') AS object, action
  FROM credit_ledger.citus_distribute()
 WHERE action NOT LIKE 'already%' AND object NOT LIKE 'id sequences%';
-- The new node (group 3) holds the reference table and its own id range.
SELECT n.groupid, count(p.shardid) AS credit_types_copies
  FROM pg_dist_node n
  LEFT JOIN pg_dist_placement p ON p.groupid = n.groupid
   AND p.shardid IN (SELECT shardid FROM pg_dist_shard
                      WHERE logicalrelid = 'credit_ledger.credit_types'::regclass)
 GROUP BY n.groupid ORDER BY n.groupid;
SELECT n.groupid, r.result
  FROM run_command_on_all_nodes(
         $$SELECT count(*) || ' sequences, ids ' || min(q.seqmin) || '..' || max(q.seqmax)
             FROM pg_sequence q JOIN pg_class c ON c.oid = q.seqrelid
            WHERE c.relnamespace = 'credit_ledger'::regnamespace$$) r
  JOIN pg_dist_node n USING (nodeid)
 WHERE n.groupid = 3;
