import Model
import Testing

@testable import Books

/// A kept level's CRC piece is computed from its digits, never written as text: it must equal the
/// raw register of the text `OKXChecksum` reads (":" price ":" size, exactly as received) for every
/// sign, scale and digit count.
@Suite struct OKXChecksumPieceTests {
    static func textPiece(_ level: BookLevel) -> UInt64 {
        let text = Array(":\(level.price):\(level.size)".utf8)
        return text.withUnsafeBufferPointer { CRC32.piece($0.baseAddress!, count: $0.count) }
    }

    @Test func digitsGiveTheRegisterOfTheText() {
        var random = SeededRandom(seed: 91)
        var values: [FixedDecimal] = [
            .zero, FixedDecimal(mantissa: 0, scale: 18), FixedDecimal(mantissa: .min, scale: 18), FixedDecimal(mantissa: .max, scale: 0),
            FixedDecimal(mantissa: .min, scale: 0), FixedDecimal(mantissa: .max, scale: 18), FixedDecimal(mantissa: -5, scale: 3),
            FixedDecimal(mantissa: 100, scale: 2), FixedDecimal(mantissa: 302_336, scale: 1), FixedDecimal(mantissa: 9, scale: 0),
        ]
        for _ in 0..<4_000 {
            let digits = Int(random.next() % 20)
            var mantissa = digits == 0 ? 0 : Int64(bitPattern: random.next() >> 1) % Self.pow10(digits)
            if random.next() % 4 == 0 { mantissa = 0 &- mantissa }
            values.append(FixedDecimal(mantissa: mantissa, scale: UInt8(random.next() % 19)))
        }
        OKXChecksumText.Side.positionRegisters.withUnsafeBufferPointer { registers in
            for (i, price) in values.enumerated() {
                let size = values[(i &* 7 &+ 3) % values.count]
                let level = BookLevel(price: price, size: size)
                #expect(OKXChecksumText.Side.piece(of: level, registers.baseAddress!) == Self.textPiece(level), "\(price):\(size)")
            }
        }
    }

    static func pow10(_ k: Int) -> Int64 { k >= 19 ? .max : (0..<k).reduce(1) { r, _ in r * 10 } }
}
