import Foundation
import Live
import LoopbackPeers
import Model
import TestSupport
import Testing

/// Real exchange traffic (the cryptofeed captures in ../shared/data) through the whole transport: a TLS
/// loopback server replays one recorded connection, the client sends the recorded subscribes and must get
/// every recorded frame back byte for byte, large ones split into fragments.
@Suite(.enabled(if: TestEnvironment.hasSharedData, Comment(rawValue: TestEnvironment.sharedDataSkipMessage)))
struct RecordedTrafficTests {
    /// (frames the client sent, frames it received) of one ws capture file.
    private func capture(_ feed: String) throws -> (sent: [String], received: [[UInt8]]) {
        let file = try #require(TestEnvironment.cryptofeedFiles(feed: feed).first { $0.lastPathComponent.contains(".ws.") })
        let text = try String(contentsOf: file, encoding: .utf8)
        var sent: [String] = [], received: [[UInt8]] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let colon = line.range(of: ": ") else { continue }
            let head = line[..<colon.lowerBound]
            let payload = String(line[colon.upperBound...])
            if Double(head) != nil {
                received.append(Array(payload.utf8))
            } else if head.contains(" <- ") {
                sent.append(payload)
            }
        }
        return (sent, received)
    }

    @Test func recordedDepthSnapshotsComeBackThroughGzipOverHTTPS() throws {
        let file = try #require(TestEnvironment.cryptofeedFiles(feed: "BINANCE").first { $0.lastPathComponent.contains(".http.") })
        var snapshots: [(path: String, body: [UInt8])] = []
        for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") where snapshots.count < 3 {
            guard let arrow = line.range(of: " -> "), let colon = line[arrow.upperBound...].range(of: ": ") else { continue }
            let url = try TransportURL(String(line[..<arrow.lowerBound]))
            snapshots.append((url.target, Array(line[colon.upperBound...].utf8)))
        }
        try #require(snapshots.count == 3)
        var compressed: [String: [UInt8]] = [:]
        for snapshot in snapshots {
            let gzip = try TestEnvironment.run(URL(fileURLWithPath: "/bin/gzip"), ["-c"], stdin: Data(snapshot.body))
            try #require(gzip.status == 0)
            compressed[snapshot.path] = Array(gzip.stdout)
        }
        let bodies = compressed
        let certificate = try TestCertificate.make()
        defer { certificate.remove() }
        let server = try LoopbackHTTPServer(tls: certificate.tlsContext()) { request in
            guard let body = bodies[request.target] else { return LoopbackHTTPResponse(status: 404) }
            return LoopbackHTTPResponse(headers: [("Content-Encoding", "gzip"), ("X-MBX-USED-WEIGHT-1M", "10")], body: body)
        }
        defer { server.stop() }
        let client = try CurlRestClient(options: .init(tls: .trusting(caFile: certificate.certificateFile)))
        for snapshot in snapshots {
            let response = try client.get(server.url(snapshot.path))
            #expect(response.status == 200)
            #expect(response.body == snapshot.body)
            #expect(response.usedWeightPerMinute == 10)
        }
        #expect(Set(server.requests.map(\.connectionNumber)) == [0], "one TLS connection for all three")
    }

    @Test(arguments: ["BINANCE", "OKX", "DERIBIT"])
    func recordedConnectionArrivesByteForByte(feed: String) throws {
        let (sent, received) = try capture(feed)
        try #require(!received.isEmpty)
        let certificate = try TestCertificate.make()
        defer { certificate.remove() }
        let server = try LoopbackWebSocketServer(tls: certificate.tlsContext(), session: { session in
            for _ in sent { guard session.readFrame() != nil else { return } }
            for payload in received {
                if payload.count > 3_000 {  // book snapshots: three fragments
                    let third = payload.count / 3
                    session.send(opcode: 1, payload: Array(payload[0..<third]), fin: false)
                    session.send(opcode: 0, payload: Array(payload[third..<(2 * third)]), fin: false)
                    session.send(opcode: 0, payload: Array(payload[(2 * third)...]))
                } else {
                    session.send(opcode: 1, payload: payload)
                }
            }
            session.send(opcode: 8, payload: [0x03, 0xE8])
            _ = session.readFrame()
        })
        defer { server.stop() }
        let socket = try CurlWebSocket(url: server.url(), options: .init(tls: .trusting(caFile: certificate.certificateFile), random: SeededRandom(seed: 1)))
        for message in sent { try socket.send(text: message) }
        var got: [[UInt8]] = []
        while let message = try socket.receive(timeoutMilliseconds: 10_000) {
            if case .text(let bytes) = message { got.append(bytes) }
            if case .close(let code, _) = message {
                #expect(code == 1000)
                break
            }
        }
        #expect(got.count == received.count)
        #expect(got == received)
        let frames = server.waitForFrames(sent.count + 1)
        #expect(frames.filter { $0.opcode == 1 }.map { String(decoding: $0.payload, as: UTF8.self) } == sent)
        #expect(frames.last?.closeCode == 1000, "our echo of the server's close")
    }
}
