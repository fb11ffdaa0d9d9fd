import Model

/// Expiry dates in the normalized `YYYYMMDD` form, from each venue's spelling:
/// epoch milliseconds, OKX/Binance `YYMMDD`, Deribit `24SEP21`, cryptofeed `21U24`.
public enum ExpiryDate {
    static let monthNames: [String] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    /// Futures month codes as cryptofeed (and CME) use them, January first.
    static let monthCodes: [Character] = ["F", "G", "H", "J", "K", "M", "N", "Q", "U", "V", "X", "Z"]

    /// `YYYYMMDD` of a UTC instant given in epoch milliseconds.
    /// Input is clamped to +-10^15 ms (about +-31,000 years) so hostile values cannot overflow.
    public static func fromMilliseconds(_ milliseconds: Int64) -> String {
        let ms = min(max(milliseconds, -1_000_000_000_000_000), 1_000_000_000_000_000)
        let (y, m, d) = CivilDate.date(daysSinceEpoch: ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000)
        return format(year: y, month: m, day: d)
    }

    /// Epoch milliseconds at 00:00 UTC of a `YYYYMMDD` date.
    public static func milliseconds(of expiry: String) -> Int64? {
        guard let (y, m, d) = components(expiry) else { return nil }
        return CivilDate.days(year: y, month: m, day: d) * 86_400_000
    }

    static func components(_ expiry: String) -> (Int64, Int64, Int64)? {
        let b = Array(expiry.utf8)
        guard b.count == 8, b.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        func n(_ r: Range<Int>) -> Int64 { r.reduce(0) { $0 * 10 + Int64(b[$1] - 48) } }
        let (y, m, d) = (n(0..<4), n(4..<6), n(6..<8))
        guard (1...12).contains(m), (1...31).contains(d) else { return nil }
        return (y, m, d)
    }

    static func format(year: Int64, month: Int64, day: Int64) -> String {
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return pad(year, 4) + pad(month, 2) + pad(day, 2)
    }

    /// OKX and Binance futures `YYMMDD` (21st century).
    public static func fromYYMMDD(_ text: Substring) -> String? {
        guard text.count == 6, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let result = "20" + text
        return components(result) == nil ? nil : result
    }

    /// `YYMMDD` back from `YYYYMMDD`.
    public static func toYYMMDD(_ expiry: String) -> String { String(expiry.dropFirst(2)) }

    /// Deribit `24SEP21` or `6AUG21`.
    public static func fromDeribit(_ text: Substring) -> String? {
        let u = Array(text.utf8)
        guard u.count == 6 || u.count == 7 else { return nil }
        let dayDigits = u.count - 5
        guard u[0..<dayDigits].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let day = u[0..<dayDigits].reduce(Int64(0)) { $0 * 10 + Int64($1 - 48) }
        let mon = String(decoding: u[dayDigits..<(dayDigits + 3)], as: UTF8.self)
        guard let mi = monthNames.firstIndex(of: mon) else { return nil }
        let yy = u[(dayDigits + 3)...]
        guard yy.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let year = 2000 + yy.reduce(Int64(0)) { $0 * 10 + Int64($1 - 48) }
        guard (1...31).contains(day) else { return nil }
        return format(year: year, month: Int64(mi + 1), day: day)
    }

    /// Deribit spelling of a `YYYYMMDD` expiry (`20210806` -> `6AUG21`).
    public static func toDeribit(_ expiry: String) -> String? {
        guard let (y, m, d) = components(expiry) else { return nil }
        return "\(d)\(monthNames[Int(m - 1)])\(String(format2(y % 100)))"
    }

    /// cryptofeed's `YY` + month code + `DD` (`21U24` is 2021-09-24).
    public static func fromCryptofeed(_ text: Substring) -> String? {
        let c = Array(text)
        guard c.count == 5, let mi = monthCodes.firstIndex(of: c[2]),
            let yy = Int64(String(c[0..<2])), let dd = Int64(String(c[3..<5])), (1...31).contains(dd)
        else { return nil }
        return format(year: 2000 + yy, month: Int64(mi + 1), day: dd)
    }

    static func format2(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
}
