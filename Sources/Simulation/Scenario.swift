import ConfigSupport
import Foundation

/// A scripted replay: which recording, which seed and speed, what goes wrong when, and what must hold.
/// Format: docs/scenarios.md.
public struct Scenario: Sendable, Equatable {
    public var name: String
    public var description: String
    /// Path of the recording, resolved against the scenario file's directory.
    public var recording: String
    public var seed: UInt64
    public var speed: ReplaySpeed
    public var faults: [Fault]
    public var expectations: Expectations
    /// Collector settings the scenario needs (short rotation or stale deadlines to make a fault bite).
    public var collector: CollectorOverrides = CollectorOverrides()
    /// Where the scenario came from, for error messages ("<inline>" for built-ins).
    public var file: String

    public init(
        name: String, description: String = "", recording: String, seed: UInt64 = 1, speed: ReplaySpeed = .max,
        faults: [Fault] = [], expectations: Expectations = Expectations(), file: String = "<inline>"
    ) {
        self.name = name
        self.description = description
        self.recording = recording
        self.seed = seed
        self.speed = speed
        self.faults = faults
        self.expectations = expectations
        self.file = file
    }
}

/// How fast virtual time runs against the wall clock. Output never depends on it.
public enum ReplaySpeed: Sendable, Equatable, CustomStringConvertible {
    case max
    /// N times real time (1 = as recorded).
    case multiple(Double)

    public init?(_ text: String) {
        if text == "max" {
            self = .max
            return
        }
        let number = text.hasSuffix("x") ? String(text.dropLast()) : text
        guard let value = Double(number), value > 0, value.isFinite else { return nil }
        self = .multiple(value)
    }

    public var description: String {
        switch self {
        case .max: return "max"
        case .multiple(let m): return m == m.rounded() ? "\(Int(m))x" : "\(m)x"
        }
    }
}

/// The fault vocabulary of ARCHITECTURE.md, by family.
public enum FaultKind: String, CaseIterable, Sendable {
    // Connection faults, between the simulated exchange and the collector's websocket.
    case connectRefuse = "connection.refuse"
    case connectDelay = "connection.delay_connect"
    case connectionClose = "connection.close"
    case connectionReset = "connection.reset"
    case connectionStall = "connection.stall"
    case bandwidthCap = "connection.bandwidth_cap"
    case pongWithheld = "connection.withhold_pong"
    case forcedCut = "connection.forced_cut"
    // Message faults, applied to frames in flight.
    case messageDrop = "message.drop"
    case messageDuplicate = "message.duplicate"
    case messageReorder = "message.reorder"
    case messageDelay = "message.delay"
    case sequenceGap = "message.sequence_gap"
    case sequenceReset = "message.sequence_reset"
    case messageCorrupt = "message.corrupt"
    case messageTruncate = "message.truncate"
    case messageBurst = "message.burst"
    // REST faults, on snapshot and other requests.
    case rest429 = "rest.429"
    case rest418 = "rest.418"
    case rest5xx = "rest.5xx"
    case restTimeout = "rest.timeout"
    case staleSnapshot = "rest.stale_snapshot"
    case snapshotNoOverlap = "rest.snapshot_no_overlap"
    // Broker faults, in the simulated NATS.
    case brokerDown = "broker.down"
    case brokerRestart = "broker.restart"
    case slowAcks = "broker.slow_acks"
    case noResponders = "broker.no_responders"
    case duplicatePublish = "broker.duplicate_publish"
    // Clock faults, on the collector's view of time.
    case clockSkew = "clock.skew"
    case clockStep = "clock.step"

    public var family: String { String(rawValue.prefix { $0 != "." }) }
}

/// One scheduled fault. Times are offsets from the recording's first received frame.
public struct Fault: Sendable, Equatable {
    public var kind: FaultKind
    public var at: Int64
    /// How long the fault lasts (connection stall, broker down, bandwidth cap, ...); nil for one-shot faults.
    public var duration: Int64?
    /// How many messages or requests it hits (drop, duplicate, 429s, ...).
    public var count: Int
    /// Close code for `connection.close`, HTTP status for `rest.5xx`.
    public var code: Int?
    /// Retry-After for `rest.429` / `rest.418`, delay for `message.delay`, `connection.delay_connect`,
    /// `broker.slow_acks`, offset for clock faults (may be negative).
    public var delay: Int64?
    public var jitter: Int64?
    /// Reorder window in messages; burst size.
    public var window: Int?
    public var bytesPerSecond: Int?
    /// Restrict message faults to one instrument's frames (native name); nil hits any.
    public var instrument: String?
    /// Line in the scenario file, for reports.
    public var line: Int?

    public init(
        kind: FaultKind, at: Int64, duration: Int64? = nil, count: Int = 1, code: Int? = nil, delay: Int64? = nil,
        jitter: Int64? = nil, window: Int? = nil, bytesPerSecond: Int? = nil, instrument: String? = nil, line: Int? = nil
    ) {
        self.kind = kind
        self.at = at
        self.duration = duration
        self.count = count
        self.code = code
        self.delay = delay
        self.jitter = jitter
        self.window = window
        self.bytesPerSecond = bytesPerSecond
        self.instrument = instrument
        self.line = line
    }

    public var end: Int64 { at + (duration ?? 0) }
}

/// Invariants and targets checked during and after a replay.
public struct Expectations: Sendable, Equatable {
    /// Virtual receive-to-publish latency target.
    public var latencyP95Ms: Double = 100
    /// Published messages per second of wall time.
    public var minThroughputMsgsPerSecond: Double = 150
    /// After a fault heals, every book must be valid again within this bound.
    public var resyncWithin: Int64 = 30_000_000_000
    /// Interval between book-equals-truth checkpoints (0: only at the end).
    public var checkpointEvery: Int64 = 5_000_000_000
    /// Messages the publisher may lose (counted) before the scenario fails.
    public var maxLost: Int = 0
    /// Sequence breaks the collector must detect at least (nil: not checked).
    public var minGapsDetected: Int?
    /// Sequence breaks allowed at most (0 for faults the collector must absorb without a gap).
    public var maxGaps: Int?
    /// Every trade in the recording must be published (no trade lost to the fault).
    public var allTrades = false

    public init() {}
}

extension Scenario {
    /// Reads a scenario file; every error names the file, line and field.
    public static func load(path: String) throws(ConfigError) -> Scenario {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, line: nil, path: "", problem: .unreadable(reason: "\(error.localizedDescription)"))
        }
        return try parse(text, file: path)
    }

    public static let topLevelKeys = ["name", "description", "recording", "seed", "speed", "faults", "expect", "collector"]
    static let collectorKeys = ["rotate_after", "stale_after", "published_depth", "rest_timeout", "ack_timeout", "memory_limit_messages"]
    static let faultKeys = [
        "at", "kind", "duration", "count", "code", "status", "retry_after", "delay", "offset", "jitter", "window",
        "bytes_per_second", "instrument",
    ]
    static let expectationKeys = [
        "latency_p95_ms", "throughput_msgs_per_s", "resync_within", "checkpoint_every", "max_lost", "min_gaps_detected",
        "max_gaps", "all_trades",
    ]

    public static func parse(_ text: String, file: String) throws(ConfigError) -> Scenario {
        let root = try YAMLReader.parse(text, file: file)
        try root.requireKeys(in: topLevelKeys)
        let name = try root.required("name").string()
        let recording = try root.required("recording").string()
        var scenario = Scenario(name: name, recording: recording, file: file)
        scenario.description = try root.optional("description")?.string() ?? ""
        if let seed = try root.optional("seed") {
            let text = try seed.string()
            guard let value = UInt64(text) else {
                throw seed.error(.invalidValue(expected: "a non-negative integer seed", found: text))
            }
            scenario.seed = value
        }
        if let speed = try root.optional("speed") {
            let text = try speed.string()
            guard let value = ReplaySpeed(text) else {
                throw speed.error(.invalidValue(expected: "max or a multiple of real time like 10x", found: text))
            }
            scenario.speed = value
        }
        if let faults = try root.optional("faults") {
            scenario.faults = try faults.items.map { (item) throws(ConfigError) -> Fault in try parseFault(item) }
        }
        if let c = try root.optional("collector") {
            try c.requireKeys(in: collectorKeys)
            var o = CollectorOverrides()
            o.rotateAfter = try c.optional("rotate_after")?.durationNanoseconds()
            o.staleAfter = try c.optional("stale_after")?.durationNanoseconds()
            o.restTimeout = try c.optional("rest_timeout")?.durationNanoseconds()
            o.ackTimeout = try c.optional("ack_timeout")?.durationNanoseconds()
            if let v = try c.optional("published_depth") { o.publishedDepth = try nonNegative(v.int(), v) }
            if let v = try c.optional("memory_limit_messages") { o.memoryLimitMessages = try nonNegative(v.int(), v) }
            scenario.collector = o
        }
        if let expect = try root.optional("expect") {
            try expect.requireKeys(in: expectationKeys)
            var e = Expectations()
            if let v = try expect.optional("latency_p95_ms") { e.latencyP95Ms = try positive(v.double(), v) }
            if let v = try expect.optional("throughput_msgs_per_s") { e.minThroughputMsgsPerSecond = try v.double() }
            if let v = try expect.optional("resync_within") { e.resyncWithin = try v.durationNanoseconds() }
            if let v = try expect.optional("checkpoint_every") { e.checkpointEvery = try v.durationNanoseconds() }
            if let v = try expect.optional("max_lost") { e.maxLost = try nonNegative(v.int(), v) }
            if let v = try expect.optional("min_gaps_detected") { e.minGapsDetected = try nonNegative(v.int(), v) }
            if let v = try expect.optional("max_gaps") { e.maxGaps = try nonNegative(v.int(), v) }
            if let v = try expect.optional("all_trades") { e.allTrades = try v.bool() }
            scenario.expectations = e
        }
        return scenario
    }

    private static func positive(_ value: Double, _ node: YAMLReader) throws(ConfigError) -> Double {
        guard value > 0 else { throw node.error(.invalidValue(expected: "a positive number", found: "\(value)")) }
        return value
    }

    private static func nonNegative(_ value: Int, _ node: YAMLReader) throws(ConfigError) -> Int {
        guard value >= 0 else { throw node.error(.invalidValue(expected: "a non-negative integer", found: "\(value)")) }
        return value
    }

    private static func parseFault(_ item: YAMLReader) throws(ConfigError) -> Fault {
        try item.requireKeys(in: faultKeys)
        let kindNode = try item.required("kind")
        let kindText = try kindNode.string()
        guard let kind = FaultKind(rawValue: kindText) else {
            throw kindNode.error(.invalidValue(
                expected: "a fault kind (\(FaultKind.allCases.map(\.rawValue).joined(separator: ", ")))", found: kindText))
        }
        var fault = Fault(kind: kind, at: try item.required("at").durationNanoseconds(), line: item.line)
        fault.duration = try item.optional("duration")?.durationNanoseconds()
        if let v = try item.optional("count") { fault.count = try nonNegative(v.int(), v) }
        if let v = try item.optional("code") { fault.code = try v.int() }
        if let v = try item.optional("status") {
            let status = try v.int()
            guard (100...599).contains(status) else {
                throw v.error(.invalidValue(expected: "an HTTP status 100-599", found: "\(status)"))
            }
            fault.code = status
        }
        if let v = try item.optional("retry_after") { fault.delay = try v.durationNanoseconds() }
        if let v = try item.optional("delay") { fault.delay = try v.durationNanoseconds() }
        if let v = try item.optional("offset") {
            // Clock offsets may be negative: "-2s".
            let text = try v.string()
            let negative = text.hasPrefix("-")
            guard let ns = DurationText.parse(negative ? String(text.dropFirst()) : text) else {
                throw v.error(.invalidValue(expected: "a signed duration like -2s or 500ms", found: text))
            }
            fault.delay = negative ? -ns : ns
        }
        fault.jitter = try item.optional("jitter")?.durationNanoseconds()
        if let v = try item.optional("window") { fault.window = try nonNegative(v.int(), v) }
        if let v = try item.optional("bytes_per_second") { fault.bytesPerSecond = try nonNegative(v.int(), v) }
        fault.instrument = try item.optional("instrument")?.string()
        try validate(fault, item)
        return fault
    }

    /// Parameters a fault kind cannot work without.
    private static func validate(_ fault: Fault, _ item: YAMLReader) throws(ConfigError) {
        func need(_ present: Bool, _ key: String, _ what: String) throws(ConfigError) {
            if !present {
                throw item.error(.missingKey, at: "\(item.path).\(key) (\(fault.kind.rawValue) needs \(what))")
            }
        }
        switch fault.kind {
        case .connectionStall, .brokerDown, .bandwidthCap, .pongWithheld, .slowAcks, .noResponders:
            try need(fault.duration != nil, "duration", "how long it lasts")
        case .clockSkew, .clockStep:
            try need(fault.delay != nil, "offset", "a clock offset")
        default:
            break
        }
        if fault.kind == .bandwidthCap { try need(fault.bytesPerSecond != nil, "bytes_per_second", "a rate") }
    }
}
