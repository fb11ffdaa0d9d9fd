import COpenSSL
import Foundation

/// One accepted connection, plain TCP or TLS, with blocking reads and writes.
public final class LoopbackConnection: @unchecked Sendable {
    public let fd: Int32
    /// The client's (or proxy's) port as this server sees it.
    public let peerPort: Int
    private let ssl: OpaquePointer?
    private let lock = NSLock()
    private var closed = false

    init(fd: Int32, peerPort: Int, ssl: OpaquePointer?) {
        self.fd = fd
        self.peerPort = peerPort
        self.ssl = ssl
    }

    deinit {
        if let ssl { SSL_free(ssl) }
        if !aborted { Foundation.close(fd) }
    }

    /// Set once `abort()` closed the descriptor itself.
    private var aborted = false

    /// Up to `maxCount` bytes; empty at end of stream or on error.
    public func read(maxCount: Int = 65536) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maxCount)
        let n: Int = buffer.withUnsafeMutableBytes { raw in
            if let ssl { return Int(SSL_read(ssl, raw.baseAddress, Int32(raw.count))) }
            return Foundation.recv(fd, raw.baseAddress, raw.count, 0)
        }
        return n > 0 ? Array(buffer[0..<n]) : []
    }

    /// Writes everything in one call sequence; false if the peer is gone.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n: Int = bytes.withUnsafeBytes { raw in
                if let ssl { return Int(SSL_write(ssl, raw.baseAddress! + offset, Int32(raw.count - offset))) }
                return Foundation.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// Ends the connection (idempotent, callable from any thread). Only shuts the socket down: a reader
    /// blocked in SSL_read on another thread then returns; the SSL object and fd are freed in deinit.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        Foundation.shutdown(fd, Int32(SHUT_RDWR))
    }

    /// Ends the connection with a TCP reset (SO_LINGER 0, then close) instead of an orderly FIN, as a
    /// crashed or cut-off server would. Only for the thread that owns the connection's reads and writes:
    /// the descriptor is closed at once.
    public func abort() {
        lock.lock()
        defer { lock.unlock() }
        guard !aborted else { return }
        var linger = Foundation.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Foundation.linger>.size))
        closed = true
        aborted = true
        Foundation.close(fd)
    }

    /// Waits up to `timeoutMilliseconds` (0: just looks) until a read would not block: bytes on the socket,
    /// TLS plaintext already decrypted and buffered, or end of stream. For single-threaded event loops that
    /// read and write the same connection (OpenSSL allows no concurrent read and write on one SSL).
    public func waitReadable(timeoutMilliseconds: Int) -> Bool {
        if let ssl, SSL_pending(ssl) > 0 { return true }
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, Int32(clamping: timeoutMilliseconds)) > 0
    }
}

/// A server certificate and key for TLS peers. It also records the ALPN protocols each client offered, so a
/// test can check that a client forcing HTTP/1.1 offers none (and never gets h2).
public final class LoopbackTLSContext: @unchecked Sendable {
    let context: OpaquePointer
    private let lock = NSLock()
    private var offers: [[String]] = []

    /// Loads PEM files (e.g. made by `openssl req -x509`).
    public init(certificateFile: String, keyFile: String) throws(LoopbackError) {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw .tls("SSL_CTX_new failed") }
        self.context = context
        mp_ssl_ctx_disable_old_protocols(context)
        guard SSL_CTX_use_certificate_chain_file(context, certificateFile) == 1 else { throw .tls("cannot load certificate \(certificateFile)") }
        guard SSL_CTX_use_PrivateKey_file(context, keyFile, SSL_FILETYPE_PEM) == 1 else { throw .tls("cannot load key \(keyFile)") }
        // Called only when a client sends ALPN; we record the list and select nothing (HTTP/1.1 goes on).
        SSL_CTX_set_alpn_select_cb(context, { _, _, _, input, length, arg in
            guard let input, let arg else { return SSL_TLSEXT_ERR_NOACK }
            var names: [String] = []
            var i = 0
            while i < Int(length) {
                let n = Int(input[i])
                names.append(String(decoding: UnsafeBufferPointer(start: input + i + 1, count: min(n, Int(length) - i - 1)), as: UTF8.self))
                i += n + 1
            }
            Unmanaged<LoopbackTLSContext>.fromOpaque(arg).takeUnretainedValue().record(names)
            return SSL_TLSEXT_ERR_NOACK
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit { SSL_CTX_free(context) }

    /// The ALPN lists clients offered, one per handshake that offered any.
    public var offeredALPN: [[String]] {
        lock.lock()
        defer { lock.unlock() }
        return offers
    }

    private func record(_ names: [String]) {
        lock.lock()
        offers.append(names)
        lock.unlock()
    }
}

public enum LoopbackError: Error, Equatable, Sendable {
    case socket(String, errno: Int32)
    case tls(String)
}

/// A listening socket on 127.0.0.1 with a free port, accepting on its own thread and running `handler`
/// on a new thread per connection, so tests can script peers with plain blocking code.
public final class LoopbackListener: @unchecked Sendable {
    public let port: Int
    private let fd: Int32
    private let tls: LoopbackTLSContext?
    private let lock = NSLock()
    private var connections: [LoopbackConnection] = []
    private var stopped = false
    private var acceptedPeerPorts: [Int] = []

    /// `port` 0 picks a free port (tests); a fixed port is for a server people connect to by hand.
    public init(port: Int = 0, tls: LoopbackTLSContext? = nil, handler: @escaping @Sendable (LoopbackConnection) -> Void) throws(LoopbackError) {
        signal(SIGPIPE, SIG_IGN)  // a peer that hangs up must not kill the test process
        let (fd, port) = try Self.bindLoopback(port: port)
        guard listen(fd, 64) == 0 else { throw .socket("listen", errno: errno) }
        self.fd = fd
        self.port = port
        self.tls = tls
        Thread.detachNewThread { [self] in acceptLoop(handler) }
    }

    deinit { stop() }

    /// Ports of every accepted connection's peer, in accept order.
    public var peerPorts: [Int] {
        lock.lock()
        defer { lock.unlock() }
        return acceptedPeerPorts
    }

    /// Stops accepting and closes every connection.
    public func stop() {
        lock.lock()
        let open = stopped ? [] : connections
        let wasStopped = stopped
        stopped = true
        connections = []
        lock.unlock()
        guard !wasStopped else { return }
        Foundation.shutdown(fd, Int32(SHUT_RDWR))
        Foundation.close(fd)
        for connection in open { connection.close() }
    }

    /// A port that was free a moment ago (for child processes that need one on their command line).
    public static func freePort() throws(LoopbackError) -> Int {
        let (fd, port) = try bindLoopback()
        Foundation.close(fd)
        return port
    }

    private func acceptLoop(_ handler: @escaping @Sendable (LoopbackConnection) -> Void) {
        while true {
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let client = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(fd, $0, &length) }
            }
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let peerPort = Int(UInt16(bigEndian: address.sin_port))
            let tls = self.tls
            Thread.detachNewThread { [self] in
                var ssl: OpaquePointer?
                if let tls {
                    ssl = SSL_new(tls.context)
                    SSL_set_fd(ssl, client)
                    if SSL_accept(ssl) != 1 {
                        SSL_free(ssl)
                        Foundation.close(client)
                        return
                    }
                }
                let connection = LoopbackConnection(fd: client, peerPort: peerPort, ssl: ssl)
                lock.lock()
                if stopped {
                    lock.unlock()
                    connection.close()
                    return
                }
                connections.append(connection)
                acceptedPeerPorts.append(peerPort)
                lock.unlock()
                handler(connection)
                connection.close()
                // Forget it, so a long-running server does not keep every finished connection's descriptor.
                lock.lock()
                connections.removeAll { $0 === connection }
                lock.unlock()
            }
        }
    }

    private static func bindLoopback(port: Int = 0) throws(LoopbackError) -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .socket("socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(clamping: port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let e = errno
            Foundation.close(fd)
            throw .socket("bind", errno: e)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
