import Model

extension InstrumentCatalog {
    /// From Binance `exchangeInfo` (`/api/v3/exchangeInfo` or `/fapi/v1/exchangeInfo`): each symbol's
    /// `baseAsset`/`quoteAsset`, and on futures `contractType` (PERPETUAL or a delivery contract
    /// with `deliveryDate`).
    public static func binance(exchangeInfo body: UnsafeRawBufferPointer, venue: Venue) throws(FrameError) -> InstrumentCatalog {
        var catalog = InstrumentCatalog(venue: venue)
        var s = JSONScanner(body)
        try s.beginObject()
        var first = true
        while let k = try s.nextKey(&first) {
            guard s.matches(k, "symbols") else {
                try s.skipValue()
                continue
            }
            try s.beginArray(field: "symbols")
            var f = true
            while try s.nextElement(&f) {
                let start = s.position
                try s.beginObject(field: "symbols")
                var g = true
                var symbol: Range<Int>?, base: Range<Int>?, quote: Range<Int>?, contract: Range<Int>?
                var delivery: Int64?
                while let sk = try s.nextKey(&g) {
                    if s.matches(sk, "symbol") {
                        symbol = try s.readString(field: "symbol")
                    } else if s.matches(sk, "baseAsset") {
                        base = try s.readString(field: "baseAsset")
                    } else if s.matches(sk, "quoteAsset") {
                        quote = try s.readString(field: "quoteAsset")
                    } else if s.matches(sk, "contractType") {
                        contract = try s.readString(field: "contractType")
                    } else if s.matches(sk, "deliveryDate") {
                        delivery = try s.optionalInt64Value("deliveryDate")
                    } else {
                        try s.skipValue()
                    }
                }
                guard let symbol, let base, let quote else { throw FrameError(.missingField, field: "symbol", offset: start) }
                let kind: InstrumentKind
                if venue == .binanceFutures {
                    if let contract, !s.matches(contract, "PERPETUAL"), !contract.isEmpty, let delivery {
                        kind = .future(expiry: ExpiryDate.fromMilliseconds(delivery))
                    } else {
                        kind = .perpetual
                    }
                } else {
                    kind = .spot
                }
                catalog.insert(
                    Instrument(venue: venue, native: s.text(symbol), base: s.text(base), quote: s.text(quote), kind: kind))
            }
        }
        try s.finish()
        return catalog
    }
}
