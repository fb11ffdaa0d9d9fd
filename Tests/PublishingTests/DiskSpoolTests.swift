import Foundation
import Model
import Recording
import Testing
import TestSupport

@testable import Publishing

@Suite struct DiskSpoolTests {
    func message(_ i: Int) -> OutboundMessage { MessageEncoder().encode(Fixtures.trade(i)) }

    func drain(_ spool: DiskSpool, chunk: Int) throws -> [OutboundMessage] {
        var out: [OutboundMessage] = []
        while spool.count > 0 {
            let batch = try spool.removeFirst(upTo: chunk)
            if batch.isEmpty { break }
            out += batch
        }
        return out
    }

    func files(_ dir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
    }

    @Test func messagesComeBackInOrderAcrossSegmentsAndFilesAreDeleted() throws {
        let dir = try TestEnvironment.temporaryDirectory("spool")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = try DiskSpool(directory: dir.path, segmentBytes: 16 << 10)
        for i in 1...3_000 { try spool.append(message(i)) }
        #expect(spool.count == 3_000)
        #expect(files(dir).count > 5)  // several segments were sealed
        // Interleave reading with more writing: order must hold.
        var got = try spool.removeFirst(upTo: 1_000)
        for i in 3_001...3_500 { try spool.append(message(i)) }
        got += try drain(spool, chunk: 777)
        #expect(got == (1...3_500).map(message))
        #expect(spool.count == 0 && spool.byteCount == 0)
        #expect(files(dir).isEmpty)
    }

    @Test func segmentsAreRecordingsOfTheDocumentedShape() throws {
        let dir = try TestEnvironment.temporaryDirectory("spool")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = try DiskSpool(directory: dir.path)
        for i in 1...3 { try spool.append(message(i)) }
        try spool.flush()
        let path = try #require(files(dir).first)
        let reader = try RecordingReader(path: dir.appendingPathComponent(path).path)
        let records = try reader.readAll()
        #expect(records.map(\.kind) == [.wsSent, .wsSent, .wsSent])
        #expect(records.map(\.monoNs) == [0, 1, 2])
        #expect(records.map { OutboundMessage(storage: $0.payload) } == (1...3).map(message))
    }

    @Test func boundsThrowFull() throws {
        let dir = try TestEnvironment.temporaryDirectory("spool")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = try DiskSpool(directory: dir.path, maxMessages: 10)
        for i in 1...10 { try spool.append(message(i)) }
        #expect(throws: SpoolError.full(limit: 10)) { try spool.append(message(11)) }
        let bySize = try DiskSpool(directory: dir.path + "/b", maxBytes: Int64(message(1).size * 2))
        try bySize.append(message(1))
        try bySize.append(message(2))
        #expect(throws: SpoolError.self) { try bySize.append(message(3)) }
    }

    @Test func aRestartedProcessDrainsWhatTheLastOneSpooled() throws {
        let dir = try TestEnvironment.temporaryDirectory("spool")
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let first = try DiskSpool(directory: dir.path, segmentBytes: 32 << 10)
            for i in 1...1_000 { try first.append(message(i)) }
            _ = try first.removeFirst(upTo: 100)
        }  // dropped without draining: its open segment is sealed on deinit
        let second = try DiskSpool(directory: dir.path, segmentBytes: 32 << 10)
        // The segment being read when the first process stopped is adopted whole: at-least-once,
        // and JetStream's dedup window drops the repeats.
        #expect(second.count >= 900)
        let got = try drain(second, chunk: 256)
        #expect(Array(got.suffix(900)) == (101...1_000).map(message))
        #expect(files(dir).isEmpty)
    }

    @Test func aDamagedSegmentIsReportedAsCountedLoss() throws {
        let dir = try TestEnvironment.temporaryDirectory("spool")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = try DiskSpool(directory: dir.path, segmentBytes: 1 << 30)
        for i in 1...500 { try spool.append(message(i)) }
        try spool.flush()
        for i in 501...600 { try spool.append(message(i)) }
        _ = try spool.removeFirst(upTo: 0)
        // Corrupt the segment's tail on disk after it is sealed (first read seals it).
        var got = try spool.removeFirst(upTo: 1)
        let path = dir.appendingPathComponent(try #require(files(dir).first)).path
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size - 200)
        try handle.close()
        var loss = 0
        while spool.count > 0 {
            let result = Result { () throws(SpoolError) -> [OutboundMessage] in try spool.removeFirst(upTo: 1_000) }
            switch result {
            case .success(let batch): got += batch
            case .failure(.corrupt(_, _, let lost)): loss += lost
            case .failure(let other): Issue.record("unexpected \(other)")
            }
        }
        #expect(loss > 0)
        #expect(got.count + loss == 600)
        #expect(got == Array((1...600).map(message).prefix(got.count)))
    }

    @Test func coreOverflowsIntoTheDiskSpoolAndDrainsInOrder() throws {
        let dir = try TestEnvironment.temporaryDirectory("spool")
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = try DiskSpool(directory: dir.path, segmentBytes: 8 << 10)
        var h = CoreHarness(.init(maxInFlight: 8, memoryLimitMessages: 50), spool: spool, connected: false)
        h.publish(1...2_000)
        #expect(h.core.stats.spooled == 1_950 && h.core.stats.lost == 0)
        h.feed(.connected)
        var delivered: [String] = []
        while !h.sent.isEmpty {
            delivered += h.sent.map(\.message.id)
            h.ackAll()
        }
        #expect(delivered == (1...2_000).map { MessageId.make(for: Fixtures.trade($0)) })
        #expect(files(dir).isEmpty)
    }
}
