import Exchanges
import Model
import Testing

/// `int64Value` and `optionalInt64Value` read the common shapes in one pass; whatever the input, they
/// must give what the general path gives (read the scalar, then parse its text) and stop at the same byte.
struct IntegerFastPathTests {
    /// The general path, spelled out with the scanner's public pieces.
    static func reference(_ s: inout JSONScanner, optional: Bool) -> Int64?? {
        s.skipWhitespace()
        guard let scalar = try? s.readScalar() else { return nil }
        if optional && (scalar.kind == .null || (scalar.kind == .string && scalar.range.isEmpty)) { return .some(nil) }
        guard scalar.kind == .string || scalar.kind == .number, let v = s.int64(scalar.range) else { return nil }
        return .some(v)
    }

    @Test(arguments: [false, true])
    func integerReadersAgreeWithTheGeneralPath(optional: Bool) {
        var random = SeededRandom(seed: optional ? 17 : 16)
        let alphabet = Array("0123456789-+.eE\"a ,}".utf8)
        var successes = 0
        for k in 0..<30_000 {
            var text: [UInt8]
            switch k % 4 {
            case 0:  // random bytes from the interesting alphabet
                text = (0..<Int(random.next() % 24)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            case 1:  // a quoted integer of any length (overflow at 19+ digits)
                let digits = 1 + Int(random.next() % 22)
                text = [34] + (random.next() % 2 == 0 ? [45] : []) + (0..<digits).map { _ in UInt8(48 + random.next() % 10) } + [34]
            case 2:  // a bare integer, then what may follow it
                let digits = 1 + Int(random.next() % 21)
                let tail = Array(",}.e-+ a]".utf8)
                text = (random.next() % 3 == 0 ? [45] : []) + (0..<digits).map { _ in UInt8(48 + random.next() % 10) }
                    + [tail[Int(random.next() % UInt64(tail.count))]]
            default:  // edge values
                let edges = ["\"9223372036854775807\"", "-9223372036854775808", "999999999999999999", "1000000000000000000",
                             "\"-0\"", "0", "\"\"", "null", "true", "\"12\"3", "12.0", "1e3", "\"+5\"", "-", "\"-\"", " 42 ,"]
                text = Array(edges[Int(random.next() % UInt64(edges.count))].utf8)
            }
            text.withUnsafeBytes { bytes in
                var fast = JSONScanner(bytes)
                var general = JSONScanner(bytes)
                // `try?` would flatten "failed" and "null" into one nil: keep them apart.
                let result = Result { () throws(FrameError) -> Int64? in
                    optional ? try fast.optionalInt64Value("x") : try fast.int64Value("x")
                }
                let got: Int64??
                switch result {
                case .success(let v): got = .some(v)
                case .failure: got = nil
                }
                let expected = Self.reference(&general, optional: optional)
                #expect(got == expected, "\(String(decoding: text, as: UTF8.self))")
                if got != nil && expected != nil {
                    #expect(fast.position == general.position, "\(String(decoding: text, as: UTF8.self))")
                    successes += 1
                }
            }
        }
        #expect(successes > 5_000)
    }
}
