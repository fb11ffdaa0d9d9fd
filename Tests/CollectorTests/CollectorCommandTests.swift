import Foundation
import Recording
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `marketprism collect` and `record` as real processes against a recorded venue on loopback.
@Suite(.serialized)
struct CollectorCommandTests {
    static let okx = TestEnvironment.packageRoot.appendingPathComponent("recordings/okx.mprec").path

    func config(peer: RecordedExchangePeer, extra: String = "") -> String {
        """
        venues:
          - exchange: okx
            channels: [book, trades, ticker]
            symbols: [BTC-USDT, BTC-USDT-SWAP]
            websocket_url: \(peer.websocketOrigin)
            rest_url: \(peer.restOrigin)
            proxy: direct
        \(extra)
        """
    }

    func write(_ text: String, in directory: URL, name: String = "collector.yaml") throws -> String {
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func configErrorsNameFileLineAndKeyAndExitTwo() throws {
        let directory = try TestEnvironment.temporaryDirectory("collector-cli")
        let path = try write("venues:\n  - exchange: okx\n    channels: [book]\n    symbols: [BTC-USDT]\n    websocket: ws://x\n", in: directory)
        let result = try TestEnvironment.marketprism("collect", "--config", path)
        #expect(result.status == 2)
        #expect(result.stderrText.contains("\(path):5"))
        #expect(result.stderrText.contains("'venues[0].websocket'"))
        let missing = try TestEnvironment.marketprism("record", "--config", directory.appendingPathComponent("none.yaml").path, "--output", "/tmp/x")
        #expect(missing.status == 2)
        #expect(missing.stderrText.contains("none.yaml"))
    }

    @Test func sigtermLosesNothing() throws {
        let peer = try RecordedExchangePeer(recording: Self.okx, speed: 30)
        defer { peer.stop() }
        let directory = try TestEnvironment.temporaryDirectory("collector-sigterm")
        let ndjson = directory.appendingPathComponent("published.ndjson").path
        let canonical = directory.appendingPathComponent("canonical.ndjson").path
        let recordings = directory.appendingPathComponent("rec").path
        let path = try write(config(peer: peer, extra: "publisher:\n  sink: ndjson\n  ndjson_path: \(ndjson)\n"), in: directory)
        let collector = try BackgroundMarketPrism(
            ["collect", "--config", path, "--record", recordings, "--canonical-output", canonical, "--log-level", "warning"], directory: directory)
        // Stop it in the middle of the stream.
        #expect(waitUntil(seconds: 60) { peer.sent > peer.frames.count / 3 })
        collector.signal(SIGTERM)
        let status = collector.waitForExit()
        #expect(status == 0, "collect exited \(String(describing: status)): \(collector.stderr)")
        // Every message the stack published is in the sink file, in order.
        let published = try CanonicalLines.read(ndjson)
        let canonicalMessages = try CanonicalLines.read(canonical).filter(CanonicalLines.isMessage)
        #expect(!published.isEmpty)
        #expect(firstDifference(published, canonicalMessages) == nil)
        // The recording was finished (renamed, footer written) and holds every frame received.
        let files = try FileManager.default.contentsOfDirectory(atPath: recordings)
        #expect(files.count == 1)
        #expect(files.allSatisfy { $0.hasSuffix(".mprec") })
        let reader = try RecordingReader(path: "\(recordings)/\(files[0])")
        var received: [[UInt8]] = []
        try reader.forEachRecord { r in if r.kind == .wsReceived { received.append(Array(r.payload)) } }
        #expect(reader.tail == .clean)
        #expect(!received.isEmpty)
        #expect(received == peer.frames.prefix(received.count).map(\.payload), "frames read back differ from those sent")
        // Replaying that recording gives exactly the live run's output (receive times aside).
        let out = directory.appendingPathComponent("replay.ndjson").path
        _ = try TestEnvironment.marketprism("replay", "\(recordings)/\(files[0])", "--output", out)
        let difference = firstDifference(
            try CanonicalLines.read(out).map(CanonicalLines.withoutReceiveTimes), try CanonicalLines.read(canonical).map(CanonicalLines.withoutReceiveTimes))
        #expect(difference == nil, "\(difference ?? "")")
    }

    @Test func sigkillWhileRecordingLeavesFramesReadableUpToTheLastCompleteOne() throws {
        let peer = try RecordedExchangePeer(recording: Self.okx, speed: 10)
        defer { peer.stop() }
        let directory = try TestEnvironment.temporaryDirectory("collector-sigkill")
        let recordings = directory.appendingPathComponent("rec").path
        let path = try write(config(peer: peer), in: directory)
        let recorder = try BackgroundMarketPrism(["record", "--config", path, "--output", recordings], directory: directory)
        // Frames are cut about once a second: wait for a few to reach the disk.
        #expect(waitUntil(seconds: 60) { peer.sent > 1_500 })
        usleep(2_500_000)
        recorder.signal(SIGKILL)
        _ = recorder.waitForExit()
        let files = try FileManager.default.contentsOfDirectory(atPath: recordings)
        let temporary = try #require(files.first { $0.hasSuffix(".mprec.tmp") }, "files: \(files)")
        let reader = try RecordingReader(path: "\(recordings)/\(temporary)")
        var received: [[UInt8]] = []
        try reader.forEachRecord { r in if r.kind == .wsReceived { received.append(Array(r.payload)) } }
        #expect(received.count > 100)
        #expect(received.count <= peer.sent)
        // What was read back is the stream from its start, frame for frame.
        #expect(received == peer.frames.prefix(received.count).map(\.payload), "frames read back differ from those sent")
    }
}
