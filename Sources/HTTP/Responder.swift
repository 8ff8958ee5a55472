/// Hands a handler's response back to the connection's loop; callable from any thread, once.
public struct Responder: Sendable {
    let loop: EventLoop
    let connectionID: UInt64
    let generation: UInt64

    public func respond(_ response: Response) {
        loop.deliver(response, connectionID: connectionID, generation: generation)
    }
}
