/// Hands a handler's response back to the connection's loop; callable from any thread, once.
public struct Responder: Sendable {
    let loop: EventLoop
    let connectionID: UInt64
    let generation: UInt64

    public func respond(_ response: Response) {
        loop.deliver(response, connectionID: connectionID, generation: generation)
    }

    /// Builds the response on the connection's loop thread: a caller on a thread that others wait
    /// for (the database writer answering a group commit) hands over only what the answer needs.
    public func respond(building: @escaping @Sendable () -> Response) {
        loop.deliver(building: building, connectionID: connectionID, generation: generation)
    }
}
