import Foundation

/// Canonical output lines (`replay --output` and the live collector's `output`) with the local
/// receive times taken out, so a live run and a replay of it compare byte for byte.
enum CanonicalLines {
    /// `collected_at`/`collected_at_ns` of messages and `t` of events removed.
    static func withoutReceiveTimes(_ line: String) -> String {
        var s = line
        for pattern in [#","collected_at":"[^"]*""#, #","collected_at_ns":-?[0-9]+"#, #","t":-?[0-9]+"#] {
            s = s.replacingOccurrences(of: pattern, with: "", options: .regularExpression)
        }
        return s
    }

    static func read(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    static func isMessage(_ line: String) -> Bool { line.hasPrefix("{\"subject\":") }

    static func subject(_ line: String) -> String {
        guard let start = line.range(of: "{\"subject\":\""), let end = line[start.upperBound...].firstIndex(of: "\"") else { return "" }
        return String(line[start.upperBound..<end])
    }

    static func id(_ line: String) -> String {
        guard let start = line.range(of: "\"id\":\""), let end = line[start.upperBound...].firstIndex(of: "\"") else { return "" }
        return String(line[start.upperBound..<end])
    }

    static func messages(_ lines: [String], kind: String) -> [String] {
        lines.filter { isMessage($0) && subject($0).hasSuffix(".\(kind)") }.map(withoutReceiveTimes)
    }

    /// Also without `timestamp`: where a venue sends no event time (Binance spot bookTicker) the
    /// encoder falls back to the receive time, which differs between a live run and another replay.
    static func withoutTimestamps(_ line: String) -> String {
        var s = withoutReceiveTimes(line)
        for pattern in [#","timestamp":"[^"]*""#, #","timestamp_ns":-?[0-9]+"#] {
            s = s.replacingOccurrences(of: pattern, with: "", options: .regularExpression)
        }
        return s
    }
}

/// Collects lines from several threads.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []

    var append: @Sendable (String) -> Void {
        { [self] line in
            lock.lock()
            stored.append(line)
            lock.unlock()
        }
    }

    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}

/// Polls `condition` until it holds or `seconds` pass; returns whether it held.
func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date(timeIntervalSinceNow: seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

/// Where two line lists first differ, briefly (nil when equal), so a failing comparison stays readable.
func firstDifference(_ a: [String], _ b: [String]) -> String? {
    if a == b { return nil }
    let common = Array(zip(a, b)).firstIndex { $0.0 != $0.1 } ?? min(a.count, b.count)
    func show(_ list: [String]) -> String { common < list.count ? String(list[common].prefix(300)) : "<end>" }
    return "counts \(a.count) vs \(b.count); first difference at \(common): \(show(a)) <> \(show(b))"
}
