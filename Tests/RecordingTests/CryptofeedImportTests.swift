import Foundation
import Model
import Recording
import TestSupport
import Testing

/// The received payloads of a capture file, read independently of the importer (README grammar).
func receivedPayloads(of file: URL) throws -> [[UInt8]] {
    let data = try [UInt8](Data(contentsOf: file))
    var payloads: [[UInt8]] = []
    for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
        guard let first = line.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { continue }
        let bytes = Array(line)
        let colon = (0..<(bytes.count - 1)).first { bytes[$0] == UInt8(ascii: ":") && bytes[$0 + 1] == UInt8(ascii: " ") }!
        payloads.append(Array(bytes[(colon + 2)...]))
    }
    return payloads
}

@Suite(
    "cryptofeed import of the real captures",
    .enabled(if: TestEnvironment.hasSharedData, Comment(rawValue: TestEnvironment.sharedDataSkipMessage)))
struct CryptofeedImportTests {
    static let expected: [(feed: String, venue: Venue, received: Int, sent: Int, rest: Int)] = [
        ("BINANCE", .binance, 265, 0, 5), ("OKX", .okx, 410, 3, 25), ("DERIBIT", .deribit, 136, 1, 4),
    ]

    func importFeed(_ feed: String, into scratch: Scratch) throws -> (CryptofeedImporter.Summary, [Record]) {
        let files = TestEnvironment.cryptofeedFiles(feed: feed).map(\.path)
        let summary = try CryptofeedImporter.importFeed(
            files: files, output: scratch.path("\(feed).mprec"), options: .init(toolVersion: "marketprism test"))
        let records = try RecordingReader(path: summary.outputPaths[0]).readAll()
        return (summary, records)
    }

    @Test("counts per kind, venue, configuration and stream labels", arguments: [0, 1, 2])
    func counts(index: Int) throws {
        let e = Self.expected[index]
        let scratch = try Scratch()
        let (summary, records) = try importFeed(e.feed, into: scratch)
        #expect(summary.venue == e.venue)
        #expect(records.filter { $0.kind == .wsReceived }.count == e.received)
        #expect(records.filter { $0.kind == .wsSent }.count == e.sent)
        #expect(records.filter { $0.kind == .restResponse }.count == e.rest)
        #expect(records.filter { $0.kind == .connect }.count == 1)
        #expect(records.count == e.received + e.sent + e.rest + 1)
        #expect(summary.records == records.count)

        let reader = try RecordingReader(path: summary.outputPaths[0])
        let startup = try String(contentsOf: TestEnvironment.cryptofeedSample!.appendingPathComponent("\(e.feed).0"), encoding: .utf8)
        let configuration = startup.split(separator: "\n").first { $0.hasPrefix("configuration: ") }!.dropFirst(15)
        #expect(reader.header.subscription == String(configuration))
        #expect(reader.header.venue == e.venue.rawValue)
        #expect(reader.header.startWallNs == records.map(\.wallNs).min())
        #expect(reader.header.streamLabels.first == StreamLabel(id: 1, label: "\(e.feed).0"))
        #expect(reader.header.streamLabels.last?.label == "\(e.feed).ws.1.0")
    }

    @Test("records are interleaved by time, each file keeps its order, payloads are byte-exact", arguments: [0, 1, 2])
    func orderAndPayloads(index: Int) throws {
        let e = Self.expected[index]
        let scratch = try Scratch()
        let (summary, records) = try importFeed(e.feed, into: scratch)
        #expect(zip(records, records.dropFirst()).allSatisfy { $0.wallNs <= $1.wallNs })
        let origin = records[0].wallNs
        #expect(records.allSatisfy { $0.monoNs == $0.wallNs - origin })

        let wsFile = TestEnvironment.cryptofeedSample!.appendingPathComponent("\(e.feed).ws.1.0")
        let wsStream = summary.streams.first { $0.label == "\(e.feed).ws.1.0" }!.id
        let received = records.filter { $0.kind == .wsReceived }
        #expect(received.allSatisfy { $0.stream == wsStream && !$0.isBinary })
        #expect(received.map(\.payload) == (try receivedPayloads(of: wsFile)))

        let connect = try #require(records.first { $0.kind == .connect })
        #expect(connect.stream == wsStream)
        #expect(records.first { $0.stream == wsStream } == connect)
        let rest = records.filter { $0.kind == .restResponse }
        #expect(rest.allSatisfy { $0.method == "GET" && $0.status == 200 && $0.url!.hasPrefix("https://") })
        #expect(rest.allSatisfy { $0.stream != wsStream })
    }

    @Test("REST responses keep URL, time and body; the Deribit file without a final newline is complete")
    func restDetails() throws {
        let scratch = try Scratch()
        let (_, binance) = try importFeed("BINANCE", into: scratch)
        let depth = binance.filter { $0.kind == .restResponse && $0.url!.contains("/depth") }
        #expect(depth.map(\.url!) == ["NKNUSDT", "BLZETH", "LRCBTC", "RUNEEUR"].map { "https://api.binance.com/api/v3/depth?symbol=\($0)&limit=1000" })
        #expect(depth[1].wallNs == 1_633_998_514_646_289_800)
        #expect(depth[0].payloadText.hasPrefix(#"{"lastUpdateId":499869752,"bids":[["0.35210000","672.00000000"]"#))
        let exchangeInfo = try #require(binance.first { $0.kind == .restResponse })
        #expect(exchangeInfo.url == "https://api.binance.com/api/v3/exchangeInfo" && exchangeInfo.payload.count > 1_800_000)

        let (summary, deribit) = try importFeed("DERIBIT", into: scratch)
        #expect(summary.configuration?.hasSuffix(#""ETH-2300-21N23-call"]}"#) == true)
        let sent = try #require(deribit.first { $0.kind == .wsSent })
        #expect(sent.payloadText.hasPrefix(#"{"jsonrpc":"2.0","id":0,"method":"public/subscribe""#))
    }

    @Test("importing is deterministic: the same files in any order give the same bytes")
    func deterministic() throws {
        let scratch = try Scratch()
        let files = TestEnvironment.cryptofeedFiles(feed: "OKX").map(\.path)
        let options = CryptofeedImporter.Options(toolVersion: "t")
        let a = try CryptofeedImporter.importFeed(files: files, output: scratch.path("a.mprec"), options: options)
        let b = try CryptofeedImporter.importFeed(files: files.reversed(), output: scratch.path("b.mprec"), options: options)
        #expect(try Data(contentsOf: URL(fileURLWithPath: a.outputPaths[0])) == Data(contentsOf: URL(fileURLWithPath: b.outputPaths[0])))
    }
}

@Suite("cryptofeed import errors")
struct CryptofeedImportErrorTests {
    func write(_ text: String, _ name: String, in scratch: Scratch) throws -> String {
        let path = scratch.path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("a malformed line is reported with file:line and what was expected, and no output is left")
    func malformedLine() throws {
        let scratch = try Scratch()
        let ws = try write(
            "wss://ws.okx.com:8443/ws/v5/public <-> 1652459224.5300605\n1652459225.5: {\"a\":1}\n\n1652459225,6: {}\n", "OKX.ws.1.0",
            in: scratch)
        #expect(throws: CryptofeedImportError.malformedLine(file: ws, line: 4, expected: "a timestamp in Unix seconds with at most 9 decimals before ': '", found: "1652459225,6: {}")) {
            try CryptofeedImporter.importFeed(files: [ws], output: scratch.path("out.mprec"), options: .init(toolVersion: "t"))
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out.mprec")))
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out.mprec.tmp")))
        let message = CryptofeedImportError.malformedLine(file: ws, line: 4, expected: "x", found: "y").description
        #expect(message.hasPrefix("\(ws):4: expected x"))
    }

    @Test("file sets that are not one feed, or whose venue cannot be told, are refused")
    func badSets() throws {
        let scratch = try Scratch()
        let okx = try write("wss://ws.okx.com:8443/ws/v5/public <-> 1.5\n", "OKX.ws.1.0", in: scratch)
        let binance = try write("wss://stream.binance.com:9443/stream <-> 1.5\n", "BINANCE.ws.1.0", in: scratch)
        let futures = try write("https://fapi.binance.com/fapi/v1/depth -> 2.5: {}\n", "BINANCE.http.0.0", in: scratch)
        let unknown = try write("wss://example.com/ws <-> 1.5\n", "FOO.ws.1.0", in: scratch)
        let quiet = try write("1.5: {}\n", "BAR.ws.1.0", in: scratch)
        let options = CryptofeedImporter.Options(toolVersion: "t")
        let out = scratch.path("o.mprec")
        #expect(throws: CryptofeedImportError.mixedFeeds(file: binance, feed: "BINANCE", expected: "OKX")) {
            try CryptofeedImporter.importFeed(files: [okx, binance], output: out, options: options)
        }
        #expect(throws: CryptofeedImportError.self) {
            try CryptofeedImporter.importFeed(files: [binance, futures], output: out, options: options)
        }
        #expect(throws: CryptofeedImportError.unknownVenue(url: "wss://example.com/ws")) {
            try CryptofeedImporter.importFeed(files: [unknown], output: out, options: options)
        }
        #expect(throws: CryptofeedImportError.noVenueURL) {
            try CryptofeedImporter.importFeed(files: [quiet], output: out, options: options)
        }
        #expect(throws: CryptofeedImportError.unrecognizedFileName(file: scratch.path("notes.txt"))) {
            try CryptofeedImporter.importFeed(files: [scratch.path("notes.txt")], output: out, options: options)
        }
        #expect(throws: CryptofeedImportError.duplicateFile(file: okx)) {
            try CryptofeedImporter.importFeed(files: [okx, okx], output: out, options: options)
        }
        let sameFileOtherPath = scratch.url.appendingPathComponent("sub/../OKX.ws.1.0").path
        #expect(throws: CryptofeedImportError.duplicateFile(file: sameFileOtherPath)) {
            try CryptofeedImporter.importFeed(files: [okx, sameFileOtherPath], output: out, options: options)
        }
        #expect(throws: CryptofeedImportError.noFiles) {
            try CryptofeedImporter.importFeed(files: [], output: out, options: options)
        }
        // --venue settles what the URLs cannot.
        let summary = try CryptofeedImporter.importFeed(files: [quiet], output: out, options: .init(toolVersion: "t", venue: .okx))
        #expect(summary.venue == .okx && summary.records == 1)
        #expect(throws: CryptofeedImportError.recording(.io(path: scratch.path("missing.ws.1.0"), operation: "open", errno: ENOENT))) {
            try CryptofeedImporter.importFeed(files: [scratch.path("missing.ws.1.0")], output: out, options: options)
        }
    }

    @Test("a second configuration line is an error, not silently replaced")
    func duplicateConfiguration() throws {
        let scratch = try Scratch()
        let startup = try write("configuration: {\"a\":1}\nconfiguration: {\"b\":2}\n", "OKX.0", in: scratch)
        #expect(throws: CryptofeedImportError.duplicateConfiguration(file: startup, line: 2, first: "\(startup):1")) {
            try CryptofeedImporter.importFeed(files: [startup], output: scratch.path("o"), options: .init(toolVersion: "t", venue: .okx))
        }
    }
}
