/// What `marketprism inspect` reports: counts and sizes gathered by one streaming pass over a recording.
public struct RecordingStats: Sendable, Equatable {
    public var records = 0
    /// Records per kind, indexed by `RecordKind.code`.
    private var kindCounts = [Int](repeating: 0, count: 8)
    /// Records per stream id.
    public var streams: [UInt32: Int] = [:]
    /// Earliest and latest wall time seen (nil for an empty recording).
    public var firstWallNs: Int64?
    public var lastWallNs: Int64?
    /// Decompressed bytes of all data frames.
    public var rawBytes: Int64 = 0
    /// Payload bytes only (what the exchange sent or received).
    public var payloadBytes: Int64 = 0
    /// Stored bytes of all complete data frames (frame infos included).
    public var compressedBytes: Int64 = 0
    public var fileBytes: Int64 = 0
    public var frames = 0
    /// The footer is present and valid.
    public var endedCleanly = false
    /// Bytes after the last complete frame of a file without footer.
    public var unreadableBytes: Int64 = 0
    /// Damaged regions skipped (only in the reader's `salvage` mode; otherwise damage throws).
    public var damage: [RecordingDamage] = []

    public init() {}

    public var truncated: Bool { !endedCleanly }
    public func count(of kind: RecordKind) -> Int { kindCounts[Int(kind.code)] }
    /// Every kind with its count (zero included), in `RecordKind.allCases` order.
    public var kinds: [(kind: RecordKind, count: Int)] { RecordKind.allCases.map { ($0, count(of: $0)) } }
    /// Stream ids in ascending order with their counts: deterministic output.
    public var sortedStreams: [(stream: UInt32, count: Int)] { streams.keys.sorted().map { ($0, streams[$0]!) } }
    /// Raw bytes per stored byte.
    public var compressionRatio: Double { compressedBytes > 0 ? Double(rawBytes) / Double(compressedBytes) : 0 }

    @inline(__always)
    mutating func add(_ record: RecordView) {
        records += 1
        kindCounts[Int(record.kind.code)] += 1
        streams[record.stream, default: 0] += 1
        let wall = record.wallNs
        if firstWallNs == nil || wall < firstWallNs! { firstWallNs = wall }
        if lastWallNs == nil || wall > lastWallNs! { lastWallNs = wall }
        payloadBytes += Int64(record.payload.count)
    }
}

extension RecordingReader {
    /// Scans the whole recording from the start (constant memory) and leaves the reader at the end.
    /// Throws `corruptFrame` when the data is damaged; a truncated tail is reported in the result.
    public func stats() throws(RecordingError) -> RecordingStats {
        rewind()
        var stats = RecordingStats()
        do {
            try forEachRecord { stats.add($0) }
        } catch let error as RecordingError {
            throw error
        } catch {
            preconditionFailure("stats does not throw from its body")
        }
        stats.rawBytes = rawBytesRead
        stats.compressedBytes = compressedBytesRead
        stats.frames = framesRead
        stats.fileBytes = fileSize
        stats.damage = damage
        switch tail {
        case .clean:
            stats.endedCleanly = true
        case .truncated(_, let unreadable):
            stats.unreadableBytes = unreadable
        case .notReached:
            break
        }
        return stats
    }
}
