import Postgres
import Testing
import TestSupport

@Suite struct RedactionTests {
    @Test(arguments: [
        ("postgres://app:s3cret@db.example:5432/hearken?sslmode=require", "postgres://app:***@db.example:5432/hearken?sslmode=require"),
        ("postgresql://app:s3cret@h1:5432,h2:5433/hearken", "postgresql://app:***@h1:5432,h2:5433/hearken"),
        ("postgresql://app@db/hearken?password=s3cret&sslmode=verify-full", "postgresql://app@db/hearken?password=***&sslmode=verify-full"),
        ("postgresql://app:p%40ss@db/hearken", "postgresql://app:***@db/hearken"),
        ("postgresql://app:p@ss/w@db/hearken", "postgresql://app:***@db/hearken"),
        ("postgresql://db/hearken", "postgresql://db/hearken"),
        ("postgresql:///hearken?host=/run/postgresql", "postgresql:///hearken?host=/run/postgresql"),
        ("host=db user=app password=s3cret dbname=hearken", "host=db user=app password=*** dbname=hearken"),
        ("host=db password = 's3 cr\\'et' dbname=hearken", "host=db password = *** dbname=hearken"),
        ("password=s3cret", "password=***"),
        ("host=db dbname=hearken", "host=db dbname=hearken"),
        ("host=db password='unterminated s3cret", "***"),
    ])
    func hidesPasswords(input: String, expected: String) {
        let redacted = ConnectionString.redacted(input)
        #expect(redacted == expected)
        #expect(!redacted.contains("s3cret") && !redacted.contains("s3 cr"))
    }

    /// For commands printed to run as they are: the password gone, not masked (libpq would send `***`).
    @Test(arguments: [
        ("postgres://app:s3cret@db.example:5432/hearken?sslmode=require", "postgres://app@db.example:5432/hearken?sslmode=require"),
        ("postgresql://app:p@ss/w@h1:5432,h2:5433/hearken", "postgresql://app@h1:5432,h2:5433/hearken"),
        ("postgresql://app@db/hearken?password=s3cret&sslmode=verify-full", "postgresql://app@db/hearken?sslmode=verify-full"),
        ("postgresql://app@db/hearken?sslmode=require&password=s3cret", "postgresql://app@db/hearken?sslmode=require"),
        ("postgresql://app@db/hearken?password=s3cret", "postgresql://app@db/hearken"),
        ("postgresql:///hearken?host=/run/postgresql", "postgresql:///hearken?host=/run/postgresql"),
        ("host=db user=app password=s3cret dbname=hearken", "host=db user=app  dbname=hearken"),
        ("host=db password = 's3 cr\\'et' dbname=hearken", "host=db  dbname=hearken"),
        ("password=s3cret host=db", "host=db"),
    ])
    func leavesPasswordsOut(input: String, expected: String) {
        let printable = ConnectionString.withoutPassword(input)
        #expect(printable == expected)
        #expect(printable.map { !$0.contains("s3cret") && !$0.contains("s3 cr") && !$0.contains("***") } == true)
    }

    @Test func leavesNothingToPrintForAnUnparseableString() {
        #expect(ConnectionString.withoutPassword("host=db password='unterminated s3cret") == nil)
    }

    @Test func tellsPostgresFromSQLitePaths() {
        #expect(ConnectionString.isPostgres("postgres://h/db"))
        #expect(ConnectionString.isPostgres("postgresql://h/db"))
        #expect(!ConnectionString.isPostgres("./data/hearken.db"))
        #expect(!ConnectionString.isPostgres("file:hearken.db?mode=ro"))
    }

    @Test(.enabled(if: postgresWanted, "HEARKEN_SKIP_POSTGRES=1"))
    func connectionErrorsDoNotShowThePassword() throws {
        let server = try PostgresServer.shared()
        for text in [server.connectionString(database: "no_such_db") + " password=hunter2-secret",
                     "postgresql://postgres:hunter2-secret@/no_such_db?host=\(server.socketDirectory)&port=\(server.port)"] {
            do {
                _ = try Connection(text)
                Issue.record("connected to a database that does not exist")
            } catch {
                #expect(error.isConnectionFailure)
                #expect(error.description.contains("no_such_db"))
                #expect(!error.description.contains("hunter2"))
                #expect(error.description.contains("***"))
            }
        }
    }

    /// A percent-encoded password reaches libpq decoded, so the decoded form is scrubbed too: here the
    /// server's "database … does not exist" names it (the database is named like the password).
    @Test(.enabled(if: postgresWanted, "HEARKEN_SKIP_POSTGRES=1"))
    func theDecodedPasswordIsScrubbedToo() throws {
        let server = try PostgresServer.shared()
        let text = "postgresql://postgres:p%40ss-hunter2@/?dbname=p%40ss-hunter2&host=\(server.socketDirectory)&port=\(server.port)"
        do {
            _ = try Connection(text)
            Issue.record("connected to a database that does not exist")
        } catch {
            #expect(error.isConnectionFailure)
            #expect(!error.description.contains("p@ss-hunter2"), "\(error)")
            #expect(error.description.contains("***"))
        }
    }
}
