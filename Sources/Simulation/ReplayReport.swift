import ConfigSupport
import Foundation
import Model
import Reliability
import Stack

/// One invariant's verdict.
public struct InvariantResult: Sendable, Equatable {
    public var name: String
    public var passed: Bool
    public var detail: String
}

/// One fault's story: when it fired and whether its code path was reached.
public struct FaultResult: Sendable, Equatable {
    public var kind: String
    public var atNs: Int64
    public var line: Int?
    public var reached: Bool
    public var effect: String
}

/// What the `--nats` sink did with the replayed stream.
public struct NATSSinkReport: Sendable, Equatable {
    public var published: Int
    public var acked: Int
    /// Acks JetStream flagged as duplicates: the stream already held that message id.
    public var duplicates: Int
    public var lost: Int
    public var outages: Int
    /// Wall time the broker was unreachable, summed over outages.
    public var outageMilliseconds: Int64
    /// The most messages held at once (memory plus spool) while waiting for the broker.
    public var bufferedMax: Int
    /// Messages that went through the disk spool.
    public var spooled: Int
    public var drained: Bool

    public init(
        published: Int, acked: Int, duplicates: Int, lost: Int, outages: Int, outageMilliseconds: Int64 = 0,
        bufferedMax: Int = 0, spooled: Int = 0, drained: Bool
    ) {
        self.published = published
        self.acked = acked
        self.duplicates = duplicates
        self.lost = lost
        self.outages = outages
        self.outageMilliseconds = outageMilliseconds
        self.bufferedMax = bufferedMax
        self.spooled = spooled
        self.drained = drained
    }
}

/// What a replay did, checked against its expectations; printed for people and as JSON for machines.
public struct ReplayReport: Sendable {
    public var scenario: String
    public var recording: String
    public var seed: UInt64
    public var speed: ReplaySpeed
    public var digest = ""
    public var framesIn = 0
    public var published = 0
    public var publishedBySubjectKind: [String: Int] = [:]
    public var gaps = 0
    public var resyncs = 0
    public var frameErrors = 0
    public var connectAttempts = 0
    public var restRequests = 0
    public var restFromRecording = 0
    public var snapshotsSynthesized = 0
    public var checkpoints = 0
    public var checkpointsSkipped = 0
    public var bookMismatches: [String] = []
    public var crossedBooks: [String] = []
    public var resyncFailures: [String] = []
    /// Resync checks that fell after the recording's end.
    public var resyncChecksSkipped = 0
    public var latencyMs = (p50: 0.0, p95: 0.0, p99: 0.0, max: 0.0)
    public var wallSeconds = 0.0
    public var throughputMsgsPerSecond = 0.0
    public var framesPerSecond = 0.0
    public var processingMicrosPerFrame = 0.0
    /// CPU time of the replaying thread, when the options give a CPU clock: on a shared machine the
    /// wall figures also count other processes' turns, so frames per CPU second is the comparable one.
    public var cpuSeconds: Double?
    public var framesPerCPUSecond: Double?
    /// What the speed figures include: the oracle (truth books, invariants) and the published book depth.
    public var oracle = true
    public var publishedDepth = 0
    public var invariants: [InvariantResult] = []
    public var faults: [FaultResult] = []
    public var reliability: ReliabilityReport?
    public var publisher: (published: Int, acked: Int, resent: Int, duplicates: Int, lost: Int, bufferedMax: Int, outages: Int, outageMs: Double) =
        (0, 0, 0, 0, 0, 0, 0, 0)
    public var recordingTail: String?
    /// Set when the replay also published to a real NATS JetStream.
    public var nats: NATSSinkReport?
    public var targets: (latencyP95Ms: Double, throughput: Double) = (100, 150)
    /// Invalidations by symbol with their times, for gap detection.
    var invalidations: [(symbol: String, atNs: Int64)] = []
    private var awaitingResync: Set<String> = []

    init(scenario: String, recording: String, seed: UInt64, speed: ReplaySpeed) {
        self.scenario = scenario
        self.recording = recording
        self.seed = seed
        self.speed = speed
    }

    public var passed: Bool { invariants.allSatisfy(\.passed) }

    mutating func count(_ event: StackEvent) {
        switch event {
        case .bookInvalidated(let symbol, _):
            gaps += 1
            awaitingResync.insert(symbol)
        case .bookSynced(let symbol, _):
            if awaitingResync.remove(symbol) != nil { resyncs += 1 }
        case .frameError:
            frameErrors += 1
        default:
            break
        }
    }

    mutating func noteInvalidation(_ symbol: String, atNs: Int64) { invalidations.append((symbol, atNs)) }

    mutating func complete(simulator s: Simulator, wallSeconds: Double, cpuSeconds: Double?, digest: String) {
        self.digest = digest
        self.wallSeconds = wallSeconds
        self.cpuSeconds = cpuSeconds
        oracle = s.options.oracle
        publishedDepth = s.stack.configuration.books.publishedDepth
        framesIn = s.framesDone
        published = s.broker.stored.count
        snapshotsSynthesized = s.snapshotsSynthesized
        throughputMsgsPerSecond = Double(published) / wallSeconds
        framesPerSecond = Double(framesIn) / wallSeconds
        processingMicrosPerFrame = framesIn > 0 ? wallSeconds * 1e6 / Double(framesIn) : 0
        framesPerCPUSecond = cpuSeconds.map { Double(framesIn) / max($0, 1e-9) }
        let sorted = s.latenciesNs.sorted()
        func pct(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
            return Double(sorted[min(max(rank, 0), sorted.count - 1)]) / 1e6
        }
        latencyMs = (pct(0.50), pct(0.95), pct(0.99), Double(sorted.last ?? 0) / 1e6)
        let stats = s.stack.publisher.stats
        publisher = (stats.published, stats.acked, stats.resent, stats.duplicates, stats.lost, stats.bufferedMax, stats.outages,
                     stats.outageTime.milliseconds)
        reliability = s.stack.reliabilityReport
        let expect = s.scenario.expectations
        targets = (expect.latencyP95Ms, expect.minThroughputMsgsPerSecond)
        faults = s.faults.map {
            FaultResult(kind: $0.fault.kind.rawValue, atNs: $0.fault.at, line: $0.fault.line, reached: $0.reached, effect: $0.effect)
        }

        var results: [InvariantResult] = []
        func check(_ name: String, _ ok: Bool, _ detail: String) { results.append(InvariantResult(name: name, passed: ok, detail: detail)) }
        let unreached = s.faults.filter { !$0.reached }.map { "\($0.fault.kind.rawValue)@\(DurationText.format($0.fault.at))" }
        check("faults_reached", unreached.isEmpty,
              unreached.isEmpty ? "\(s.faults.count) of \(s.faults.count) faults reached their code path" : "never reached: \(unreached.joined(separator: ", "))")
        if s.options.oracle {
            check("books_match_truth", bookMismatches.isEmpty,
                  bookMismatches.isEmpty ? "\(checkpoints) comparisons equal (\(checkpointsSkipped) skipped: sequences not aligned)"
                      : "differs: \(bookMismatches.prefix(5).joined(separator: "; "))")
            check("books_never_crossed", crossedBooks.isEmpty, crossedBooks.isEmpty ? "no crossed book seen" : crossedBooks.prefix(5).joined(separator: "; "))
            var undetected: [String] = []
            for f in s.faults where !f.damagedBooks.isEmpty {
                for symbol in f.damagedBooks where !invalidations.contains(where: { $0.symbol == symbol && $0.atNs >= f.startNs - 1 }) {
                    undetected.append("\(symbol) after \(f.fault.kind.rawValue)")
                }
            }
            if let min = expect.minGapsDetected, gaps < min { undetected.append("only \(gaps) breaks detected, expected at least \(min)") }
            check("sequence_breaks_detected", undetected.isEmpty,
                  undetected.isEmpty ? "\(gaps) breaks detected, every damaged book among them" : undetected.joined(separator: "; "))
            check("resync_within_bound", resyncFailures.isEmpty,
                  resyncFailures.isEmpty
                      ? "every book valid within \(DurationText.format(expect.resyncWithin)) of each fault healing"
                          + (resyncChecksSkipped > 0 ? " (\(resyncChecksSkipped) checks fell after the recording ended)" : "")
                      : resyncFailures.prefix(5).joined(separator: "; "))
        }
        if let maxGaps = expect.maxGaps {
            check("gaps_at_most", gaps <= maxGaps, "\(gaps) sequence breaks (allowed \(maxGaps))")
        }
        if expect.allTrades && s.options.oracle {
            let trades = publishedBySubjectKind["trade"] ?? 0
            check("no_trade_lost", trades == s.truth.counts.trade, "\(trades) of \(s.truth.counts.trade) recorded trades published")
        }
        check("nothing_published_from_invalid_book", s.publishedFromInvalid == 0, "\(s.publishedFromInvalid) book messages published while invalid")
        check("message_ids_unique", s.broker.idCollisions.isEmpty,
              s.broker.idCollisions.isEmpty ? "\(published) ids stored once each (\(s.broker.duplicatesRejected) duplicates deduplicated)"
                  : "ids reused for different messages: \(s.broker.idCollisions.prefix(3).joined(separator: ", "))")
        check("ordered_per_subject", s.outOfOrder == 0, "\(s.outOfOrder) messages stored out of publish order")
        if let r = reliability {
            check("rate_limit_respected", r.rateLimit.maxWindowUsed <= r.rateLimit.limit,
                  "max weight in one window \(r.rateLimit.maxWindowUsed) of \(r.rateLimit.limit)")
            let illegal = r.breakerTransitions.filter { !$0.isLegal }
            check("breaker_transitions_legal", illegal.isEmpty, "\(r.breakerTransitions.count) transitions, \(illegal.count) illegal")
        }
        check("no_silent_loss", stats.lost <= expect.maxLost, "\(stats.lost) messages lost (allowed \(expect.maxLost)), all counted")
        check("latency_p95", latencyMs.p95 <= expect.latencyP95Ms,
              String(format: "P95 %.3f ms (target <= %.0f ms)", latencyMs.p95, expect.latencyP95Ms))
        check("throughput", throughputMsgsPerSecond >= expect.minThroughputMsgsPerSecond,
              String(format: "%.0f msg/s (target >= %.0f msg/s)", throughputMsgsPerSecond, expect.minThroughputMsgsPerSecond))
        invariants = results
    }
}

// MARK: - Rendering

extension ReplayReport {
    /// The report as JSON with a fixed key order (no dictionary order reaches the output).
    public var json: String {
        var o = JSONObjectWriter()
        o.string("scenario", scenario)
        o.string("recording", recording)
        o.number("seed", "\(seed)")
        o.string("speed", speed.description)
        o.string("digest", digest)
        o.bool("passed", passed)
        o.number("frames_in", "\(framesIn)")
        o.number("published", "\(published)")
        o.raw("published_by_type", "{" + publishedBySubjectKind.keys.sorted().map { "\"\($0)\":\(publishedBySubjectKind[$0]!)" }.joined(separator: ",") + "}")
        o.number("gaps", "\(gaps)")
        o.number("resyncs", "\(resyncs)")
        o.number("frame_errors", "\(frameErrors)")
        o.raw("latency_ms", String(format: "{\"p50\":%.6f,\"p95\":%.6f,\"p99\":%.6f,\"max\":%.6f}", latencyMs.p50, latencyMs.p95, latencyMs.p99, latencyMs.max))
        o.number("throughput_msgs_per_s", String(format: "%.1f", throughputMsgsPerSecond))
        o.number("frames_per_s", String(format: "%.1f", framesPerSecond))
        o.number("processing_us_per_frame", String(format: "%.3f", processingMicrosPerFrame))
        o.number("wall_seconds", String(format: "%.6f", wallSeconds))
        if let cpuSeconds, let framesPerCPUSecond {
            o.number("cpu_seconds", String(format: "%.6f", cpuSeconds))
            o.number("frames_per_cpu_s", String(format: "%.1f", framesPerCPUSecond))
        }
        o.bool("speed_includes_oracle", oracle)
        o.number("published_depth", "\(publishedDepth)")
        o.raw("targets", String(format: "{\"latency_p95_ms\":%.3f,\"throughput_msgs_per_s\":%.1f}", targets.latencyP95Ms, targets.throughput))
        o.raw("invariants", "[" + invariants.map {
            "{\"name\":\"\($0.name)\",\"passed\":\($0.passed),\"detail\":\"\(jsonEscaped($0.detail))\"}"
        }.joined(separator: ",") + "]")
        o.raw("faults", "[" + faults.map {
            "{\"kind\":\"\($0.kind)\",\"at\":\"\(DurationText.format($0.atNs))\",\"at_ns\":\($0.atNs),\"reached\":\($0.reached),\"effect\":\"\(jsonEscaped($0.effect))\"\($0.line.map { ",\"line\":\($0)" } ?? "")}"
        }.joined(separator: ",") + "]")
        o.raw("publisher", "{\"published\":\(publisher.published),\"acked\":\(publisher.acked),\"resent\":\(publisher.resent),\"duplicates\":\(publisher.duplicates),\"lost\":\(publisher.lost),\"buffered_max\":\(publisher.bufferedMax),\"outages\":\(publisher.outages),\"outage_ms\":\(String(format: "%.3f", publisher.outageMs))}")
        if let r = reliability, let data = try? Self.encoder.encode(r) { o.raw("reliability", String(decoding: data, as: UTF8.self)) }
        o.raw("rest", "{\"requests\":\(restRequests),\"from_recording\":\(restFromRecording),\"synthesized\":\(snapshotsSynthesized)}")
        o.raw("oracle", "{\"checkpoints\":\(checkpoints),\"skipped\":\(checkpointsSkipped)}")
        if let tail = recordingTail { o.string("recording_tail", tail) }
        if let n = nats {
            o.raw("nats", "{\"published\":\(n.published),\"acked\":\(n.acked),\"duplicates\":\(n.duplicates),\"lost\":\(n.lost),\"outages\":\(n.outages),\"outage_ms\":\(n.outageMilliseconds),\"buffered_max\":\(n.bufferedMax),\"spooled\":\(n.spooled),\"drained\":\(n.drained)}")
        }
        return o.finish()
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    /// The report for people.
    public var text: String {
        var lines: [String] = []
        lines.append("scenario   \(scenario)  (seed \(seed), speed \(speed))")
        lines.append("recording  \(recording)")
        lines.append("frames in  \(framesIn)    published \(published)  " + publishedBySubjectKind.keys.sorted().map { "\($0) \(publishedBySubjectKind[$0]!)" }.joined(separator: ", "))
        lines.append("books      gaps \(gaps), resyncs \(resyncs), frame errors \(frameErrors), checkpoints \(checkpoints) (\(checkpointsSkipped) skipped)")
        lines.append(String(format: "latency    virtual receive->publish  p50 %.3f ms  p95 %.3f ms  p99 %.3f ms  max %.3f ms", latencyMs.p50, latencyMs.p95, latencyMs.p99, latencyMs.max))
        lines.append(String(format: "speed      %.0f frames/s, %.0f msg/s, %.2f us per frame (wall %.3f s)", framesPerSecond, throughputMsgsPerSecond, processingMicrosPerFrame, wallSeconds))
        if let cpuSeconds, let framesPerCPUSecond {
            lines.append(String(format: "           %.0f frames/s over the thread's CPU time (%.3f s)", framesPerCPUSecond, cpuSeconds))
        }
        lines.append("           one thread: read+zstd, simulated exchange, collector stack (parse, books, encode), broker, canonical output and SHA-256"
            + (oracle ? ", oracle (truth books, invariants)" : "; oracle off") + "; books published at depth \(publishedDepth)")
        lines.append("publisher  acked \(publisher.acked), resent \(publisher.resent), duplicates \(publisher.duplicates), lost \(publisher.lost), buffered max \(publisher.bufferedMax), outages \(publisher.outages)")
        if let r = reliability {
            lines.append("reliability breaker transitions \(r.breakerTransitions.count), max window weight \(r.rateLimit.maxWindowUsed)/\(r.rateLimit.limit), waited \(r.rateLimit.waitedMilliseconds) ms, retries \(r.retries), reconnects \(r.reconnects), watchdog trips \(r.watchdogTrips)")
        }
        if !faults.isEmpty {
            lines.append("faults")
            for f in faults {
                lines.append("  \(f.reached ? "reached" : "MISSED ") \(f.kind) at \(DurationText.format(f.atNs))\(f.effect.isEmpty ? "" : ": \(f.effect)")")
            }
        }
        lines.append("invariants")
        for i in invariants { lines.append("  \(i.passed ? "pass" : "FAIL") \(i.name): \(i.detail)") }
        if let n = nats {
            lines.append("nats       published \(n.published), acked \(n.acked) (\(n.duplicates) already in the stream), lost \(n.lost), outages \(n.outages) (\(n.outageMilliseconds) ms, at most \(n.bufferedMax) buffered, \(n.spooled) spooled)")
        }
        lines.append("digest     \(digest)")
        lines.append("result     \(passed ? "PASSED" : "FAILED")")
        return lines.joined(separator: "\n")
    }
}

/// Writes a JSON object with keys in the order they are added.
struct JSONObjectWriter {
    private var parts: [String] = []
    mutating func string(_ key: String, _ value: String) { parts.append("\"\(key)\":\"\(jsonEscaped(value))\"") }
    mutating func number(_ key: String, _ value: String) { parts.append("\"\(key)\":\(value)") }
    mutating func bool(_ key: String, _ value: Bool) { parts.append("\"\(key)\":\(value)") }
    mutating func raw(_ key: String, _ json: String) { parts.append("\"\(key)\":\(json)") }
    func finish() -> String { "{" + parts.joined(separator: ",") + "}" }
}
