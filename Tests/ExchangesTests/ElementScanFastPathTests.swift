import Exchanges
import Model
import Testing

/// `nextElement` reads a comma right before the element, the first element and the closing bracket
/// where it is called; everything else goes the general way. Whatever the input, it must give the
/// answer, position, `first` flag and error (with its offset) the general reader gave.
struct ElementScanFastPathTests {
    static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }

    /// The former reader, a byte at a time.
    static func before(_ text: [UInt8], first: Bool) -> Result<(Bool, Int, Bool), FrameError> {
        var i = 0
        var first = first
        while i < text.count && isSpace(text[i]) { i += 1 }
        guard i < text.count else { return .failure(FrameError(.truncated, offset: i)) }
        if text[i] == UInt8(ascii: "]") { return .success((false, i + 1, first)) }
        if first {
            first = false
        } else {
            guard text[i] == UInt8(ascii: ",") else {
                return .failure(FrameError(.unexpectedByte(expected: .commaOrEnd, found: text[i]), offset: i))
            }
            i += 1
            while i < text.count && isSpace(text[i]) { i += 1 }
        }
        return .success((true, i, first))
    }

    static func now(_ text: [UInt8], first: Bool) -> Result<(Bool, Int, Bool), FrameError> {
        scanningExactCopy(of: text) { s in
            var first = first
            do throws(FrameError) {
                let more = try s.nextElement(&first)
                return .success((more, s.position, first))
            } catch {
                return .failure(error)
            }
        }
    }

    @Test func nextElementGivesWhatTheGeneralReaderGave() {
        var random = SeededRandom(seed: 53)
        let alphabet: [UInt8] = Array(" \t\n\r,,,]]\"0[{}x".utf8) + [0x00, 0x2B, 0x2D, 0x5C, 0x5E, 0xFF]
        var elements = 0
        for _ in 0..<60_000 {
            let text = (0..<Int(random.next() % 6)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            for first in [true, false] {
                let got = Self.now(text, first: first)
                let expected = Self.before(text, first: first)
                switch (got, expected) {
                case (.success(let g), .success(let e)):
                    #expect(g.0 == e.0 && g.1 == e.1 && g.2 == e.2, "\(text) first \(first): \(g) against \(e)")
                    if g.0 { elements += 1 }
                case (.failure(let g), .failure(let e)):
                    #expect(g == e, "\(text) first \(first)")
                default:
                    Issue.record("\(text) first \(first): \(got) against \(expected)")
                }
            }
        }
        #expect(elements > 10_000)
    }
}
