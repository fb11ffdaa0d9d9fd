import Model

/// Wall times as text: ISO-8601 UTC with nanoseconds for output, and the forms `cat --from/--to`
/// accept. Pure integer arithmetic (no Foundation calendars), so output is identical everywhere.
public enum WallTimeText {
    /// `2021-10-12T00:28:32.063356900Z`: always nine decimals, so text order is time order.
    public static func iso8601(_ ns: Int64) -> String {
        let (seconds, nanos) = floorDivide(ns, 1_000_000_000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = CivilDate.date(daysSinceEpoch: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):"
            + "\(pad(secondOfDay % 60, 2)).\(pad(nanos, 9))Z"
    }

    /// Parses Unix seconds with up to 9 decimals (`1633998512.5`), nanoseconds with an `ns` suffix
    /// (`1633998512500000000ns`), or ISO-8601 UTC (`2021-10-12T00:28:32.5Z`, fraction optional).
    public static func parse(_ text: String) -> Int64? {
        if text.hasSuffix("ns") {
            let digits = text.dropLast(2)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int64(digits)
        }
        if let ns = DecimalSeconds.nanoseconds(text) { return ns }
        return parseISO8601(text)
    }

    static func parseISO8601(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= b.count else { return nil }
            var value: Int64 = 0
            for i in range {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                value = value * 10 + Int64(b[i] - 48)
            }
            return value
        }
        func at(_ i: Int, _ c: Character) -> Bool { i < b.count && b[i] == c.asciiValue! }
        guard b.count >= 20, let year = number(0..<4), at(4, "-"), let month = number(5..<7), at(7, "-"),
            let day = number(8..<10), at(10, "T") || at(10, " "), let hour = number(11..<13), at(13, ":"),
            let minute = number(14..<16), at(16, ":"), let second = number(17..<19),
            (1...12).contains(month), (1...CivilDate.daysInMonth(month, year: year)).contains(day),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var i = 19
        var nanos: Int64 = 0
        if at(i, ".") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                digits += 1
                guard digits <= 9 else { return nil }
                nanos = nanos * 10 + Int64(b[i] - 48)
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 { nanos *= 10 }
        }
        guard i == b.count - 1, at(i, "Z") else { return nil }
        let days = CivilDate.days(year: year, month: month, day: day)
        let (seconds, overflow) = (days * 86_400 + hour * 3600 + minute * 60 + second).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        return seconds + nanos
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b, r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }
}
