import Foundation

/// One proxy to tunnel through: HTTP CONNECT, SOCKS5 (we resolve names) or SOCKS5h (the proxy resolves them).
public struct ProxyConfiguration: Equatable, Sendable {
    public enum Kind: String, Sendable {
        case http
        case https
        case socks5
        case socks5h
    }

    public var kind: Kind
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?

    public init(kind: Kind, host: String, port: Int, username: String? = nil, password: String? = nil) {
        self.kind = kind
        self.host = host
        self.port = port
        self.username = username
        self.password = password
    }

    /// Parses `scheme://[user:pass@]host[:port]`; no scheme means http and no port means 1080, as in curl.
    public init(parsing text: String) throws(TransportError) {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        var kind = Kind.http
        if let range = rest.range(of: "://") {
            guard let parsed = Kind(rawValue: rest[..<range.lowerBound].lowercased()) else { throw .invalidProxy(text) }
            kind = parsed
            rest = rest[range.upperBound...]
        }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var username: String?, password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            if let colon = credentials.firstIndex(of: ":") {
                username = String(credentials[..<colon])
                password = String(credentials[credentials.index(after: colon)...])
            } else {
                username = String(credentials)
            }
            rest = rest[rest.index(after: at)...]
        }
        var host = rest
        var port = 1080
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .invalidProxy(text) }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { throw .invalidProxy(text) }
                port = p
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else { throw .invalidProxy(text) }
            port = p
        }
        guard !host.isEmpty else { throw .invalidProxy(text) }
        self.init(kind: kind, host: String(host), port: port, username: username, password: password)
    }

    /// The value for CURLOPT_PROXY (credentials go separately, unescaped, in CURLOPT_PROXYUSERPWD).
    public var curlProxyURL: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(kind.rawValue)://\(h):\(port)"
    }
}

/// How a venue reaches the network: its own proxy setting if configured, else the environment, else direct.
public struct ProxyPolicy: Equatable, Sendable {
    /// A per-venue setting from the config: a proxy URL, or "direct"/"none" to ignore the environment.
    public enum Explicit: Equatable, Sendable {
        case direct
        case proxy(ProxyConfiguration)
    }

    public var explicit: Explicit?
    public var environment: [String: String]

    public init(explicit: Explicit? = nil, environment: [String: String] = [:]) {
        self.explicit = explicit
        self.environment = environment
    }

    /// From a config string: nil/empty means "not configured", "direct"/"none" forces direct.
    public init(configured: String?, environment: [String: String]) throws(TransportError) {
        self.environment = environment
        guard let configured, !configured.trimmingCharacters(in: .whitespaces).isEmpty else {
            self.explicit = nil
            return
        }
        switch configured.trimmingCharacters(in: .whitespaces).lowercased() {
        case "direct", "none": self.explicit = .direct
        default: self.explicit = .proxy(try ProxyConfiguration(parsing: configured))
        }
    }

    /// The proxy for a connection to `url`, or nil for direct.
    ///
    /// Environment order follows curl: the scheme's own variable (`https_proxy`/`HTTPS_PROXY` for wss/https,
    /// `http_proxy` for ws/http; no upper-case HTTP_PROXY, which CGI lets a client set), then
    /// `ALL_PROXY`/`all_proxy`; `no_proxy`/`NO_PROXY` exempts hosts. An explicit setting ignores both.
    public func proxy(for url: TransportURL) throws(TransportError) -> ProxyConfiguration? {
        switch explicit {
        case .direct: return nil
        case .proxy(let proxy): return proxy
        case nil: break
        }
        if let noProxy = value(["no_proxy", "NO_PROXY"]), Self.noProxy(noProxy, matches: url) { return nil }
        let names = url.isSecure ? ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"] : ["http_proxy", "all_proxy", "ALL_PROXY"]
        guard let text = value(names) else { return nil }
        return try ProxyConfiguration(parsing: text)
    }

    private func value(_ names: [String]) -> String? {
        for name in names {
            if let v = environment[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty { return v }
        }
        return nil
    }

    /// curl's no_proxy rules: "*" matches all; an entry matches the host itself or any subdomain (a leading
    /// dot is optional); an entry with ":port" matches only that port.
    static func noProxy(_ list: String, matches url: TransportURL) -> Bool {
        let host = url.host.lowercased()
        for raw in list.split(separator: ",") {
            var entry = raw.trimmingCharacters(in: .whitespaces).lowercased()
            if entry.isEmpty { continue }
            if entry == "*" { return true }
            if entry.hasPrefix("[") , let close = entry.firstIndex(of: "]") {
                let after = entry[entry.index(after: close)...]
                if after.hasPrefix(":"), Int(after.dropFirst()) != url.port { continue }
                entry = String(entry[entry.index(after: entry.startIndex)..<close])
            } else if entry.filter({ $0 == ":" }).count == 1, let colon = entry.lastIndex(of: ":") {
                if Int(entry[entry.index(after: colon)...]) != url.port { continue }
                entry = String(entry[..<colon])
            }
            if entry.hasPrefix(".") { entry.removeFirst() }
            if host == entry || host.hasSuffix("." + entry) { return true }
        }
        return false
    }
}
