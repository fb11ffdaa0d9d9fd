@testable import Exchanges
import Model
import Testing

/// `skipValue` skips a short string or a short digit run followed by `,` `}` or `]` where it is
/// called; for every input it must stop where `generalSkipValue` (the former reader) stops, or throw
/// what it throws, wherever the value sits against the end of the buffer.
struct ValueSkipFastPathTests {
    @Test func skipValueStopsWhereTheGeneralReaderStops() {
        var random = SeededRandom(seed: 90)
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        let alphabet = Array("0123456789\"\\abc{}[],:.-+eE ntrulfs".utf8)
        let values = ["\"depthUpdate\"", "\"\"", "0", "123", "12345678", "123456789", "-5", "true", "null", "{\"a\":[1,\"]\"]}",
                      "[1,2]", "\"a\\\"b\"", "\"0123456789abcdefghijklmnopq\"", "1.5", "1e5", "\"x"]
        let tails = [",", "}", "]", "", " ,", "x", ",\"next\":\"0123456789abcdefghij\"}}"]
        var fast = 0
        for _ in 0..<60_000 {
            var text: [UInt8]
            if pick(4) == 0 {
                text = (0..<pick(30)).map { _ in alphabet[pick(alphabet.count)] }
            } else {
                text = Array((values[pick(values.count)] + tails[pick(tails.count)]).utf8)
            }
            if pick(6) == 0 { text = [32] + text }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: text.count, alignment: 1)
            defer { buffer.deallocate() }
            text.withUnsafeBytes { buffer.copyMemory(from: $0) }
            var a = JSONScanner(UnsafeRawBufferPointer(buffer))
            var b = a
            let got = Result { () throws(FrameError) in try a.skipValue() }.map { a.position }
            let expected = Result { () throws(FrameError) in try b.generalSkipValue() }.map { b.position }
            #expect(got == expected, "\(String(decoding: text, as: UTF8.self))")
            var probe = JSONScanner(UnsafeRawBufferPointer(buffer))
            if probe.shortString() != nil { fast += 1 }
        }
        #expect(fast > 500)
    }
}
