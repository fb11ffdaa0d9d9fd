import Foundation

/// What the HTTP server answers.
public struct LoopbackHTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Sleep this long before answering (for client timeout tests).
    public var delayMilliseconds: Int

    public init(status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = [], delayMilliseconds: Int = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delayMilliseconds = delayMilliseconds
    }
}

/// One request as the server received it, with the connection it came on.
public struct LoopbackHTTPRequest: Sendable {
    public var head: LoopbackHTTPRequestHead
    /// 0 for the first accepted connection, 1 for the next...: equal numbers mean a reused connection.
    public var connectionNumber: Int
}

/// A keep-alive HTTP/1.1 server on 127.0.0.1 (optionally TLS) whose answers come from a closure.
public final class LoopbackHTTPServer: @unchecked Sendable {
    private var listener: LoopbackListener!
    private let lock = NSLock()
    private var recorded: [LoopbackHTTPRequest] = []
    private var connectionCount = 0
    public let isTLS: Bool

    public init(port: Int = 0, tls: LoopbackTLSContext? = nil, handler: @escaping @Sendable (LoopbackHTTPRequestHead) -> LoopbackHTTPResponse) throws(LoopbackError) {
        isTLS = tls != nil
        listener = try LoopbackListener(port: port, tls: tls) { [weak self] connection in
            guard let self else { return }
            lock.lock()
            let number = connectionCount
            connectionCount += 1
            lock.unlock()
            let reader = LoopbackReader(connection)
            while let bytes = reader.readHeaderBlock(), let head = LoopbackHTTPRequestHead(bytes) {
                if let length = head.header("Content-Length").flatMap(Int.init), length > 0 {
                    guard reader.readExactly(length) != nil else { return }
                }
                lock.lock()
                recorded.append(LoopbackHTTPRequest(head: head, connectionNumber: number))
                lock.unlock()
                let response = handler(head)
                if response.delayMilliseconds > 0 { usleep(UInt32(response.delayMilliseconds) * 1000) }
                var text = "HTTP/1.1 \(response.status) Status\r\nContent-Length: \(response.body.count)\r\n"
                for (name, value) in response.headers { text += "\(name): \(value)\r\n" }
                text += "\r\n"
                guard connection.write(Array(text.utf8) + response.body) else { return }
                if head.header("Connection")?.lowercased() == "close" { return }
            }
        }
    }

    public var port: Int { listener.port }
    public func url(_ path: String) -> String { isTLS ? "https://localhost:\(port)\(path)" : "http://127.0.0.1:\(port)\(path)" }

    public var requests: [LoopbackHTTPRequest] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    public func stop() { listener.stop() }
}
