import Exchanges
import Model
import Testing

/// Strings are scanned eight bytes at a time for the closing quote or a backslash. Whatever the
/// input, `readString` must give the range, end position and error the byte loop gave, wherever the
/// string sits against the 8-byte boundaries and the end of the buffer.
struct StringScanFastPathTests {
    /// The former byte loop, over the scanner's public bytes.
    static func before(_ text: [UInt8]) -> Result<(Range<Int>, Int), FrameError> {
        var i = 0
        while i < text.count && (text[i] == 32 || text[i] == 9 || text[i] == 10 || text[i] == 13) { i += 1 }
        guard i < text.count else { return .failure(FrameError(.truncated, field: "x", offset: i)) }
        guard text[i] == UInt8(ascii: "\"") else {
            return .failure(FrameError(.unexpectedByte(expected: .string, found: text[i]), field: "x", offset: i))
        }
        i += 1
        let start = i
        while i < text.count {
            if text[i] == UInt8(ascii: "\"") { return .success((start..<i, i + 1)) }
            i += text[i] == UInt8(ascii: "\\") ? 2 : 1
        }
        return .failure(FrameError(.truncated, offset: text.count))
    }

    static func now(_ text: [UInt8]) -> Result<(Range<Int>, Int), FrameError> {
        // Exactly the text's size, so a word read past the end would leave the allocation.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: text.count, alignment: 1)
        defer { buffer.deallocate() }
        text.withUnsafeBytes { buffer.copyMemory(from: $0) }
        var s = JSONScanner(UnsafeRawBufferPointer(buffer))
        do {
            let r = try s.readString(field: "x")
            return .success((r, s.position))
        } catch {
            return .failure(error)
        }
    }

    @Test func readStringGivesWhatTheByteLoopGave() {
        var random = SeededRandom(seed: 50)
        // Quotes and backslashes often, bytes with the top bit set, and bytes one off '"' (0x22) and '\' (0x5C).
        let alphabet: [UInt8] = Array("ab\"\\\\ 0:,".utf8) + [0x21, 0x23, 0x5B, 0x5D, 0x80, 0xA2, 0xDC, 0xFF, 0x00, 0x01]
        var found = 0
        for _ in 0..<60_000 {
            let lead = [UInt8](repeating: 32, count: Int(random.next() % 9))
            let body = (0..<Int(random.next() % 40)).map { _ in
                random.next() % 3 == 0 ? alphabet[Int(random.next() % UInt64(alphabet.count))] : UInt8(97 + random.next() % 26)
            }
            let text = lead + (random.next() % 16 == 0 ? [] : [34]) + body
            let got = Self.now(text)
            let expected = Self.before(text)
            switch (got, expected) {
            case (.success(let g), .success(let e)):
                #expect(g.0 == e.0 && g.1 == e.1, "\(text)")
                found += 1
            case (.failure(let g), .failure(let e)):
                #expect(g == e, "\(text)")
            default:
                Issue.record("\(text): \(got) against \(expected)")
            }
        }
        #expect(found > 12_000)
    }

    /// Every string length 0...40 at every offset 0...15, with and without escapes, the buffer ending
    /// right after the closing quote or before it.
    @Test func everyLengthAtEveryOffset() {
        var compared = 0
        for length in 0...40 {
            for offset in 0..<16 {
                for escapeAt in [-1, 0, length / 2, length - 1] {
                    for closed in [true, false] {
                        var body = (0..<length).map { UInt8(97 + $0 % 26) }
                        if escapeAt >= 0 && escapeAt < length { body[escapeAt] = UInt8(ascii: "\\") }
                        let text = [UInt8](repeating: 32, count: offset) + [34] + body + (closed ? [34] : [])
                        let got = Self.now(text)
                        let expected = Self.before(text)
                        switch (got, expected) {
                        case (.success(let g), .success(let e)): #expect(g.0 == e.0 && g.1 == e.1, "\(text)")
                        case (.failure(let g), .failure(let e)): #expect(g == e, "\(text)")
                        default: Issue.record("\(text): \(got) against \(expected)")
                        }
                        compared += 1
                    }
                }
            }
        }
        #expect(compared == 41 * 16 * 4 * 2)
    }

    /// `nextKey` reads short keys from one word; any key, whitespace, colon or end of buffer must give
    /// the range, position and error the general path (string body, then colon) gave.
    @Test func nextKeyGivesWhatTheGeneralPathGave() {
        func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }
        func before(_ t: [UInt8], first: Bool) -> Result<(Range<Int>?, Int), FrameError> {
            var i = 0
            while i < t.count && isSpace(t[i]) { i += 1 }
            guard i < t.count else { return .failure(FrameError(.truncated, offset: i)) }
            if t[i] == UInt8(ascii: "}") { return .success((nil, i + 1)) }
            if !first {
                guard t[i] == UInt8(ascii: ",") else {
                    return .failure(FrameError(.unexpectedByte(expected: .commaOrEnd, found: t[i]), offset: i))
                }
                i += 1
                while i < t.count && isSpace(t[i]) { i += 1 }
            }
            guard i < t.count else { return .failure(FrameError(.truncated, offset: i)) }
            guard t[i] == UInt8(ascii: "\"") else {
                return .failure(FrameError(.unexpectedByte(expected: .key, found: t[i]), offset: i))
            }
            i += 1
            let start = i
            var end: Int?
            while i < t.count {
                if t[i] == UInt8(ascii: "\"") {
                    end = i
                    break
                }
                i += t[i] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard let end else { return .failure(FrameError(.truncated, offset: t.count)) }
            i = end + 1
            while i < t.count && isSpace(t[i]) { i += 1 }
            guard i < t.count else { return .failure(FrameError(.truncated, offset: i)) }
            guard t[i] == UInt8(ascii: ":") else { return .failure(FrameError(.unexpectedByte(expected: .colon, found: t[i]), offset: i)) }
            i += 1
            while i < t.count && isSpace(t[i]) { i += 1 }
            return .success((start..<end, i))
        }
        var random = SeededRandom(seed: 51)
        let alphabet = Array("abE\"\\: ,}\t".utf8)
        var keys = 0
        for _ in 0..<60_000 {
            let first = random.next() % 2 == 0
            var text: [UInt8] = first ? [] : (random.next() % 8 == 0 ? [] : [44])
            text += [UInt8](repeating: 32, count: Int(random.next() % 3))
            if random.next() % 10 != 0 { text.append(34) }
            for _ in 0..<Int(random.next() % 12) {
                text.append(random.next() % 4 == 0 ? alphabet[Int(random.next() % UInt64(alphabet.count))] : UInt8(97 + random.next() % 26))
            }
            if random.next() % 4 != 0 { text += Array("\":".utf8) }
            if random.next() % 3 == 0 { text += [UInt8](repeating: 32, count: Int(random.next() % 3)) }
            text += (0..<Int(random.next() % 10)).map { _ in UInt8(48 + random.next() % 10) }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: text.count, alignment: 1)
            defer { buffer.deallocate() }
            text.withUnsafeBytes { buffer.copyMemory(from: $0) }
            var s = JSONScanner(UnsafeRawBufferPointer(buffer))
            var f = first
            let got = Result { () throws(FrameError) -> (Range<Int>?, Int) in (try s.nextKey(&f), s.position) }
            let expected = before(text, first: first)
            switch (got, expected) {
            case (.success(let g), .success(let e)):
                #expect(g.0 == e.0 && g.1 == e.1, "\(String(decoding: text, as: UTF8.self))")
                if g.0 != nil { keys += 1 }
            case (.failure(let g), .failure(let e)): #expect(g == e, "\(String(decoding: text, as: UTF8.self))")
            default: Issue.record("\(String(decoding: text, as: UTF8.self)): \(got) against \(expected)")
            }
        }
        #expect(keys > 15_000)
    }
}
