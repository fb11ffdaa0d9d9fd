import Model
import Testing

@testable import Publishing

/// The writer's fixed-width fast paths (digit counts from the bit width, one room check per timestamp)
/// against the standard library's own formatting, at every digit-count boundary.
@Suite struct JSONWriterNumberTests {
    static func text(_ body: (inout JSONWriter) -> Void) -> String {
        String(decoding: JSONWriter.bytes(body), as: UTF8.self)
    }

    @Test func integersMatchDescriptionAtEveryPowerOfTenBoundary() {
        var values: [Int64] = [0, 1, -1, 9, 10, 11, .max, .min, .max - 1, .min + 1]
        var p: Int64 = 10
        while true {
            values += [p - 1, p, p + 1, -(p - 1), -p, -(p + 1)]
            let (next, overflow) = p.multipliedReportingOverflow(by: 10)
            if overflow { break }
            p = next
        }
        var rng = SeededRandom(seed: 7)
        for _ in 0..<5_000 { values.append(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 63)) }
        for v in values {
            #expect(Self.text { $0.integer(v) } == String(v), "integer \(v)")
        }
    }

    @Test func digitCountIsTheDecimalLengthForEveryBitWidth() {
        for bits in 0...64 {
            for v in [bits == 0 ? 0 : UInt64(1) << (bits - 1), bits == 64 ? .max : (UInt64(1) << bits) &- 1] {
                #expect(DecimalDigits.count(v) == String(v).count, "digits of \(v)")
            }
        }
    }

    @Test(arguments: [
        // The ends of Int64 nanoseconds and a time before 1970: the fixed-width fast path covers every instant.
        (Int64.max, "\"2262-04-11T23:47:16.854775+00:00\""),
        (Int64.min, "\"1677-09-21T00:12:43.145224+00:00\""),
        (Int64(-1_000_000_000_000_000_000), "\"1938-04-24T22:13:20.000000+00:00\""),
    ])
    func extremeInstantsFormat(ns: Int64, expected: String) {
        #expect(Self.text { $0.isoTime(Instant(nanoseconds: ns)) } == expected)
    }

    @Test func aTimestampThatDoesNotFitRetriesWithMoreRoom() {
        let bytes = JSONWriter.bytes(capacity: 64) { w in
            for _ in 0..<10 { w.isoTime(Instant(nanoseconds: 1_714_564_800_123_456_789)) }
        }
        #expect(bytes.count == 340)
        #expect(String(decoding: bytes.suffix(34), as: UTF8.self) == "\"2024-05-01T12:00:00.123456+00:00\"")
    }
}

@Suite struct VenueNameTests {
    @Test(arguments: Venue.allCases)
    func staticNameIsTheRawValue(venue: Venue) {
        #expect(venue.name.description == venue.rawValue)
    }
}
