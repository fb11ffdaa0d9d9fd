import Foundation
import Model
import Recording
import TestSupport
import Testing

/// The `import`, `inspect` and `cat` commands, run as the built `marketprism` binary.
@Suite(
    "marketprism import / inspect / cat",
    .enabled(if: TestEnvironment.hasSharedData, Comment(rawValue: TestEnvironment.sharedDataSkipMessage)))
struct RecordingCommandTests {
    static let feeds: [(feed: String, venue: String, received: Int, sent: Int, rest: Int)] = [
        ("BINANCE", "binance", 265, 0, 5), ("OKX", "okx", 410, 3, 25), ("DERIBIT", "deribit", 136, 1, 4),
    ]

    func importFeed(_ feed: String, _ scratch: Scratch) throws -> String {
        let output = scratch.path("\(feed.lowercased()).mprec")
        let files = TestEnvironment.cryptofeedFiles(feed: feed).map(\.path)
        let result = try TestEnvironment.marketprism(arguments: ["import", "cryptofeed"] + files + ["--output", output])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.contains("venue"))
        return output
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("import then inspect --json gives the expected counts per kind", arguments: [0, 1, 2])
    func importAndInspect(index: Int) throws {
        let e = Self.feeds[index]
        let scratch = try Scratch()
        let recording = try importFeed(e.feed, scratch)
        let result = try TestEnvironment.marketprism("inspect", recording, "--json")
        #expect(result.status == 0, "\(result.stderrText)")
        let report = try json(result.stdoutText)
        let kinds = try #require(report["kinds"] as? [String: Int])
        #expect(kinds["ws_received"] == e.received)
        #expect(kinds["ws_sent"] == e.sent)
        #expect(kinds["rest_response"] == e.rest)
        #expect(kinds["connect"] == 1)
        #expect(kinds["disconnect"] == 0 && kinds["error"] == 0 && kinds["rest_request"] == 0)
        #expect(report["records"] as? Int == e.received + e.sent + e.rest + 1)
        let streams = try #require(report["streams"] as? [String: Int])
        #expect(streams.values.reduce(0, +) == e.received + e.sent + e.rest + 1)
        #expect(report["truncated"] as? Bool == false)
        #expect(report["unreadable_bytes"] as? Int == 0)
        let first = try #require(report["first_ns"] as? Int64), last = try #require(report["last_ns"] as? Int64)
        #expect(first > 1_600_000_000_000_000_000 && last > first)
        let raw = try #require(report["raw_bytes"] as? Int), compressed = try #require(report["compressed_bytes"] as? Int)
        #expect(raw > compressed && compressed > 0)
        let header = try #require(report["header"] as? [String: Any])
        #expect(header["venue"] as? String == e.venue)
        #expect((header["subscription"] as? String)?.hasPrefix("{") == true)

        let text = try TestEnvironment.marketprism("inspect", recording)
        #expect(text.status == 0)
        #expect(text.stdoutText.contains("ws_received") && text.stdoutText.contains("ended") && text.stdoutText.contains("cleanly"))
    }

    @Test("cat --kind ws_received returns every received payload byte for byte, in order", arguments: [0, 1, 2])
    func catReceived(index: Int) throws {
        let e = Self.feeds[index]
        let scratch = try Scratch()
        let recording = try importFeed(e.feed, scratch)
        let result = try TestEnvironment.marketprism("cat", recording, "--kind", "ws_received")
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stderrText.isEmpty)
        let lines = result.stdoutText.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        var payloads: [[UInt8]] = []
        for line in lines {
            let object = try json(String(line))
            #expect(object["kind"] as? String == "ws_received")
            #expect(object["stream"] is Int && object["wall_ns"] is Int64 && object["time"] is String)
            payloads.append(Array(try #require(object["payload"] as? String).utf8))
        }
        let source = TestEnvironment.cryptofeedSample!.appendingPathComponent("\(e.feed).ws.1.0")
        let expected = try receivedPayloads(of: source)
        #expect(payloads.count == e.received)
        #expect(payloads == expected)
    }

    @Test("cat filters by kind, stream and time, and prints REST metadata")
    func catFilters() throws {
        let scratch = try Scratch()
        let recording = try importFeed("BINANCE", scratch)
        let all = try RecordingReader(path: recording).readAll()

        let rest = try TestEnvironment.marketprism("cat", recording, "--kind", "rest_response,connect", "--stream", "2")
        let restLines = try rest.stdoutText.split(separator: "\n").map { try json(String($0)) }
        #expect(restLines.count == all.filter { $0.stream == 2 && ($0.kind == .restResponse || $0.kind == .connect) }.count)
        #expect(restLines.count == 4)
        #expect(restLines.allSatisfy { $0["method"] as? String == "GET" && $0["status"] as? Int == 200 })
        #expect((restLines.first?["url"] as? String)?.hasPrefix("https://api.binance.com/api/v3/depth?symbol=NKNUSDT") == true)

        let from: Int64 = 1_633_998_520_000_000_000, to: Int64 = 1_633_998_530_500_000_000
        for (f, t) in [("1633998520", "1633998530.5"), ("1633998520000000000ns", "2021-10-12T00:28:50.5Z")] {
            let window = try TestEnvironment.marketprism("cat", recording, "--from", f, "--to", t)
            #expect(window.status == 0, "\(window.stderrText)")
            let walls = try window.stdoutText.split(separator: "\n").map { try #require(json(String($0))["wall_ns"] as? Int64) }
            #expect(walls == all.map(\.wallNs).filter { $0 >= from && $0 < to })
            #expect(!walls.isEmpty)
        }
    }

    @Test("damaged, foreign and newer files: a clear message and a non-zero exit, never a crash")
    func errors() throws {
        let scratch = try Scratch()
        let recording = try importFeed("DERIBIT", scratch)
        var data = try Data(contentsOf: URL(fileURLWithPath: recording))

        let foreign = TestEnvironment.cryptofeedSample!.appendingPathComponent("DERIBIT.0").path
        for command in ["inspect", "cat"] {
            let result = try TestEnvironment.marketprism(command, foreign)
            #expect(result.status != 0)
            #expect(result.stderrText.contains("not a MarketPrism recording"))
            #expect(!result.stderrText.contains("Fatal error") && !result.stderrText.contains("Stack dump"))
        }

        var newer = data
        newer[16] = 9
        try newer.write(to: URL(fileURLWithPath: scratch.path("newer.mprec")))
        let newerResult = try TestEnvironment.marketprism("inspect", scratch.path("newer.mprec"))
        #expect(newerResult.status != 0)
        #expect(newerResult.stderrText.contains("version 9 is newer"))

        // Truncated: readable, reported, exit 0.
        let index = try RecordingReader(path: recording).frameIndex()
        let cut = Int(index[index.count - 1].offset) + 100
        try data.prefix(cut).write(to: URL(fileURLWithPath: scratch.path("cut.mprec")))
        let inspect = try TestEnvironment.marketprism("inspect", scratch.path("cut.mprec"), "--json")
        #expect(inspect.status == 0)
        let report = try json(inspect.stdoutText)
        #expect(report["truncated"] as? Bool == true)
        #expect(report["unreadable_bytes"] as? Int == 100)
        let expectedRecords = index.dropLast().reduce(0) { $0 + $1.recordCount }
        #expect(report["records"] as? Int == expectedRecords)
        let cat = try TestEnvironment.marketprism("cat", scratch.path("cut.mprec"))
        #expect(cat.status == 0)
        #expect(cat.stdoutText.split(separator: "\n").count == expectedRecords)
        #expect(cat.stderrText.contains("truncated"))

        // A flipped byte in the middle: corruption with its offset.
        let middle = index[index.count / 2]
        data[Int(middle.offset) + 60] ^= 0x40
        try data.write(to: URL(fileURLWithPath: scratch.path("flip.mprec")))
        let corrupt = try TestEnvironment.marketprism("inspect", scratch.path("flip.mprec"))
        #expect(corrupt.status != 0)
        #expect(corrupt.stderrText.contains("corrupt data at byte offset \(middle.offset + 48)"))

        // --salvage reads past it and lists the damage.
        let salvaged = try TestEnvironment.marketprism("inspect", scratch.path("flip.mprec"), "--salvage", "--json")
        #expect(salvaged.status == 0, "\(salvaged.stderrText)")
        let salvageReport = try json(salvaged.stdoutText)
        let damage = try #require(salvageReport["damage"] as? [[String: Any]])
        #expect(damage.count == 1 && damage.first?["frame_offset"] as? Int64 == middle.offset)
        #expect(salvageReport["records"] as? Int == index.reduce(0) { $0 + $1.recordCount } - middle.recordCount)
        let salvagedCat = try TestEnvironment.marketprism("cat", scratch.path("flip.mprec"), "--salvage")
        #expect(salvagedCat.status == 0 && salvagedCat.stderrText.contains("damaged frame at byte offset \(middle.offset)"))

        let badKind = try TestEnvironment.marketprism("cat", recording, "--kind", "trades")
        #expect(badKind.status != 0 && badKind.stderrText.contains("unknown kind 'trades'"))
        let badTime = try TestEnvironment.marketprism("cat", recording, "--from", "yesterday")
        #expect(badTime.status != 0 && badTime.stderrText.contains("--from"))
    }

    @Test("a malformed capture line fails the import with FILE:LINE")
    func malformedImport() throws {
        let scratch = try Scratch()
        let capture = scratch.path("OKX.ws.1.0")
        try Data("wss://ws.okx.com:8443/ws/v5/public <-> 1652459224.5300605\n1652459225.5 {\"a\":1}\n".utf8)
            .write(to: URL(fileURLWithPath: capture))
        let result = try TestEnvironment.marketprism("import", "cryptofeed", capture, "--output", scratch.path("o.mprec"))
        #expect(result.status != 0)
        #expect(result.stderrText.contains("\(capture):2: expected"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path("o.mprec")))
    }

    @Test("every command's --help has an example", arguments: [["import"], ["import", "cryptofeed"], ["inspect"], ["cat"], ["repack"]])
    func help(command: [String]) throws {
        let result = try TestEnvironment.marketprism(arguments: command + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdoutText.contains("Example") && result.stdoutText.contains("marketprism \(command[0])"))
    }
}
