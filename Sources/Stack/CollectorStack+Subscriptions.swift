import Exchanges
import Model

/// What a subscription change actually did: only pairs that were not subscribed (adding) or were
/// subscribed (removing) count, so repeating a request changes nothing and says so.
public struct SubscriptionChange: Sendable, Equatable {
    public var added: [Subscription.Entry]
    public var removed: [Subscription.Entry]

    public init(added: [Subscription.Entry] = [], removed: [Subscription.Entry] = []) {
        self.added = added
        self.removed = removed
    }

    public var isEmpty: Bool { added.isEmpty && removed.isEmpty }

    /// `channel:native` for every pair that changed, added first, in request order.
    public var changedPairs: [String] {
        (added + removed).flatMap { e in e.instruments.map { "\(e.channel):\($0)" } }
    }
}

// Dynamic subscriptions: the running stack takes on (or drops) channel/instrument pairs without a
// restart. The adapter is rebuilt on the new subscription, so a later reconnect subscribes to
// exactly what is current; the open connection gets the venue's own subscribe/unsubscribe frames.
// A new book starts idle and syncs as any book does (a REST snapshot on the Binance venues, the
// venue's in-stream snapshot after the subscribe on OKX and Deribit).
extension CollectorStack {
    /// The subscription the stack runs now (the configured one plus every change since).
    public var subscription: Subscription { adapter.subscription }

    /// Adds and removes channel/instrument pairs; emits `.send` effects on the current connection.
    public mutating func changeSubscription(
        adding: [Subscription.Entry], removing: [Subscription.Entry], at now: Instant
    ) -> SubscriptionChange {
        var current = adapter.subscription
        var change = SubscriptionChange()
        for entry in adding {
            let fresh = Self.distinct(entry.instruments).filter { !current.includes(entry.channel, native: $0) }
            guard !fresh.isEmpty else { continue }
            if let k = current.entries.firstIndex(where: { $0.channel == entry.channel }) {
                current.entries[k].instruments += fresh
            } else {
                current.entries.append(Subscription.Entry(channel: entry.channel, instruments: fresh))
            }
            change.added.append(Subscription.Entry(channel: entry.channel, instruments: fresh))
        }
        for entry in removing {
            let present = Self.distinct(entry.instruments).filter { current.includes(entry.channel, native: $0) }
            guard !present.isEmpty else { continue }
            for k in current.entries.indices where current.entries[k].channel == entry.channel {
                current.entries[k].instruments.removeAll { present.contains($0) }
            }
            current.entries.removeAll { $0.instruments.isEmpty }
            change.removed.append(Subscription.Entry(channel: entry.channel, instruments: present))
        }
        guard !change.isEmpty else { return change }
        let catalog = adapter.catalog
        adapter = AnyVenueAdapter(subscription: current, catalog: catalog)
        for entry in change.added where entry.channel == .book {
            for native in entry.instruments {
                if let instrument = catalog.instrument(native: native) { _ = bookSlot(for: instrument) }
            }
        }
        if let id = supervisor.current {
            let venue = current.venue
            if !change.removed.isEmpty {
                for frame in subscriptionFrames(Subscription(venue: venue, entries: change.removed), subscribe: false, catalog: catalog) {
                    effects.append(.send(id, frame))
                }
            }
            if !change.added.isEmpty {
                for frame in subscriptionFrames(Subscription(venue: venue, entries: change.added), subscribe: true, catalog: catalog) {
                    effects.append(.send(id, frame))
                }
            }
        }
        return change
    }

    /// The venue's frames that (un)subscribe `delta` on an open connection.
    private mutating func subscriptionFrames(_ delta: Subscription, subscribe: Bool, catalog: InstrumentCatalog) -> [[UInt8]] {
        switch delta.venue {
        case .binance, .binanceFutures:
            let names = delta.venue == .binance
                ? BinanceSpotAdapter(subscription: delta, catalog: catalog).streamNames
                : BinanceFuturesAdapter(subscription: delta, catalog: catalog).streamNames
            guard !names.isEmpty else { return [] }
            let id = nextJSONRPCId
            nextJSONRPCId += 1
            var frame = Array("{\"method\":\"\(subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE")\",\"params\":[".utf8)
            for (k, name) in names.enumerated() {
                if k > 0 { frame.append(UInt8(ascii: ",")) }
                frame += Array("\"\(name)\"".utf8)
            }
            frame += Array("],\"id\":\(id)}".utf8)
            return [frame]
        case .okx:
            let frames = OKXAdapter(subscription: delta, catalog: catalog).subscribeFrames()
            return subscribe ? frames : frames.map { Self.replacing(Array("\"op\":\"subscribe\"".utf8), with: Array("\"op\":\"unsubscribe\"".utf8), in: $0) }
        case .deribit:
            let frames = DeribitAdapter(subscription: delta, catalog: catalog).subscribeFrames()
            return subscribe ? frames : frames.map { Self.replacing(Array("public/subscribe".utf8), with: Array("public/unsubscribe".utf8), in: $0) }
        }
    }

    private static func distinct(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }

    /// The first occurrence of `needle` in `frame` replaced (frames are small and built by us).
    private static func replacing(_ needle: [UInt8], with replacement: [UInt8], in frame: [UInt8]) -> [UInt8] {
        guard needle.count <= frame.count else { return frame }
        for i in 0...(frame.count - needle.count) where frame[i..<(i + needle.count)].elementsEqual(needle) {
            return Array(frame[..<i]) + replacement + Array(frame[(i + needle.count)...])
        }
        return frame
    }
}
