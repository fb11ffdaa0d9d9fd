import Model

/// Candle intervals in the venue-neutral spelling (`1m`, `15m`, `1h`, `4h`, `1d`, `1w`, `1M`) and
/// the arithmetic to find a candle's close time where the venue sends only its open time.
public enum KlineInterval {
    /// Length in milliseconds for minute/hour/day/week units (nil for months and unknown text).
    public static func milliseconds(_ interval: String) -> Int64? {
        guard let unit = interval.last, let n = Int64(interval.dropLast()), n > 0, n < 1_000_000 else { return nil }
        switch unit {
        case "s": return n * 1000
        case "m": return n * 60_000
        case "h": return n * 3_600_000
        case "d": return n * 86_400_000
        case "w": return n * 604_800_000
        default: return nil
        }
    }

    /// The last millisecond of the candle opening at `openTime` (Binance's `T` convention).
    /// Nil for unknown intervals and for open times outside years 0...9999 (hostile input).
    public static func closeTime(openTime: Int64, interval: String) -> Int64? {
        guard (-62_167_219_200_000...253_402_300_799_999).contains(openTime) else { return nil }
        if let ms = milliseconds(interval) { return openTime + ms - 1 }
        guard interval.last == "M", let n = Int64(interval.dropLast()), n > 0, n < 100_000 else { return nil }
        let days = openTime >= 0 ? openTime / 86_400_000 : (openTime - 86_399_999) / 86_400_000
        let (y, m, d) = CivilDate.date(daysSinceEpoch: days)
        let months = (m - 1) + n
        let next = CivilDate.days(year: y + months / 12, month: months % 12 + 1, day: d)
        return next * 86_400_000 + (openTime - days * 86_400_000) - 1
    }

    /// OKX bar names (`1m`, `1H`, `1D`, `1W`, `1M`, `6Hutc`) to the neutral spelling.
    public static func fromOKX(_ bar: String) -> String {
        var s = bar
        if s.hasSuffix("utc") { s.removeLast(3) }
        guard let unit = s.last else { return bar }
        switch unit {
        case "H", "D", "W": return String(s.dropLast()) + unit.lowercased() + (bar.hasSuffix("utc") ? "utc" : "")
        default: return bar
        }
    }

    /// The OKX bar name of a neutral interval.
    public static func toOKX(_ interval: String) -> String {
        var s = interval
        let utc = s.hasSuffix("utc")
        if utc { s.removeLast(3) }
        guard let unit = s.last else { return interval }
        switch unit {
        case "h", "d", "w": return String(s.dropLast()) + unit.uppercased() + (utc ? "utc" : "")
        default: return interval
        }
    }
}
