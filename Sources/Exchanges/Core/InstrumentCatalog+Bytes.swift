import Model

/// `[UInt8]` conveniences for the instruments builders (the bodies come from REST as byte arrays).
extension InstrumentCatalog {
    public static func binance(exchangeInfo body: [UInt8], venue: Venue) throws(FrameError) -> InstrumentCatalog {
        try body.withUnsafeBytes { b in Result { () throws(FrameError) in try binance(exchangeInfo: b, venue: venue) } }.get()
    }

    public mutating func addOKXInstruments(_ body: [UInt8]) throws(FrameError) {
        var copy = self
        try body.withUnsafeBytes { b in Result { () throws(FrameError) in try copy.addOKXInstruments(b) } }.get()
        self = copy
    }

    public mutating func addDeribitInstruments(_ body: [UInt8]) throws(FrameError) {
        var copy = self
        try body.withUnsafeBytes { b in Result { () throws(FrameError) in try copy.addDeribitInstruments(b) } }.get()
        self = copy
    }
}
