import Postgres
import TestSupport

/// Whether these suites run: always, unless HEARKEN_SKIP_POSTGRES=1 (then PostgreSQL's absence is
/// not an error). Without the binaries and without that variable, every test fails saying what to install.
let postgresWanted = !PostgresServer.isSkipped

/// A connection to a new, empty database of the shared test server.
func freshDatabase() throws -> (connection: Connection, server: PostgresServer, database: String) {
    let server = try PostgresServer.shared()
    let database = try server.createDatabase()
    return (try Connection(server.connectionString(database: database)), server, database)
}
