import Foundation
import Model
import Testing
import TestSupport

@testable import Publishing

@Suite struct SinkTests {
    @Test func inProcessSinkGetsEveryMessageOnceInOrder() {
        var p = SinkPublisher(sink: InProcessSink(), core: PublisherCore(configuration: .init(maxInFlight: 8)))
        for i in 1...1000 { p.publish(Fixtures.trade(i), at: .milliseconds(Int64(i))) }
        #expect(p.sink.messages.map(\.id) == (1...1000).map { "binance:BTCUSDT:trade:\($0)" })
        #expect(p.stats.published == 1000 && p.stats.acked == 1000 && p.stats.lost == 0 && p.stats.buffered == 0)
    }

    @Test func ndjsonSinkWritesOneParsableLinePerMessage() throws {
        let dir = try TestEnvironment.temporaryDirectory("pub-ndjson")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out.ndjson").path
        let sink = try NDJSONFileSink(path: path)
        var p = SinkPublisher(sink: sink)
        for e in Fixtures.everyKind { p.publish(e, at: .zero) }
        try sink.close()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == Fixtures.everyKind.count)
        for (line, event) in zip(lines, Fixtures.everyKind) {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(o["subject"] as? String == Subject.make(for: event))
            #expect(o["id"] as? String == MessageId.make(for: event))
            let data = try #require(o["data"] as? [String: Any])
            #expect(data["exchange_name"] as? String == event.instrument.venue.rawValue)
        }
    }

    @Test func unwritablePathIsATypedError() {
        #expect(throws: SinkError.self) { try NDJSONFileSink(path: "/nonexistent-dir/x.ndjson") }
    }
}
