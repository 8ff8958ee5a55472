extension Connection {
    /// The server process (pid) of the session that holds the advisory lock `key`, at session or
    /// transaction level, or nil when none does. pg_locks shows a bigint key as its high and low
    /// 32 bits (classid, objid) with objsubid 1.
    public func advisoryLockHolder(_ key: Int64) throws(PostgresError) -> Int? {
        let high = (key >> 32) & 0xffff_ffff, low = key & 0xffff_ffff
        return try exec("""
            SELECT pid FROM pg_catalog.pg_locks
            WHERE locktype = 'advisory' AND granted AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 1 LIMIT 1
            """, [high, low]).rows.first?.int(0)
    }
}
