import Model
import Testing

@testable import Publishing

/// `isoTime` and `nanoseconds` keep the last second's text and test an instant against it by one
/// subtraction; `JSONWriter.append(into:)` writes straight into an array's unused capacity. Both
/// against plain references: a from-scratch formatter, and `JSONWriter.bytes`.
@Suite struct JSONWriterTimeTests {
    /// The ISO text from scratch: floor division into seconds, the civil date, zero-padded fields.
    static func reference(_ ns: Int64) -> String {
        var seconds = ns / 1_000_000_000
        var sub = ns % 1_000_000_000
        if sub < 0 {
            sub += 1_000_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var secOfDay = seconds % 86_400
        if secOfDay < 0 {
            secOfDay += 86_400
            days -= 1
        }
        let (y, m, d) = CivilDate.date(daysSinceEpoch: days)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\"\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secOfDay / 3600, 2)):\(pad(secOfDay % 3600 / 60, 2)):"
            + "\(pad(secOfDay % 60, 2)).\(pad(sub / 1000, 6))+00:00\""
    }

    @Test func theDefaultSecondIsTheEpochsOwnText() {
        let fresh = SecondText()
        let epoch = SecondText(second: 0)
        #expect(fresh.second == epoch.second && fresh.start == epoch.start)
        #expect(fresh.iso == epoch.iso)
        #expect(JSONWriterNumberTests.text { $0.isoTime(Instant(nanoseconds: 5)) } == "\"1970-01-01T00:00:00.000000+00:00\"")
    }

    @Test func aKeptSecondNeverAnswersForAnInstantOutsideIt() {
        // The ends of the range follow each other, so a second kept from one end is tested against
        // instants of the other (where `ns - start` wraps); then ordinary runs within and across seconds.
        var values: [Int64] = [
            .max, .min, .max - 5, .min + 7, .min + 999_999_999, .min + 1_000_000_000, .max - 999_999_999, .max - 1_000_000_000,
            -9_223_372_036_000_000_000, -9_223_372_036_000_000_001, 9_223_372_035_999_999_999, 9_223_372_036_000_000_000,
            0, 999_999_999, 1_000_000_000, -1, -1_000_000_000, -1_000_000_001, .max, .min,
        ]
        var random = SeededRandom(seed: 21)
        for _ in 0..<3_000 {
            switch random.next() % 4 {
            case 0: values.append(Int64(bitPattern: random.next()))
            case 1: values.append((values.last ?? 0) &+ Int64(random.next() % 2_000_000_000) &- 1_000_000_000)
            case 2: values.append(1_714_564_799_000_000_000 + Int64(random.next() % 3_000_000_000))
            default: values.append(random.next() % 2 == 0 ? Int64.min + Int64(random.next() % 3_000_000_000) : Int64.max - Int64(random.next() % 3_000_000_000))
            }
        }
        let bytes = JSONWriter.bytes(capacity: 60 * values.count) { w in
            for v in values {
                w.isoTime(Instant(nanoseconds: v))
                w.byte(UInt8(ascii: " "))
                w.nanoseconds(Instant(nanoseconds: v))
                w.byte(UInt8(ascii: ","))
            }
        }
        let expected = values.map { "\(Self.reference($0)) \($0)," }.joined()
        #expect(String(decoding: bytes, as: UTF8.self) == expected)
    }

    @Test func appendWritesAfterTheBytesThereAndRetriesWithMoreRoom() {
        let body: (inout JSONWriter) -> Void = { w in
            for i in 0..<200 {
                w.raw("{\"n\":")
                w.integer(Int64(i) * 1_000_003)
                w.byte(UInt8(ascii: "}"))
            }
        }
        let whole = JSONWriter.bytes(capacity: 64, body)
        for start in [0, 1, 100, 5_000] {
            var buffer = [UInt8](repeating: 7, count: start)
            // Far too little room on purpose: the body runs again with twice as much until it fits.
            JSONWriter.append(into: &buffer, capacity: 16, body)
            #expect(buffer == [UInt8](repeating: 7, count: start) + whole)
        }
    }

    @Test func appendReusesStorageNobodyElseHolds() {
        var buffer: [UInt8] = []
        JSONWriter.append(into: &buffer, capacity: 4_096) { w in w.raw("first") }
        let storage = buffer.withUnsafeBufferPointer { $0.baseAddress }
        buffer.removeAll(keepingCapacity: true)
        JSONWriter.append(into: &buffer, capacity: 4_096) { w in w.raw("second") }
        #expect(buffer.withUnsafeBufferPointer { $0.baseAddress } == storage)
        #expect(String(decoding: buffer, as: UTF8.self) == "second")
        // Held elsewhere: the other holder keeps its bytes.
        let held = buffer
        buffer.removeAll(keepingCapacity: true)
        JSONWriter.append(into: &buffer, capacity: 4_096) { w in w.raw("third") }
        #expect(String(decoding: held, as: UTF8.self) == "second" && String(decoding: buffer, as: UTF8.self) == "third")
    }
}
