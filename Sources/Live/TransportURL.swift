/// A parsed ws/wss/http/https URL: what the transport needs to connect, pick a proxy and write a request line.
public struct TransportURL: Equatable, Sendable {
    public var scheme: String
    public var host: String
    public var port: Int
    /// Path plus query, never empty ("/" at least).
    public var target: String

    public var isSecure: Bool { scheme == "wss" || scheme == "https" }
    public var defaultPort: Int { isSecure ? 443 : 80 }

    /// The Host header value: the port only when it is not the scheme's default.
    public var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == defaultPort ? h : "\(h):\(port)"
    }

    /// The http(s) URL libcurl connects to: curl 7.88 has no ws scheme, so ws->http and wss->https.
    public var curlURL: String {
        let s = isSecure ? "https" : "http"
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(s)://\(h):\(port)\(target)"
    }

    public init(_ text: String) throws(TransportError) {
        guard let schemeEnd = text.range(of: "://") else { throw .invalidURL(text) }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard ["ws", "wss", "http", "https"].contains(scheme) else { throw .invalidURL(text) }
        var rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        rest = rest[authorityEnd...]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL(text) }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw .invalidURL(text) }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw .invalidURL(text) }
        self.scheme = scheme
        self.host = host.lowercased()
        if let portText {
            guard let port = Int(portText), (1...65535).contains(port) else { throw .invalidURL(text) }
            self.port = port
        } else {
            self.port = (scheme == "wss" || scheme == "https") ? 443 : 80
        }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        var target = String(rest)
        if target.isEmpty { target = "/" } else if target.hasPrefix("?") { target = "/" + target }
        self.target = target
    }
}
