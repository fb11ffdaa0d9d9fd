import Foundation
import Model
import Recording
import Testing

@Suite("wall time text and record JSON")
struct TextOutputTests {
    @Test("ISO-8601 output and the three accepted input forms agree")
    func wallTimes() {
        #expect(WallTimeText.iso8601(0) == "1970-01-01T00:00:00.000000000Z")
        #expect(WallTimeText.iso8601(1_633_998_512_063_356_900) == "2021-10-12T00:28:32.063356900Z")
        #expect(WallTimeText.iso8601(951_782_400_000_000_000) == "2000-02-29T00:00:00.000000000Z")
        #expect(WallTimeText.iso8601(-1) == "1969-12-31T23:59:59.999999999Z")
        #expect(WallTimeText.parse("2021-10-12T00:28:32.0633569Z") == 1_633_998_512_063_356_900)
        #expect(WallTimeText.parse("1633998512.0633569") == 1_633_998_512_063_356_900)
        #expect(WallTimeText.parse("1633998512063356900ns") == 1_633_998_512_063_356_900)
        #expect(WallTimeText.parse("2000-02-29T00:00:00Z") == 951_782_400_000_000_000)
        var random = SeededRandom(seed: 1)
        for _ in 0..<500 {
            let ns = Int64(random.next() % 4_102_444_800_000_000_000)  // up to 2100
            #expect(WallTimeText.parse(WallTimeText.iso8601(ns)) == ns)
        }
        for bad in ["", "yesterday", "2021-02-29T00:00:00Z", "2021-10-12T24:00:00Z", "2021-10-12T00:28:32", "2021-10-12T00:28:32.Z",
            "2021-10-12T00:28:32.1234567891Z", "ns", "12xns", "2021-10-12T00:28:32Z "]
        {
            #expect(WallTimeText.parse(bad) == nil, "\(bad)")
        }
    }

    func line(_ record: Record) throws -> [String: Any] {
        let scratch = try Scratch()
        let path = try writeRecording([record], to: scratch.path("j.mprec"))[0]
        var out: [UInt8] = []
        try RecordingReader(path: path).forEachRecord { RecordJSON.append($0, to: &out) }
        #expect(out.last == UInt8(ascii: "\n") && out.filter { $0 == UInt8(ascii: "\n") }.count == 1)
        return try #require(JSONSerialization.jsonObject(with: Data(out)) as? [String: Any])
    }

    @Test("text payloads are escaped JSON strings, other bytes base64, metadata included")
    func recordJSON() throws {
        let text = "quote\" backslash\\ newline\n tab\t nul\u{0} bell\u{7} é€😀"
        let a = try line(Record(kind: .wsReceived, stream: 3, wallNs: 5, monoNs: 6, payload: Array(text.utf8)))
        #expect(a["payload"] as? String == text && a["payload_encoding"] == nil)
        #expect(a["kind"] as? String == "ws_received" && a["stream"] as? Int == 3 && a["mono_ns"] as? Int == 6)
        #expect(a["time"] as? String == "1970-01-01T00:00:00.000000005Z")

        let bytes: [UInt8] = [0xFF, 0x00, 0xC3, 0x28, 0x41]
        let b = try line(Record(kind: .wsReceived, stream: 1, wallNs: 1, monoNs: 1, isBinary: true, payload: bytes))
        #expect(b["payload_encoding"] as? String == "base64" && b["binary"] as? Bool == true)
        #expect(Data(base64Encoded: try #require(b["payload"] as? String)) == Data(bytes))

        let c = try line(
            Record(
                kind: .restResponse, stream: 2, wallNs: 1, monoNs: 1, url: "https://x/y?a=1&b=\"2\"", method: "GET", status: 429,
                headers: [HTTPHeader(name: "Retry-After", value: "3")], payload: []))
        #expect(c["url"] as? String == "https://x/y?a=1&b=\"2\"" && c["status"] as? Int == 429 && c["method"] as? String == "GET")
        #expect(c["headers"] as? [String: String] == ["Retry-After": "3"])
        #expect(c["payload"] as? String == "")

        let d = try line(Record(kind: .disconnect, stream: 2, wallNs: 1, monoNs: 1, closeCode: 1006, closeReason: "reset"))
        #expect(d["close_code"] as? Int == 1006 && d["close_reason"] as? String == "reset")
    }

    @Test("UTF-8 validation is strict and base64 matches Foundation for every length")
    func utf8AndBase64() {
        func valid(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { RecordJSON.isValidUTF8($0) } }
        #expect(valid(Array("plain é € 😀".utf8)) && valid([]))
        for bad: [UInt8] in [[0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0x80], [0xE2, 0x82]] {
            #expect(!valid(bad), "\(bad)")
        }
        var random = SeededRandom(seed: 3)
        for length in 0..<40 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            var out: [UInt8] = []
            bytes.withUnsafeBytes { RecordJSON.appendBase64($0, to: &out) }
            #expect(String(decoding: out, as: UTF8.self) == Data(bytes).base64EncodedString())
            #expect(valid(bytes) == (String(validating: bytes, as: UTF8.self) != nil))
        }
    }
}
