@testable import Exchanges
import Model
import Testing

/// `wordDecimal` and `wordInt64` (two words, one bounds check) now read most numbers before the
/// general readers see them. Wherever they answer, they must give what the readers gave before
/// (`DecimalFastPathTests.Before`: mantissa AND scale, the byte the scanner stops at); wherever they
/// decline, nothing may have moved. The public readers built on them must still give the former
/// answers and errors (with offsets) for everything, including numbers near the end of the buffer.
struct WordNumberFastPathTests {
    /// Numbers of the shapes venues send and the shapes around them, followed by a tail long enough
    /// (or not) for the two words to be in reach.
    static func samples(seed: UInt64, count: Int) -> [[UInt8]] {
        var random = SeededRandom(seed: seed)
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        func digits(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(48 + pick(10)) } }
        let tails: [[UInt8]] = [
            "", "\"", ",", "]", "}", " ", ".", "e", "E5", "+", "-", "a", "1", "..", "\",\"B\":\"0.604978\"}}",
            ",[\"19999.99\",\"1.5\"]]}", "],[\"new\",19999.98,0.978247]]}}", ",\"s\":\"BTCUSDT\",\"U\":1000001}",
        ].map { Array($0.utf8) }
        var out: [[UInt8]] = []
        for _ in 0..<count {
            var number: [UInt8]
            switch pick(5) {
            case 0, 1:  // integer part 0...9 digits, fraction of 0...9 digits or none (both sides of 7 and 8)
                number = digits(pick(10))
                if pick(4) > 0 { number += [46] + digits(pick(10)) }
            case 2:  // integers of 0...17 digits (both sides of 8 and 15)
                number = digits(pick(18))
            case 3:  // random bytes from the characters that matter
                let alphabet = Array("0123456789.-+eE\"a ,}]".utf8)
                number = (0..<pick(20)).map { _ in alphabet[pick(alphabet.count)] }
            default:  // what is not a number: null, booleans, empty, a point first (all left to the general path)
                let others = ["null", "true", "false", "", ".5", ".", "-.5", "nul", "{}", "[1]"]
                number = Array(others[pick(others.count)].utf8)
            }
            if pick(4) == 0 { number = [45] + number }
            let quoted = pick(3) > 0
            var text = quoted ? [34] + number + (pick(10) == 0 ? [] : [34]) : number
            text += tails[pick(tails.count)]
            if pick(2) == 0 { text += [UInt8](repeating: UInt8(ascii: "}"), count: pick(24)) }
            // Whitespace first (which the word readers leave to the general path) now and then.
            if pick(8) == 0 { text = [UInt8](repeating: 32, count: 1 + pick(3)) + text }
            out.append(text)
        }
        return out
    }

    /// Runs `read` on a buffer of exactly `text`'s size (a word loaded past the end would leave it).
    static func withExactBuffer<T>(_ text: [UInt8], _ read: (inout JSONScanner) -> T) -> (T, Int) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: text.count, alignment: 1)
        defer { buffer.deallocate() }
        text.withUnsafeBytes { buffer.copyMemory(from: $0) }
        var s = JSONScanner(UnsafeRawBufferPointer(buffer))
        let value = read(&s)
        return (value, s.position)
    }

    typealias Outcome = DecimalFastPathTests.Outcome

    @Test func wordDecimalAnswersAsBeforeOrDeclinesWithoutMoving() {
        var answered = 0
        for text in Self.samples(seed: 70, count: 80_000) {
            let (word, position) = Self.withExactBuffer(text) { s in s.wordDecimal() }
            let before = DecimalFastPathTests.outcome(text) { (s: inout JSONScanner) throws(FrameError) in
                try DecimalFastPathTests.Before.decimal(&s, optional: false)
            }
            if let word {
                #expect(before == .value(mantissa: word.mantissa, scale: word.scale, position: position),
                        "\(String(decoding: text, as: UTF8.self))")
                answered += 1
            } else {
                #expect(position == 0, "\(String(decoding: text, as: UTF8.self))")
            }
        }
        #expect(answered > 8_000)
    }

    @Test func wordInt64AnswersAsBeforeOrDeclinesWithoutMoving() {
        var answered = 0
        for text in Self.samples(seed: 71, count: 80_000) {
            let (word, position) = Self.withExactBuffer(text) { s in s.wordInt64() }
            let before = DecimalFastPathTests.outcome(text) { (s: inout JSONScanner) throws(FrameError) in
                try DecimalFastPathTests.Before.integer(&s, optional: false).map { FixedDecimal(mantissa: $0, scale: 0) }
            }
            if let word {
                #expect(before == .value(mantissa: word, scale: 0, position: position), "\(String(decoding: text, as: UTF8.self))")
                answered += 1
            } else {
                #expect(position == 0, "\(String(decoding: text, as: UTF8.self))")
            }
        }
        #expect(answered > 8_000)
    }

    /// The public readers (word path first, then the general one) against the former readers, errors included.
    @Test(arguments: [false, true])
    func publicReadersGiveWhatTheyGaveBefore(optional: Bool) {
        for text in Self.samples(seed: optional ? 73 : 72, count: 60_000) {
            let decimal = DecimalFastPathTests.outcome(text) { (s: inout JSONScanner) throws(FrameError) in
                optional ? try s.optionalDecimalValue("x") : try s.decimalValue("x")
            }
            let decimalBefore = DecimalFastPathTests.outcome(text) { (s: inout JSONScanner) throws(FrameError) in
                try DecimalFastPathTests.Before.decimal(&s, optional: optional)
            }
            #expect(decimal == decimalBefore, "\(String(decoding: text, as: UTF8.self))")
            let integer = DecimalFastPathTests.outcome(text) { (s: inout JSONScanner) throws(FrameError) in
                (optional ? try s.optionalInt64Value("x") : try s.int64Value("x")).map { FixedDecimal(mantissa: $0, scale: 0) }
            }
            let integerBefore = DecimalFastPathTests.outcome(text) { (s: inout JSONScanner) throws(FrameError) in
                try DecimalFastPathTests.Before.integer(&s, optional: optional).map { FixedDecimal(mantissa: $0, scale: 0) }
            }
            #expect(integer == integerBefore, "\(String(decoding: text, as: UTF8.self))")
        }
    }

    /// A number read where it sits after other bytes must read as it does at the start of a buffer, the
    /// position and error offsets moved by as much, near the end of the buffer (`nearEnd`'s padded copy)
    /// or not.
    @Test func readersAnswerTheSameAfterAnyPrefix() {
        var random = SeededRandom(seed: 74)
        func read(_ text: [UInt8], from start: Int, _ reader: Int) -> (FixedDecimal??, Int, FrameError?) {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: text.count, alignment: 1)
            defer { buffer.deallocate() }
            text.withUnsafeBytes { buffer.copyMemory(from: $0) }
            var s = JSONScanner(UnsafeRawBufferPointer(buffer), position: start)
            do throws(FrameError) {
                let value: FixedDecimal?
                switch reader {
                case 0: value = try s.decimalValue("x")
                case 1: value = try s.optionalDecimalValue("x")
                case 2: value = FixedDecimal(mantissa: try s.int64Value("x"), scale: 0)
                default: value = try s.optionalInt64Value("x").map { FixedDecimal(mantissa: $0, scale: 0) }
                }
                return (.some(value), s.position &- start, nil)
            } catch {
                return (nil, 0, error)
            }
        }
        var nearEnd = 0
        for text in Self.samples(seed: 75, count: 40_000) {
            let head = Array("[\"1.5\",{\"a\":\"bc\"},0,\"x\":\"12\",".utf8.prefix(Int(random.next() % 30)))
            let k = head.count
            let prefixed = head + text
            let reader = Int(random.next() % 4)
            let plain = read(text, from: 0, reader)
            let moved = read(prefixed, from: k, reader)
            var shifted = plain.2
            shifted?.offset += k
            #expect(moved.0 == plain.0 && moved.1 == plain.1 && moved.2 == shifted, "\(String(decoding: prefixed, as: UTF8.self))")
            if prefixed.count >= 24 && text.count < 18 { nearEnd += 1 }
        }
        #expect(nearEnd > 5_000)
    }

    @Test func smallPowersOfTen() {
        var p: UInt64 = 1
        for k in 0...7 {
            #expect(JSONScanner.smallPowerOfTen(k) == p)
            p *= 10
        }
    }
}
