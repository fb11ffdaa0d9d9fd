import Model

/// How to reach and authenticate to the NATS servers.
public struct NATSConnectionOptions: Hashable, Sendable {
    /// Server URLs (`nats://host:port`, `tls://...`); libnats tries them in turn.
    public var urls: [String]
    public var user: String?
    public var password: String?
    public var token: String?
    /// A `.creds` file (user JWT and NKey seed).
    public var credentialsFile: String?
    public var tls: TLSOptions?
    /// The connection name the server shows in monitoring.
    public var name: String
    /// First pause between reconnect rounds; doubles per round up to `maxReconnectWait`.
    public var reconnectWait: Nanoseconds
    public var maxReconnectWait: Nanoseconds
    public var connectTimeout: Nanoseconds

    public init(
        urls: [String], user: String? = nil, password: String? = nil, token: String? = nil, credentialsFile: String? = nil,
        tls: TLSOptions? = nil, name: String = "marketprism", reconnectWait: Nanoseconds = .milliseconds(100),
        maxReconnectWait: Nanoseconds = .seconds(5), connectTimeout: Nanoseconds = .seconds(2)
    ) {
        self.urls = urls
        self.user = user
        self.password = password
        self.token = token
        self.credentialsFile = credentialsFile
        self.tls = tls
        self.name = name
        self.reconnectWait = reconnectWait
        self.maxReconnectWait = maxReconnectWait
        self.connectTimeout = connectTimeout
    }

    /// Options from a comma-separated URL list such as `--nats nats://a:4222,nats://b:4222`.
    public init(urlList: String) {
        self.init(urls: urlList.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty })
    }
}

/// TLS settings; any of them turns TLS on.
public struct TLSOptions: Hashable, Sendable {
    /// PEM file of trusted CAs.
    public var caFile: String?
    /// Client certificate chain and key (PEM), for mutual TLS.
    public var certificateFile: String?
    public var keyFile: String?
    /// The name to verify in the server certificate when it differs from the URL host.
    public var expectedHostname: String?

    public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, expectedHostname: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.expectedHostname = expectedHostname
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
