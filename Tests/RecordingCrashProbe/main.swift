// A writer that gets killed: the durability test starts it, waits for a few "durable N" lines, sends
// SIGKILL, and checks that every record reported durable can be read from the `.tmp` file.
//
// usage: RecordingCrashProbe PATH
// Record i is fully determined by i (see `ProbeRecords` in Tests/RecordingTests/DurabilityTests.swift):
// kind RecordKind.allCases[i % 7], stream i % 5, wall 1_600_000_000_000_000_000 + i * 1000, mono i,
// payload "i:" followed by (i * 37) % 500 bytes of "x".
import Foundation
import Recording

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: RecordingCrashProbe PATH\n".utf8))
    exit(2)
}
let path = CommandLine.arguments[1]

func record(_ i: Int) -> Record {
    var payload = Array("\(i):".utf8)
    payload += [UInt8](repeating: UInt8(ascii: "x"), count: (i * 37) % 500)
    return Record(
        kind: RecordKind.allCases[i % RecordKind.allCases.count], stream: UInt32(i % 5),
        wallNs: 1_600_000_000_000_000_000 + Int64(i) * 1000, monoNs: Int64(i), payload: payload)
}

do {
    let header = RecordingHeader(venue: "binance", toolVersion: "RecordingCrashProbe", startWallNs: 1_600_000_000_000_000_000)
    // Small frames so the kill usually lands with complete frames after the last flush and an open one.
    let writer = try RecordingWriter(path: path, header: header, options: .init(frameTargetBytes: 64 << 10, syncOnFlush: true))
    var i = 0
    var round = 0
    // Bounded so a test that fails to kill us cannot fill the disk; then wait for stdin to close.
    while writer.rawBytes < 200 << 20 {
        for _ in 0..<1_000 {
            try writer.append(record(i))
            i += 1
        }
        round += 1
        if round % 3 == 0 {
            try writer.flush()
            FileHandle.standardOutput.write(Data("durable \(i)\n".utf8))
        }
    }
    _ = FileHandle.standardInput.readDataToEndOfFile()
} catch {
    FileHandle.standardError.write(Data("RecordingCrashProbe: \(error)\n".utf8))
    exit(1)
}
