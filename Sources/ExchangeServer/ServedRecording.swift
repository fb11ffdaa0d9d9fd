import Model
import Recording
import Simulation

/// One venue's recording (or several, merged) held in memory for serving: every received frame's bytes
/// in one buffer, a timeline of frames and REST responses in recorded order (REST responses feed the
/// truth book only), the channel key of each frame, and the recorded REST answers by path and query.
///
/// Held in memory so any number of connections can replay it at 100,000+ frames/s without each one
/// decompressing the file again.
struct ServedRecording: Sendable {
    struct Entry: Sendable {
        var wallNs: Int64
        var offset: Int
        var count: Int
        /// Index into `keys` for a market-data frame; -1 for protocol frames; -2 for a REST response.
        var key: Int32
        /// Binance: where the bare `data` object starts and ends within the frame (for `/ws`).
        var dataStart: Int32
        var dataEnd: Int32
        /// For REST entries: index into `restRecords`.
        var rest: Int32

        var isFrame: Bool { key != -2 }
    }

    struct RestRecord: Sendable {
        var url: String
        var status: UInt16?
    }

    /// What one pass over the records builds: the frames' bytes, the timeline, the channel keys, the REST
    /// records and the instrument listings.
    struct Timeline: Sendable {
        var bytes: [UInt8] = []
        var entries: [Entry] = []
        var keys: [String] = []
        var keyIndex: [String: Int32] = [:]
        var restRecords: [RestRecord] = []
        var listings: [String: [UInt8]] = [:]
        var frameCount = 0

        mutating func absorb(_ r: RecordView, venue: Venue) {
            switch r.kind {
            case .wsReceived:
                let payload = r.payload
                var key: Int32 = -1
                if let name = RecordedFrameKey.key(venue: venue, frame: payload) { key = intern(name) }
                var data: Range<Int> = 0..<0
                if venue == .binance || venue == .binanceFutures, key >= 0 { data = RecordedFrameKey.binanceDataRange(payload) ?? 0..<0 }
                entries.append(Entry(
                    wallNs: r.wallNs, offset: bytes.count, count: payload.count, key: key, dataStart: Int32(data.lowerBound),
                    dataEnd: Int32(data.upperBound), rest: -1))
                bytes.append(contentsOf: payload)
                frameCount += 1
            case .restResponse:
                let url = r.url ?? ""
                if ServedRecording.isListing(url) {
                    let target = ServedRecording.pathAndQuery(url)
                    if listings[target] == nil { listings[target] = Array(r.payload) }
                    return
                }
                restRecords.append(RestRecord(url: url, status: r.status))
                entries.append(Entry(
                    wallNs: r.wallNs, offset: bytes.count, count: r.payload.count, key: -2, dataStart: 0, dataEnd: 0,
                    rest: Int32(restRecords.count - 1)))
                bytes.append(contentsOf: r.payload)
            default:
                break
            }
        }

        mutating func intern(_ name: String) -> Int32 {
            if let k = keyIndex[name] { return k }
            keys.append(name)
            let k = Int32(keys.count - 1)
            keyIndex[name] = k
            return k
        }
    }

    /// The recording's feed; for several recordings of one venue, their union (subscription, instruments,
    /// REST answers, time span).
    private(set) var feed: RecordedFeed
    /// The files served, in command-line order.
    private(set) var paths: [String]
    private var timeline: Timeline
    /// Every other recorded REST answer (depth snapshots, open interest, ...), first-in-first-out per path and query.
    private(set) var responses: [String: [RecordedResponse]] = [:]

    var venue: Venue { feed.venue }
    var bytes: [UInt8] { timeline.bytes }
    var entries: [Entry] { timeline.entries }
    var keys: [String] { timeline.keys }
    var keyIndex: [String: Int32] { timeline.keyIndex }
    var restRecords: [RestRecord] { timeline.restRecords }
    /// Instrument listings as recorded (`exchangeInfo`, `/api/v5/public/instruments?...`, `get_instruments`), by path and query.
    var listings: [String: [UInt8]] { timeline.listings }
    /// Entries that are frames (the benchmark and tests count them).
    var frameCount: Int { timeline.frameCount }

    /// Reads the file once: the feed's summary and the frames come from the same pass.
    static func load(path: String) throws(ExchangeServerError) -> ServedRecording {
        var timeline = Timeline()
        let feed: RecordedFeed
        do {
            feed = try RecordedFeed.load(path: path) { record, venue in timeline.absorb(record, venue: venue) }
        } catch {
            throw .recording(path: path, reason: "\(error)")
        }
        var served = ServedRecording(feed: feed, paths: [path], timeline: timeline)
        for (url, list) in feed.responses {
            served.responses[pathAndQuery(url), default: []].append(contentsOf: list)
        }
        return served
    }

    /// Several recordings of one venue as one market: their frames and REST answers merged by receive time
    /// (each file keeping its own order; ties go to the earlier file). Two recordings that overlap in time
    /// may not carry the same channel: the merged stream would send its frames twice.
    static func merged(_ parts: [ServedRecording]) throws(ExchangeServerError) -> ServedRecording {
        guard var result = parts.first else { throw .noRecordings }
        guard parts.count > 1 else { return result }
        for (i, a) in parts.enumerated() {
            for b in parts[(i + 1)...] {
                let overlap = a.feed.firstFrameNs <= b.feed.lastNs && b.feed.firstFrameNs <= a.feed.lastNs
                if overlap, let shared = Set(a.keys).intersection(b.keys).sorted().first {
                    throw .overlappingRecordings(venue: a.venue.rawValue, paths: a.paths + b.paths, channel: shared)
                }
            }
        }
        // One byte buffer, keys and REST records over all parts; then the entries merged by time.
        var keyMaps: [[Int32]] = [result.keys.indices.map { Int32($0) }]
        var byteBase = [0], restBase = [0]
        for part in parts.dropFirst() {
            byteBase.append(result.timeline.bytes.count)
            restBase.append(result.timeline.restRecords.count)
            result.timeline.bytes.append(contentsOf: part.bytes)
            result.timeline.restRecords.append(contentsOf: part.restRecords)
            keyMaps.append(part.keys.map { result.timeline.intern($0) })
            for (target, body) in part.listings where result.timeline.listings[target] == nil { result.timeline.listings[target] = body }
            for (target, list) in part.responses { result.responses[target, default: []].append(contentsOf: list) }
            result.timeline.frameCount += part.frameCount
            result.paths += part.paths
            result.feed = result.feed.merging(part.feed)
        }
        for target in result.responses.keys { result.responses[target]!.sort { $0.atNs < $1.atNs } }
        var cursors = [Int](repeating: 0, count: parts.count)
        var merged: [Entry] = []
        merged.reserveCapacity(parts.reduce(0) { $0 + $1.entries.count })
        while true {
            var best: Int?
            for p in parts.indices where cursors[p] < parts[p].entries.count {
                if best.map({ parts[p].entries[cursors[p]].wallNs < parts[$0].entries[cursors[$0]].wallNs }) ?? true { best = p }
            }
            guard let p = best else { break }
            var e = parts[p].entries[cursors[p]]
            cursors[p] += 1
            e.offset += byteBase[p]
            if e.key >= 0 { e.key = keyMaps[p][Int(e.key)] }
            if e.rest >= 0 { e.rest += Int32(restBase[p]) }
            merged.append(e)
        }
        result.timeline.entries = merged
        return result
    }

    static func isListing(_ url: String) -> Bool {
        url.contains("exchangeInfo") || url.contains("/api/v5/public/instruments") || url.contains("get_instruments")
    }

    /// `https://api.binance.com/api/v3/depth?symbol=X` -> `/api/v3/depth?symbol=X`.
    static func pathAndQuery(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return "/" }
        return String(rest[slash...])
    }

    /// Index of the first entry recorded at or after `wallNs` (binary search; entries are in recorded order).
    func firstEntry(atOrAfter wallNs: Int64) -> Int {
        var lo = 0, hi = entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[mid].wallNs < wallNs { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    func withPayload<R>(_ e: Entry, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[e.offset..<(e.offset + e.count)])) }
    }
}
