# Sourced by the PostgreSQL benchmarks: a temporary PostgreSQL server in $WORK (set by the caller),
# durable (fsync and synchronous_commit on), on a Unix socket in $WORK/sock, with trust
# authentication: only the socket's owner (and root, who runs the benchmark as root) may connect.
# Defines as_pg, pg_temp_start and pg_temp_stop; uses PG_BINDIR and PG_PORT.
PG_BINDIR=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$PG_BINDIR/initdb" ] || { echo "PostgreSQL server binaries are missing: sudo apt-get install -y postgresql" >&2; exit 1; }

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_temp_start() {
  mkdir -p -m 0700 "$WORK/pg" "$WORK/sock"
  [ "$(id -u)" = 0 ] && chown postgres "$WORK/pg" "$WORK/sock"
  as_pg "$PG_BINDIR/initdb" -D "$WORK/pg" -U postgres --auth=trust --encoding=UTF8 --locale=C >/dev/null
  as_pg "$PG_BINDIR/pg_ctl" -D "$WORK/pg" -l "$WORK/sock/pg.log" -w -o "-p $PG_PORT -k $WORK/sock -c listen_addresses= \
    -c unix_socket_permissions=0700 -c shared_buffers=512MB -c max_wal_size=4GB -c checkpoint_timeout=30min -c fsync=on -c synchronous_commit=on" start >/dev/null
  # A server that has run a while has its shared buffers in memory; a fresh one takes a page fault
  # (the kernel zeroes the page) the first time each buffer is used, which was 28% of PostgreSQL's
  # CPU in a 10 s POST run (perf). So every buffer is used once before measuring: a table larger
  # than shared_buffers read in with pg_prewarm (contrib, in Debian's postgresql package), then dropped.
  psql -q -h "$WORK/sock" -p "$PG_PORT" -U postgres -d postgres >/dev/null <<'SQL'
CREATE EXTENSION pg_prewarm;
CREATE TABLE prewarm AS SELECT repeat('x', 900) AS filler FROM generate_series(1, 600000);
SELECT pg_prewarm('prewarm');
DROP TABLE prewarm;
SQL
}

pg_temp_stop() { as_pg "$PG_BINDIR/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true; }
