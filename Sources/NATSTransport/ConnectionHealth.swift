/// What the publisher knows about the broker link, for a collector's health, status and breakers:
/// counters only grow, so a reader that polls keeps its previous copy and acts on the differences.
public struct ConnectionHealth: Sendable, Equatable {
    /// The publisher has a connection with the stream set up (what `isConnected` says).
    public var connected = false
    /// Connect attempts (connection or stream setup) that failed since start.
    public var connectAttemptsFailed = 0
    /// Established connections that were lost since start.
    public var connectionsLost = 0
    /// Why the link last failed: libnats' text for a lost connection or a failed connect or setup.
    public var lastError: String?
    /// When the link went down (monotonic ns), nil while it is up.
    public var downSinceMonotonicNs: Int64?
    /// The publisher core's counts: messages acked, sends that failed or timed out, messages lost,
    /// messages held now (memory and spool).
    public var acked = 0
    public var publishFailures = 0
    public var lost = 0
    public var buffered = 0

    public init() {}
}
