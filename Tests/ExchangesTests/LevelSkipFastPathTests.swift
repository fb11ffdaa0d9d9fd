import Exchanges
import Model
import Testing

/// `levels` skips a level's unused elements (OKX's `"0"` and order count) with a one-word read when
/// they are short plain strings. Whatever the elements, it must give the levels, position and error
/// (with its offset) the former loop gave, which skipped every one with `skipValue`.
struct LevelSkipFastPathTests {
    /// The former loop, from the scanner's public readers.
    static func before(_ s: inout JSONScanner) throws(FrameError) -> [BookLevel] {
        var out: [BookLevel] = []
        try s.beginArray(field: "bids")
        var first = true
        while try s.nextElement(&first) {
            try s.beginArray(field: "bids")
            let price = try s.decimalValue("bids")
            var afterPrice = false
            guard try s.nextElement(&afterPrice) else { throw FrameError(.truncated, offset: -1) }
            let size = try s.decimalValue("bids")
            var more = false
            while try s.nextElement(&more) { try s.skipValue() }
            out.append(BookLevel(price: price, size: size))
        }
        return out
    }

    static func run(_ text: [UInt8], _ read: (inout JSONScanner) throws(FrameError) -> [BookLevel]) -> Result<([BookLevel], Int), FrameError> {
        scanningExactCopy(of: text) { s in
            do throws(FrameError) {
                let levels = try read(&s)
                return .success((levels, s.position))
            } catch {
                return .failure(error)
            }
        }
    }

    @Test func levelsGiveWhatTheFormerLoopGave() {
        var random = SeededRandom(seed: 54)
        let extras = [#""0""#, #""12""#, #""1234567""#, #""12345678""#, #""a\"b""#, #""\\""#, #""""#, "7", "null", "[1,2]", #"{"a":"b"}"#, #""0"#, #""x"#]
        var compared = 0
        for _ in 0..<20_000 {
            var text = "["
            for level in 0..<Int(random.next() % 4) {
                if level > 0 { text += "," }
                text += #"["8.5","0.25""#
                for _ in 0..<Int(random.next() % 3) { text += "," + extras[Int(random.next() % UInt64(extras.count))] }
                text += "]"
            }
            text += "]"
            var bytes = Array(text.utf8)
            if random.next() % 3 == 0 { bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count + 1)))) }
            guard !bytes.isEmpty else { continue }
            let got = Self.run(bytes) { (s: inout JSONScanner) throws(FrameError) in
                var out: [BookLevel] = []
                try s.levels("bids", into: &out)
                return out
            }
            // The former loop read the comma between price and size with `consume`; the reference reads
            // it with `nextElement`, which differs only where a level ends early: compare the rest.
            let expected = Self.run(bytes) { (s: inout JSONScanner) throws(FrameError) in try Self.before(&s) }
            switch (got, expected) {
            case (.success(let g), .success(let e)):
                #expect(g.0 == e.0 && g.1 == e.1, "\(text)")
                compared += 1
            case (.failure(let g), .failure(let e)):
                if e.offset != -1 { #expect(g == e, "\(String(decoding: bytes, as: UTF8.self))") }
            default:
                Issue.record("\(String(decoding: bytes, as: UTF8.self)): \(got) against \(expected)")
            }
        }
        #expect(compared > 5_000)
    }
}
