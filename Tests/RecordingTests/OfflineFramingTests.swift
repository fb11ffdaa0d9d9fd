import Foundation
import Model
import Recording
import Testing

/// `RecordingWriterOptions.offline` (synth, import): frames cut by size alone, compressed harder.
@Suite("Offline framing")
struct OfflineFramingTests {
    /// Exchange-like JSON frames, one every `gapNs` of wall time.
    static func frames(count: Int, gapNs: Int64) -> [Record] {
        var random = SeededRandom(seed: 5)
        return (0..<count).map { i in
            let price = 60_000 + Int(random.next() % 500)
            let text = #"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":\#(1_700_000_000_000 + i),"#
                + #""U":\#(1000 + i),"u":\#(1000 + i),"b":[["\#(price).12","0.\#(random.next() % 9999)"]],"a":[]}}"#
            return Record(
                kind: .wsReceived, stream: 1, wallNs: 1_700_000_000_000_000_000 + Int64(i) * gapNs, monoNs: Int64(i) * gapNs,
                payload: Array(text.utf8))
        }
    }

    @Test("a quiet feed spanning minutes is one frame offline, one a second live; the records read back the same")
    func cutBySizeNotTime() throws {
        let scratch = try Scratch()
        let records = Self.frames(count: 200, gapNs: 500_000_000)  // 100 s, ~30 KB
        let live = try writeRecording(records, to: scratch.path("live.mprec"))[0]
        let offline = try writeRecording(records, to: scratch.path("offline.mprec"), options: .offline)[0]
        let liveIndex = try RecordingReader(path: live).frameIndex()
        let offlineIndex = try RecordingReader(path: offline).frameIndex()
        #expect(liveIndex.count >= 99)
        #expect(offlineIndex.count == 1)
        #expect(try RecordingReader(path: offline).readAll() == records)
        #expect(try RecordingReader(path: live).readAll() == records)
    }

    @Test("offline frames stop at 128 KiB of records and the file is smaller than with live framing")
    func sizeBoundAndSmaller() throws {
        let scratch = try Scratch()
        let records = Self.frames(count: 8_000, gapNs: 10_000_000)  // 80 s, ~1.3 MB
        let live = try writeRecording(records, to: scratch.path("live.mprec"))[0]
        let offline = try writeRecording(records, to: scratch.path("offline.mprec"), options: .offline)[0]
        let index = try RecordingReader(path: offline).frameIndex()
        #expect(index.count >= 8)
        #expect(index.allSatisfy { $0.rawSize <= RecordingWriterOptions.offline.frameTargetBytes })
        #expect(index.dropLast().allSatisfy { $0.rawSize > RecordingWriterOptions.offline.frameTargetBytes - 1_000 })
        #expect(try RecordingReader(path: offline).readAll() == records)
        let liveBytes = try #require(try FileManager.default.attributesOfItem(atPath: live)[.size] as? Int)
        let offlineBytes = try #require(try FileManager.default.attributesOfItem(atPath: offline)[.size] as? Int)
        #expect(offlineBytes < liveBytes)
    }
}
