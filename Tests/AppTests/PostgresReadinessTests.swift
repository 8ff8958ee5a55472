import App
import Feedback
import Foundation
import Postgres
import Testing
import TestSupport

/// `/readyz` on PostgreSQL asks whether every migration this build knows is applied.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresReadinessTests {
    @Test func readinessComparesTheAppliedVersionsNotTheirCount() throws {
        let server = try PostgresServer.shared()
        let url = server.url(database: try server.createDatabase())
        let live = try PostgresApp(url)
        func ready() throws -> RawClient.Response { try RawClient.request(port: live.port, "GET", "/readyz") }
        #expect(try ready().status == 200)

        // As many rows as migrations, but one of them a version this build does not know.
        let latest = try #require(PostgresSchema.migrations.map(\.version).max())
        let other = try Postgres.Connection(url)
        defer { other.close() }
        #expect(try other.run("UPDATE schema_migrations SET version = 9999 WHERE version = $1", [latest]) == 1)
        let answer = try ready()
        #expect(answer.status == 503)
        #expect(answer.text.contains("not migrated"))

        #expect(try other.run("UPDATE schema_migrations SET version = $1 WHERE version = 9999", [latest]) == 1)
        #expect(try ready().status == 200)
    }
}
