import Model

/// A scheduled fault while the replay runs: whether it is armed, how much of it is left, and
/// whether its code path was actually reached (a drop dropped a frame, a 429 was served, ...).
struct ActiveFault {
    let fault: Fault
    let startNs: Int64
    /// Armed from `startNs`; time-bounded faults disarm at `startNs + duration`.
    var armed = false
    var remaining: Int
    var reached = false
    /// What reaching it did, for the report.
    var effect = ""
    /// Book frames it removed, corrupted or reordered, by instrument (the oracle expects detection).
    var damagedBooks: [String] = []

    init(fault: Fault, originNs: Int64) {
        self.fault = fault
        startNs = originNs + fault.at
        remaining = max(1, fault.count)
    }

    var endNs: Int64? { fault.duration.map { startNs + $0 } }

    /// Whether it applies at `now`: armed, within its duration, with count left for count-based kinds.
    func applies(at nowNs: Int64) -> Bool {
        guard armed, nowNs >= startNs else { return false }
        if let end = endNs, nowNs >= end { return false }
        return isTimeBounded || remaining > 0
    }

    /// Faults that last for a duration instead of hitting a number of messages.
    var isTimeBounded: Bool {
        switch fault.kind {
        case .connectionStall, .bandwidthCap, .pongWithheld, .brokerDown, .brokerRestart, .slowAcks, .noResponders,
            .clockSkew, .messageBurst:
            return true
        case .messageDelay:
            return fault.duration != nil
        default:
            return false
        }
    }

    mutating func hit(_ what: String) {
        reached = true
        if effect.isEmpty { effect = what }
        if !isTimeBounded { remaining -= 1 }
    }
}
