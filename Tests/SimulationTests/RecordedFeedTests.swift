import Recording
import Simulation
import TestSupport
import Testing

@Suite("Recorded feed")
struct RecordedFeedTests {
    static let okx = TestEnvironment.packageRoot.appendingPathComponent("recordings/okx.mprec").path
    static let binance = TestEnvironment.packageRoot.appendingPathComponent("recordings/binance-spot.mprec").path

    @Test func oneReadVisitsEveryRecordOnceInOrder() throws {
        var visited: [Int64] = []
        var kinds: [RecordKind: Int] = [:]
        let feed = try RecordedFeed.load(path: Self.binance) { record, venue in
            #expect(venue == .binance)
            visited.append(record.wallNs)
            kinds[record.kind, default: 0] += 1
        }
        var expected: [Int64] = []
        try RecordingReader(path: Self.binance).forEachRecord { expected.append($0.wallNs) }
        #expect(visited == expected)
        #expect(kinds[.wsReceived] == feed.receivedFrames)
        #expect(feed.connectNs.count == kinds[.connect])
        // A synthetic capture is the venue's, not the collector's own recording.
        #expect(!feed.recordsStackInstants)
    }

    @Test func mergingTwoFeedsUnitesSubscriptionsSpansAndAnswers() throws {
        let a = try RecordedFeed.load(path: Self.binance)
        var b = a
        b.subscription.entries = [.init(channel: .trades, instruments: ["SOLUSDT"])]
        b.firstFrameNs = a.firstFrameNs - 5
        b.lastNs = a.lastNs + 5
        let merged = a.merging(b)
        #expect(merged.subscription.entries.first { $0.channel == .trades }?.instruments.contains("SOLUSDT") == true)
        #expect(merged.subscription.entries.count == a.subscription.entries.count)
        #expect(merged.firstFrameNs == a.firstFrameNs - 5)
        #expect(merged.lastNs == a.lastNs + 5)
        #expect(merged.receivedFrames == 2 * a.receivedFrames)
        for (url, list) in a.responses {
            let times = merged.responses[url]?.map(\.atNs) ?? []
            #expect(times.count == 2 * list.count)
            #expect(times == times.sorted())
        }
    }
}
