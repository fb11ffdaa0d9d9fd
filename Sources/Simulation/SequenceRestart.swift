import Model

/// The simulated venue restarting an instrument's book sequence numbering (`message.sequence_reset`).
///
/// From the instrument's first book frame after the fault fires, every book frame the exchange sends
/// carries ids `shift` lower than recorded, so the new numbering starts again near zero, as a venue's
/// does after maintenance or an engine restart. How the first frame announces it follows the venue:
/// - OKX: that frame keeps `prevSeqId` at the old number and carries the new, smaller `seqId`
///   (`seqId < prevSeqId`, OKX's documented reset signal); later frames chain in the new numbering.
/// - Binance spot/futures, Deribit: the numbering simply goes backwards (`U`/`u`/`pu`,
///   `change_id`/`prev_change_id`); nothing chains across the restart.
/// The truth books keep the recorded ids; `exchangeSequence` maps them into what the venue now says,
/// for synthesized snapshots and the oracle's comparisons.
struct SequenceRestart {
    let venue: Venue
    /// Per native instrument: recorded id minus the id the restarted venue sends.
    private(set) var shifts: [String: Int64] = [:]

    init(venue: Venue) { self.venue = venue }

    var isEmpty: Bool { shifts.isEmpty }

    /// The id the venue sends now for the recorded id `sequence` of `native`.
    func exchangeSequence(_ native: String, _ sequence: Int64) -> Int64 {
        guard let shift = shifts[native] else { return sequence }
        return sequence - shift
    }

    /// The recorded id behind an id `sequence` the collector holds for `native`, if it is in the new numbering.
    func recordedSequence(_ native: String, _ sequence: Int64) -> Int64? {
        shifts[native].map { sequence + $0 }
    }

    /// The id fields of a venue's book frames: the one naming the predecessor first.
    var keys: (previous: [UInt8], others: [[UInt8]]) {
        switch venue {
        case .binance: return (Array("\"U\":".utf8), [Array("\"u\":".utf8)])
        case .binanceFutures: return (Array("\"pu\":".utf8), [Array("\"U\":".utf8), Array("\"u\":".utf8)])
        case .okx: return (Array("\"prevSeqId\":".utf8), [Array("\"seqId\":".utf8)])
        case .deribit: return (Array("\"prev_change_id\":".utf8), [Array("\"change_id\":".utf8)])
        }
    }

    /// Starts the new numbering for `native` at this book frame; false if the frame carries no ids.
    mutating func begin(_ native: String, frame: [UInt8]) -> Bool {
        guard shifts[native] == nil, let previous = Self.integer(after: keys.previous, in: frame), previous > 0 else { return false }
        // Binance spot's `U` is the first id of this message, so its predecessor is one less.
        shifts[native] = venue == .binance ? previous - 1 : previous
        return true
    }

    /// The frame as the restarted venue sends it; `first` for the frame that announces the restart.
    func rewrite(_ native: String, frame: [UInt8], first: Bool) -> [UInt8] {
        guard let shift = shifts[native] else { return frame }
        var out = frame
        let (previous, others) = keys
        // OKX announces the reset on a frame that still chains from the old number.
        if !(venue == .okx && first) { Self.subtract(shift, after: previous, in: &out) }
        for key in others { Self.subtract(shift, after: key, in: &out) }
        return out
    }

    // MARK: - Bytes

    /// The integer right after the first occurrence of `key`.
    static func integer(after key: [UInt8], in frame: [UInt8]) -> Int64? {
        guard let start = position(of: key, in: frame) else { return nil }
        return parse(frame, from: start)?.value
    }

    /// Replaces the non-negative integer after every occurrence of `key` with itself minus `shift`.
    static func subtract(_ shift: Int64, after key: [UInt8], in frame: inout [UInt8]) {
        var from = 0
        while let start = position(of: key, in: frame, from: from) {
            guard let (value, end) = parse(frame, from: start), value >= 0 else {
                from = start
                continue
            }
            let digits = Array(String(value - shift).utf8)
            frame.replaceSubrange(start..<end, with: digits)
            from = start + digits.count
        }
    }

    /// Index just past `key` at or after `from`.
    static func position(of key: [UInt8], in frame: [UInt8], from: Int = 0) -> Int? {
        guard !key.isEmpty, frame.count >= key.count else { return nil }
        var i = from
        while i <= frame.count - key.count {
            if frame[i] == key[0] {
                var k = 1
                while k < key.count && frame[i + k] == key[k] { k += 1 }
                if k == key.count { return i + key.count }
            }
            i += 1
        }
        return nil
    }

    /// A JSON integer starting at `start` (venues send these ids as numbers), and the index past it.
    static func parse(_ frame: [UInt8], from start: Int) -> (value: Int64, end: Int)? {
        var i = start
        var negative = false
        if i < frame.count && frame[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        var value: Int64 = 0
        var digits = 0
        while i < frame.count, frame[i] >= 48, frame[i] <= 57, digits < 18 {
            value = value * 10 + Int64(frame[i] - 48)
            digits += 1
            i += 1
        }
        guard digits > 0 else { return nil }
        return (negative ? -value : value, i)
    }
}
