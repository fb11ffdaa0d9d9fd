import Foundation
import Model
import TestSupport

/// One line of a cryptofeed raw capture (format in ../shared/data/README.md), split just enough
/// for adapter tests; the Recording layer owns the real importer.
struct CapturedLine {
    enum Kind: Equatable {
        case received
        case sent(url: String)
        case connect(url: String)
        case rest(url: String)
        case configuration
    }

    var kind: Kind
    var time: Instant
    var payload: [UInt8]
}

enum Captures {
    /// Unix seconds with a fraction (`1633998512.0633569`) as an Instant.
    static func instant(_ text: Substring) -> Instant? {
        guard let d = FixedDecimal(String(text)), d.scale <= 9 else { return nil }
        var ns = d.mantissa
        for _ in 0..<(9 - Int(d.scale)) { ns *= 10 }
        return Instant(nanoseconds: ns)
    }

    static func split(_ line: Substring) -> CapturedLine? {
        if line.isEmpty { return nil }
        if line.hasPrefix("configuration: ") {
            return CapturedLine(kind: .configuration, time: .zero, payload: Array(line.dropFirst(15).utf8))
        }
        if line.hasPrefix("wss://") || line.hasPrefix("https://") || line.hasPrefix("http://") {
            for (separator, make) in [
                (" <-> ", { CapturedLine.Kind.connect(url: $0) }), (" <- ", { .sent(url: $0) }), (" -> ", { .rest(url: $0) }),
            ] as [(String, (String) -> CapturedLine.Kind)] {
                guard let r = line.range(of: separator) else { continue }
                let url = String(line[..<r.lowerBound])
                let rest = line[r.upperBound...]
                if let colon = rest.range(of: ": ") {
                    guard let t = instant(rest[..<colon.lowerBound]) else { return nil }
                    return CapturedLine(kind: make(url), time: t, payload: Array(rest[colon.upperBound...].utf8))
                }
                guard let t = instant(rest) else { return nil }
                return CapturedLine(kind: make(url), time: t, payload: [])
            }
            return nil
        }
        guard let colon = line.range(of: ": "), let t = instant(line[..<colon.lowerBound]) else { return nil }
        return CapturedLine(kind: .received, time: t, payload: Array(line[colon.upperBound...].utf8))
    }

    static func lines(_ url: URL) throws -> [CapturedLine] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: true).compactMap(split)
    }

    static func file(_ name: String) throws -> [CapturedLine] {
        guard let dir = TestEnvironment.cryptofeedSample else { throw CocoaError(.fileNoSuchFile) }
        return try lines(dir.appendingPathComponent(name))
    }
}
