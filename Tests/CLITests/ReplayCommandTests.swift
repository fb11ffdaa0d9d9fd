import Foundation
import Testing
import TestSupport

/// The replay-side commands as a user runs them: the built `marketprism` binary.
@Suite("replay, scenario, books and synth commands")
struct ReplayCommandTests {
    static let root = TestEnvironment.packageRoot

    @Test func demoRunsTheBundledScenarioAndPasses() throws {
        let r = try TestEnvironment.marketprism("demo", "--json", "--depth", "20")
        #expect(r.status == 0, "\(r.stderrText)")
        let report = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        #expect(report["passed"] as? Bool == true)
        for key in ["digest", "published", "latency_ms", "throughput_msgs_per_s", "invariants", "faults", "reliability"] {
            #expect(report[key] != nil, "missing \(key)")
        }
        let faults = try #require(report["faults"] as? [[String: Any]])
        #expect(!faults.isEmpty && faults.allSatisfy { $0["reached"] as? Bool == true && $0["kind"] != nil && $0["at"] != nil })
        let reliability = try #require(report["reliability"] as? [String: Any])
        for key in ["breaker_transitions", "rate_limit", "retries", "reconnects", "watchdog_trips"] {
            #expect(reliability[key] != nil, "reliability lacks \(key)")
        }
    }

    @Test func outputFileHashesToTheReportedDigest() throws {
        let dir = try TestEnvironment.temporaryDirectory("replay-out")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out.ndjson").path
        let r = try TestEnvironment.marketprism(
            "replay", Self.root.appendingPathComponent("recordings/deribit.mprec").path, "--output", out, "--json", "--depth", "5")
        #expect(r.status == 0, "\(r.stderrText)")
        let report = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        let sha = try TestEnvironment.run(URL(fileURLWithPath: "/usr/bin/sha256sum"), [out])
        #expect(sha.stdoutText.hasPrefix(try #require(report["digest"] as? String)))
    }

    @Test func badScenarioFileNamesFileLineAndField() throws {
        let dir = try TestEnvironment.temporaryDirectory("bad-scenario")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bad.yaml")
        try "name: bad\nrecording: ../recordings/okx.mprec\nfaults:\n  - at: 1s\n    kind: message.vanish\n".write(to: file, atomically: true, encoding: .utf8)
        let r = try TestEnvironment.marketprism("scenario", "run", file.path)
        #expect(r.status == 2)
        #expect(r.stderrText.contains("bad.yaml:5"))
        #expect(r.stderrText.contains("faults[0].kind"))
        #expect(!r.stderrText.contains("Fatal error"))
    }

    @Test func notARecordingIsAClearError() throws {
        let r = try TestEnvironment.marketprism("replay", Self.root.appendingPathComponent("README.md").path)
        #expect(r.status == 2)
        #expect(r.stderrText.contains("README.md"))
    }

    @Test func synthThenBooksJSON() throws {
        let dir = try TestEnvironment.temporaryDirectory("synth-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let rec = dir.appendingPathComponent("okx.mprec").path
        let s = try TestEnvironment.marketprism("synth", "--venue", "okx", "--symbols", "BTC-USDT", "--duration", "10s", "--output", rec)
        #expect(s.status == 0, "\(s.stderrText)")
        let b = try TestEnvironment.marketprism("books", rec, "--json", "--depth", "3")
        #expect(b.status == 0, "\(b.stderrText)")
        let json = try #require(try JSONSerialization.jsonObject(with: b.stdout) as? [String: Any])
        let instruments = try #require(json["instruments"] as? [String: [String: Any]])
        let book = try #require(instruments["BTC-USDT"])
        #expect(book["native"] as? String == "BTC-USDT")
        #expect((book["bids"] as? [[String]])?.count == 3)
        #expect((book["bid_levels"] as? Int ?? 0) > 10)
        let counts = try #require(json["counts"] as? [String: Int])
        for key in ["trade", "book_snapshot", "book_delta", "ticker", "kline", "funding", "liquidation", "open_interest", "error"] {
            #expect(counts[key] != nil, "counts lacks \(key)")
        }
        #expect(json["sequence_errors"] as? Int == 0)
        #expect((json["checksum"] as? [String: Int])?["failed"] == 0)
    }

    @Test(.enabled(if: TestEnvironment.hasSharedData, Comment(rawValue: TestEnvironment.sharedDataSkipMessage)))
    func booksOnTheRealOKXCaptureVerifiesEveryChecksum() throws {
        let dir = try TestEnvironment.temporaryDirectory("okx-books")
        defer { try? FileManager.default.removeItem(at: dir) }
        let rec = dir.appendingPathComponent("okx.mprec").path
        let imported = try TestEnvironment.marketprism(
            arguments: ["import", "cryptofeed"] + TestEnvironment.cryptofeedFiles(feed: "OKX").map(\.path) + ["--output", rec])
        #expect(imported.status == 0, "\(imported.stderrText)")
        let b = try TestEnvironment.marketprism("books", rec, "--json")
        let json = try #require(try JSONSerialization.jsonObject(with: b.stdout) as? [String: Any])
        #expect(json["sequence_errors"] as? Int == 0)
        let checksum = try #require(json["checksum"] as? [String: Int])
        #expect(checksum["checked"] == 290 && checksum["failed"] == 0)
        #expect((json["instruments"] as? [String: Any])?.count == 3)
    }
}
