import Foundation
import Live
import Model
import Reliability

/// One websocket connection the stack asked for, and the reader thread that owns it: connect,
/// then a receive loop that hands every frame to the feed (which runs the stack under its lock).
/// Other threads send through the socket's outbox; the socket answers pings itself.
final class WebSocketSession: @unchecked Sendable {
    let id: ConnectionID
    let url: String
    let recordStream: UInt32
    /// Set under the feed's lock once connected; read by the feed (outbox) under the same lock.
    var socket: CurlWebSocket?
    /// The stack closed it (or the collector stops): its end is not news for the stack.
    var closing = false
    private(set) var finished = false
    private let finishedLock = NSCondition()

    init(id: ConnectionID, url: String) {
        self.id = id
        self.url = url
        recordStream = FeedRecorder.stream(connection: id.generation, stream: id.stream)
    }

    func start(feed: VenueFeed, options: CurlWebSocket.Options) {
        let thread = Thread { [self] in
            run(feed: feed, options: options)
            finishedLock.lock()
            finished = true
            finishedLock.broadcast()
            finishedLock.unlock()
        }
        thread.name = "marketprism-ws-\(feed.venue.rawValue)-\(id)"
        thread.start()
    }

    /// Waits for the reader thread to end; false at the deadline.
    func join(timeoutNanoseconds: Int64) -> Bool {
        let deadline = Date(timeIntervalSinceNow: Double(timeoutNanoseconds) / 1e9)
        finishedLock.lock()
        defer { finishedLock.unlock() }
        while !finished {
            if !finishedLock.wait(until: deadline) { return finished }
        }
        return true
    }

    private func run(feed: VenueFeed, options: CurlWebSocket.Options) {
        let socket: CurlWebSocket
        do {
            socket = try CurlWebSocket(url: url, options: options)
        } catch {
            feed.connectFailed(self, error: error)
            return
        }
        guard feed.connected(self, socket: socket) else {
            socket.close(code: WebSocketCloseCode.goingAway, timeoutMilliseconds: 500)
            return
        }
        var sinceCheck = 0
        while true {
            sinceCheck += 1
            if sinceCheck >= 256 {
                // A busy feed never times out: look for a stop request now and then all the same.
                sinceCheck = 0
                if feed.shouldStop(self) {
                    socket.close(code: WebSocketCloseCode.goingAway, timeoutMilliseconds: 1_000)
                    feed.ended(self, code: WebSocketCloseCode.goingAway, reason: "collector stopping", cause: nil)
                    return
                }
            }
            let message: WebSocketMessage?
            do {
                message = try socket.receive(timeoutMilliseconds: 250)
            } catch {
                feed.ended(self, code: nil, reason: "\(error)", cause: .transportError)
                return
            }
            guard let message else {
                if feed.shouldStop(self) {
                    socket.close(code: WebSocketCloseCode.goingAway, timeoutMilliseconds: 1_000)
                    feed.ended(self, code: WebSocketCloseCode.goingAway, reason: "collector stopping", cause: nil)
                    return
                }
                continue
            }
            switch message {
            case .text(let bytes):
                let mono = LiveClock.monotonicNanoseconds()
                bytes.withUnsafeBytes { feed.received($0, binary: false, on: self, monotonic: mono) }
            case .binary(let bytes):
                let mono = LiveClock.monotonicNanoseconds()
                bytes.withUnsafeBytes { feed.received($0, binary: true, on: self, monotonic: mono) }
            case .ping(let payload):
                feed.receivedPing(payload, on: self)
            case .pong:
                break
            case .close(let code, let reason):
                // Finish the handshake (the socket answers the close), then report the end.
                socket.close(code: code ?? WebSocketCloseCode.normal, timeoutMilliseconds: 500)
                feed.ended(self, code: code, reason: reason, cause: .closedByPeer(code: code.map(Int.init)))
                return
            }
        }
    }
}
