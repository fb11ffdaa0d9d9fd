/// Everything the live transport can fail with, with enough context to log and to decide on a reconnect.
///
/// `curlCode` is libcurl's `CURLcode` raw value; `message` is libcurl's error buffer (or its strerror text).
public enum TransportError: Error, Equatable, Sendable {
    /// The URL could not be parsed or has a scheme this client does not speak.
    case invalidURL(String)
    /// The proxy setting (explicit or from the environment) could not be parsed.
    case invalidProxy(String)
    /// A libcurl option was refused (a libcurl built without a needed feature).
    case curlSetupFailed(option: String, curlCode: Int32)
    /// TCP connect (direct or to the proxy) failed.
    case connectFailed(url: String, curlCode: Int32, message: String)
    /// The proxy refused or failed the tunnel (SOCKS error, CONNECT rejected, proxy unreachable).
    case proxyFailed(proxy: String, curlCode: Int32, message: String)
    /// The TLS handshake or certificate verification failed.
    case tlsFailed(url: String, curlCode: Int32, message: String)
    /// Sending on an established connection failed.
    case sendFailed(curlCode: Int32, message: String)
    /// Receiving on an established connection failed.
    case receiveFailed(curlCode: Int32, message: String)
    /// The peer closed the TCP connection without a websocket close handshake.
    case connectionLost
    /// The server answered the upgrade with a status other than 101.
    case handshakeRejected(status: Int)
    /// The upgrade response is not valid HTTP/1.1 or lacks the upgrade headers.
    case badHandshakeResponse(reason: String)
    /// The server's Sec-WebSocket-Accept does not match the key we sent.
    case badAccept(expected: String, received: String?)
    /// The server broke RFC 6455; we sent close 1002/1007 and dropped the connection.
    case protocolViolation(WebSocketViolation)
    /// A frame announced a payload larger than the configured limit; we sent close 1009.
    case frameTooLarge(size: UInt64, limit: Int)
    /// A fragmented message grew past the configured limit; we sent close 1009.
    case messageTooLarge(size: Int, limit: Int)
    /// The websocket is closed (by either side) and cannot send or receive more.
    case closed(code: UInt16?, reason: String)
    /// An operation did not finish within its deadline.
    case timeout(operation: String, milliseconds: Int)
    /// A REST request failed at the transport level (no HTTP status to report).
    case requestFailed(url: String, curlCode: Int32, message: String)
    /// A REST response body grew past the configured limit.
    case responseTooLarge(url: String, limit: Int)
}

// `WebSocketViolation` (what `protocolViolation` carries) lives in the `WebSocket` codec target.
