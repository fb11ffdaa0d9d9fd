import Model
import Recording
import Simulation

/// One recording held in memory for serving: every received frame's bytes in one buffer, a timeline
/// of frames and REST responses in recorded order (REST responses feed the truth book only), the
/// channel key of each frame, and the recorded REST answers by path and query.
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

    let feed: RecordedFeed
    var venue: Venue { feed.venue }
    private(set) var bytes: [UInt8] = []
    private(set) var entries: [Entry] = []
    private(set) var keys: [String] = []
    private(set) var keyIndex: [String: Int32] = [:]
    private(set) var restRecords: [RestRecord] = []
    /// Instrument listings as recorded (`exchangeInfo`, `/api/v5/public/instruments?...`, `get_instruments`), by path and query.
    private(set) var listings: [String: [UInt8]] = [:]
    /// Every other recorded REST answer (depth snapshots, open interest, ...), first-in-first-out per path and query.
    private(set) var responses: [String: [RecordedResponse]] = [:]
    /// Entries that are frames (the benchmark and tests count them).
    private(set) var frameCount = 0

    static func load(path: String) throws(ExchangeServerError) -> ServedRecording {
        let feed: RecordedFeed
        do { feed = try RecordedFeed.load(path: path) } catch { throw .recording(path: path, reason: "\(error)") }
        var served = ServedRecording(feed: feed)
        do {
            let reader = try RecordingReader(path: path)
            try reader.forEachRecord { r in served.absorb(r) }
        } catch {
            throw .recording(path: path, reason: "\(error)")
        }
        for (url, list) in feed.responses {
            served.responses[pathAndQuery(url), default: []].append(contentsOf: list)
        }
        return served
    }

    private mutating func absorb(_ r: RecordView) {
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
            if Self.isListing(url) {
                let target = Self.pathAndQuery(url)
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

    private mutating func intern(_ name: String) -> Int32 {
        if let k = keyIndex[name] { return k }
        keys.append(name)
        let k = Int32(keys.count - 1)
        keyIndex[name] = k
        return k
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
