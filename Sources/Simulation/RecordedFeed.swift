import Exchanges
import Model
import Recording

/// Why a recording cannot be replayed.
public enum ReplayError: Error, CustomStringConvertible, Sendable {
    case recording(RecordingError)
    case unknownVenue(path: String, venue: String)
    case badSubscription(path: String, reason: String)
    case noFrames(path: String)
    case scenario(String)

    public var description: String {
        switch self {
        case .recording(let e): return "\(e)"
        case .unknownVenue(let path, let venue):
            return "\(path): recording header names venue '\(venue)'; expected one of \(Venue.allCases.map(\.rawValue).joined(separator: ", "))"
        case .badSubscription(let path, let reason): return "\(path): recording header subscription: \(reason)"
        case .noFrames(let path): return "\(path): recording holds no received websocket frames to replay"
        case .scenario(let text): return text
        }
    }
}

/// A REST response as recorded, served again by the simulated exchange.
public struct RecordedResponse: Sendable {
    public var atNs: Int64
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]
}

/// What a replay needs to know before the first frame: venue, subscription, instruments and every
/// recorded REST response. Read in one pass; frames are streamed later, never held in memory.
public struct RecordedFeed: Sendable {
    public var path: String
    public var header: RecordingHeader
    public var venue: Venue
    public var subscription: Subscription
    public var catalog: InstrumentCatalog
    public var firstNs: Int64
    public var lastNs: Int64
    /// The first received websocket frame: scenario times count from here.
    public var firstFrameNs: Int64
    public var receivedFrames: Int
    /// Snapshot and other REST responses by URL, in recorded order (served first-in-first-out).
    public var responses: [String: [RecordedResponse]]
    /// The instants of the recorded `connect` records, in recorded order.
    public var connectNs: [Int64] = []
    /// Whether the recorded instants are the collector stack's own: a recording made by `collect` or
    /// `record`, whose `connect` and `rest_response` records were written at the very instant the stack
    /// was told (see `stackRESTStream`). Replay then opens each connection at its `connect` record and
    /// answers the stack's REST requests at their recorded responses, in recorded order, instead of
    /// modelling the venue's latencies; a venue's own capture (imported, synthetic) keeps the model.
    public var recordsStackInstants = false

    /// The collector's recorder puts the REST responses the stack used on this stream, labelled `rest`
    /// in the header (docs/collector.md): the mark of a recording made by the collector.
    public static let stackRESTStream = CollectorStreams.rest
    /// The URL of the collector's record of a subscription changed at run time (docs/collector.md).
    public static let subscriptionChangeURL = CollectorStreams.subscriptionChangeURL

    /// Reads the recording once; `visit` sees every record of that pass (a server that keeps the frames
    /// in memory takes them here instead of reading the file again).
    public static func load(path: String, visit: ((RecordView, Venue) -> Void)? = nil) throws(ReplayError) -> RecordedFeed {
        let reader: RecordingReader
        do { reader = try RecordingReader(path: path) } catch { throw .recording(error) }
        guard let venue = reader.header.knownVenue else {
            throw .unknownVenue(path: path, venue: reader.header.venue)
        }
        var catalog = InstrumentCatalog(venue: venue)
        var responses: [String: [RecordedResponse]] = [:]
        var firstNs = Int64.max, lastNs = Int64.min, received = 0, firstFrameNs = Int64.max
        var connects: [Int64] = []
        do {
            try reader.forEachRecord { r in
                visit?(r, venue)
                firstNs = min(firstNs, r.wallNs)
                lastNs = max(lastNs, r.wallNs)
                switch r.kind {
                case .wsReceived:
                    received += 1
                    firstFrameNs = min(firstFrameNs, r.wallNs)
                case .connect:
                    connects.append(r.wallNs)
                case .restResponse:
                    let url = r.url ?? ""
                    let body = Array(r.payload)
                    if url.contains("exchangeInfo") {
                        if let c = try? InstrumentCatalog.binance(exchangeInfo: body, venue: venue) {
                            for i in c.instruments { catalog.insert(i) }
                        }
                    } else if url.contains("/api/v5/public/instruments") {
                        try? catalog.addOKXInstruments(body)
                    } else if url.contains("get_instruments") {
                        try? catalog.addDeribitInstruments(body)
                    } else {
                        responses[url, default: []].append(RecordedResponse(
                            atNs: r.wallNs, status: Int(r.status ?? 200), headers: r.headers, body: body))
                    }
                default:
                    break
                }
            }
        } catch let error as RecordingError {
            throw .recording(error)
        } catch {
            throw .badSubscription(path: path, reason: "\(error)")
        }
        guard received > 0 else { throw .noFrames(path: path) }
        let subscription: Subscription
        if let own = Subscription.fromJSON(reader.header.subscription) {
            subscription = own
        } else {
            do {
                subscription = try Subscription.fromCryptofeedConfiguration(json: Array(reader.header.subscription.utf8), venue: venue)
            } catch {
                throw .badSubscription(path: path, reason: "\(error)")
            }
        }
        var feed = RecordedFeed(
            path: path, header: reader.header, venue: venue, subscription: subscription, catalog: catalog,
            firstNs: firstNs, lastNs: lastNs, firstFrameNs: firstFrameNs, receivedFrames: received, responses: responses)
        feed.connectNs = connects
        feed.recordsStackInstants = reader.header.streamLabels.contains { $0.id == stackRESTStream && $0.label == "rest" }
        return feed
    }

    /// This feed and `other` (of the same venue) as one: channels and instruments of both, REST answers of
    /// both by URL in time order, the span of both. For serving several recordings of a venue as one market.
    public func merging(_ other: RecordedFeed) -> RecordedFeed {
        var merged = self
        merged.path = path + "," + other.path
        for entry in other.subscription.entries {
            if let i = merged.subscription.entries.firstIndex(where: { $0.channel == entry.channel }) {
                for native in entry.instruments where !merged.subscription.entries[i].instruments.contains(native) {
                    merged.subscription.entries[i].instruments.append(native)
                }
            } else {
                merged.subscription.entries.append(entry)
            }
        }
        for instrument in other.catalog.instruments where merged.catalog.instrument(native: instrument.native) == nil {
            merged.catalog.insert(instrument)
        }
        merged.firstNs = min(firstNs, other.firstNs)
        merged.lastNs = max(lastNs, other.lastNs)
        merged.firstFrameNs = min(firstFrameNs, other.firstFrameNs)
        merged.receivedFrames += other.receivedFrames
        for (url, list) in other.responses {
            merged.responses[url, default: []].append(contentsOf: list)
            merged.responses[url]!.sort { $0.atNs < $1.atNs }
        }
        merged.connectNs = (connectNs + other.connectNs).sorted()
        merged.recordsStackInstants = false
        return merged
    }

    /// The instrument a snapshot URL asks for (`symbol=`, `instId=`, `instrument_name=`).
    public func snapshotInstrument(url: String) -> Instrument? {
        guard let query = url.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, ["symbol", "instId", "instrument_name"].contains(String(kv[0])) else { continue }
            return catalog.instrument(native: String(kv[1]))
        }
        return nil
    }
}
