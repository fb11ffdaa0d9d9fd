import Foundation
import Model
import NATSTransport
import Publishing
import Testing
import TestSupport

@Suite struct PublishTargetTests {
    @Test func flagsChooseTheSink() {
        #expect(PublishTarget() == .inProcess)
        #expect(PublishTarget(ndjson: "/tmp/x.ndjson") == .ndjson(path: "/tmp/x.ndjson"))
        guard case .nats(let options, let stream) = PublishTarget(nats: "nats://a:4222, nats://b:4223", ndjson: "/tmp/x") else {
            Issue.record("expected a NATS target")
            return
        }
        #expect(options.urls == ["nats://a:4222", "nats://b:4223"])
        #expect(stream.name == "MARKET_DATA" && stream.subjects == ["market.>"])
    }

    @Test func inProcessAndNDJSONTargetsPublishEveryEvent() throws {
        let inProcess = try PublishTarget.inProcess.open()
        for i in 1...50 { inProcess.publish(Feed.event(i), at: .zero) }
        #expect(inProcess.flush(timeout: .seconds(1)))
        #expect((inProcess as? SinkEventPublisher<InProcessSink>)?.sink.messages.map(\.id) == Feed.ids(1...50))

        let dir = try TestEnvironment.temporaryDirectory("target")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out.ndjson").path
        let file = try PublishTarget.ndjson(path: path).open()
        for i in 1...50 { file.publish(Feed.event(i), at: .zero) }
        try file.close()
        #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count == 50)
        #expect(file.stats.acked == 50)
    }

    @Test(.enabled(if: NATSServer.available, "needs nats-server"))
    func natsTargetWithADiskSpoolPublishesEveryEvent() throws {
        let server = try NATSServer()
        let target = PublishTarget(nats: server.url)
        let publisher = try target.open(spoolDirectory: server.storeDirectory.appendingPathComponent("spool").path)
        for i in 1...500 { publisher.publish(Feed.event(i), at: .zero) }
        #expect(publisher.flush(timeout: .seconds(30)))
        try publisher.close()
        #expect(publisher.stats.acked == 500)
        #expect(firstDifference(try storedIds(server), Feed.ids(1...500)) == "")
    }
}
