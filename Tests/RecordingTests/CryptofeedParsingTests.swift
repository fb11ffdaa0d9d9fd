import Model
import Recording
import Testing

@Suite("cryptofeed capture parsing")
struct CryptofeedParsingTests {
    @Test("decimal seconds become nanoseconds exactly, digit by digit")
    func exactTimestamps() {
        #expect(DecimalSeconds.nanoseconds("1633998512.0633569") == 1_633_998_512_063_356_900)
        #expect(DecimalSeconds.nanoseconds("1633998514.6462898") == 1_633_998_514_646_289_800)
        #expect(DecimalSeconds.nanoseconds("1652459224.5300605") == 1_652_459_224_530_060_500)
        #expect(DecimalSeconds.nanoseconds("1626993723.42") == 1_626_993_723_420_000_000)
        #expect(DecimalSeconds.nanoseconds("1.000000001") == 1_000_000_001)
        #expect(DecimalSeconds.nanoseconds("12") == 12_000_000_000)
        #expect(DecimalSeconds.nanoseconds("0.5") == 500_000_000)
        // Through Double this one lands off by a few hundred ns: the reason for parsing digits.
        #expect(Int64(Double("1633998514.6462898")! * 1e9) != 1_633_998_514_646_289_800)
        for bad in ["", ".", "1.", ".5", "1.2.3", "1.0123456789", "-1", "1e5", "99999999999", " 1.5", "1.5 ", "1,5"] {
            #expect(DecimalSeconds.nanoseconds(bad) == nil, "\(bad)")
        }
    }

    @Test("every line shape of the README parses, splitting at the first separator")
    func lineShapes() throws {
        let received = #"1633998512.0633569: {"stream":"a -> b <- c","data":{"x":"1: 2"}}"#
        guard case .received(let t, let payload) = try CryptofeedLine.parse(received) else {
            Issue.record("not a received line")
            return
        }
        #expect(t == 1_633_998_512_063_356_900)
        #expect(Array(Array(received.utf8)[payload]) == Array(#"{"stream":"a -> b <- c","data":{"x":"1: 2"}}"#.utf8))

        let sent = #"wss://ws.okx.com:8443/ws/v5/public <- 1652459225.2987883: {"op":"subscribe","x":" -> "}"#
        guard case .sent(let url, let ts, let body) = try CryptofeedLine.parse(sent) else {
            Issue.record("not a sent line")
            return
        }
        let bytes = Array(sent.utf8)
        #expect(String(decoding: bytes[url], as: UTF8.self) == "wss://ws.okx.com:8443/ws/v5/public")
        #expect(ts == 1_652_459_225_298_788_300)
        #expect(String(decoding: bytes[body], as: UTF8.self) == #"{"op":"subscribe","x":" -> "}"#)

        let connect = "wss://www.deribit.com/ws/api/v2 <-> 1626993723.424371"
        #expect(try CryptofeedLine.parse(connect) == .connect(url: 0..<31, wallNs: 1_626_993_723_424_371_000))

        let rest = #"https://api.binance.com/api/v3/depth?symbol=NKNUSDT&limit=1000 -> 1633998512.320639: {"lastUpdateId":1}"#
        guard case .restResponse(let u, let t2, let b) = try CryptofeedLine.parse(rest) else {
            Issue.record("not a REST line")
            return
        }
        let restBytes = Array(rest.utf8)
        #expect(String(decoding: restBytes[u], as: UTF8.self) == "https://api.binance.com/api/v3/depth?symbol=NKNUSDT&limit=1000")
        #expect(t2 == 1_633_998_512_320_639_000)
        #expect(String(decoding: restBytes[b], as: UTF8.self) == #"{"lastUpdateId":1}"#)

        #expect(try CryptofeedLine.parse(#"configuration: {"trades":["BTC-USDT"]}"#) == .configuration(json: 15..<38))
        #expect(try CryptofeedLine.parse("") == .blank)
        #expect(try CryptofeedLine.parse("  \r") == .blank)
        // An empty payload is still a frame.
        #expect(try CryptofeedLine.parse("1.5: ") == .received(wallNs: 1_500_000_000, payload: 5..<5))
    }

    @Test("malformed lines say what was expected", arguments: [
        ("1633998512.06 {}", "': ' after the timestamp"),
        ("1633998512.0.6: {}", "a timestamp in Unix seconds"),
        ("hello world", "one of 'TS: PAYLOAD'"),
        (" <- 1.5: {}", "a URL before ' <- '"),
        ("wss://x <-> 1.5: extra", "only a timestamp"),
        ("wss://x <-> ", "only a timestamp"),
        ("wss://x <- 1.5 {}", "'TS: ...' after ' <- '"),
        ("https://x -> soon: {}", "a timestamp in Unix seconds with at most 9 decimals after ' -> '"),
        ("configuration: ", "a JSON object"),
    ])
    func malformed(line: String, expected: String) {
        do {
            let parsed = try CryptofeedLine.parse(line)
            Issue.record("parsed as \(parsed)")
        } catch {
            #expect(error.expected.contains(expected), "\(error.expected)")
        }
    }

    @Test("file names parse from the right")
    func fileNames() {
        #expect(CryptofeedFileName("BINANCE.0") == CryptofeedFileName(feed: "BINANCE", source: .startup, rotation: 0))
        #expect(CryptofeedFileName("BINANCE.http.0.0") == CryptofeedFileName(feed: "BINANCE", source: .http(0), rotation: 0))
        #expect(CryptofeedFileName("OKX.ws.1.0") == CryptofeedFileName(feed: "OKX", source: .websocket(1), rotation: 0))
        #expect(CryptofeedFileName("COINBASE.PRO.ws.12.3") == CryptofeedFileName(feed: "COINBASE.PRO", source: .websocket(12), rotation: 3))
        #expect(CryptofeedFileName(path: "/data/DERIBIT.ws.1.0")?.feed == "DERIBIT")
        for bad in ["BINANCE", "BINANCE.x", ".0", "BINANCE..0", "BINANCE.ws.1", "BINANCE.http.0", "BINANCE.-1", "ws.1"] {
            #expect(CryptofeedFileName(Substring(bad)) == nil, "\(bad)")
        }
        let sorted = ["OKX.ws.2.0", "OKX.ws.1.1", "OKX.0", "OKX.http.3.0", "OKX.ws.1.0"].compactMap { CryptofeedFileName(Substring($0)) }.sorted()
        #expect(sorted.map { "\($0.source)-\($0.rotation)" } == ["startup-0", "http(3)-0", "websocket(1)-0", "websocket(1)-1", "websocket(2)-0"])
    }

    @Test("the venue comes from the recorded host")
    func venues() {
        #expect(VenueDetection.venue(forURL: "https://api.binance.com/api/v3/exchangeInfo") == .binance)
        #expect(VenueDetection.venue(forURL: "wss://stream.binance.com:9443/stream?streams=a") == .binance)
        #expect(VenueDetection.venue(forURL: "https://fapi.binance.com/fapi/v1/depth") == .binanceFutures)
        #expect(VenueDetection.venue(forURL: "wss://fstream.binance.com/stream") == .binanceFutures)
        #expect(VenueDetection.venue(forURL: "https://dapi.binance.com/dapi/v1/depth") == nil)
        #expect(VenueDetection.venue(forURL: "https://www.okx.com/api/v5/public/instruments") == .okx)
        #expect(VenueDetection.venue(forURL: "wss://ws.okx.com:8443/ws/v5/public") == .okx)
        #expect(VenueDetection.venue(forURL: "wss://www.deribit.com/ws/api/v2") == .deribit)
        #expect(VenueDetection.venue(forURL: "wss://notbinance.com/x") == nil)
        #expect(VenueDetection.venue(forURL: "api.binance.com") == nil)
        #expect(VenueDetection.host(of: "wss://WS.OKX.com:8443/x") == "ws.okx.com")
    }
}
