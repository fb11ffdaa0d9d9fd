import Exchanges
import Publishing

/// The exchange time and the local receive time of the last book published per instrument, for
/// `/api/v1/orderbook` and `/ws/orderbook`: the order book itself keeps levels and a sequence, not
/// times, so they are read back from the published message (`timestamp_ns`, `collected_at_ns`), the
/// same values a consumer of the stream sees.
struct PublishedBookTimes {
    struct Times: Equatable {
        var exchangeNs: Int64
        var receiveNs: Int64
    }

    private var byNative: [String: Times] = [:]

    /// Keeps the times of a published orderbook message; other messages are ignored by the caller.
    mutating func note(_ message: OutboundMessage) {
        guard let found = Self.scan(message.payload) else { return }
        byNative[found.native] = found.times
    }

    func times(native: String) -> Times? { byNative[native] }

    /// `instrument_id`, `timestamp_ns` and `collected_at_ns` of an encoded message, read with the
    /// venue parsers' byte scanner; they come before any level, so the scan stops there. Nil when
    /// one is missing or the bytes are not such a message.
    static func scan(_ payload: ArraySlice<UInt8>) -> (native: String, times: Times)? {
        payload.withUnsafeBytes { bytes -> (String, Times)? in
            var scanner = JSONScanner(bytes)
            var native: String?
            var exchange: Int64?
            do {
                try scanner.beginObject()
                var first = true
                while let key = try scanner.nextKey(&first) {
                    if scanner.matches(key, "instrument_id") {
                        native = scanner.text(try scanner.stringValue("instrument_id"))
                    } else if scanner.matches(key, "timestamp_ns") {
                        exchange = try scanner.int64Value("timestamp_ns")
                    } else if scanner.matches(key, "collected_at_ns") {
                        let receive = try scanner.int64Value("collected_at_ns")
                        guard let native, let exchange else { return nil }
                        return (native, Times(exchangeNs: exchange, receiveNs: receive))
                    } else {
                        try scanner.skipValue()
                    }
                }
            } catch {
                return nil
            }
            return nil
        }
    }
}
