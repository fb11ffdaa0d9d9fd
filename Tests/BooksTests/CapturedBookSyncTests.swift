import Books
import Exchanges
import Foundation
import Model
import Recording
import Testing
import TestSupport

/// The sync machines on real venue traffic (../shared/data/cryptofeed-sample), parsed by the
/// Exchanges adapters: the clean captures must sync and stay valid with no false break, and a
/// message removed from them must be caught.
@Suite(.enabled(if: TestEnvironment.hasSharedData, Comment(rawValue: TestEnvironment.sharedDataSkipMessage)))
struct CapturedBookSyncTests {
    /// A capture line the tests use: a received frame or a REST body, with its wall time.
    enum Line {
        case frame(Instant, [UInt8])
        case rest(url: String, Instant, [UInt8])
        case configuration([UInt8])
    }

    static func lines(_ name: String) throws -> [Line] {
        let dir = try #require(TestEnvironment.cryptofeedSample)
        let data = try Data(contentsOf: dir.appendingPathComponent(name))
        var out: [Line] = []
        for raw in data.split(separator: UInt8(ascii: "\n")) {
            let bytes = [UInt8](raw)
            let parsed = try bytes.withUnsafeBytes { try CryptofeedLine.parse($0) }
            switch parsed {
            case .received(let ns, let payload):
                out.append(.frame(Instant(nanoseconds: ns), Array(bytes[payload])))
            case .restResponse(let url, let ns, let body):
                out.append(.rest(url: String(decoding: bytes[url], as: UTF8.self), Instant(nanoseconds: ns), Array(bytes[body])))
            case .configuration(let json):
                out.append(.configuration(Array(bytes[json])))
            case .blank, .sent, .connect:
                break
            }
        }
        return out
    }

    /// Every book message of a stream capture, in order.
    static func bookUpdates<A: VenueAdapter>(_ adapter: inout A, file: String) throws -> [BookUpdate] {
        var out: [AdapterOutput] = []
        var updates: [BookUpdate] = []
        for case .frame(let time, let payload) in try lines(file) {
            out.removeAll(keepingCapacity: true)
            adapter.parse(frame: payload, receivedAt: time, into: &out)
            for case .event(.book(let update)) in out { updates.append(update) }
        }
        return updates
    }

    /// Feeds stream-snapshot updates (OKX legacy, Deribit) to one machine per instrument.
    static func replay<Rule: StreamSnapshotRule>(
        _ updates: [BookUpdate], as: Rule.Type
    ) -> (syncs: [String: StreamSnapshotBookSync<Rule>], effects: [BookSyncEffect]) {
        var syncs: [String: StreamSnapshotBookSync<Rule>] = [:]
        var effects: [BookSyncEffect] = []
        for update in updates {
            let native = update.instrument.native
            var sync = syncs.removeValue(forKey: native) ?? StreamSnapshotBookSync<Rule>(instrument: update.instrument)
            sync.handle(.update(update), at: update.receiveTime, into: &effects)
            syncs[native] = sync
        }
        return (syncs, effects)
    }

    static func okxUpdates() throws -> [BookUpdate] {
        var adapter = OKXAdapter(
            subscription: Subscription(venue: .okx, channels: [.book], instruments: ["BTC-USD-220527", "UNI-USD-SWAP", "BTC-USDT"]),
            catalog: InstrumentCatalog(venue: .okx))
        return try bookUpdates(&adapter, file: "OKX.ws.1.0")
    }

    @Test func okxLegacyChecksumsHoldOnEveryMessage() throws {
        let updates = try Self.okxUpdates()
        #expect(updates.count == 290)
        let (syncs, effects) = Self.replay(updates, as: OKXLegacyRule.self)
        #expect(syncs.count == 3)
        #expect(effects.breaks.isEmpty, "\(effects.breaks.prefix(3))")
        #expect(effects.count { if case .synced = $0 { true } else { false } } == 3)
        var checked = 0
        for sync in syncs.values {
            #expect(sync.isValid && !sync.book.isCrossed)
            #expect(sync.counters.checksumsFailed == 0)
            checked += sync.counters.checksumsChecked
        }
        #expect(checked == 290, "every snapshot and update carries a checksum and it matched")
        let btc = try #require(syncs["BTC-USDT"])
        #expect(btc.book.bidCount > 100 && btc.book.askCount > 100)
    }

    @Test func okxLegacyLostUpdateIsCaughtByTheChecksum() throws {
        var updates = try Self.okxUpdates()
        // The capture predates seqId, so only the checksum can notice a lost message.
        let lost = try #require(updates.indices.first { i in
            updates[i].kind == .delta && updates[i].instrument.native == "BTC-USDT" && i > 100
        })
        let instrument = updates[lost].instrument
        updates.remove(at: lost)
        let (syncs, effects) = Self.replay(updates, as: OKXLegacyRule.self)
        #expect(effects.resubscribes.count == 1)
        // Whichever check trips first on the next message: the lost level change leaves a crossed book
        // or a checksum that no longer matches.
        switch effects.resubscribes.first {
        case .checksumMismatch?, .crossed?: break
        default: Issue.record("expected a checksum mismatch or a crossed book, got \(effects.breaks)")
        }
        #expect(effects.contains(.resubscribe(instrument, reason: effects.resubscribes[0])))
        #expect(syncs["BTC-USDT"]?.isValid == false, "nothing is published until a new snapshot")
        #expect(syncs["UNI-USD-SWAP"]?.isValid == true)
    }

    static func deribitUpdates() throws -> [BookUpdate] {
        let configuration = try #require(try lines("DERIBIT.0").lazy.compactMap { line -> [UInt8]? in
            if case .configuration(let json) = line { return json } else { return nil }
        }.first)
        var adapter = DeribitAdapter(
            subscription: try Subscription.fromCryptofeedConfiguration(json: configuration, venue: .deribit),
            catalog: InstrumentCatalog(venue: .deribit), interval: .raw)
        return try bookUpdates(&adapter, file: "DERIBIT.ws.1.0")
    }

    @Test func deribitChangeIdsChainThroughTheCapture() throws {
        let updates = try Self.deribitUpdates()
        let (syncs, effects) = Self.replay(updates, as: DeribitRule.self)
        #expect(syncs.count == 10)
        #expect(effects.breaks.isEmpty, "\(effects.breaks.prefix(3))")
        #expect(syncs.values.allSatisfy { $0.isValid && !$0.book.isCrossed })
        #expect(syncs.values.reduce(0) { $0 + $1.counters.updatesApplied + $1.counters.heartbeats } == 36)
        #expect(effects.publishedCount == updates.count)
    }

    @Test func deribitMissingChangeIdIsCaught() throws {
        var updates = try Self.deribitUpdates()
        let lost = try #require(updates.indices.first { updates[$0].kind == .delta })
        let instrument = updates[lost].instrument
        let missing = updates[lost].sequence.last
        updates.remove(at: lost)
        let (syncs, effects) = Self.replay(updates, as: DeribitRule.self)
        #expect(effects.resubscribes.count == 1)
        #expect(effects.resubscribes.first == .gap(expected: try #require(updates[..<lost].last {
            $0.instrument == instrument
        }).sequence.last, received: missing))
        #expect(syncs[instrument.native]?.isValid == false)
    }

    /// Binance: the depth stream and the REST snapshots cryptofeed fetched, merged by receive time.
    /// A snapshot is handed to the machine when it has asked for one and the recorded answer has
    /// arrived, as the simulated exchange serves recorded REST answers.
    static func replayBinance(dropping drop: (BookUpdate) -> Bool = { _ in false })
        throws -> (syncs: [String: BinanceSpotBookSync], effects: [BookSyncEffect])
    {
        let natives = ["NKNUSDT", "BLZETH", "LRCBTC", "RUNEEUR"]
        var adapter = BinanceSpotAdapter(
            subscription: Subscription(venue: .binance, channels: [.book], instruments: natives),
            catalog: InstrumentCatalog(venue: .binance))
        enum Event { case update(BookUpdate), snapshot(native: String, Instant, [UInt8]) }
        var timeline: [(Instant, Int, Event)] = []
        var out: [AdapterOutput] = []
        for case .frame(let time, let payload) in try lines("BINANCE.ws.1.0") {
            out.removeAll(keepingCapacity: true)
            adapter.parse(frame: payload, receivedAt: time, into: &out)
            for case .event(.book(let update)) in out where !drop(update) {
                timeline.append((time, timeline.count, .update(update)))
            }
        }
        for case .rest(let url, let time, let body) in try lines("BINANCE.http.0.0") where url.contains("/api/v3/depth") {
            let native = String(try #require(url.split(separator: "symbol=").last?.split(separator: "&").first))
            timeline.append((time, timeline.count, .snapshot(native: native, time, body)))
        }
        timeline.sort { ($0.0, $0.1) < ($1.0, $1.1) }

        var syncs: [String: BinanceSpotBookSync] = [:]
        var requested: Set<String> = []
        var answers: [String: [[UInt8]]] = [:]
        var effects: [BookSyncEffect] = []
        func deliver(_ native: String, at time: Instant) throws {
            guard requested.contains(native), var queue = answers[native], !queue.isEmpty, var sync = syncs[native] else { return }
            let body = queue.removeFirst()
            answers[native] = queue
            requested.remove(native)
            let snapshot = try adapter.parseSnapshot(body: body, instrument: sync.instrument, receivedAt: time).get()
            let mark = effects.count
            sync.handle(.snapshot(snapshot), at: time, into: &effects)
            syncs[native] = sync
            if effects[mark...].contains(where: { if case .requestSnapshot = $0 { true } else { false } }) {
                requested.insert(native)
            }
        }
        for (time, _, event) in timeline {
            switch event {
            case .update(let update):
                let native = update.instrument.native
                var sync = syncs[native] ?? BinanceSpotBookSync(instrument: update.instrument)
                let mark = effects.count
                sync.handle(.update(update), at: time, into: &effects)
                syncs[native] = sync
                if effects[mark...].contains(where: { if case .requestSnapshot = $0 { true } else { false } }) {
                    requested.insert(native)
                    try deliver(native, at: time)
                }
            case .snapshot(let native, let time, let body):
                answers[native, default: []].append(body)
                try deliver(native, at: time)
            }
        }
        return (syncs, effects)
    }

    @Test func binanceSpotDropsFramesOlderThanTheSnapshotAndSyncs() throws {
        let (syncs, effects) = try Self.replayBinance()
        #expect(syncs.count == 4)
        #expect(effects.breaks.isEmpty, "\(effects.breaks.prefix(3))")
        #expect(syncs.values.allSatisfy { $0.isValid && !$0.book.isCrossed })
        #expect(syncs.values.allSatisfy { $0.counters.snapshotsApplied == 1 })
        // Buffered frames that predate a snapshot are dropped by the U/u rule.
        #expect(syncs.values.reduce(0) { $0 + $1.counters.droppedStale } > 0)
        let nkn = try #require(syncs["NKNUSDT"])
        #expect(nkn.book.bidCount > 100)
    }

    @Test func binanceSpotLostFrameIsAGapAndResyncs() throws {
        // Remove one NKNUSDT depth frame well after the sync point.
        var seen = 0
        let (syncs, effects) = try Self.replayBinance { update in
            guard update.instrument.native == "NKNUSDT" else { return false }
            seen += 1
            return seen == 20
        }
        let gaps = effects.breaks
        #expect(gaps.count == 1)
        guard case .gap(let expected, let received)? = gaps.first else {
            Issue.record("expected a gap, got \(gaps)")
            return
        }
        #expect(received > expected)
        #expect(effects.snapshotRequests.contains(.resync(.gap(expected: expected, received: received))))
        #expect(syncs["NKNUSDT"]?.isValid == false, "no recorded snapshot is left to resync from")
    }
}
