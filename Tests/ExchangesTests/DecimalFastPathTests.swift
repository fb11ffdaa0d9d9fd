import Exchanges
import Model
import Testing

/// The numeric readers read digits eight at a time from 64-bit words. Whatever the input, they must
/// give exactly what the readers gave before (the byte-at-a-time loop, then the general path of
/// `readScalar` and `FixedDecimal.parse`): the same mantissa AND scale, the same error with the same
/// offset, the scanner stopped at the same byte. Inputs are placed at every offset in buffers cut
/// right after them, so words straddle the end and every 8-byte boundary.
struct DecimalFastPathTests {
    /// The readers as they were before the word-at-a-time loop, built from the scanner's public pieces.
    enum Before {
        /// The former one-pass loop over `"-?digits[.digits]"` (and `"-?digits"` when `integer`).
        static func plain(_ s: inout JSONScanner, integer: Bool) -> FixedDecimal? {
            let b = s.bytes
            let n = b.count
            var i = s.position
            let quoted = i < n && b[i] == UInt8(ascii: "\"")
            if quoted { i += 1 }
            let negative = i < n && b[i] == UInt8(ascii: "-")
            if negative { i += 1 }
            var mantissa: Int64 = 0
            var digits = 0
            var scale = 0
            var dot = false
            while i < n {
                let c = b[i]
                if c >= 48 && c <= 57 {
                    mantissa = mantissa &* 10 &+ Int64(c - 48)
                    digits += 1
                    if dot { scale += 1 }
                } else if c == UInt8(ascii: ".") && !dot && !integer {
                    dot = true
                } else {
                    break
                }
                i += 1
            }
            guard digits > 0 && digits <= 18 else { return nil }
            if quoted {
                guard i < n && b[i] == UInt8(ascii: "\"") else { return nil }
                i += 1
            } else if i < n, Array("eE+-.".utf8).contains(b[i]) {
                return nil
            }
            s.position = i
            return FixedDecimal(mantissa: negative ? -mantissa : mantissa, scale: UInt8(scale))
        }

        static func decimal(_ s: inout JSONScanner, optional: Bool) throws(FrameError) -> FixedDecimal? {
            s.skipWhitespace()
            if let d = plain(&s, integer: false) { return d }
            let at = s.position
            let scalar = try s.readScalar(field: "x")
            if optional && (scalar.kind == .null || (scalar.kind == .string && scalar.range.isEmpty)) { return nil }
            guard scalar.kind == .string || scalar.kind == .number, let d = FixedDecimal.parse(s.slice(scalar.range)) else {
                throw FrameError(.invalidNumber, field: "x", offset: at)
            }
            return d
        }

        static func integer(_ s: inout JSONScanner, optional: Bool) throws(FrameError) -> Int64? {
            s.skipWhitespace()
            if let d = plain(&s, integer: true) { return d.mantissa }
            let at = s.position
            let scalar = try s.readScalar(field: "x")
            if optional && (scalar.kind == .null || (scalar.kind == .string && scalar.range.isEmpty)) { return nil }
            guard scalar.kind == .string || scalar.kind == .number, let v = s.int64(scalar.range) else {
                throw FrameError(.invalidNumber, field: "x", offset: at)
            }
            return v
        }
    }

    /// What a reader gave: a value (mantissa and scale, or nil for null) and where the scanner stopped, or an error.
    enum Outcome: Equatable {
        case value(mantissa: Int64?, scale: UInt8?, position: Int)
        case error(FrameError)
    }

    static func outcome(_ text: [UInt8], _ read: (inout JSONScanner) throws(FrameError) -> FixedDecimal?) -> Outcome {
        // An allocation of exactly the text's size: a word loaded past its end would read beyond it.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: text.count, alignment: 1)
        defer { buffer.deallocate() }
        text.withUnsafeBytes { buffer.copyMemory(from: $0) }
        var s = JSONScanner(UnsafeRawBufferPointer(buffer))
        do {
            let d = try read(&s)
            return .value(mantissa: d?.mantissa, scale: d?.scale, position: s.position)
        } catch {
            return .error(error)
        }
    }

    /// Numbers of every length, in every form the readers meet or refuse, at every alignment.
    static func samples(seed: UInt64, count: Int) -> [[UInt8]] {
        var random = SeededRandom(seed: seed)
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        func digits(_ n: Int) -> [UInt8] {
            (0..<n).map { k in
                // Leading zeros often; otherwise any digit.
                k == 0 && pick(4) == 0 ? 48 : UInt8(48 + pick(10))
            }
        }
        let alphabet = Array("0123456789.-+eE\"a ,}]".utf8)
        let tails: [[UInt8]] = ["", ",", "}", "]", " ", ".", "e", "E5", "e-7", "+", "-", "a", "\"", ",\"b\":1", "..", "1"].map { Array($0.utf8) }
        var out: [[UInt8]] = []
        for k in 0..<count {
            var number: [UInt8]
            switch k % 5 {
            case 0, 1:  // integer part 0...20 digits, fraction of 0...20 digits or none
                number = digits(pick(21))
                if pick(3) > 0 { number += [46] + digits(pick(21)) }
            case 2:  // exponent forms and signs the general path reads or refuses
                number = (pick(3) == 0 ? [43] : []) + digits(1 + pick(12))
                if pick(2) == 0 { number += [46] + digits(pick(10)) }
                number += [pick(2) == 0 ? 101 : 69] + (pick(3) == 0 ? [45] : (pick(2) == 0 ? [43] : [])) + digits(pick(4))
            case 3:  // random bytes from the characters that matter
                number = (0..<pick(28)).map { _ in alphabet[pick(alphabet.count)] }
            default:  // edges: 18/19 digits in total, limits, empty, null
                let edges = ["999999999999999999", "9999999999999999999", "99999999.9999999999", "999999999.999999999",
                             "0.000000000000000001", "0.0000000000000000001", "-0", "-0.0", ".5", "5.", ".", "-", "-.",
                             "00000000", "12345678", "123456789", "1234567.8", "12345678.", "1234567812345678",
                             "9223372036854775807", "-9223372036854775808", "1.2.3", "1..2", "--1", "1-2"]
                let bare: [String] = ["null", "true", "false", "\"\"", "{}", "[1]", "nul"]
                if pick(6) == 0 {
                    out.append([UInt8](repeating: 32, count: pick(17)) + Array(bare[pick(bare.count)].utf8) + tails[pick(tails.count)])
                    continue
                }
                number = Array(edges[pick(edges.count)].utf8)
            }
            if pick(3) == 0 { number = [45] + number }
            let quoted = pick(2) == 0
            var text = quoted ? [34] + number + (pick(8) == 0 ? [] : [34]) : number
            text += tails[pick(tails.count)]
            // Whitespace before the value moves it across the 8-byte boundaries.
            text = [UInt8](repeating: 32, count: pick(17)) + text
            out.append(text)
        }
        return out
    }

    @Test(arguments: [false, true])
    func decimalReadersGiveWhatTheyGaveBefore(optional: Bool) {
        var parsed = 0
        for text in Self.samples(seed: optional ? 41 : 40, count: 60_000) {
            let got = Self.outcome(text) { (s: inout JSONScanner) throws(FrameError) in
                optional ? try s.optionalDecimalValue("x") : try s.decimalValue("x")
            }
            let before = Self.outcome(text) { (s: inout JSONScanner) throws(FrameError) in try Before.decimal(&s, optional: optional) }
            #expect(got == before, "\(String(decoding: text, as: UTF8.self))")
            if case .value(.some, _, _) = before { parsed += 1 }
        }
        #expect(parsed > 15_000)
    }

    @Test(arguments: [false, true])
    func integerReadersGiveWhatTheyGaveBefore(optional: Bool) {
        var parsed = 0
        for text in Self.samples(seed: optional ? 43 : 42, count: 60_000) {
            let got = Self.outcome(text) { (s: inout JSONScanner) throws(FrameError) in
                (optional ? try s.optionalInt64Value("x") : try s.int64Value("x")).map { FixedDecimal(mantissa: $0, scale: 0) }
            }
            let before = Self.outcome(text) { (s: inout JSONScanner) throws(FrameError) in
                try Before.integer(&s, optional: optional).map { FixedDecimal(mantissa: $0, scale: 0) }
            }
            #expect(got == before, "\(String(decoding: text, as: UTF8.self))")
            if case .value(.some, _, _) = before { parsed += 1 }
        }
        #expect(parsed > 8_000)
    }

    /// Every digit count 1...19 with and without a fraction, at each of 16 offsets, quoted and bare,
    /// with the buffer ending right after the number or a few bytes later.
    @Test func everyLengthAtEveryOffset() {
        var random = SeededRandom(seed: 44)
        var compared = 0
        for integerDigits in 0...19 {
            for fractionDigits in [-1] + Array(0...19) {
                for offset in 0..<16 {
                    for quoted in [false, true] {
                        for tail in ["", ",", "]}", "\"x\":[\"1.5\",\"2\"]}"] {
                            var number = (0..<integerDigits).map { _ in UInt8(48 + random.next() % 10) }
                            if fractionDigits >= 0 { number += [46] + (0..<fractionDigits).map { _ in UInt8(48 + random.next() % 10) } }
                            let body = quoted ? [34] + number + [34] : number
                            let text = [UInt8](repeating: 9, count: offset) + body + Array(tail.utf8)
                            let got = Self.outcome(text) { (s: inout JSONScanner) throws(FrameError) in try s.decimalValue("x") }
                            let before = Self.outcome(text) { (s: inout JSONScanner) throws(FrameError) in
                                try Before.decimal(&s, optional: false)
                            }
                            #expect(got == before, "\(String(decoding: text, as: UTF8.self))")
                            compared += 1
                        }
                    }
                }
            }
        }
        #expect(compared == 20 * 21 * 16 * 2 * 4)
    }

    /// Levels are where the readers run most: a depth frame's levels read whole must match too.
    @Test func levelsReadTheSameNumbers() throws {
        var random = SeededRandom(seed: 45)
        for _ in 0..<2_000 {
            var text = "["
            var expected: [(Int64, UInt8, Int64, UInt8)] = []
            for k in 0..<Int(random.next() % 12) {
                let p = Int64(random.next() % 10_000_000_000), ps = UInt8(random.next() % 9)
                let q = Int64(random.next() % 1_000_000_000_000), qs = UInt8(random.next() % 13)
                expected.append((p, ps, q, qs))
                text += (k == 0 ? "" : ",") + "[\"\(FixedDecimal(mantissa: p, scale: ps))\",\"\(FixedDecimal(mantissa: q, scale: qs))\""
                text += random.next() % 2 == 0 ? ",\"0\",\"\(random.next() % 50)\"]" : "]"
            }
            text += "]"
            let bytes = Array(text.utf8)
            let levels = try bytes.withUnsafeBytes { b throws(FrameError) -> [BookLevel] in
                var s = JSONScanner(b)
                var out: [BookLevel] = []
                try s.levels("b", into: &out)
                try s.finish()
                return out
            }
            #expect(levels.map { [$0.price.mantissa, Int64($0.price.scale), $0.size.mantissa, Int64($0.size.scale)] }
                == expected.map { [$0.0, Int64($0.1), $0.2, Int64($0.3)] }, "\(text)")
        }
    }
}
