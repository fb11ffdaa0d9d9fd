import Live
import Testing

@Suite struct ProxyPolicyTests {
    private let wss = try! TransportURL("wss://stream.binance.com:9443/ws")
    private let ws = try! TransportURL("ws://ws.okx.com/ws")
    private let https = try! TransportURL("https://api.binance.com/api/v3/depth")

    @Test func parsesProxyURLsLikeCurl() throws {
        let p = try ProxyConfiguration(parsing: "socks5h://user:p@ss@127.0.0.1:1080")
        #expect(p == ProxyConfiguration(kind: .socks5h, host: "127.0.0.1", port: 1080, username: "user", password: "p@ss"))
        #expect(try ProxyConfiguration(parsing: "proxy.local") == ProxyConfiguration(kind: .http, host: "proxy.local", port: 1080))
        #expect(try ProxyConfiguration(parsing: "HTTP://[::1]:3128/").curlProxyURL == "http://[::1]:3128")
        #expect(try ProxyConfiguration(parsing: "socks5://h:9").curlProxyURL == "socks5://h:9")
        #expect(throws: TransportError.invalidProxy("ftp://h:1")) { try ProxyConfiguration(parsing: "ftp://h:1") }
        #expect(throws: TransportError.invalidProxy("http://h:0")) { try ProxyConfiguration(parsing: "http://h:0") }
        #expect(throws: TransportError.invalidProxy("http://:80")) { try ProxyConfiguration(parsing: "http://:80") }
    }

    @Test func explicitVenueSettingBeatsTheEnvironment() throws {
        let environment = ["https_proxy": "http://env:1", "ALL_PROXY": "socks5://all:2", "no_proxy": "*"]
        let policy = try ProxyPolicy(configured: "socks5h://venue:3", environment: environment)
        #expect(try policy.proxy(for: wss) == ProxyConfiguration(kind: .socks5h, host: "venue", port: 3))
        #expect(try ProxyPolicy(configured: "direct", environment: environment).proxy(for: wss) == nil)
        #expect(try ProxyPolicy(configured: "  ", environment: ["https_proxy": "http://env:1"]).proxy(for: wss)?.host == "env")
    }

    @Test func environmentFollowsSchemeThenAllProxy() throws {
        let environment = ["https_proxy": "http://secure:1", "http_proxy": "http://plain:2", "ALL_PROXY": "socks5://all:3"]
        let policy = ProxyPolicy(environment: environment)
        #expect(try policy.proxy(for: wss)?.host == "secure")
        #expect(try policy.proxy(for: https)?.host == "secure")
        #expect(try policy.proxy(for: ws)?.host == "plain")
        #expect(try ProxyPolicy(environment: ["HTTPS_PROXY": "http://upper:1"]).proxy(for: wss)?.host == "upper")
        #expect(try ProxyPolicy(environment: ["all_proxy": "socks5h://all:3"]).proxy(for: ws) == ProxyConfiguration(kind: .socks5h, host: "all", port: 3))
        // Upper-case HTTP_PROXY is ignored, as curl does (a CGI client can set it).
        #expect(try ProxyPolicy(environment: ["HTTP_PROXY": "http://cgi:1"]).proxy(for: ws) == nil)
        #expect(try ProxyPolicy(environment: [:]).proxy(for: wss) == nil)
        #expect(throws: TransportError.invalidProxy("bogus://x")) { try ProxyPolicy(environment: ["https_proxy": "bogus://x"]).proxy(for: wss) }
    }

    @Test func noProxyMatchesHostsDomainsAndPorts() throws {
        func direct(_ noProxy: String, _ url: TransportURL) throws -> Bool {
            try ProxyPolicy(environment: ["ALL_PROXY": "socks5://p:1", "NO_PROXY": noProxy]).proxy(for: url) == nil
        }
        #expect(try direct("*", wss))
        #expect(try direct("binance.com", wss))
        #expect(try direct(".binance.com", wss))
        #expect(try direct("other.org, stream.binance.com", wss))
        #expect(try direct("stream.binance.com:9443", wss))
        #expect(try !direct("stream.binance.com:443", wss))
        #expect(try !direct("nance.com", wss))
        #expect(try !direct("okx.com", wss))
        #expect(try direct("okx.com", ws))
        #expect(try direct("[::1]:8080", TransportURL("ws://[::1]:8080/")))
        #expect(try direct("127.0.0.1", TransportURL("http://127.0.0.1:5/")))
    }
}
