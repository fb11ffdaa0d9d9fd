import CNats
import Publishing

/// What libnats holds as the callbacks' closure. It is retained for the connection's whole life
/// and never freed by the callbacks, so a late callback after `close` finds it, sees no
/// publisher and returns.
final class CallbackContext: @unchecked Sendable {
    private weak var publisherStorage: JetStreamPublisher?
    private let lock = Monitor()

    init(_ publisher: JetStreamPublisher) {
        publisherStorage = publisher
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

    static func from(_ closure: UnsafeMutableRawPointer?) -> JetStreamPublisher? {
        guard let closure else { return nil }
        return Unmanaged<CallbackContext>.fromOpaque(closure).takeUnretainedValue().publisher
    }
}

// libnats calls these on its own threads; Swift 6 needs plain global functions for C callbacks.

func natsTransportDisconnected(_ nc: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    CallbackContext.from(closure)?.connectivityChanged(false)
}

func natsTransportConnected(_ nc: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    CallbackContext.from(closure)?.connectivityChanged(true)
}

func natsTransportReconnectDelay(_ nc: OpaquePointer?, _ attempts: Int32, _ closure: UnsafeMutableRawPointer?) -> Int64 {
    let (base, cap) = CallbackContext.from(closure)?.reconnectWait ?? (100, 5_000)
    var delay = max(1, base)
    for _ in 0..<min(Int(attempts), 20) where delay < cap { delay *= 2 }
    return min(delay, cap)
}

func natsTransportAck(
    _ js: OpaquePointer?, _ msg: OpaquePointer?, _ ack: UnsafeMutablePointer<jsPubAck>?,
    _ error: UnsafeMutablePointer<jsPubAckErr>?, _ closure: UnsafeMutableRawPointer?
) {
    defer { natsMsg_Destroy(msg) }
    guard let msg, let publisher = CallbackContext.from(closure) else { return }
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
