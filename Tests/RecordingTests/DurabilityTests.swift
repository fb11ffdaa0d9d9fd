import Foundation
import Recording
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Record i as Tests/RecordingCrashProbe writes it.
enum ProbeRecords {
    static func record(_ i: Int) -> Record {
        var payload = Array("\(i):".utf8)
        payload += [UInt8](repeating: UInt8(ascii: "x"), count: (i * 37) % 500)
        return Record(
            kind: RecordKind.allCases[i % RecordKind.allCases.count], stream: UInt32(i % 5),
            wallNs: 1_600_000_000_000_000_000 + Int64(i) * 1000, monoNs: Int64(i), payload: payload)
    }
}

@Suite("Recording durability")
struct DurabilityTests {
    @Test("records flushed before the writer is SIGKILLed are all readable from its .tmp file", arguments: [3, 7])
    func killedWriter(flushesBeforeKill: Int) throws {
        let scratch = try Scratch()
        let path = scratch.path("probe.mprec")
        let probe = Process()
        probe.executableURL = TestEnvironment.executable("RecordingCrashProbe")
        probe.arguments = [path]
        let output = Pipe()
        probe.standardOutput = output
        probe.standardError = FileHandle.nullDevice
        let input = Pipe()
        probe.standardInput = input
        try probe.run()

        // Read "durable N" lines until enough flushes were reported, then kill without warning.
        var text = ""
        var durable: [Int] = []
        while durable.count < flushesBeforeKill {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            // Only complete lines: the last piece is empty or still being written.
            durable = text.components(separatedBy: "\n").dropLast()
                .compactMap { $0.hasPrefix("durable ") ? Int($0.dropFirst(8)) : nil }
        }
        kill(probe.processIdentifier, SIGKILL)
        probe.waitUntilExit()
        try? input.fileHandleForWriting.close()
        #expect(probe.terminationReason == .uncaughtSignal)
        let lastDurable = try #require(durable.last, "the probe reported no flush")
        #expect(durable.count >= flushesBeforeKill)

        #expect(!FileManager.default.fileExists(atPath: path))
        let reader = try RecordingReader(path: path + ".tmp")
        var count = 0
        var mismatch: Int?
        while let record = try reader.nextRecord() {
            if mismatch == nil, record != ProbeRecords.record(count) { mismatch = count }
            count += 1
        }
        #expect(mismatch == nil, "record \(mismatch ?? -1) differs from what the probe wrote")
        #expect(count >= lastDurable, "only \(count) of \(lastDurable) durable records are readable")
        guard case .truncated = reader.tail else {
            Issue.record("a killed writer's file has no footer, so it must read as truncated; got \(reader.tail)")
            return
        }
    }
}
