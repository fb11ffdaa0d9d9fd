import Model

/// Instruments REST bodies from instruments, so a simulated exchange can answer the listings
/// requests of `instrumentsRequests()`; each parses back (via the `InstrumentCatalog` builders)
/// to the same instruments.
extension BinanceFrameEncoder {
    /// `exchangeInfo` with one entry per instrument (futures: `contractType`, `deliveryDate`).
    public func encodeExchangeInfo(_ instruments: [Instrument], into out: inout [UInt8]) {
        out.appendASCII("{\"timezone\":\"UTC\",\"rateLimits\":[],\"exchangeFilters\":[],\"symbols\":[")
        for (k, i) in instruments.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            out.appendASCII("{\"symbol\":")
            out.appendQuoted(i.native)
            out.appendASCII(",\"status\":\"TRADING\",\"baseAsset\":")
            out.appendQuoted(i.base)
            out.appendASCII(",\"quoteAsset\":")
            out.appendQuoted(i.quote)
            if isFutures {
                if case .future(let expiry) = i.kind {
                    out.appendASCII(",\"contractType\":\"CURRENT_QUARTER\",\"deliveryDate\":")
                    out.appendInt(ExpiryDate.milliseconds(of: expiry).map { $0 + 8 * 3_600_000 } ?? 0)
                } else {
                    out.appendASCII(",\"contractType\":\"PERPETUAL\",\"deliveryDate\":4133404800000")
                }
            }
            out.append(UInt8(ascii: "}"))
        }
        out.appendASCII("]}")
    }
}

extension OKXFrameEncoder {
    /// `/api/v5/public/instruments`: spot with `baseCcy`/`quoteCcy`, derivatives with `uly`, `expTime`
    /// (08:00 UTC on the expiry date), and options' `stk`/`optType`.
    public func encodeInstruments(_ instruments: [Instrument], into out: inout [UInt8]) {
        out.appendASCII("{\"code\":\"0\",\"msg\":\"\",\"data\":[")
        for (k, i) in instruments.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            let spot = i.kind == .spot
            out.appendASCII("{\"instId\":")
            out.appendQuoted(i.native)
            out.appendASCII(",\"instType\":\"")
            out.append(contentsOf: OKXAdapter.instType(i).utf8)
            out.appendASCII("\",\"baseCcy\":")
            out.appendQuoted(spot ? i.base : "")
            out.appendASCII(",\"quoteCcy\":")
            out.appendQuoted(spot ? i.quote : "")
            out.appendASCII(",\"uly\":")
            out.appendQuoted(spot ? "" : "\(i.base)-\(i.quote)")
            var expiry: String?
            switch i.kind {
            case .future(let e): expiry = e
            case .option(let e, let strike, let right):
                expiry = e
                out.appendASCII(",\"stk\":\"")
                out.appendDecimal(strike)
                out.appendASCII("\",\"optType\":\"")
                out.append(contentsOf: right.rawValue.utf8)
                out.append(UInt8(ascii: "\""))
            default: break
            }
            out.appendASCII(",\"expTime\":")
            if let ms = expiry.flatMap(ExpiryDate.milliseconds(of:)) { out.appendQuotedInt(ms + 8 * 3_600_000) } else { out.appendASCII("\"\"") }
            out.append(UInt8(ascii: "}"))
        }
        out.appendASCII("]}")
    }
}

extension DeribitFrameEncoder {
    /// `public/get_instruments`; `counter_currency` carries the normalized quote.
    public func encodeInstruments(_ instruments: [Instrument], into out: inout [UInt8]) {
        out.appendASCII("{\"jsonrpc\":\"2.0\",\"result\":[")
        for (k, i) in instruments.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            out.appendASCII("{\"instrument_name\":")
            out.appendQuoted(i.native)
            out.appendASCII(",\"base_currency\":")
            out.appendQuoted(i.base)
            out.appendASCII(",\"quote_currency\":")
            out.appendQuoted(i.quote)
            out.appendASCII(",\"counter_currency\":")
            out.appendQuoted(i.quote)
            switch i.kind {
            case .spot:
                out.appendASCII(",\"kind\":\"spot\"")
            case .perpetual:
                out.appendASCII(",\"kind\":\"future\",\"settlement_period\":\"perpetual\",\"expiration_timestamp\":32503708800000")
            case .future(let e):
                out.appendASCII(",\"kind\":\"future\",\"settlement_period\":\"month\",\"expiration_timestamp\":")
                out.appendInt((ExpiryDate.milliseconds(of: e) ?? 0) + 8 * 3_600_000)
            case .option(let e, let strike, let right):
                out.appendASCII(",\"kind\":\"option\",\"settlement_period\":\"month\",\"expiration_timestamp\":")
                out.appendInt((ExpiryDate.milliseconds(of: e) ?? 0) + 8 * 3_600_000)
                out.appendASCII(",\"strike\":")
                out.appendDecimal(strike)
                out.appendASCII(right == .call ? ",\"option_type\":\"call\"" : ",\"option_type\":\"put\"")
            }
            out.append(UInt8(ascii: "}"))
        }
        out.appendASCII("]}")
    }
}
