import Model

extension InstrumentCatalog {
    /// Adds the instruments of one OKX `/api/v5/public/instruments` answer: spot from
    /// `baseCcy`/`quoteCcy`; derivatives from `uly` (`BTC-USD`), expiry from `expTime`, options'
    /// `stk` and `optType`.
    public mutating func addOKXInstruments(_ body: UnsafeRawBufferPointer) throws(FrameError) {
        var s = JSONScanner(body)
        try OKXAdapter.openRestData(&s)
        var f = true
        while try s.nextElement(&f) {
            let start = s.position
            try s.beginObject(field: "data")
            var g = true
            var instId: Range<Int>?, type: Range<Int>?, base: Range<Int>?, quote: Range<Int>?, uly: Range<Int>?
            var stk: Range<Int>?, opt: Range<Int>?
            var exp: Int64?
            while let k = try s.nextKey(&g) {
                if s.matches(k, "instId") {
                    instId = try s.readString(field: "instId")
                } else if s.matches(k, "instType") {
                    type = try s.readString(field: "instType")
                } else if s.matches(k, "baseCcy") {
                    base = try s.readString(field: "baseCcy")
                } else if s.matches(k, "quoteCcy") {
                    quote = try s.readString(field: "quoteCcy")
                } else if s.matches(k, "uly") || (s.matches(k, "instFamily") && uly == nil) {
                    let r = try s.readString(field: "uly")
                    if !r.isEmpty { uly = r }
                } else if s.matches(k, "stk") {
                    stk = try s.readString(field: "stk")
                } else if s.matches(k, "optType") {
                    opt = try s.readString(field: "optType")
                } else if s.matches(k, "expTime") {
                    exp = try s.optionalInt64Value("expTime")
                } else {
                    try s.skipValue()
                }
            }
            guard let instId, let type else { throw FrameError(.missingField, field: "instId", offset: start) }
            let native = s.text(instId)
            var b = base.map { s.text($0) } ?? ""
            var q = quote.map { s.text($0) } ?? ""
            if let uly {
                let parts = s.text(uly).split(separator: "-")
                if parts.count == 2 { (b, q) = (String(parts[0]), String(parts[1])) }
            }
            let kind: InstrumentKind
            if s.matches(type, "SPOT") || s.matches(type, "MARGIN") {
                kind = .spot
            } else if s.matches(type, "SWAP") {
                kind = .perpetual
            } else if s.matches(type, "FUTURES"), let exp {
                kind = .future(expiry: ExpiryDate.fromMilliseconds(exp))
            } else if s.matches(type, "OPTION"), let exp, let stk, let strike = s.decimal(stk), let opt,
                let right = OptionRight(rawValue: s.text(opt))
            {
                kind = .option(expiry: ExpiryDate.fromMilliseconds(exp), strike: strike, right: right)
            } else {
                throw FrameError(.invalidValue, field: "instType", offset: type.lowerBound)
            }
            guard !b.isEmpty, !q.isEmpty else { throw FrameError(.missingField, field: "baseCcy", offset: start) }
            insert(Instrument(venue: .okx, native: native, base: b, quote: q, kind: kind))
        }
    }
}
