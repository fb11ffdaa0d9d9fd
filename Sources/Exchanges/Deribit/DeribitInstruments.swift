import Model

extension InstrumentCatalog {
    /// Adds the instruments of one Deribit `public/get_instruments` answer. Quotes: `counter_currency`
    /// where sent; otherwise options quote in the strike currency (the second half of `price_index`,
    /// else USD) and futures in `quote_currency` (USD for the inverse contracts).
    public mutating func addDeribitInstruments(_ body: UnsafeRawBufferPointer) throws(FrameError) {
        var s = JSONScanner(body)
        try DeribitAdapter.openResult(&s)
        try s.beginArray(field: "result")
        var f = true
        while try s.nextElement(&f) {
            let start = s.position
            try s.beginObject(field: "result")
            var g = true
            var name: Range<Int>?, kind: Range<Int>?, base: Range<Int>?, quote: Range<Int>?, counter: Range<Int>?
            var priceIndex: Range<Int>?, period: Range<Int>?, optionType: Range<Int>?
            var strike: FixedDecimal?
            var expiration: Int64?
            while let k = try s.nextKey(&g) {
                if s.matches(k, "instrument_name") {
                    name = try s.readString(field: "instrument_name")
                } else if s.matches(k, "kind") {
                    kind = try s.readString(field: "kind")
                } else if s.matches(k, "base_currency") {
                    base = try s.readString(field: "base_currency")
                } else if s.matches(k, "quote_currency") {
                    quote = try s.readString(field: "quote_currency")
                } else if s.matches(k, "counter_currency") {
                    counter = try s.readString(field: "counter_currency")
                } else if s.matches(k, "price_index") {
                    priceIndex = try s.readString(field: "price_index")
                } else if s.matches(k, "settlement_period") {
                    period = try s.readString(field: "settlement_period")
                } else if s.matches(k, "option_type") {
                    optionType = try s.readString(field: "option_type")
                } else if s.matches(k, "strike") {
                    strike = try s.optionalDecimalValue("strike")
                } else if s.matches(k, "expiration_timestamp") {
                    expiration = try s.optionalInt64Value("expiration_timestamp")
                } else {
                    try s.skipValue()
                }
            }
            guard let name, let kind, let base else { throw FrameError(.missingField, field: "instrument_name", offset: start) }
            let native = s.text(name)
            var q = counter.map { s.text($0) } ?? quote.map { s.text($0) } ?? "USD"
            let instrumentKind: InstrumentKind
            if s.matches(kind, "spot") {
                instrumentKind = .spot
            } else if s.matches(kind, "future") {
                if let period, s.matches(period, "perpetual") {
                    instrumentKind = .perpetual
                } else if let expiration {
                    instrumentKind = .future(expiry: ExpiryDate.fromMilliseconds(expiration))
                } else {
                    throw FrameError(.missingField, field: "expiration_timestamp", offset: start)
                }
            } else if s.matches(kind, "option") {
                guard let expiration, let strike, let optionType else {
                    throw FrameError(.missingField, field: "strike", offset: start)
                }
                let right: OptionRight = s.matches(optionType, "call") ? .call : .put
                if counter == nil {
                    let index = priceIndex.map { s.text($0) } ?? ""
                    q = index.split(separator: "_").count == 2 ? String(index.split(separator: "_")[1]).uppercased() : "USD"
                }
                instrumentKind = .option(expiry: ExpiryDate.fromMilliseconds(expiration), strike: strike, right: right)
            } else {
                continue  // combos are not markets of their own
            }
            insert(Instrument(venue: .deribit, native: native, base: s.text(base), quote: q, kind: instrumentKind))
        }
    }
}
