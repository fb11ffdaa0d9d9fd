import Foundation
import Simulation

/// A scenario's faults applied on real sockets, sans-IO: times are offsets from the fault clock's origin,
/// the first websocket upgrade request the server received (the collector's first connection attempt).
///
/// Time-bounded faults (stall, bandwidth cap, withheld pongs, latency) hold while their window is open;
/// one-shot faults (close, reset, forced cut) hit every websocket connection open when they fire; counted
/// faults (refused and delayed connects, REST errors) hit the next `count` attempts from their time on.
struct FaultPlan: Sendable {
    static let supported: [FaultKind] = [
        .connectRefuse, .connectDelay, .connectionClose, .connectionReset, .connectionStall, .bandwidthCap, .pongWithheld,
        .forcedCut, .messageDelay, .rest429, .rest418, .rest5xx, .restTimeout,
    ]

    let faults: [Fault]
    private var remaining: [Int]

    init(faults: [Fault]) throws(ExchangeServerError) {
        for f in faults where !Self.supported.contains(f.kind) {
            throw .unsupportedFault(kind: f.kind.rawValue, line: f.line, supported: Self.supported.map(\.rawValue))
        }
        self.faults = faults
        remaining = faults.map { max(1, $0.count) }
    }

    private func open(_ f: Fault, at elapsed: Int64) -> Bool {
        elapsed >= f.at && f.duration.map { elapsed < f.at + $0 } ?? true
    }

    /// The first fault of `kind` whose window holds at `elapsed`.
    func window(_ kind: FaultKind, at elapsed: Int64) -> Fault? {
        faults.first { $0.kind == kind && open($0, at: elapsed) }
    }

    /// Takes one use of a counted fault of one of `kinds` open at `elapsed`.
    mutating func take(_ kinds: [FaultKind], at elapsed: Int64) -> Fault? {
        for i in faults.indices where kinds.contains(faults[i].kind) && remaining[i] > 0 && open(faults[i], at: elapsed) {
            remaining[i] -= 1
            return faults[i]
        }
        return nil
    }

    /// One-shot faults that fired in `(after, upTo]` for a connection open since `openedAt`, in time order.
    func oneShots(after: Int64, upTo: Int64, openedAt: Int64) -> [Fault] {
        faults.filter {
            [.connectionClose, .connectionReset, .forcedCut].contains($0.kind) && $0.at > after && $0.at <= upTo && $0.at >= openedAt
        }.sorted { $0.at < $1.at }
    }

    /// The next instant (offset) at which something changes after `elapsed`: a window opening or closing, a
    /// one-shot firing. The connection loop never sleeps past it.
    func nextChange(after elapsed: Int64) -> Int64? {
        var best: Int64?
        for f in faults {
            for t in [f.at, f.duration.map { f.at + $0 }].compactMap({ $0 }) where t > elapsed {
                best = min(best ?? t, t)
            }
        }
        return best
    }
}

/// The fault plan shared by every connection: its origin and the counted faults' remaining uses.
final class SharedFaults: @unchecked Sendable {
    private let lock = NSLock()
    private var plan: FaultPlan
    private var originNs: Int64?

    init(plan: FaultPlan) { self.plan = plan }

    var isEmpty: Bool { plan.faults.isEmpty }

    /// A websocket upgrade arrived at `nowNs`: starts the fault clock if it has not started.
    func noteUpgrade(nowNs: Int64) {
        lock.lock()
        if originNs == nil { originNs = nowNs }
        lock.unlock()
    }

    /// Offset of `nowNs` from the origin; `.min` before it (no fault applies yet).
    func elapsed(_ nowNs: Int64) -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        return originNs.map { nowNs - $0 } ?? .min
    }

    func take(_ kinds: [FaultKind], nowNs: Int64) -> Fault? {
        lock.lock()
        defer { lock.unlock() }
        guard let origin = originNs else { return nil }
        return plan.take(kinds, at: nowNs - origin)
    }

    var snapshot: FaultPlan {
        lock.lock()
        defer { lock.unlock() }
        return plan
    }

    /// Monotonic ns of the origin, if set.
    var origin: Int64? {
        lock.lock()
        defer { lock.unlock() }
        return originNs
    }
}
