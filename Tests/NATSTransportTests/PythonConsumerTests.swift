import Foundation
import Model
import NATSTransport
import Publishing
import Testing
import TestSupport

/// nats-py (`python3 -m pip install nats-py`) reading our stream as the original system's consumers did.
enum PythonNATS {
    static let python = "/usr/bin/env"

    static var installed: Bool {
        guard let r = try? TestEnvironment.run(URL(fileURLWithPath: python), ["python3", "-c", "import nats"]) else { return false }
        return r.status == 0
    }

    /// Runs in CI regardless, so a missing nats-py fails there instead of skipping.
    static var available: Bool { NATSServer.available && (installed || ProcessInfo.processInfo.environment["CI"] != nil) }
}

@Suite(.serialized, .enabled(if: PythonNATS.available, "needs nats-server and nats-py (python3 -m pip install nats-py)"))
struct PythonConsumerTests {
    @Test func pythonConsumerParsesEveryTradeAndOrderbook() throws {
        let server = try NATSServer()
        let p = try makePublisher(server)
        let n = 1_000
        var trades = 0, books = 0
        for i in 1...n {
            let e = Feed.event(i)
            if case .orderbook = e { books += 1 } else { trades += 1 }
            p.publish(e)
        }
        // Other kinds share the stream; the consumer's filters must skip them.
        let t = Instant.milliseconds(1_714_564_800_000)
        p.publish(.ticker(Ticker(instrument: Feed.instruments[0], last: 64_000, sequence: 1, exchangeTime: t, receiveTime: t)))
        p.publish(.liquidation(Liquidation(instrument: Feed.instruments[1], side: .sell, price: 3_000, quantity: 2, exchangeTime: t, receiveTime: t)))
        #expect(p.flush(timeout: .seconds(30)))
        p.close()

        let script = TestEnvironment.packageRoot.appendingPathComponent("scripts/nats_consumer_check.py").path
        let r = try TestEnvironment.run(
            URL(fileURLWithPath: PythonNATS.python), ["python3", script, server.url, "MARKET_DATA", "\(trades)", "\(books)"])
        #expect(r.status == 0, "\(r.stdoutText) \(r.stderrText.suffix(2000))")
        let summary = try JSONSerialization.jsonObject(with: Data(r.stdoutText.utf8)) as? [String: Any]
        #expect(summary?["trade"] as? Int == trades)
        #expect(summary?["orderbook"] as? Int == books)
        #expect(summary?["stream_messages"] as? Int == n + 2)
    }
}
