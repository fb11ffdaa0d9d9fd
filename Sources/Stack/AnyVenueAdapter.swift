import Exchanges
import Model

/// One of the four venue adapters, chosen at run time without an existential: a switch per call
/// is cheaper than protocol-witness dispatch on the hot path and keeps the stack non-generic.
public enum AnyVenueAdapter {
    case binance(BinanceSpotAdapter)
    case binanceFutures(BinanceFuturesAdapter)
    case okx(OKXAdapter)
    case deribit(DeribitAdapter)

    public init(subscription: Subscription, catalog: InstrumentCatalog) {
        switch subscription.venue {
        case .binance: self = .binance(BinanceSpotAdapter(subscription: subscription, catalog: catalog))
        case .binanceFutures: self = .binanceFutures(BinanceFuturesAdapter(subscription: subscription, catalog: catalog))
        case .okx: self = .okx(OKXAdapter(subscription: subscription, catalog: catalog))
        case .deribit: self = .deribit(DeribitAdapter(subscription: subscription, catalog: catalog))
        }
    }

    public var venue: Venue {
        switch self {
        case .binance: return .binance
        case .binanceFutures: return .binanceFutures
        case .okx: return .okx
        case .deribit: return .deribit
        }
    }

    public var catalog: InstrumentCatalog {
        switch self {
        case .binance(let a): return a.catalog
        case .binanceFutures(let a): return a.catalog
        case .okx(let a): return a.catalog
        case .deribit(let a): return a.catalog
        }
    }

    public var subscription: Subscription {
        switch self {
        case .binance(let a): return a.subscription
        case .binanceFutures(let a): return a.subscription
        case .okx(let a): return a.subscription
        case .deribit(let a): return a.subscription
        }
    }

    public var counters: ParseCounters {
        switch self {
        case .binance(let a): return a.counters
        case .binanceFutures(let a): return a.counters
        case .okx(let a): return a.counters
        case .deribit(let a): return a.counters
        }
    }

    public var websocketURL: String {
        switch self {
        case .binance(let a): return a.websocketURL
        case .binanceFutures(let a): return a.websocketURL
        case .okx(let a): return a.websocketURL
        case .deribit(let a): return a.websocketURL
        }
    }

    public func connectFrames() -> [[UInt8]] {
        switch self {
        case .binance(let a): return a.connectFrames()
        case .binanceFutures(let a): return a.connectFrames()
        case .okx(let a): return a.connectFrames()
        case .deribit(let a): return a.connectFrames()
        }
    }

    public func snapshotRequest(for instrument: Instrument) -> RestRequest {
        switch self {
        case .binance(let a): return a.snapshotRequest(for: instrument)
        case .binanceFutures(let a): return a.snapshotRequest(for: instrument)
        case .okx(let a): return a.snapshotRequest(for: instrument)
        case .deribit(let a): return a.snapshotRequest(for: instrument)
        }
    }

    @inline(__always)
    public mutating func parse(frame: UnsafeRawBufferPointer, receivedAt: Instant, into out: inout [AdapterOutput]) {
        // `consume self` hands the payload over uniquely (no placeholder to copy in, no copy-on-write)
        // and every path puts the adapter back.
        switch consume self {
        case .binance(var a):
            a.parse(frame: frame, receivedAt: receivedAt, into: &out)
            self = .binance(a)
        case .binanceFutures(var a):
            a.parse(frame: frame, receivedAt: receivedAt, into: &out)
            self = .binanceFutures(a)
        case .okx(var a):
            a.parse(frame: frame, receivedAt: receivedAt, into: &out)
            self = .okx(a)
        case .deribit(var a):
            a.parse(frame: frame, receivedAt: receivedAt, into: &out)
            self = .deribit(a)
        }
    }

    public mutating func parseSnapshot(body: UnsafeRawBufferPointer, instrument: Instrument, receivedAt: Instant)
        -> Result<BookUpdate, FrameError>
    {
        switch self {
        case .binance(var a):
            defer { self = .binance(a) }
            return a.parseSnapshot(body: body, instrument: instrument, receivedAt: receivedAt)
        case .binanceFutures(var a):
            defer { self = .binanceFutures(a) }
            return a.parseSnapshot(body: body, instrument: instrument, receivedAt: receivedAt)
        case .okx(var a):
            defer { self = .okx(a) }
            return a.parseSnapshot(body: body, instrument: instrument, receivedAt: receivedAt)
        case .deribit(var a):
            defer { self = .deribit(a) }
            return a.parseSnapshot(body: body, instrument: instrument, receivedAt: receivedAt)
        }
    }
}
