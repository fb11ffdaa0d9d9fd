import Foundation
import Model
import NATSTransport
import Publishing
import Testing
import TestSupport

/// The connection options against real nats-servers configured for them: user and password, a
/// token, and TLS with a self-signed certificate. Each publishes through JetStream and reads the
/// stream back with the same options; the wrong credentials (or no trusted CA) never connect, and
/// the publisher's health says why.
@Suite(.serialized, .enabled(if: NATSServer.available, "needs nats-server (apt-get install nats-server)"))
struct NATSOptionsLiveTests {
    func options(_ url: String, user: String? = nil, password: String? = nil, token: String? = nil, tls: TLSOptions? = nil)
        -> NATSConnectionOptions
    {
        NATSConnectionOptions(
            urls: [url], user: user, password: password, token: token, tls: tls, reconnectWait: .milliseconds(50),
            maxReconnectWait: .milliseconds(200), connectTimeout: .seconds(1))
    }

    /// Publishes 200 events with `connection` and reads them back with the same options.
    func publishesAndReadsBack(_ connection: NATSConnectionOptions) throws {
        let publisher = JetStreamPublisher(.init(connection: connection, stream: StreamConfiguration(name: "MARKET_DATA")))
        try publisher.start()
        defer { publisher.close() }
        #expect(publisher.isConnected, "\(publisher.health)")
        for i in 1...200 { publisher.publish(Feed.event(i)) }
        #expect(publisher.flush(timeout: .seconds(20)))
        #expect(publisher.stats.acked == 200)
        let admin = try JetStreamAdmin(connection)
        defer { admin.close() }
        #expect(firstDifference(try admin.messages("MARKET_DATA").map { $0.id ?? "" }, Feed.ids(1...200)) == "")
    }

    /// A publisher that must not get in: not connected, nothing acked, and the failure named.
    func refused(_ connection: NATSConnectionOptions, because expected: String) throws {
        let publisher = JetStreamPublisher(.init(connection: connection, stream: StreamConfiguration(name: "MARKET_DATA")))
        try publisher.start()
        defer { publisher.close() }
        publisher.publish(Feed.event(1))
        let health = publisher.health
        #expect(!health.connected)
        #expect(health.connectAttemptsFailed >= 1)
        #expect(health.acked == 0 && health.buffered == 1)
        #expect(health.lastError?.localizedCaseInsensitiveContains(expected) == true, "\(health.lastError ?? "nil")")
        #expect(health.downSinceMonotonicNs != nil)
        #expect(throws: NATSError.self) { _ = try JetStreamAdmin(connection) }
    }

    @Test func userAndPassword() throws {
        let server = try NATSServer(configuration: #"authorization { user: "feed", password: "s3cret" }"#)
        defer { server.stop() }
        try publishesAndReadsBack(options(server.url, user: "feed", password: "s3cret"))
        try refused(options(server.url, user: "feed", password: "wrong"), because: "authentication")
        try refused(options(server.url), because: "authentication")
    }

    @Test func token() throws {
        let server = try NATSServer(configuration: #"authorization { token: "t0ken-42" }"#)
        defer { server.stop() }
        try publishesAndReadsBack(options(server.url, token: "t0ken-42"))
        try refused(options(server.url, token: "t0ken-43"), because: "authentication")
    }

    @Test func tlsWithASelfSignedCertificate() throws {
        let certificate = try TestCertificate.make()
        defer { certificate.remove() }
        let server = try NATSServer(configuration: """
            tls {
              cert_file: "\(certificate.certificateFile)"
              key_file: "\(certificate.keyFile)"
            }
            """)
        defer { server.stop() }
        let url = "tls://localhost:\(server.port)"
        try publishesAndReadsBack(options(url, tls: TLSOptions(caFile: certificate.certificateFile)))
        // The same certificate is not trusted without its CA file, nor under a name it does not carry.
        let other = try TestCertificate.make()
        defer { other.remove() }
        try refused(options(url, tls: TLSOptions(caFile: other.certificateFile)), because: "ssl")
        try refused(options(url, tls: TLSOptions(caFile: certificate.certificateFile, expectedHostname: "example.com")), because: "ssl")
        #expect(server.log.contains("TLS"), "the server ran with TLS")
    }
}
