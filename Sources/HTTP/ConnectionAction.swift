/// The instant an action is computed, as the driver saw it: time is injected, never read.
struct Moment {
    /// Monotonic milliseconds.
    var now: UInt64
    /// The `Date: …\r\n` line for responses serialized now.
    var dateLine: [UInt8]
}

/// What the driver must do; one at a time, so no list is allocated per event.
enum ConnectionAction {
    /// Nothing until the next event.
    case wait
    /// Queue bytes for the socket (an interim 100 Continue, a streamed piece); report `outputDrained` when all are out.
    case write([UInt8])
    /// Queue a serialized response and report it to the observer.
    case respond([UInt8], AnsweredExchange)
    case pauseReading
    case resumeReading
    /// Run the route's handler with a responder for the current `generation`.
    case dispatch(Request, Handler)
    /// Ask the stream for its next piece, to come back through `pieceReady`.
    case requestPiece(any BodyStream)
    /// Let other connections have a turn, then call `nextAction` again.
    case yield
    /// Shut down the sending side and keep reading (and discarding) until the peer closes.
    case linger
    /// Cancel the stream if any and close the socket.
    case close((any BodyStream)?)
}

/// What the observer learns about an answered request; the driver adds the duration.
struct AnsweredExchange {
    let method: String
    let route: String
    let routeIndex: Int?
    let status: Int
    let path: String
    let requestID: String
    let bodyBytes: Int
}
