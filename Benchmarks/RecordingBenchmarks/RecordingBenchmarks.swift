import Benchmark
import BenchmarkSupport
import CZstd
import Foundation
import Model
import Recording

// Recording write and read throughput on a 64 MiB synthetic recording of exchange JSON frames.
// Targets (ARCHITECTURE.md, one core, release): write >= 200 MB/s of raw payload at zstd level 3;
// read >= 1 GB/s decompressed. Each iteration writes (or reads) the whole recording; the custom
// metrics report MB/s (10^6 bytes) per iteration, so their median is the figure to quote. The machine
// is shared: "thread CPU" rates divide by the benchmark thread's CPU time and are the fairer figure when
// other processes compete for the cores; "wall" rates are what an idle core would give at best.

let payloadMB = BenchmarkMetric.custom("payload MB/s (wall)", polarity: .prefersLarger, useScalingFactor: false)
let payloadMBCPU = BenchmarkMetric.custom("payload MB/s (thread CPU)", polarity: .prefersLarger, useScalingFactor: false)
let decompressedMB = BenchmarkMetric.custom("decompressed MB/s (wall)", polarity: .prefersLarger, useScalingFactor: false)
let decompressedMBCPU = BenchmarkMetric.custom("decompressed MB/s (thread CPU)", polarity: .prefersLarger, useScalingFactor: false)

/// The repository root, found from this file's path (Benchmarks/RecordingBenchmarks/RecordingBenchmarks.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// ~64 MiB of frames, generated once per process.
let frames = SyntheticFeed.frames(totalBytes: 64 << 20)
let payloadBytes = frames.reduce(0) { $0 + $1.count }
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("marketprism-bench-\(getpid())").path

func writeRecording(to path: String, level: Int32 = 3) throws -> RecordingWriter {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let header = RecordingHeader(venue: "binance", subscription: "{}", toolVersion: "RecordingBenchmarks", startWallNs: 1_633_998_512_000_000_000)
    let writer = try RecordingWriter(path: path, header: header, options: .init(compressionLevel: level))
    var wall: Int64 = 1_633_998_512_000_000_000
    for (i, frame) in frames.enumerated() {
        wall += 150_000  // ~6,700 frames/s: a busy multi-symbol connection
        try frame.withUnsafeBytes { try writer.append(kind: .wsReceived, stream: UInt32(i & 3), wallNs: wall, monoNs: wall, payload: $0) }
    }
    try writer.close()
    return writer
}

let benchmarks: @Sendable () -> Void = {
    let readPath = directory + "/read.mprec"

    /// Whole-file iterations take ~0.2-1 s each: a dozen give a stable median.
    func configuration(_ rates: [BenchmarkMetric]) -> Benchmark.Configuration {
        .init(
            metrics: [.wallClock, .cpuTotal, .peakMemoryResident] + rates, timeUnits: .milliseconds, warmupIterations: 1,
            maxDuration: .seconds(20), maxIterations: 12,
            teardown: { try? FileManager.default.removeItem(atPath: directory) })
    }

    Benchmark(
        "Recording write, zstd level 3 (64 MiB JSON frames)", configuration: configuration([payloadMB, payloadMBCPU])) { benchmark in
        let path = directory + "/write.mprec"
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = threadCPUNanoseconds()
        benchmark.startMeasurement()
        let writer = try writeRecording(to: path)
        benchmark.stopMeasurement()
        benchmark.measurement(payloadMB, megabytesPerSecond(payloadBytes, DispatchTime.now().uptimeNanoseconds - start))
        benchmark.measurement(payloadMBCPU, megabytesPerSecond(payloadBytes, threadCPUNanoseconds() - cpuStart))
        blackHole(writer.recordCount)
    }

    Benchmark(
        "Recording read, every record (64 MiB decompressed)", configuration: configuration([decompressedMB, decompressedMBCPU])) { benchmark in
        if !FileManager.default.fileExists(atPath: readPath) { _ = try writeRecording(to: readPath) }
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = threadCPUNanoseconds()
        benchmark.startMeasurement()
        let reader = try RecordingReader(path: readPath)
        var records = 0
        var checksum: UInt64 = 0
        try reader.forEachRecord { record in
            records += 1
            checksum &+= UInt64(record.payload.count) &+ UInt64(bitPattern: record.wallNs)
        }
        benchmark.stopMeasurement()
        let wall = DispatchTime.now().uptimeNanoseconds - start, cpu = threadCPUNanoseconds() - cpuStart
        precondition(records == frames.count, "read \(records) of \(frames.count) records")
        let raw = Int(reader.rawBytesRead)
        benchmark.measurement(decompressedMB, megabytesPerSecond(raw, wall))
        benchmark.measurement(decompressedMBCPU, megabytesPerSecond(raw, cpu))
        blackHole(checksum)
    }

    // What a replay reads: the shipped synthetic recordings, whose frames are cut every second of wall
    // time (~10 KB of ~50 records each, not 1 MiB), so per-frame costs (zstd's table setup, the checks)
    // weigh more than in the 64 MiB file. Each iteration reads the recording 20 times, as the full-stack
    // replay benchmark replays it 20 times.
    for name in ["binance-spot", "okx"] {
        let path = "\(repositoryRoot)/recordings/\(name).mprec"
        Benchmark(
            "Recording read, shipped \(name).mprec x 20 (replay-sized frames)",
            configuration: configuration([decompressedMB, decompressedMBCPU])
        ) { benchmark in
            var raw = 0
            var checksum: UInt64 = 0
            let start = DispatchTime.now().uptimeNanoseconds
            let cpuStart = threadCPUNanoseconds()
            benchmark.startMeasurement()
            for _ in 0..<20 {
                let reader = try RecordingReader(path: path)
                while try reader.withNextRecord({ record in
                    checksum &+= UInt64(record.payload.count) &+ UInt64(bitPattern: record.wallNs)
                }) != nil {}
                raw += Int(reader.rawBytesRead)
            }
            benchmark.stopMeasurement()
            let wall = DispatchTime.now().uptimeNanoseconds - start, cpu = threadCPUNanoseconds() - cpuStart
            benchmark.measurement(decompressedMB, megabytesPerSecond(raw, wall))
            benchmark.measurement(decompressedMBCPU, megabytesPerSecond(raw, cpu))
            blackHole(checksum)
        }
    }

    // The floor under the reader: libzstd alone on the same frames, already in memory, checksum on.
    // The reader's rate divided by this one is its own overhead, whatever the machine's load.
    Benchmark(
        "Reference: ZSTD_decompressDCtx alone on the same frames", configuration: configuration([decompressedMB, decompressedMBCPU])
    ) { benchmark in
        if !FileManager.default.fileExists(atPath: readPath) { _ = try writeRecording(to: readPath) }
        let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: readPath)))
        let index = try RecordingReader(path: readPath).frameIndex()
        let context = ZSTD_createDCtx()!
        defer { ZSTD_freeDCtx(context) }
        var output = [UInt8](repeating: 0, count: 4 << 20)
        var total = 0
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = threadCPUNanoseconds()
        benchmark.startMeasurement()
        file.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                for entry in index {
                    // The zstd frame follows its 48-byte frame info.
                    let frame = source.baseAddress! + Int(entry.offset) + 48
                    total += ZSTD_decompressDCtx(context, destination.baseAddress, destination.count, frame, entry.compressedSize)
                }
            }
        }
        benchmark.stopMeasurement()
        let wall = DispatchTime.now().uptimeNanoseconds - start, cpu = threadCPUNanoseconds() - cpuStart
        benchmark.measurement(decompressedMB, megabytesPerSecond(total, wall))
        benchmark.measurement(decompressedMBCPU, megabytesPerSecond(total, cpu))
    }
}
