import CNats
import Publishing

/// What libnats holds as the callbacks' closure: one per connection, so a late callback about
/// an old connection is told apart from the current one by `generation`. Never freed (a few
/// bytes per connection): a callback arriving after `close` finds it, sees no publisher, returns.
final class CallbackContext: @unchecked Sendable {
    private weak var publisherStorage: JetStreamPublisher?
    private let lock = Monitor()
    let generation: Int

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
}

// libnats calls these on its own threads; Swift 6 needs plain global functions for C callbacks.

func natsTransportDisconnected(_ nc: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    guard let context = CallbackContext.from(closure) else { return }
    context.publisher?.connectionLost(generation: context.generation)
}

func natsTransportAck(
    _ js: OpaquePointer?, _ msg: OpaquePointer?, _ ack: UnsafeMutablePointer<jsPubAck>?,
    _ error: UnsafeMutablePointer<jsPubAckErr>?, _ closure: UnsafeMutableRawPointer?
) {
    defer { natsMsg_Destroy(msg) }
    guard let msg, let publisher = CallbackContext.from(closure)?.publisher else { return }
    if let ack {
        publisher.acknowledged(msg, stored: true, duplicate: ack.pointee.Duplicate, failure: nil)
    } else if let error {
        let status = error.pointee.Err
        let reason: PublisherCore.FailureReason
        if status == NATS_TIMEOUT {
            reason = .timeout
        } else if status == NATS_NO_RESPONDERS {
            reason = .noResponders
        } else {
            let text = error.pointee.ErrText.map { String(cString: $0) } ?? String(cString: natsStatus_GetText(status))
            reason = .rejected(text)
        }
        publisher.acknowledged(msg, stored: false, duplicate: false, failure: reason)
    }
}
