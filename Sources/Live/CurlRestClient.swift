import CCurl
import Foundation

/// One HTTP response as the REST side needs it: status, every header in arrival order (rate-limit and
/// Retry-After headers drive the limiter), and the decoded body.
public struct RestResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Connections libcurl had to open for this request: 0 means an existing one was reused.
    public var newConnections: Int

    /// The first header with this name, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Retry-After in its delta-seconds form (the form exchanges use); nil when absent or an HTTP-date.
    public var retryAfterSeconds: Int? {
        header("Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// Binance's X-MBX-USED-WEIGHT-1M, the request weight used in the current minute.
    public var usedWeightPerMinute: Int? {
        header("X-MBX-USED-WEIGHT-1M").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }
}

/// A blocking REST client on one libcurl easy handle, so consecutive requests to a host reuse the
/// connection (and its TLS session). Compression is negotiated with every encoding libcurl supports and
/// bodies arrive decoded. Proxies come from the policy, per request URL (no_proxy is per host).
///
/// Threading: not thread-safe; one thread owns a client (make one per venue thread).
public final class CurlRestClient {
    public struct Options: Sendable {
        public var connectTimeoutMilliseconds: Int
        /// Whole-request deadline unless a call passes its own.
        public var timeoutMilliseconds: Int
        public var tls: TLSOptions
        public var proxyPolicy: ProxyPolicy
        public var compression: Bool
        public var maxBodyBytes: Int
        public var userAgent: String

        public init(
            connectTimeoutMilliseconds: Int = 5_000, timeoutMilliseconds: Int = 10_000, tls: TLSOptions = .systemTrust,
            proxyPolicy: ProxyPolicy = ProxyPolicy(), compression: Bool = true, maxBodyBytes: Int = 64 << 20,
            userAgent: String = "marketprism"
        ) {
            self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
            self.timeoutMilliseconds = timeoutMilliseconds
            self.tls = tls
            self.proxyPolicy = proxyPolicy
            self.compression = compression
            self.maxBodyBytes = maxBodyBytes
            self.userAgent = userAgent
        }
    }

    public let options: Options
    private let easy: CurlEasyHandle
    private let collector: ResponseCollector

    public init(options: Options = Options()) throws(TransportError) {
        self.options = options
        easy = try CurlEasyHandle()
        collector = ResponseCollector()
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, options.connectTimeoutMilliseconds, "CONNECTTIMEOUT_MS")
        try easy.set(CURLOPT_FOLLOWLOCATION, 0, "FOLLOWLOCATION")
        try easy.set(CURLOPT_TCP_KEEPALIVE, 1, "TCP_KEEPALIVE")
        try easy.set(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1, "SUPPRESS_CONNECT_HEADERS")  // keep the proxy's CONNECT reply out
        try easy.set(CURLOPT_USERAGENT, options.userAgent, "USERAGENT")
        if options.compression { try easy.set(CURLOPT_ACCEPT_ENCODING, "", "ACCEPT_ENCODING") }
        try easy.applyTLS(options.tls)
        let box = Unmanaged.passUnretained(collector).toOpaque()
        _ = mp_curl_setopt_write_callback(easy.raw) { data, size, count, context in
            let collector = Unmanaged<ResponseCollector>.fromOpaque(context!).takeUnretainedValue()
            let n = size * count
            if collector.body.count + n > collector.limit {
                collector.overflowed = true
                return 0  // makes libcurl fail the transfer with CURLE_WRITE_ERROR
            }
            data!.withMemoryRebound(to: UInt8.self, capacity: n) { collector.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
            return n
        }
        _ = mp_curl_setopt_pointer(easy.raw, CURLOPT_WRITEDATA, box)
        _ = mp_curl_setopt_header_callback(easy.raw) { data, size, count, context in
            let collector = Unmanaged<ResponseCollector>.fromOpaque(context!).takeUnretainedValue()
            let n = size * count
            let line = data!.withMemoryRebound(to: UInt8.self, capacity: n) { String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self) }
            collector.headerLine(line)
            return n
        }
        _ = mp_curl_setopt_pointer(easy.raw, CURLOPT_HEADERDATA, box)
    }

    /// GET `url` with extra request headers. HTTP error statuses are responses, not errors; transport
    /// failures throw (`timeout`, `tlsFailed`, `proxyFailed`, `connectFailed`, `requestFailed`...).
    public func get(_ url: String, headers: [(String, String)] = [], timeoutMilliseconds: Int? = nil) throws(TransportError) -> RestResponse {
        let target = try TransportURL(url)
        guard target.scheme == "http" || target.scheme == "https" else { throw .invalidURL(url) }
        let proxy = try options.proxyPolicy.proxy(for: target)
        let timeout = timeoutMilliseconds ?? options.timeoutMilliseconds
        try easy.set(CURLOPT_URL, url, "URL")
        try easy.set(CURLOPT_HTTPGET, 1, "HTTPGET")
        try easy.set(CURLOPT_TIMEOUT_MS, timeout, "TIMEOUT_MS")
        try easy.applyProxy(proxy)
        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in headers { list = curl_slist_append(list, "\(name): \(value)") }
        defer { curl_slist_free_all(list) }
        _ = mp_curl_setopt_slist(easy.raw, CURLOPT_HTTPHEADER, list)
        defer { _ = mp_curl_setopt_slist(easy.raw, CURLOPT_HTTPHEADER, nil) }

        collector.reset(limit: options.maxBodyBytes)
        easy.resetError()
        let code = curl_easy_perform(easy.raw)
        guard code == CURLE_OK else {
            if collector.overflowed { throw .responseTooLarge(url: url, limit: options.maxBodyBytes) }
            if code == CURLE_OPERATION_TIMEDOUT { throw .timeout(operation: "GET \(url)", milliseconds: timeout) }
            switch easy.connectError(code, url: url, proxy: proxy, timeoutMilliseconds: timeout) {
            case .connectFailed(let u, let c, let m): throw .requestFailed(url: u, curlCode: c, message: m)
            case let other: throw other
            }
        }
        return RestResponse(
            status: easy.getLong(CURLINFO_RESPONSE_CODE), headers: collector.headers, body: collector.body,
            newConnections: easy.getLong(CURLINFO_NUM_CONNECTS))
    }
}

/// Collects one transfer's headers and body from libcurl's callbacks.
private final class ResponseCollector {
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []
    var limit = 0
    var overflowed = false

    func reset(limit: Int) {
        headers = []
        body = []
        self.limit = limit
        overflowed = false
    }

    func headerLine(_ line: String) {
        if line.hasPrefix("HTTP/") {
            headers = []  // a new response (after 1xx): only the final one's headers count
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces)
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        headers.append((name, value))
    }
}
