import Benchmark
import BenchmarkSupport
import Foundation
import Model
import NATSTransport
import Publishing
import PublishingWorkload

#if canImport(Glibc)
import Glibc
#endif

// Publisher throughput. Targets (issue 6): the core's encode+publish path into the in-process sink
// >= 1,000,000 msg/s; JetStream publish with acks >= 100,000 msg/s on loopback. The custom metrics
// report messages per second for each iteration; quote their medians. "thread CPU" divides by the
// benchmark thread's CPU time (fairer on this shared 2-core machine); "wall" is elapsed time.
// The JetStream suite also reports the CPU each side spends per message (this process, all its
// threads; and the nats-server process): on a 2-core machine the two share the cores, so their
// sum bounds the wall rate whatever else runs there.

let messagesPerSecond = BenchmarkMetric.custom("msg/s (wall)", polarity: .prefersLarger, useScalingFactor: false)
let messagesPerSecondCPU = BenchmarkMetric.custom("msg/s (thread CPU)", polarity: .prefersLarger, useScalingFactor: false)
let clientNanosecondsPerMessage = BenchmarkMetric.custom("client CPU ns/msg", polarity: .prefersSmaller, useScalingFactor: false)
let serverNanosecondsPerMessage = BenchmarkMetric.custom("nats-server CPU ns/msg", polarity: .prefersSmaller, useScalingFactor: false)

/// CPU time of this whole process (every thread: producer, publisher, libnats' threads), ns.
func processCPUNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// A JetStream nats-server on a free loopback port with its store in a temporary directory.
final class BenchServer {
    let process = Process()
    let directory: String
    let port: UInt16

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("marketprism-natsbench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = Self.freePort()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nats-server")
        process.arguments = ["-a", "127.0.0.1", "-p", "\(port)", "-js", "-sd", directory]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<400 where (try? JetStreamAdmin(NATSConnectionOptions(urls: [url]))) == nil { usleep(25_000) }
    }

    var url: String { "nats://127.0.0.1:\(port)" }

    /// The server's user+system CPU time so far, ns (from /proc, 10 ms ticks).
    var cpuNanoseconds: UInt64 {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, utime 14, stime 15 (1-based over the whole line).
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return 0 }
        return (user + system) * UInt64(1_000_000_000 / sysconf(Int32(_SC_CLK_TCK)))
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func freePort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return UInt16(bigEndian: addr.sin_port)
    }
}

nonisolated(unsafe) var server: BenchServer?

let benchmarks: @Sendable () -> Void = {
    let coreEvents = PublishingWorkload.events(count: 1_000_000)
    let tradesOnly = PublishingWorkload.events(count: 1_000_000, booksEvery: 0)

    func configuration() -> Benchmark.Configuration {
        .init(
            metrics: [.wallClock, .cpuTotal, .peakMemoryResident, messagesPerSecond, messagesPerSecondCPU],
            timeUnits: .milliseconds, warmupIterations: 1, maxDuration: .seconds(20), maxIterations: 10)
    }

    func corePublish(_ events: [PublishableEvent], _ benchmark: Benchmark) {
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = threadCPUNanoseconds()
        benchmark.startMeasurement()
        let acked = PublishingWorkload.publishAll(events)
        benchmark.stopMeasurement()
        benchmark.measurement(messagesPerSecond, perSecond(events.count, DispatchTime.now().uptimeNanoseconds - start))
        benchmark.measurement(messagesPerSecondCPU, perSecond(events.count, threadCPUNanoseconds() - cpuStart))
        precondition(acked == events.count)
    }

    Benchmark("Core encode+publish into the in-process sink (1M events, 10% top-20 books)", configuration: configuration()) {
        corePublish(coreEvents, $0)
    }

    Benchmark("Core encode+publish into the in-process sink (1M trades)", configuration: configuration()) {
        corePublish(tradesOnly, $0)
    }

    let jetStreamEvents = Array(tradesOnly.prefix(300_000))
    Benchmark(
        "JetStream publish with acks, loopback nats-server (300k trades, file storage)",
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, messagesPerSecond, clientNanosecondsPerMessage, serverNanosecondsPerMessage],
            timeUnits: .milliseconds, warmupIterations: 1,
            maxDuration: .seconds(60), maxIterations: 8,
            setup: { server = try BenchServer() },
            teardown: {
                server?.stop()
                server = nil
            })
    ) { benchmark in
        guard let server else { return }
        let admin = try JetStreamAdmin(NATSConnectionOptions(urls: [server.url]))
        try? admin.deleteStream("MARKET_DATA")  // each iteration stores every message anew (no dedup hits)
        admin.close()
        let publisher = JetStreamPublisher(
            JetStreamPublisher.Configuration(
                connection: NATSConnectionOptions(urls: [server.url]), core: .init(maxInFlight: 8_192)))
        try publisher.start()
        let start = DispatchTime.now().uptimeNanoseconds
        let clientStart = processCPUNanoseconds(), serverStart = server.cpuNanoseconds
        benchmark.startMeasurement()
        for event in jetStreamEvents { publisher.publish(event) }
        let settled = publisher.flush(timeout: .seconds(120))
        benchmark.stopMeasurement()
        let count = UInt64(jetStreamEvents.count)
        benchmark.measurement(messagesPerSecond, perSecond(jetStreamEvents.count, DispatchTime.now().uptimeNanoseconds - start))
        benchmark.measurement(clientNanosecondsPerMessage, Int((processCPUNanoseconds() - clientStart) / count))
        benchmark.measurement(serverNanosecondsPerMessage, Int((server.cpuNanoseconds - serverStart) / count))
        publisher.close()
        precondition(settled && publisher.stats.acked == jetStreamEvents.count, "not every message was acked")
    }
}
