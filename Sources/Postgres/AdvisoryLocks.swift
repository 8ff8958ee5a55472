extension Connection {
    /// The server process (pid) of the session that holds the advisory lock `key` in this database,
    /// at session or transaction level, or nil when none does. pg_locks shows a bigint key as its
    /// high and low 32 bits (classid, objid) with objsubid 1, and the locks of every database of the
    /// cluster: each database has its own lock of the same key.
    public func advisoryLockHolder(_ key: Int64) throws(PostgresError) -> Int? {
        let high = (key >> 32) & 0xffff_ffff, low = key & 0xffff_ffff
        return try exec("""
            SELECT pid FROM pg_catalog.pg_locks
            WHERE locktype = 'advisory' AND granted AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 1
              AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()) LIMIT 1
            """, [high, low]).rows.first?.int(0)
    }
}
