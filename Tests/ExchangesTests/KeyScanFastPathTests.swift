import Exchanges
import Model
import Testing

/// `nextKey` reads the usual `,"name":` (or `"name":` first in an object) with no whitespace and a short
/// name from one word; everything else goes the general way. Whatever the input, it must give the key
/// range, position, `first` flag and error (with its offset) the general reader gave, wherever the key
/// sits against the end of the buffer.
struct KeyScanFastPathTests {
    static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }

    static func unexpected(_ text: [UInt8], _ i: Int, _ expected: FrameError.Expectation) -> FrameError {
        i < text.count ? FrameError(.unexpectedByte(expected: expected, found: text[i]), offset: i) : FrameError(.truncated, offset: i)
    }

    /// The former reader, a byte at a time: the key range (nil at the closing brace), position and flag.
    static func before(_ text: [UInt8], first: Bool) -> Result<(Range<Int>?, Int, Bool), FrameError> {
        var i = 0
        var first = first
        while i < text.count && isSpace(text[i]) { i += 1 }
        guard i < text.count else { return .failure(FrameError(.truncated, offset: i)) }
        if text[i] == UInt8(ascii: "}") { return .success((nil, i + 1, first)) }
        if first {
            first = false
        } else {
            guard text[i] == UInt8(ascii: ",") else { return .failure(unexpected(text, i, .commaOrEnd)) }
            i += 1
            while i < text.count && isSpace(text[i]) { i += 1 }
        }
        guard i < text.count, text[i] == UInt8(ascii: "\"") else { return .failure(unexpected(text, i, .key)) }
        i += 1
        let start = i
        var end = -1
        while i < text.count {
            if text[i] == UInt8(ascii: "\"") {
                end = i
                break
            }
            i += text[i] == UInt8(ascii: "\\") ? 2 : 1
        }
        guard end >= 0 else { return .failure(FrameError(.truncated, offset: text.count)) }
        i = end + 1
        while i < text.count && isSpace(text[i]) { i += 1 }
        guard i < text.count, text[i] == UInt8(ascii: ":") else { return .failure(unexpected(text, i, .colon)) }
        i += 1
        while i < text.count && isSpace(text[i]) { i += 1 }
        return .success((start..<end, i, first))
    }

    static func now(_ text: [UInt8], first: Bool) -> Result<(Range<Int>?, Int, Bool), FrameError> {
        scanningExactCopy(of: text) { s in
            var first = first
            do throws(FrameError) {
                let key = try s.nextKey(&first)
                return .success((key, s.position, first))
            } catch {
                return .failure(error)
            }
        }
    }

    static func compare(_ text: [UInt8], first: Bool) -> Bool {
        let got = now(text, first: first)
        let expected = before(text, first: first)
        switch (got, expected) {
        case (.success(let g), .success(let e)):
            #expect(g.0 == e.0 && g.1 == e.1 && g.2 == e.2, "\(text) first \(first): \(g) against \(e)")
            return g.0 != nil
        case (.failure(let g), .failure(let e)):
            #expect(g == e, "\(text) first \(first)")
        default:
            Issue.record("\(text) first \(first): \(got) against \(expected)")
        }
        return false
    }

    @Test func nextKeyGivesWhatTheGeneralReaderGave() {
        var random = SeededRandom(seed: 51)
        // Quotes, backslashes, colons, commas, braces, whitespace, bytes one off '"' and '\', high bytes.
        let alphabet: [UInt8] = Array("ab\"\\\\ :,}{\t\n".utf8) + [0x21, 0x23, 0x5B, 0x5D, 0x80, 0xA2, 0xDC, 0xFF, 0x00, 0x3A, 0x3B]
        func pick(_ bytes: [UInt8]) -> UInt8 { bytes[Int(random.next() % UInt64(bytes.count))] }
        func space() -> [UInt8] { random.next() % 4 == 0 ? (0..<Int(1 + random.next() % 2)).map { _ in pick([32, 9, 10, 13]) } : [] }
        var keys = 0
        for _ in 0..<80_000 {
            let lead: [UInt8] = random.next() % 3 == 0 ? [] : [pick(Array(",,,\"}x".utf8))]
            let name = (0..<Int(random.next() % 20)).map { _ in
                random.next() % 5 == 0 ? pick(alphabet) : UInt8(97 + random.next() % 26)
            }
            var text = space() + lead + space() + [34] + name + (random.next() % 10 == 0 ? [] : [34]) + space()
            if random.next() % 10 != 0 { text += [58] }
            text += space() + Array("1,\"b\":2}".utf8).prefix(Int(random.next() % 9))
            if random.next() % 8 == 0 { text = Array(text.prefix(Int(random.next() % UInt64(text.count + 1)))) }
            for first in [true, false] where Self.compare(text, first: first) { keys += 1 }
        }
        #expect(keys > 20_000)
    }

    /// Every cut of a few real-looking objects, read key after key with the values skipped.
    @Test func everyCutOfAnObjectReadsAsBefore() {
        let objects = [
            #"{"e":"depthUpdate","E":1700000000123,"s":"BTCUSDT","U":157,"u":160,"b":[["0.0024","10"]],"a":[]}"#,
            #"{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","p":"0.001","q":"100","lastUpdateId":1}}"#,
            #"{ "a" : 1 ,"bb":2, "a\"c":3,"":4,"seven77":5,"eight888":6,"instrument_name":7,"fifteen_bytes_x":8,"sixteen_bytes_xx":9}"#,
            #"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.100ms","data":{"timestamp":1,"prev_change_id":2}}}"#,
        ]
        for object in objects {
            let bytes = Array(object.utf8)
            for cut in 1...bytes.count {
                var text = Array(bytes[1..<cut])
                var first = true
                while true {
                    guard Self.compare(text, first: first) else { break }
                    // Move past the key and its value, as a parser would.
                    guard case .success(let e) = Self.before(text, first: first) else { break }
                    first = e.2
                    var i = e.1
                    while i < text.count && text[i] != UInt8(ascii: ",") && text[i] != UInt8(ascii: "}") { i += 1 }
                    if i > e.1 && text[e.1] == UInt8(ascii: "{") { break }
                    text = Array(text[i...])
                }
            }
        }
    }

    /// Digit runs of every length (0...8) combine into the exact value (10^k for each run length).
    @Test func digitRunsCombineExactly() {
        for count in 1...18 {
            let text = Array(String(repeating: "7", count: count).utf8) + Array("\"".utf8)
            var expected: Int64 = 0
            for _ in 0..<count { expected = expected * 10 + 7 }
            let quoted = [34] + text
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: quoted.count, alignment: 1)
            defer { buffer.deallocate() }
            quoted.withUnsafeBytes { buffer.copyMemory(from: $0) }
            var s = JSONScanner(UnsafeRawBufferPointer(buffer))
            #expect((try? s.int64Value("x")) == expected, "\(count) digits")
            #expect(s.position == quoted.count)
        }
    }
}
