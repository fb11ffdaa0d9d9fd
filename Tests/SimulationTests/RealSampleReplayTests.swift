import Foundation
import Model
import Recording
import Stack
import Testing
import TestSupport
@testable import Simulation

/// Imported real captures, shared by the tests of this file (imported once per process).
enum ImportedSamples {
    nonisolated(unsafe) static var cache: [String: String] = [:]
    static let lock = NSLock()

    static func path(feed: String) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let p = cache[feed] { return p }
        let dir = try TestEnvironment.temporaryDirectory("samples")
        let out = dir.appendingPathComponent("\(feed.lowercased()).mprec").path
        _ = try CryptofeedImporter.importFeed(
            files: TestEnvironment.cryptofeedFiles(feed: feed).map(\.path), output: out,
            options: .init(toolVersion: "test"))
        cache[feed] = out
        return out
    }
}

func simulate(_ path: String, _ scenario: Scenario, oracle: Bool = true) throws -> (ReplayReport, [String]) {
    let feed = try RecordedFeed.load(path: path)
    var lines: [String] = []
    var options = SimulationOptions(oracle: oracle, wallClock: { 0 })
    options.output = { lines.append($0) }
    let report = try Simulator(feed: feed, scenario: scenario, options: options).run()
    return (report, lines)
}

@Suite("Replay of the real samples", .enabled(if: TestEnvironment.hasSharedData, Comment(rawValue: TestEnvironment.sharedDataSkipMessage)))
struct RealSampleReplayTests {
    @Test("fault-free book replay has no sequence errors", arguments: ["BINANCE", "OKX", "DERIBIT"])
    func booksHaveNoSequenceErrors(feed: String) throws {
        let replay = try BookReplay.run(path: try ImportedSamples.path(feed: feed))
        let totals = replay.totals
        #expect(totals.sequenceErrors == 0)
        #expect(totals.checksumsFailed == 0)
        #expect(replay.books.contains { $0.isValid })
        if feed == "OKX" { #expect(totals.checksumsChecked > 0) }
    }

    @Test("fault-free simulation publishes the same books as `books`", arguments: ["BINANCE", "OKX", "DERIBIT"])
    func faultFreeMatchesBooks(feed: String) throws {
        let path = try ImportedSamples.path(feed: feed)
        let scenario = Scenario(name: "fault-free", recording: path)
        let (report, lines) = try simulate(path, scenario)
        #expect(report.published > 0)
        #expect(report.gaps == 0)
        #expect(report.bookMismatches.isEmpty)
        #expect(report.checkpoints > 0)
        #expect(lines.count >= report.published)
        // And a second run in a fresh simulator gives the identical canonical output.
        let (again, linesAgain) = try simulate(path, scenario)
        #expect(again.digest == report.digest)
        #expect(lines == linesAgain)
    }

    @Test func okxDropLeadsToDetectionAndResync() throws {
        let path = try ImportedSamples.path(feed: "OKX")
        let scenario = Scenario(
            name: "okx-drop", recording: path, seed: 3,
            faults: [Fault(kind: .sequenceGap, at: 2_000_000_000, count: 2)])
        let feed = try RecordedFeed.load(path: path)
        let sim = Simulator(feed: feed, scenario: scenario, options: SimulationOptions(wallClock: { 0 }))
        let report = try sim.run()
        print(report.text)
        #expect(report.faults.allSatisfy { $0.reached })
        #expect(report.gaps >= 1)
        #expect(report.resyncs >= 1)
        #expect(report.bookMismatches.isEmpty)
        #expect(report.passed || report.invariants.filter { !$0.passed }.allSatisfy { $0.name == "throughput" })
        let (again, _) = try simulate(path, scenario)
        #expect(again.digest == report.digest)
    }
}
