import Exchanges
import Model
import Testing

/// The scanner's pieces on their own: decimals (fast and general paths agree with
/// `FixedDecimal.parse`), strings with escapes, skipping nested values, bracket matching.
struct JSONScannerTests {
    static func scan<T>(_ text: String, _ body: (inout JSONScanner) throws(FrameError) -> T) -> Result<T, FrameError> {
        Array(text.utf8).withUnsafeBytes { b in
            var s = JSONScanner(b)
            return Result { () throws(FrameError) -> T in try body(&s) }
        }
    }

    @Test func decimalReadersAgreeWithFixedDecimalParse() {
        var rng = SeededRandom(seed: 3)
        let alphabet = Array("0123456789.-+eE".utf8)
        var compared = 0
        for k in 0..<20_000 {
            let length = Int(rng.next() % 24)
            var text = (0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            if k % 3 == 0 { text = Array(String(Int64(bitPattern: rng.next()) % 10_000_000_000).utf8) + [46] + Array(String(rng.next() % 100_000_000).utf8) }
            let expected = text.withUnsafeBytes { FixedDecimal.parse($0) }
            let quoted = "\"" + String(decoding: text, as: UTF8.self) + "\""
            let got = Self.scan(quoted) { (s: inout JSONScanner) throws(FrameError) in try s.decimalValue("x") }
            #expect((try? got.get()) == expected, "\(quoted)")
            if let e = expected, let g = try? got.get() { #expect(e.scale == g.scale && e.mantissa == g.mantissa) }
            // Bare numbers (Deribit): the same value when the text is a JSON number at all.
            if let first = text.first, first == UInt8(ascii: "-") || (first >= 48 && first <= 57) {
                let bare = Self.scan(String(decoding: text, as: UTF8.self) + ",") { (s: inout JSONScanner) throws(FrameError) in
                    try s.decimalValue("x")
                }
                #expect((try? bare.get()) == expected, "\(String(decoding: text, as: UTF8.self))")
                compared += 1
            }
        }
        #expect(compared > 5000)
    }

    @Test func stringsKeepEscapesUntilDecoded() throws {
        let r = Self.scan(#"{"msg":"a\"b\\c\u00e9\n","x":[1,{"y":[]}],"z":true}"#) { (s: inout JSONScanner) throws(FrameError) -> [String] in
            try s.beginObject()
            var first = true
            var seen: [String] = []
            while let k = try s.nextKey(&first) {
                seen.append(s.text(k))
                if s.matches(k, "msg") { seen.append(s.text(try s.readString())) } else { try s.skipValue() }
            }
            try s.finish()
            return seen
        }
        #expect(try r.get() == ["msg", "a\"b\\cé\n", "x", "z"])
    }

    @Test func skipValueRejectsMismatchedBrackets() {
        for (text, ok) in [("[{}]", true), ("[{]}", false), ("{\"a\":[1,2,{\"b\":null}]}", true), ("[[[", false), ("\"abc", false), ("nul", false)] {
            let r = Self.scan(text) { (s: inout JSONScanner) throws(FrameError) in try s.skipValue() }
            #expect(((try? r.get()) != nil) == ok, "\(text)")
        }
    }

    @Test func typedReadersNameTheField() throws {
        let r = Self.scan(#"{"px":"12x"}"#) { (s: inout JSONScanner) throws(FrameError) -> FixedDecimal in
            try s.beginObject()
            var first = true
            _ = try s.nextKey(&first)
            return try s.decimalValue("px")
        }
        #expect(r == .failure(FrameError(.invalidNumber, field: "px", offset: 6)))
        let nulls = Self.scan(#"[null,"",7]"#) { (s: inout JSONScanner) throws(FrameError) -> [Int64?] in
            try s.beginArray()
            var first = true
            var out: [Int64?] = []
            while try s.nextElement(&first) { out.append(try s.optionalInt64Value("n")) }
            return out
        }
        #expect(try nulls.get() == [nil, nil, 7])
    }
}
