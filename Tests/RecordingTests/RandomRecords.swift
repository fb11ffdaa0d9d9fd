import Foundation
import Model
import Recording
import TestSupport

/// Random records of every kind for property tests, drawn from a seed so a failure reproduces.
struct RandomRecords {
    var random: SeededRandom
    var wallNs: Int64 = 1_633_998_511_000_000_000
    var monoNs: Int64 = 5_000_000_000

    init(seed: UInt64) {
        random = SeededRandom(seed: seed)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    mutating func chance(_ p: Double) -> Bool { random.nextUnit() < p }

    mutating func text(_ count: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789{}[]\":,.-_ éü€😀")
        return String((0..<count).map { _ in alphabet[int(0...(alphabet.count - 1))] })
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    /// A payload size: mostly small, sometimes empty, sometimes larger than a frame.
    mutating func payloadSize(large: Int) -> Int {
        switch int(0...19) {
        case 0: return 0
        case 1: return int(large...(large * 2))
        case 2...4: return int(1_000...8_000)
        default: return int(1...400)
        }
    }

    mutating func next(large: Int = 70_000) -> Record {
        let kind = RecordKind.allCases[int(0...(RecordKind.allCases.count - 1))]
        // Time mostly moves forward but may step back (clock steps happen on real hosts).
        wallNs += Int64(int(0...2_000_000_000)) - (chance(0.05) ? 3_000_000_000 : 0)
        monoNs += Int64(int(0...2_000_000_000))
        let stream = UInt32(int(0...5))
        let size = payloadSize(large: large)
        let binary = kind == .wsReceived || kind == .wsSent ? chance(0.3) : false
        let payload = binary || chance(0.1) ? bytes(size) : Array(text(size).utf8)
        var record = Record(kind: kind, stream: stream, wallNs: wallNs, monoNs: monoNs, isBinary: binary, payload: payload)
        switch kind {
        case .restRequest, .restResponse:
            record.url = "https://api.binance.com/api/v3/depth?symbol=\(text(int(0...12)))&limit=1000"
            record.method = chance(0.8) ? "GET" : "POST"
            if kind == .restResponse {
                record.status = [200, 429, 418, 500, 503][int(0...4)]
                record.headers = (0..<int(0...3)).map { i in
                    HTTPHeader(name: ["Retry-After", "X-MBX-USED-WEIGHT-1M", "Date"][i % 3], value: text(int(0...20)))
                }
            }
        case .connect:
            record.url = chance(0.9) ? "wss://stream.binance.com:9443/stream?streams=\(text(int(1...30)))" : ""
        case .disconnect:
            if chance(0.8) { record.closeCode = UInt16(int(1000...4999)) }
            if chance(0.7) { record.closeReason = text(int(0...40)) }
        default:
            break
        }
        return record
    }
}

/// A temporary directory removed when the test ends.
final class Scratch {
    let url: URL

    init(_ label: String = "rec") throws {
        url = try TestEnvironment.temporaryDirectory(label)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

func writeRecording(
    _ records: [Record], to path: String, options: RecordingWriterOptions = .init(), venue: String = "binance"
) throws -> [String] {
    let header = RecordingHeader(
        venue: venue, subscription: #"{"trades":["BTC-USDT"]}"#, host: "test-host", toolVersion: "marketprism test",
        startWallNs: records.first?.wallNs ?? 0)
    let writer = try RecordingWriter(path: path, header: header, options: options)
    for record in records { try writer.append(record) }
    return try writer.close()
}
