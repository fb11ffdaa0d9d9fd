import Simulation

/// When recorded entries are due on the wire: recorded receive times relative to the first received
/// frame, divided by the speed, from the moment the market started (its first subscription).
/// `max` has no schedule: everything is due at once.
struct ReplayClock: Sendable {
    let speed: ReplaySpeed
    let firstFrameNs: Int64

    /// Monotonic ns at which an entry recorded at `wallNs` is due, for a market started at `startNs`.
    func due(wallNs: Int64, startNs: Int64) -> Int64 {
        guard case .multiple(let factor) = speed else { return startNs }
        return startNs + Int64(Double(wallNs - firstFrameNs) / factor)
    }

    /// The recorded time the market has reached at monotonic `nowNs`.
    func recordedTime(nowNs: Int64, startNs: Int64) -> Int64 {
        guard case .multiple(let factor) = speed else { return .max }
        return firstFrameNs + Int64(Double(nowNs - startNs) * factor)
    }

    /// How much recorded time passes in `ns` of wall time (unbounded at max).
    func recordedSpan(wallNanoseconds ns: Int64) -> Int64 {
        guard case .multiple(let factor) = speed else { return Int64.max / 4 }
        return Int64(Double(ns) * factor)
    }

    var isMax: Bool { speed == .max }
}
