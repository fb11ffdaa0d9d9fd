import CCurl
import Foundation

/// A blocking websocket client: libcurl makes the TCP/TLS connection (through the proxy, if any) with
/// CURLOPT_CONNECT_ONLY, and our own RFC 6455 layer (`WebSocketHandshake`, `WebSocketConnectionMachine`)
/// runs over curl_easy_send/curl_easy_recv.
///
/// Threading: not thread-safe. One thread owns a connection and makes every call (connect in `init`, `send`,
/// `receive`, `close`); the collector runs one such thread per connection and feeds what `receive` returns into
/// the sans-IO stack. Other threads send through `outbox`, which wakes a blocked `receive` to send at once.
/// Pings are answered inside `receive`.
public final class CurlWebSocket {
    public struct Options: Sendable {
        public var connectTimeoutMilliseconds: Int
        /// Deadline for the upgrade request and the 101 response after the connection is up.
        public var handshakeTimeoutMilliseconds: Int
        /// Deadline for writing one message when the socket does not drain (a stalled peer).
        public var sendTimeoutMilliseconds: Int
        public var tls: TLSOptions
        /// The proxy for this connection, already resolved (see `ProxyPolicy.proxy(for:)`); nil is direct.
        public var proxy: ProxyConfiguration?
        public var limits: WebSocketLimits
        public var extraHeaders: [(String, String)]
        /// Source of Sec-WebSocket-Key and masking keys; the system generator unless a test injects one.
        public var random: any RandomNumberGenerator & Sendable

        public init(
            connectTimeoutMilliseconds: Int = 10_000, handshakeTimeoutMilliseconds: Int = 10_000, sendTimeoutMilliseconds: Int = 10_000,
            tls: TLSOptions = .systemTrust,
            proxy: ProxyConfiguration? = nil, limits: WebSocketLimits = WebSocketLimits(), extraHeaders: [(String, String)] = [],
            random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()
        ) {
            self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
            self.handshakeTimeoutMilliseconds = handshakeTimeoutMilliseconds
            self.sendTimeoutMilliseconds = sendTimeoutMilliseconds
            self.tls = tls
            self.proxy = proxy
            self.limits = limits
            self.extraHeaders = extraHeaders
            self.random = random
        }
    }

    public let url: TransportURL
    /// The 101 response's headers.
    public let handshakeResponse: WebSocketHandshake.Response
    /// The port libcurl's socket is connected to: the proxy's port when tunnelling, the server's otherwise.
    public let connectedPort: Int
    /// This side's local port of that socket.
    public let localPort: Int

    private let easy: CurlEasyHandle
    private let socket: curl_socket_t
    private var machine: WebSocketConnectionMachine
    private var pending: [WebSocketMessage] = []
    private var pendingIndex = 0
    private var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var released = false
    private let sendTimeoutMilliseconds: Int

    public var state: WebSocketConnectionState { machine.state }
    /// For other threads: queue messages here; the owner's `receive` wakes up and sends them.
    public let outbox = WebSocketOutbox()

    /// Connects, upgrades and returns an open websocket, or throws why not.
    public init(url text: String, options: Options = Options()) throws(TransportError) {
        let url = try TransportURL(text)
        guard url.scheme == "ws" || url.scheme == "wss" else { throw .invalidURL(text) }
        self.url = url
        sendTimeoutMilliseconds = options.sendTimeoutMilliseconds
        let easy = try CurlEasyHandle()
        self.easy = easy
        try easy.set(CURLOPT_URL, url.curlURL, "URL")
        try easy.set(CURLOPT_CONNECT_ONLY, 1, "CONNECT_ONLY")
        try easy.set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1), "HTTP_VERSION")
        try easy.set(CURLOPT_SSL_ENABLE_ALPN, 0, "SSL_ENABLE_ALPN")  // no h2: the upgrade is HTTP/1.1 only
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, options.connectTimeoutMilliseconds, "CONNECTTIMEOUT_MS")
        try easy.set(CURLOPT_TCP_NODELAY, 1, "TCP_NODELAY")
        try easy.set(CURLOPT_TCP_KEEPALIVE, 1, "TCP_KEEPALIVE")
        try easy.applyTLS(options.tls)
        try easy.applyProxy(options.proxy)
        // CONNECT even for plain ws through an HTTP proxy: we need a raw tunnel, not proxied HTTP.
        try easy.set(CURLOPT_HTTPPROXYTUNNEL, options.proxy == nil ? 0 : 1, "HTTPPROXYTUNNEL")

        easy.resetError()
        let code = curl_easy_perform(easy.raw)
        guard code == CURLE_OK else {
            throw easy.connectError(code, url: text, proxy: options.proxy, timeoutMilliseconds: options.connectTimeoutMilliseconds)
        }
        var socket: curl_socket_t = -1
        guard mp_curl_getinfo_socket(easy.raw, &socket) == CURLE_OK, socket >= 0 else {
            throw .connectFailed(url: text, curlCode: -1, message: "no active socket after connect")
        }
        self.socket = socket
        connectedPort = easy.getLong(CURLINFO_PRIMARY_PORT)
        localPort = easy.getLong(CURLINFO_LOCAL_PORT)

        var random = options.random
        let key = WebSocketHandshake.makeKey(using: &random)
        machine = WebSocketConnectionMachine(limits: options.limits, random: random)

        let deadline = Deadline(milliseconds: options.handshakeTimeoutMilliseconds)
        try Self.sendAll(easy, socket, WebSocketHandshake.request(url: url, key: key, extraHeaders: options.extraHeaders), deadline: deadline)
        let expected = WebSocketHandshake.acceptValue(forKey: key)
        var received: [UInt8] = []
        var response: WebSocketHandshake.Response?
        var buffer = [UInt8](repeating: 0, count: 4096)
        while response == nil {
            guard let n = try Self.receiveSome(easy, socket, into: &buffer, deadline: deadline) else {
                throw .timeout(operation: "websocket handshake \(text)", milliseconds: options.handshakeTimeoutMilliseconds)
            }
            if n == 0 { throw .badHandshakeResponse(reason: "connection closed before the end of the response headers") }
            received += buffer[0..<n]
            response = try WebSocketHandshake.parseResponse(received, expectedAccept: expected)
        }
        handshakeResponse = response!
        // Frames the server sent together with the 101 belong to the frame stream.
        if !handshakeResponse.remainder.isEmpty { try absorb(handshakeResponse.remainder) }
    }

    deinit { release() }

    // MARK: Sending

    public func send(text: String) throws(TransportError) {
        try sendBytes(machine.encodeText(text))
    }

    public func send(binary: [UInt8], fragmentSize: Int? = nil) throws(TransportError) {
        try sendBytes(machine.encodeMessage(.binary, binary, fragmentSize: fragmentSize))
    }

    public func send(textBytes: [UInt8], fragmentSize: Int? = nil) throws(TransportError) {
        try sendBytes(machine.encodeMessage(.text, textBytes, fragmentSize: fragmentSize))
    }

    public func ping(_ payload: [UInt8] = []) throws(TransportError) {
        try sendBytes(machine.encodePing(payload))
    }

    // MARK: Receiving

    /// The next message, or nil if none arrived within the timeout. A server close frame is returned once as
    /// `.close`; afterwards, and after a failure, this throws (`closed`, `protocolViolation`, `frameTooLarge`,
    /// `connectionLost`...).
    public func receive(timeoutMilliseconds: Int) throws(TransportError) -> WebSocketMessage? {
        let deadline = Deadline(milliseconds: timeoutMilliseconds)
        while true {
            if pendingIndex < pending.count {
                let message = pending[pendingIndex]
                pendingIndex += 1
                if pendingIndex == pending.count { pending.removeAll(keepingCapacity: true); pendingIndex = 0 }
                return message
            }
            if case .closed(let code, let reason, _) = machine.state {
                release()
                throw machine.failure ?? .closed(code: code, reason: reason)
            }
            try flushOutbox()
            if case .closed = machine.state { continue }
            let n: Int?
            do {
                n = try Self.receiveSome(easy, socket, into: &readBuffer, deadline: deadline, wake: outbox.wakeReadFD)
            } catch {
                machine.connectionLost()
                release()
                throw error
            }
            guard let n else {
                if deadline.remainingMilliseconds > 0 { continue }  // woken by the outbox
                return nil
            }
            if n == 0 {
                machine.connectionLost()
                release()
                throw .connectionLost
            }
            try absorb(readBuffer[0..<n])
        }
    }

    /// Closes politely: sends our close frame, waits up to the timeout for the server's, then drops the
    /// connection. Safe to call in any state.
    public func close(code: UInt16 = WebSocketCloseCode.normal, reason: String = "", timeoutMilliseconds: Int = 2_000) {
        defer { release() }
        guard case .open = machine.state, let frame = try? machine.encodeClose(code: code, reason: reason) else { return }
        guard (try? sendBytes(frame)) != nil else { return }
        let deadline = Deadline(milliseconds: timeoutMilliseconds)
        while !machine.isClosed && !released {
            guard let message = try? receive(timeoutMilliseconds: deadline.remainingMilliseconds) else { return }
            if case .close = message { return }
        }
    }

    // MARK: Internals

    private func absorb(_ bytes: some Collection<UInt8>) throws(TransportError) {
        let result = machine.receive(bytes)
        pending += result.messages
        if !result.outgoing.isEmpty {
            // A failed pong or close reply surfaces on the next receive as a lost connection.
            do { try Self.sendAll(easy, socket, result.outgoing, deadline: Deadline(milliseconds: sendTimeoutMilliseconds)) } catch {
                machine.connectionLost()
            }
        }
    }

    private func flushOutbox() throws(TransportError) {
        for item in outbox.drain() {
            switch item {
            case .text(let text): try send(text: text)
            case .binary(let bytes): try send(binary: bytes)
            case .ping(let payload): try ping(payload)
            case .close(let code, let reason):
                if case .open = machine.state { try sendBytes(machine.encodeClose(code: code, reason: reason)) }
            }
        }
    }

    private func sendBytes(_ bytes: [UInt8]) throws(TransportError) {
        guard !released else { throw .closed(code: nil, reason: "released") }
        try Self.sendAll(easy, socket, bytes, deadline: Deadline(milliseconds: sendTimeoutMilliseconds))
    }

    private func release() {
        guard !released else { return }
        released = true
        machine.connectionLost()
        // The socket is libcurl's; it closes it in curl_easy_cleanup when `easy` goes away. Shut it down now
        // so the peer sees the end promptly even if this object lives on.
        _ = shutdown(socket, Int32(SHUT_RDWR))
    }

    private static func sendAll(_ easy: CurlEasyHandle, _ socket: curl_socket_t, _ bytes: [UInt8], deadline: Deadline) throws(TransportError) {
        var offset = 0
        while offset < bytes.count {
            var sent = 0
            let code = bytes.withUnsafeBytes { buffer in
                curl_easy_send(easy.raw, buffer.baseAddress! + offset, buffer.count - offset, &sent)
            }
            if code == CURLE_OK {
                offset += sent
            } else if code == CURLE_AGAIN {
                if wait(socket, events: Int16(POLLOUT), deadline: deadline) == .timedOut {
                    throw .timeout(operation: "send", milliseconds: deadline.milliseconds)
                }
            } else {
                throw .sendFailed(curlCode: Int32(bitPattern: code.rawValue), message: easy.message(for: code))
            }
        }
    }

    /// Reads what is available: the byte count (0 at end of stream), or nil at the deadline or when `wake`
    /// becomes readable. libcurl is drained until CURLE_AGAIN before polling because TLS may hold decrypted
    /// bytes the socket no longer shows.
    private static func receiveSome(
        _ easy: CurlEasyHandle, _ socket: curl_socket_t, into buffer: inout [UInt8], deadline: Deadline, wake: Int32 = -1
    ) throws(TransportError) -> Int? {
        while true {
            var received = 0
            let code = buffer.withUnsafeMutableBytes { curl_easy_recv(easy.raw, $0.baseAddress, $0.count, &received) }
            if code == CURLE_OK { return received }
            guard code == CURLE_AGAIN else {
                throw .receiveFailed(curlCode: Int32(bitPattern: code.rawValue), message: easy.message(for: code))
            }
            switch wait(socket, events: Int16(POLLIN), deadline: deadline, wake: wake) {
            case .ready: continue
            case .timedOut, .woken: return nil
            }
        }
    }

    private enum WaitResult { case ready, timedOut, woken }

    private static func wait(_ socket: curl_socket_t, events: Int16, deadline: Deadline, wake: Int32 = -1) -> WaitResult {
        while true {
            let remaining = deadline.remainingMilliseconds
            var descriptors = [pollfd(fd: socket, events: events, revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&descriptors, wake >= 0 ? 2 : 1, Int32(clamping: remaining))
            if ready > 0 {
                if descriptors[0].revents != 0 { return .ready }
                return .woken
            }
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 { return .ready }  // let the next curl call report the socket error
            if remaining <= 0 { return .timedOut }
        }
    }
}

/// A monotonic deadline for the blocking edge (not used by the sans-IO core).
struct Deadline {
    let milliseconds: Int
    private let end: ContinuousClock.Instant

    init(milliseconds: Int) {
        self.milliseconds = milliseconds
        end = ContinuousClock.now.advanced(by: .milliseconds(max(0, milliseconds)))
    }

    var remainingMilliseconds: Int {
        let left = ContinuousClock.now.duration(to: end)
        if left <= .zero { return 0 }
        let (seconds, attoseconds) = left.components
        return Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}
