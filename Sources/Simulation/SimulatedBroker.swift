import Model
import Publishing

/// A JetStream-like broker in virtual time: stores each message id once (dedup like `Nats-Msg-Id`
/// within the duplicate window, here the whole run), acks after a latency, and can be down,
/// restarting, slow or without responders, as broker faults script it.
struct SimulatedBroker {
    struct Stored {
        var atNs: Int64
        var message: OutboundMessage
    }

    enum Answer {
        /// Ack after `latency` (duplicate: the id was already stored).
        case ack(duplicate: Bool, latency: Nanoseconds)
        case noResponders
        /// Nothing comes back: the publisher's ack timeout must notice.
        case silence
    }

    private(set) var stored: [Stored] = []
    /// Message id -> index in `stored`, to detect collisions (same id, different payload).
    private var byId: [String: Int] = [:]
    private(set) var duplicatesRejected = 0
    private(set) var idCollisions: [String] = []
    var isDown = false
    var noResponders = false
    var ackDelay: Nanoseconds = .zero
    let baseLatency: Nanoseconds

    init(ackLatency: Nanoseconds) {
        baseLatency = ackLatency
    }

    /// A publish reaching the broker at `now`.
    mutating func receive(_ message: OutboundMessage, at now: Instant) -> Answer {
        if isDown { return .silence }
        if noResponders { return .noResponders }
        let latency = baseLatency + ackDelay
        if let existing = byId[message.id] {
            duplicatesRejected += 1
            if stored[existing].message.payload != message.payload || stored[existing].message.subject != message.subject {
                idCollisions.append(message.id)
            }
            return .ack(duplicate: true, latency: latency)
        }
        byId[message.id] = stored.count
        stored.append(Stored(atNs: now.nanoseconds, message: message))
        return .ack(duplicate: false, latency: latency)
    }

    func contains(id: String) -> Bool { byId[id] != nil }
}
