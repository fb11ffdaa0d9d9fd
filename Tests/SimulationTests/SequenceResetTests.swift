import Books
import Exchanges
import Foundation
import Model
import Publishing
import Stack
import Testing
import TestSupport
@testable import Simulation

/// `message.sequence_reset`: the simulated venue restarts a book's numbering; the collector must notice.
@Suite("Sequence reset fault")
struct SequenceResetTests {
    static let recordings = TestEnvironment.packageRoot.appendingPathComponent("recordings")

    static func path(_ name: String) -> String { recordings.appendingPathComponent("\(name).mprec").path }

    /// Runs `scenario` and returns the report, the canonical lines and the simulator (its stack and truth).
    static func run(_ scenario: Scenario) throws -> (ReplayReport, [String], Simulator) {
        let feed = try RecordedFeed.load(path: scenario.recording)
        var lines: [String] = []
        var options = SimulationOptions(wallClock: { 0 })
        options.output = { lines.append($0) }
        let simulator = Simulator(feed: feed, scenario: scenario, options: options)
        let report = try simulator.run()
        return (report, lines, simulator)
    }

    static func reset(_ recording: String, instrument: String, seed: UInt64 = 41) -> Scenario {
        Scenario(
            name: "reset-\(recording)", recording: path(recording), seed: seed,
            faults: [Fault(kind: .sequenceReset, at: 30_000_000_000, instrument: instrument)])
    }

    /// The collector's book of `native` equals the truth, in the restarted numbering.
    static func expectBookEqualsTruth(_ simulator: Simulator, _ native: String) throws {
        let collector = try #require(simulator.stack.validBook(native: native), "collector book of \(native) invalid at the end")
        let truth = try #require(simulator.truth.book(native: native))
        #expect(collector == truth)
        let collectorSequence = try #require(simulator.stack.books.first { $0.instrument.native == native }?.sequence)
        let truthSequence = try #require(simulator.truth.sync(native: native)?.sequence)
        #expect(simulator.restart.recordedSequence(native, collectorSequence) == truthSequence)
        #expect(collectorSequence < truthSequence / 2, "the collector should follow the restarted numbering")
    }

    @Test func shippedScenarioBreaksResyncsAndEndsEqualToTheTruth() throws {
        let scenario = try ShippedScenarios.load("message-sequence-reset.yaml")
        #expect(scenario.faults.map(\.kind) == [.sequenceReset])
        let (report, lines, simulator) = try Self.run(scenario)
        let failed = report.invariants.filter { !$0.passed }.map { "\($0.name): \($0.detail)" }
        #expect(failed.isEmpty, "\(failed)")
        #expect(report.faults.count == 1 && report.faults[0].reached)
        #expect(report.gaps >= 1 && report.resyncs >= 1)
        // Detected as a break of the Binance chain, then rebuilt from a snapshot in the new numbering.
        #expect(lines.contains { $0.contains("book_invalidated BTC-USDT gap") })
        #expect(report.snapshotsSynthesized >= 1)
        try Self.expectBookEqualsTruth(simulator, "BTCUSDT")
        // Books published after the restart carry the venue's new, small ids.
        #expect(lines.contains { $0.contains("\"id\":\"binance:BTCUSDT:orderbook:") && !$0.contains("orderbook:100") })
        // Comparisons with the truth kept happening after the restart (not skipped for mismatched ids).
        #expect(report.checkpoints > 0 && report.checkpointsSkipped <= 2)

        let (again, linesAgain, _) = try Self.run(scenario)
        #expect(again.digest == report.digest)
        #expect(linesAgain == lines)
    }

    @Test func okxResetIsLoggedAndTheBookCarriesOnAsOKXDocuments() throws {
        let (report, lines, simulator) = try Self.run(Self.reset("okx", instrument: "BTC-USDT"))
        let failed = report.invariants.filter { !$0.passed }.map { "\($0.name): \($0.detail)" }
        #expect(failed.isEmpty, "\(failed)")
        #expect(report.faults.allSatisfy { $0.reached })
        let resetLine = try #require(lines.first { $0.contains("sequence_reset BTC-USDT") })
        #expect(!lines.contains { $0.contains("book_invalidated BTC-USDT") }, "an OKX reset keeps the book: \(resetLine)")
        try Self.expectBookEqualsTruth(simulator, "BTC-USDT")
    }

    @Test func deribitResetBreaksAndResubscribes() throws {
        let (report, lines, simulator) = try Self.run(Self.reset("deribit", instrument: "BTC-PERPETUAL"))
        let failed = report.invariants.filter { !$0.passed }.map { "\($0.name): \($0.detail)" }
        #expect(failed.isEmpty, "\(failed)")
        #expect(report.faults.allSatisfy { $0.reached })
        let symbol = try #require(simulator.truth.sync(native: "BTC-PERPETUAL")?.instrument.symbol)
        #expect(lines.contains { $0.contains("book_invalidated \(symbol) gap") })
        #expect(lines.contains { $0.contains("resubscribed \(symbol)") })
        try Self.expectBookEqualsTruth(simulator, "BTC-PERPETUAL")
    }

    @Test func binanceFuturesResetBreaksOnThePreviousIdChain() throws {
        let (report, lines, simulator) = try Self.run(Self.reset("binance-futures", instrument: "BTCUSDT"))
        let failed = report.invariants.filter { !$0.passed }.map { "\($0.name): \($0.detail)" }
        #expect(failed.isEmpty, "\(failed)")
        #expect(report.faults.allSatisfy { $0.reached })
        #expect(report.gaps >= 1)
        try Self.expectBookEqualsTruth(simulator, "BTCUSDT")
    }

    @Test func aFaultOnAnInstrumentWithNoBookFramesIsNotReached() throws {
        let (report, _, _) = try Self.run(Self.reset("binance-spot", instrument: "XRPUSDT"))
        #expect(report.faults.count == 1 && !report.faults[0].reached)
        #expect(!report.passed)
    }

    @Test func rewritingShiftsEveryIdOfTheVenue() {
        var restart = SequenceRestart(venue: .binanceFutures)
        let frame = Array(#"{"e":"depthUpdate","s":"BTCUSDT","U":1000,"u":1005,"pu":999,"b":[["1.0","2"]]}"#.utf8)
        let began = restart.begin("BTCUSDT", frame: frame)
        #expect(began)
        let out = String(decoding: restart.rewrite("BTCUSDT", frame: frame, first: true), as: UTF8.self)
        #expect(out == #"{"e":"depthUpdate","s":"BTCUSDT","U":1,"u":6,"pu":0,"b":[["1.0","2"]]}"#)
        #expect(restart.exchangeSequence("BTCUSDT", 1005) == 6)
        #expect(restart.recordedSequence("BTCUSDT", 6) == 1005)

        var okx = SequenceRestart(venue: .okx)
        let okxFrame = Array(#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"prevSeqId":500,"seqId":501}]}"#.utf8)
        let okxBegan = okx.begin("BTC-USDT", frame: okxFrame)
        #expect(okxBegan)
        let first = String(decoding: okx.rewrite("BTC-USDT", frame: okxFrame, first: true), as: UTF8.self)
        #expect(first.contains(#""prevSeqId":500,"seqId":1"#))
        let next = Array(#"{"data":[{"prevSeqId":501,"seqId":502}]}"#.utf8)
        #expect(String(decoding: okx.rewrite("BTC-USDT", frame: next, first: false), as: UTF8.self).contains(#""prevSeqId":1,"seqId":2"#))
        // An OKX snapshot's prevSeqId -1 stays -1.
        let snapshot = Array(#"{"data":[{"prevSeqId":-1,"seqId":600}]}"#.utf8)
        #expect(String(decoding: okx.rewrite("BTC-USDT", frame: snapshot, first: false), as: UTF8.self).contains(#""prevSeqId":-1,"seqId":100"#))
    }

    @Test func farBehindIdsBreakASyncedBookWhileRecentCopiesAreStillIgnored() throws {
        let instrument = Instrument(venue: .binance, native: "BTCUSDT", base: "BTC", quote: "USDT", kind: .spot)
        var sync = AnyBookSync(instrument: instrument, configuration: .standard)
        var effects: [BookSyncEffect] = []
        func level(_ p: Int64) -> [BookLevel] { [BookLevel(price: FixedDecimal(mantissa: p, scale: 0), size: FixedDecimal(mantissa: 1, scale: 0))] }
        func delta(_ first: Int64, _ last: Int64, bid: Int64 = 100) -> BookUpdate {
            BookUpdate(instrument: instrument, kind: .delta, bids: level(bid), asks: level(200),
                       sequence: BookSequence(first: first, last: last, previous: nil), exchangeTime: .zero, receiveTime: .zero)
        }
        sync.handle(.update(delta(1_000_001, 1_000_005)), at: .zero, into: &effects)
        let snapshot = BookUpdate(instrument: instrument, kind: .snapshot, bids: level(99), asks: level(201),
                                  sequence: BookSequence(first: 1_000_003, last: 1_000_003, previous: nil), exchangeTime: .zero, receiveTime: .zero)
        sync.handle(.snapshot(snapshot), at: .zero, into: &effects)
        #expect(sync.isValid && sync.sequence == 1_000_005)
        sync.handle(.update(delta(1_000_006, 1_000_010)), at: .zero, into: &effects)
        #expect(sync.sequence == 1_000_010)

        effects.removeAll()
        sync.handle(.update(delta(1_000_006, 1_000_010)), at: .zero, into: &effects)  // a copy: ignored
        #expect(effects.isEmpty && sync.isValid && sync.duplicatesIgnored == 1)

        sync.handle(.update(delta(1, 4)), at: .zero, into: &effects)  // the venue restarted its numbering
        #expect(!sync.isValid)
        #expect(effects.contains { if case .invalidated(.gap) = $0 { return true } else { return false } })
        #expect(effects.contains { if case .requestSnapshot = $0 { return true } else { return false } })
    }
}

/// `DirectReplay` (what the full-stack benchmark runs) publishes exactly what a fault-free Simulator publishes.
@Suite("Direct replay")
struct DirectReplayTests {
    @Test("publishes the Simulator's messages in its order", arguments: ["binance-spot", "binance-futures", "okx", "deribit"])
    func sameMessagesAsTheSimulator(recording: String) throws {
        let path = SequenceResetTests.path(recording)
        let feed = try RecordedFeed.load(path: path)
        var stored: [OutboundMessage] = []
        var options = SimulationOptions(oracle: false, wallClock: { 0 })
        options.stored = { stored.append($0) }
        let report = try Simulator(feed: feed, scenario: Scenario(name: "fault-free", recording: path), options: options).run()
        var sink = InProcessSink()
        let result = try DirectReplay(feed: feed).run(into: &sink)
        #expect(result.frames == report.framesIn)
        #expect(result.published == stored.count)
        #expect(sink.messages == stored)
        #expect(result.counters.booksPublished > 0 && result.counters.frameErrors == 0)
    }
}

/// The libcrypto-backed digest equals the portable Swift rounds, and copies hash on independently.
@Suite("Replay digest")
struct ReplayDigestTests {
    @Test func libcryptoAgreesWithThePortableRoundsOnRandomInput() {
        var random = SeededRandom(seed: 256)
        for length in [0, 1, 55, 56, 63, 64, 65, 127, 128, 1_000, 4_097, 100_000] {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            var fast = SHA256()
            var portable = PortableSHA256()
            // Uneven pieces, as canonical lines arrive.
            var offset = 0
            while offset < bytes.count {
                let piece = min(bytes.count - offset, 1 + Int(random.next() % 300))
                bytes[offset..<(offset + piece)].withUnsafeBytes {
                    fast.update($0)
                    portable.update($0)
                }
                offset += piece
            }
            #expect(fast.finalizeHex() == portable.finalizeHex(), "length \(length)")
        }
    }

    @Test func aCopyHashesOnIndependently() {
        var a = SHA256()
        a.update("abc")
        var b = a
        b.update("def")
        #expect(a.finalizeHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var reference = SHA256()
        reference.update("abcdef")
        #expect(b.finalizeHex() == reference.finalizeHex())
    }
}
