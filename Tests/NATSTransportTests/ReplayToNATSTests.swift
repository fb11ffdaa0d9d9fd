import Foundation
import NATSTransport
import Testing
import TestSupport

/// `marketprism replay REC --nats URL` against a real nats-server: the stream holds exactly what the
/// report says was published, and a second identical replay adds nothing (message-id dedup).
@Suite("replay --nats", .enabled(if: NATSServer.available, "nats-server is not installed (make test installs it)"))
struct ReplayToNATSTests {
    static let recording = TestEnvironment.packageRoot.appendingPathComponent("recordings/okx.mprec").path

    func replay(_ server: NATSServer) throws -> [String: Any] {
        let result = try TestEnvironment.marketprism(
            "replay", Self.recording, "--nats", server.url, "--depth", "20", "--json")
        #expect(result.status == 0, "\(result.stderrText)")
        return try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
    }

    @Test func streamCountEqualsPublishedAndRerunAddsNothing() throws {
        let server = try NATSServer()
        let first = try replay(server)
        let published = try #require(first["published"] as? Int)
        #expect(published > 1000)
        let admin = try JetStreamAdmin(NATSConnectionOptions(urlList: server.url))
        defer { admin.close() }
        #expect(try admin.streamState("MARKET_DATA").messages == UInt64(published))
        let nats = try #require(first["nats"] as? [String: Any])
        #expect(nats["acked"] as? Int == published)
        #expect(nats["lost"] as? Int == 0)

        let second = try replay(server)
        #expect(second["digest"] as? String == first["digest"] as? String)
        #expect((second["nats"] as? [String: Any])?["duplicates"] as? Int == published)
        #expect(try admin.streamState("MARKET_DATA").messages == UInt64(published))
    }
}
