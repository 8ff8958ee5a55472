import Foundation
import Testing
import TestSupport
@testable import App

@Suite struct OpenAPITests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func described() throws -> Set<String> {
        let data = Data(OpenAPIRoutes.document.utf8)
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var operations: Set<String> = []
        for (path, item) in paths {
            for method in item.keys where ["get", "post", "patch", "delete", "put", "options"].contains(method) {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    /// Every route the router knows is described, and every described operation exists.
    @Test func describedOperationsEqualTheRoutes() throws {
        let live = try LiveApp()
        let routed = Set(live.app.routes.map { "\($0.method) \($0.path)" })
        let documented = try described()
        #expect(routed.subtracting(documented).isEmpty, "routes without a description: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "described but not routed: \(documented.subtracting(routed).sorted())")
    }

    @Test func servedDocumentIsTheRepositoryFile() throws {
        let live = try LiveApp()
        let served = try RawClient.request(port: live.port, "GET", "/openapi.json")
        #expect(served.status == 200)
        #expect(served.header("Content-Type") == "application/json")
        let onDisk = try String(contentsOf: Self.folder.appendingPathComponent("openapi/openapi.json"), encoding: .utf8)
        #expect(served.text == onDisk)
    }
}
