import CNats
import Publishing

/// What libnats holds as the callbacks' closure: one per connection, so a late callback about
/// an old connection is told apart from the current one by `generation`. Never freed (a few
/// bytes per connection): a callback arriving after `close` finds it, sees no publisher, returns.
final class CallbackContext: @unchecked Sendable {
    private weak var publisherStorage: JetStreamPublisher?
    private let lock = Monitor()
    let generation: Int
    /// Acks read but not yet given to the core: touched only by the connection's ack
    /// subscription thread, handed over in one locked call per burst. Storage grows with the
    /// first acks, so contexts of failed connect attempts (kept forever) stay small.
    var ackBatch: [AckedSequence] = []

    /// Acks handed to the core at most this many at a time (a burst's tail goes when the
    /// subscription has nothing more queued).
    static let ackBatchLimit = 256

    init(_ publisher: JetStreamPublisher, generation: Int) {
        publisherStorage = publisher
        self.generation = generation
    }

    var publisher: JetStreamPublisher? {
        lock.lock()
        defer { lock.unlock() }
        return publisherStorage
    }

    func detach() {
        lock.lock()
        publisherStorage = nil
        lock.unlock()
    }

    static func from(_ closure: UnsafeMutableRawPointer?) -> CallbackContext? {
        guard let closure else { return nil }
        return Unmanaged<CallbackContext>.fromOpaque(closure).takeUnretainedValue()
    }

    /// Gives the batched acks to the publisher, oldest first.
    func flushAcks() {
        guard !ackBatch.isEmpty else { return }
        publisher?.acknowledged(ackBatch)
        ackBatch.removeAll(keepingCapacity: true)
    }
}

/// One positive publish ack, waiting in a batch for the core.
struct AckedSequence {
    var sequence: UInt64
    var duplicate: Bool
}

// libnats calls these on its own threads; Swift 6 needs plain global functions for C callbacks.

func natsTransportDisconnected(_ nc: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    guard let context = CallbackContext.from(closure) else { return }
    var text: UnsafePointer<CChar>?
    var reason = "connection lost"
    if let nc, natsConnection_GetLastError(nc, &text) != NATS_OK, let text, text.pointee != 0 {
        reason += ": " + String(cString: text)
    }
    context.publisher?.connectionLost(generation: context.generation, reason: reason)
}

/// JetStream's answer to one publish, on the connection's ack inbox (libnats' subscription
/// thread). Acks are batched while more answers are queued behind this one; a failure goes at
/// once, after the acks before it.
func natsTransportAckReply(
    _ nc: OpaquePointer?, _ sub: OpaquePointer?, _ msg: OpaquePointer?, _ closure: UnsafeMutableRawPointer?
) {
    defer { natsMsg_Destroy(msg) }
    guard let msg, let context = CallbackContext.from(closure),
        let subject = natsMsg_GetSubject(msg), let sequence = AckInbox.sequence(inSubject: subject)
    else { return }
    let failure: PublisherCore.FailureReason?
    if natsMsg_IsNoResponders(msg) {
        failure = .noResponders
    } else {
        let count = Int(natsMsg_GetDataLength(msg))
        switch PublishAck(UnsafeRawBufferPointer(start: natsMsg_GetData(msg), count: count)) {
        case .stored(let duplicate):
            context.ackBatch.append(AckedSequence(sequence: sequence, duplicate: duplicate))
            var queued: Int32 = 0
            if context.ackBatch.count >= CallbackContext.ackBatchLimit
                || natsSubscription_GetPending(sub, &queued, nil) != NATS_OK || queued == 0
            {
                context.flushAcks()
            }
            return
        case .rejected(let text):
            failure = .rejected(text)
        }
    }
    context.flushAcks()
    if let failure {
        context.publisher?.failed(sequence: sequence, generation: context.generation, reason: failure)
    }
}
