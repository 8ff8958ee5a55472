-- Takes the transaction advisory locks of a whole ingest batch in one statement, in the order of
-- `keys` (the caller sorts them): two batches take their common keys in the same order, so they never
-- wait on each other in a cycle. A set-returning query would not promise the order it calls
-- pg_advisory_xact_lock in; this loop does.
CREATE FUNCTION feedback_lock_keys(keys BIGINT[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    k BIGINT;
BEGIN
    FOREACH k IN ARRAY keys LOOP
        PERFORM pg_advisory_xact_lock(k);
    END LOOP;
END
$$;
