-- The bytes in the extension's tables that are not shards (the shell
-- tables, and the local tables of a node), per node: none may hold rows.
SELECT n.groupid, r.result AS shell_bytes
  FROM run_command_on_all_nodes(
         $$SELECT coalesce(sum(pg_relation_size(c.oid)), 0) FROM pg_class c
            WHERE c.relnamespace = 'credit_ledger'::regnamespace AND c.relkind = 'r'
              AND c.relname !~ '_[0-9]+$'$$) r
  JOIN pg_dist_node n USING (nodeid)
 ORDER BY n.groupid;
