import CCurl

/// How a TLS peer is verified. Verification is on unless a caller explicitly asks for `.insecure`.
public struct TLSOptions: Equatable, Sendable {
    public var verifyPeer: Bool
    /// A PEM file of trusted certificates replacing the system store (tests point it at a self-signed cert).
    public var caFile: String?

    public init(verifyPeer: Bool = true, caFile: String? = nil) {
        self.verifyPeer = verifyPeer
        self.caFile = caFile
    }

    public static let systemTrust = TLSOptions()
    public static func trusting(caFile: String) -> TLSOptions { TLSOptions(caFile: caFile) }
    /// No certificate or host name check: only for tests and debugging.
    public static let insecure = TLSOptions(verifyPeer: false)
}

/// One libcurl easy handle with its error buffer, and the option plumbing shared by the websocket and REST
/// clients. Not thread-safe: a handle belongs to one thread at a time (libcurl's own rule).
final class CurlEasyHandle {
    let raw: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>

    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))

    init() throws(TransportError) {
        guard Self.globalInit == CURLE_OK, let handle = curl_easy_init() else {
            throw .curlSetupFailed(option: "curl_easy_init", curlCode: Int32(bitPattern: Self.globalInit.rawValue))
        }
        raw = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        _ = mp_curl_setopt_pointer(raw, CURLOPT_ERRORBUFFER, errorBuffer)
        // Threads: never let libcurl raise signals (timeouts via alarm, SIGPIPE).
        try set(CURLOPT_NOSIGNAL, 1, "NOSIGNAL")
    }

    deinit {
        curl_easy_cleanup(raw)
        errorBuffer.deallocate()
    }

    func set(_ option: CURLoption, _ value: Int, _ name: String) throws(TransportError) {
        let code = mp_curl_setopt_long(raw, option, value)
        guard code == CURLE_OK else { throw .curlSetupFailed(option: name, curlCode: Int32(bitPattern: code.rawValue)) }
    }

    func set(_ option: CURLoption, _ value: String, _ name: String) throws(TransportError) {
        let code = value.withCString { mp_curl_setopt_string(raw, option, $0) }  // libcurl copies strings
        guard code == CURLE_OK else { throw .curlSetupFailed(option: name, curlCode: Int32(bitPattern: code.rawValue)) }
    }

    /// Clears the error buffer before an operation so a message is never stale.
    func resetError() { errorBuffer[0] = 0 }

    /// libcurl's detailed message for the last failure, or its generic text for `code`.
    func message(for code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        if !detail.isEmpty { return detail }
        return String(cString: curl_easy_strerror(code))
    }

    func getLong(_ info: CURLINFO) -> Int {
        var value = 0
        _ = mp_curl_getinfo_long(raw, info, &value)
        return value
    }

    func applyTLS(_ tls: TLSOptions) throws(TransportError) {
        try set(CURLOPT_SSL_VERIFYPEER, tls.verifyPeer ? 1 : 0, "SSL_VERIFYPEER")
        try set(CURLOPT_SSL_VERIFYHOST, tls.verifyPeer ? 2 : 0, "SSL_VERIFYHOST")
        if let caFile = tls.caFile { try set(CURLOPT_CAINFO, caFile, "CAINFO") }
    }

    /// Sets the proxy, or the empty string for direct: libcurl must never apply its own environment lookup,
    /// so ProxyPolicy stays the single place that decides.
    ///
    /// CURLOPT_NOPROXY is set to "" as well: libcurl would otherwise apply the environment's no_proxy even to
    /// an explicitly configured proxy. Credentials are reset on every call because a REST handle is reused
    /// across URLs whose proxies differ.
    func applyProxy(_ proxy: ProxyConfiguration?) throws(TransportError) {
        try set(CURLOPT_NOPROXY, "", "NOPROXY")
        _ = mp_curl_setopt_pointer(raw, CURLOPT_PROXYUSERNAME, nil)
        _ = mp_curl_setopt_pointer(raw, CURLOPT_PROXYPASSWORD, nil)
        guard let proxy else {
            try set(CURLOPT_PROXY, "", "PROXY")
            return
        }
        try set(CURLOPT_PROXY, proxy.curlProxyURL, "PROXY")
        if let user = proxy.username {
            try set(CURLOPT_PROXYUSERNAME, user, "PROXYUSERNAME")
            try set(CURLOPT_PROXYPASSWORD, proxy.password ?? "", "PROXYPASSWORD")
        }
    }

    /// Classifies a failed connect or transfer so callers can tell TLS, proxy and timeout problems apart.
    func connectError(_ code: CURLcode, url: String, proxy: ProxyConfiguration?, timeoutMilliseconds: Int) -> TransportError {
        let curlCode = Int32(bitPattern: code.rawValue)
        let text = message(for: code)
        if let proxy, code == CURLE_COULDNT_CONNECT || code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING {
            // With a proxy these mean the proxy was unreachable or refused the tunnel.
            return .proxyFailed(proxy: proxy.curlProxyURL, curlCode: curlCode, message: text)
        }
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout(operation: "connect \(url)", milliseconds: timeoutMilliseconds)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS:
            return .tlsFailed(url: url, curlCode: curlCode, message: text)
        case CURLE_COULDNT_RESOLVE_PROXY, CURLE_PROXY:
            return .proxyFailed(proxy: proxy?.curlProxyURL ?? "", curlCode: curlCode, message: text)
        default:
            return .connectFailed(url: url, curlCode: curlCode, message: text)
        }
    }
}
