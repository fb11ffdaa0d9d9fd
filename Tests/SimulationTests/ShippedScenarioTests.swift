import Foundation
import Model
import Testing
import TestSupport
@testable import Simulation

/// The scenarios under scenarios/, loaded as the CLI loads them.
enum ShippedScenarios {
    static let directory = TestEnvironment.packageRoot.appendingPathComponent("scenarios")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted()
    }

    static func load(_ file: String) throws -> Scenario {
        var s = try Scenario.load(path: directory.appendingPathComponent(file).path)
        s.recording = directory.appendingPathComponent(s.recording).standardizedFileURL.path
        return s
    }
}

@Suite("Shipped scenarios")
struct ShippedScenarioTests {
    @Test func atLeastFifteenScenariosCoverEveryFaultFamily() throws {
        let scenarios = try ShippedScenarios.files.map(ShippedScenarios.load)
        #expect(scenarios.count >= 15)
        let families = Set(scenarios.flatMap { $0.faults.map(\.kind.family) })
        #expect(families == ["connection", "message", "rest", "broker", "clock"])
        for name in ["rest-429-storm", "rest-418-ban", "rest-5xx-burst", "ws-connect-refused", "ws-forced-rotation",
                     "feed-stall", "pong-withheld", "snapshot-no-overlap", "broker-outage"] {
            #expect(scenarios.contains { $0.name == name }, "missing scenario \(name)")
        }
    }

    @Test("passes, reaches every fault, and replays to the same digest twice", arguments: ShippedScenarios.files)
    func scenarioPassesDeterministically(file: String) throws {
        let scenario = try ShippedScenarios.load(file)
        let (first, lines) = try simulate(scenario.recording, scenario)
        let failed = first.invariants.filter { !$0.passed }.map { "\($0.name): \($0.detail)" }
        #expect(failed.isEmpty, "\(file): \(failed)")
        #expect(first.faults.allSatisfy { $0.reached })
        #expect(first.published > 0)
        let (second, linesAgain) = try simulate(scenario.recording, scenario)
        #expect(second.digest == first.digest)
        #expect(lines == linesAgain)
    }

    @Test func pacedReplayGivesTheDigestOfMaxSpeed() throws {
        var scenario = try ShippedScenarios.load("message-delay.yaml")
        let (fast, _) = try simulate(scenario.recording, scenario)
        scenario.speed = .multiple(1_000)
        let feed = try RecordedFeed.load(path: scenario.recording)
        var clock: Int64 = 0
        // A wall clock that advances 1 ms per reading: pacing sleeps for real, the output must not care.
        let paced = try Simulator(feed: feed, scenario: scenario, options: SimulationOptions(wallClock: {
            clock += 1_000_000
            return clock
        })).run()
        #expect(paced.digest == fast.digest)
    }

    @Test func the418BanOpensTheBreakerAndHoldsEveryRequest() throws {
        let scenario = try ShippedScenarios.load("rest-418-ban.yaml")
        let (report, _) = try simulate(scenario.recording, scenario)
        let transitions = report.reliability?.breakerTransitions ?? []
        #expect(transitions.contains { $0.target.contains("rest") && $0.to == .open })
        #expect((report.reliability?.rateLimit.waitedMilliseconds ?? 0) >= 19_000)
    }

    @Test func the429StormNeverExceedsTheWindowAndWaitsForRetryAfter() throws {
        let scenario = try ShippedScenarios.load("rest-429-storm.yaml")
        let (report, _) = try simulate(scenario.recording, scenario)
        let limit = try #require(report.reliability?.rateLimit)
        #expect(limit.maxWindowUsed <= limit.limit)
        #expect(limit.waitedMilliseconds >= 2_000)
        #expect(report.resyncs >= 1)
    }

    @Test func brokerOutageLosesNothingAndReportsTheOutage() throws {
        let scenario = try ShippedScenarios.load("broker-outage.yaml")
        let (report, _) = try simulate(scenario.recording, scenario)
        #expect(report.publisher.lost == 0)
        #expect(report.publisher.outages == 1)
        #expect(report.publisher.bufferedMax > 100)
        #expect(report.invariants.first { $0.name == "ordered_per_subject" }?.passed == true)
    }
}

@Suite("Shipped scenarios over the real captures", .enabled(if: TestEnvironment.hasSharedData, Comment(rawValue: TestEnvironment.sharedDataSkipMessage)))
struct RealTrafficScenarioTests {
    static let venueSample = ["binance-spot": "BINANCE", "okx": "OKX", "deribit": "DERIBIT"]

    static var files: [String] {
        ShippedScenarios.files.filter { file in
            venueSample.keys.contains { (try? ShippedScenarios.load(file))?.recording.hasSuffix("/\($0).mprec") ?? false }
        }
    }

    @Test("scenario holds on real traffic of its venue", arguments: files)
    func scenarioOnRealTraffic(file: String) throws {
        var scenario = try ShippedScenarios.load(file)
        let venueKey = Self.venueSample.keys.sorted().first { scenario.recording.hasSuffix("/\($0).mprec") }!
        let path = try ImportedSamples.path(feed: Self.venueSample[venueKey]!)
        let feed = try RecordedFeed.load(path: path)
        // Real captures are short and name other instruments: keep the faults that fall inside them, on any instrument.
        scenario.faults = scenario.faults.filter { feed.firstFrameNs + $0.at < feed.lastNs - 1_000_000_000 }
            .map { var f = $0; f.instrument = nil; return f }
        scenario.expectations.allTrades = false
        scenario.recording = path
        let (report, _) = try simulate(path, scenario)
        let failed = report.invariants.filter { !$0.passed }.map { "\($0.name): \($0.detail)" }
        #expect(failed.isEmpty, "\(file) on \(path): \(failed)")
        let (again, _) = try simulate(path, scenario)
        #expect(again.digest == report.digest)
    }
}
