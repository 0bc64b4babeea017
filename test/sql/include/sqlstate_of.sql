-- pg_temp.sqlstate_of(sql): runs sql and returns 'no error' or its
-- 'SQLSTATE: message', so a topic can show an error and go on.
CREATE FUNCTION pg_temp.sqlstate_of(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
