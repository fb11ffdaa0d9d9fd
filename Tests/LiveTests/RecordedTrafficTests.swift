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
