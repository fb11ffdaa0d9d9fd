import Model

/// Tells the venue from a recorded URL's host. Spot and USD-M futures share binance.com, so the
/// host prefix decides (`fapi`/`fstream` are futures); coin-M (`dapi`/`dstream`) is not a venue here.
public enum VenueDetection {
    public static func venue(forURL url: String) -> Venue? {
        guard let host = host(of: url) else { return nil }
        func under(_ domain: String) -> Bool { host == domain || host.hasSuffix("." + domain) }
        if under("binance.com") || under("binance.vision") {
            if host.hasPrefix("fapi") || host.hasPrefix("fstream") { return .binanceFutures }
            if host.hasPrefix("dapi") || host.hasPrefix("dstream") { return nil }
            return .binance
        }
        if under("okx.com") || under("okex.com") { return .okx }
        if under("deribit.com") { return .deribit }
        return nil
    }

    /// The lowercased host of `scheme://host[:port][/...]`.
    public static func host(of url: String) -> String? {
        let bytes = Array(url.utf8)
        let slash = UInt8(ascii: "/"), colon = UInt8(ascii: ":")
        var start: Int?
        var i = 0
        while i + 2 < bytes.count {
            if bytes[i] == colon, bytes[i + 1] == slash, bytes[i + 2] == slash {
                start = i + 3
                break
            }
            i += 1
        }
        guard let start else { return nil }
        let stops: Set<UInt8> = [slash, colon, UInt8(ascii: "?"), UInt8(ascii: "#")]
        var end = start
        while end < bytes.count, !stops.contains(bytes[end]) { end += 1 }
        guard end > start else { return nil }
        return String(decoding: bytes[start..<end], as: UTF8.self).lowercased()
    }
}
