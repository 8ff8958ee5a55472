import Dispatch
import Foundation
import Logging
import Synchronization
import Testing
import TestSupport
@testable import HTTP

/// Answers given inside `HTTPServer.deliveringTogether` reach each event loop in one delivery, when the scope ends.
@Suite struct WakeupCoalescingTests {
    final class ParkingServer: Sendable {
        let server: HTTPServer
        let port: Int
        let parking = Parking()

        final class Parking: Sendable {
            let responders = Mutex<[Responder]>([])
        }

        init(eventLoops: Int) throws {
            var configuration = ServerConfiguration()
            configuration.port = 0
            configuration.eventLoops = eventLoops
            var router = Router()
            let parking = self.parking
            router.get("/parked") { _, responder in parking.responders.withLock { $0.append(responder) } }
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            server = try HTTPServer(configuration: configuration, router: router, logger: logger)
            port = try server.start()
        }

        deinit { server.shutdown(timeout: 1) }

        /// `count` clients, each with a request parked, and the responders of those requests.
        func parkedClients(_ count: Int) throws -> ([RawClient], [Responder]) {
            let clients = try (0..<count).map { _ in try RawClient(port: port) }
            for client in clients { try client.send(RawClient.requestText("GET", "/parked")) }
            return (clients, waitForParked(count))
        }

        func waitForParked(_ count: Int) -> [Responder] {
            _ = waitUntil(interval: 0.002) { parking.responders.withLock { $0.count } >= count }
            return parking.responders.withLock { $0 }
        }
    }

    @Test(arguments: [1, 2])
    func answersInsideTheScopeArriveWhenItEndsAndNoneIsLost(eventLoops: Int) throws {
        let server = try ParkingServer(eventLoops: eventLoops)
        let (clients, responders) = try server.parkedClients(8)
        #expect(responders.count == clients.count)
        HTTPServer.deliveringTogether {
            for (index, responder) in responders.enumerated() {
                responder.respond(Response(status: .ok, contentType: "text/plain", body: "answer \(index)".utf8))
            }
            // Still inside the scope: the loop has not been woken, so nothing was sent yet. The mailbox runs
            // only on a wakeup, so no wait is long enough for an answer to slip out; 0.2 s is ample for a
            // loop woken at once (it answers within a millisecond), and a slow machine can only make this pass.
            #expect(!clients[0].hasInput(within: 0.2))
        }
        var answers: [String] = []
        for client in clients {
            let response = try client.readResponse()
            #expect(response.status == 200)
            answers.append(response.text)
        }
        #expect(Set(answers).count == clients.count)
    }

    @Test(arguments: [1, 2])
    func aScopesAnswersReachEachLoopInOneDelivery(eventLoops: Int) throws {
        let server = try ParkingServer(eventLoops: eventLoops)
        let (clients, responders) = try server.parkedClients(8)
        let loops = Set(responders.map { ObjectIdentifier($0.loop) }).count
        let before = server.server.mailboxDeliveries
        HTTPServer.deliveringTogether {
            for responder in responders { responder.respond(building: { Response(status: .ok, contentType: "text/plain", body: "ok".utf8) }) }
        }
        #expect(server.server.mailboxDeliveries - before == loops, "one delivery per loop that has answers, not one per answer")
        for client in clients { #expect(try client.readResponse().status == 200) }
    }

    @Test func answersFromOtherThreadsDuringAScopeAreNotLost() throws {
        let server = try ParkingServer(eventLoops: 1)
        let (clients, responders) = try server.parkedClients(40)
        // Half answered in overlapping scopes on several threads, half plainly, all at once.
        DispatchQueue.concurrentPerform(iterations: responders.count) { index in
            let answer = { responders[index].respond(Response(status: .ok, contentType: "text/plain", body: "\(index)".utf8)) }
            if index % 2 == 0 { HTTPServer.deliveringTogether(answer) } else { answer() }
        }
        for client in clients { #expect(try client.readResponse().status == 200) }
    }
}
