import CNats
import Foundation

/// Answers NATS requests on one subject with a handler: the collector's command channel
/// (`marketprism.control.subscriptions`, request/reply, JSON in and out). The handler runs on a
/// libnats thread and must return quickly; its bytes are published to the request's reply subject.
/// Requests without a reply subject are handled and left unanswered.
///
/// The payload format is the handler's business (the collector parses a `SubscriptionRequest` with
/// an `action`), so this layer stays free of the collector's types. libnats' own reconnect is left
/// on: a responder holds no ordered state to protect, unlike `JetStreamPublisher`.
public final class CommandResponder: @unchecked Sendable {
    public static let defaultSubject = "marketprism.control.subscriptions"

    public let subject: String
    private let connectionOptions: NATSConnectionOptions
    private let handler: @Sendable ([UInt8]) -> [UInt8]
    private let lock = NSLock()
    private var connection: OpaquePointer?
    private var subscription: OpaquePointer?
    private var options: OpaquePointer?
    private var box: Unmanaged<ResponderBox>?

    public init(connection: NATSConnectionOptions, subject: String = CommandResponder.defaultSubject,
                handler: @escaping @Sendable ([UInt8]) -> [UInt8]) {
        self.connectionOptions = connection
        self.subject = subject
        self.handler = handler
    }

    deinit { close() }

    /// Connects and subscribes; throws when no server answers within the connect timeout.
    public func start() throws(NATSError) {
        let opts = try NATSOptionsFactory.make(connectionOptions)
        do throws(NATSError) {
            try check("natsOptions_SetAllowReconnect", natsOptions_SetAllowReconnect(opts, true))
            try check("natsOptions_SetMaxReconnect", natsOptions_SetMaxReconnect(opts, -1))
        } catch {
            natsOptions_Destroy(opts)
            throw error
        }
        var nc: OpaquePointer?
        let status = natsConnection_Connect(&nc, opts)
        guard status == NATS_OK, let nc else {
            if let nc { natsConnection_Destroy(nc) }
            natsOptions_Destroy(opts)
            throw NATSError("natsConnection_Connect", status)
        }
        let box = Unmanaged.passRetained(ResponderBox(handler: handler))
        var sub: OpaquePointer?
        let subscribed = subject.withCString { natsConnection_Subscribe(&sub, nc, $0, natsCommandRequest, box.toOpaque()) }
        guard subscribed == NATS_OK, let sub else {
            natsConnection_Destroy(nc)
            natsOptions_Destroy(opts)
            box.release()
            throw NATSError("natsConnection_Subscribe", subscribed)
        }
        // Make sure the server has the subscription before callers start sending requests.
        _ = natsConnection_FlushTimeout(nc, 2_000)
        lock.lock()
        connection = nc
        subscription = sub
        options = opts
        self.box = box
        lock.unlock()
    }

    /// Unsubscribes and closes the connection; idempotent.
    public func close() {
        lock.lock()
        let nc = connection, sub = subscription, opts = options, box = self.box
        connection = nil
        subscription = nil
        options = nil
        self.box = nil
        lock.unlock()
        if let sub {
            natsSubscription_Unsubscribe(sub)
            natsSubscription_Destroy(sub)
        }
        if let nc {
            natsConnection_Close(nc)
            natsConnection_Destroy(nc)
        }
        if let opts { natsOptions_Destroy(opts) }
        // The subscription is gone, so no callback can still hold the box.
        box?.release()
    }
}

/// The handler as libnats' closure pointer.
final class ResponderBox: @unchecked Sendable {
    let handler: @Sendable ([UInt8]) -> [UInt8]
    init(handler: @escaping @Sendable ([UInt8]) -> [UInt8]) { self.handler = handler }
}

func natsCommandRequest(
    _ nc: OpaquePointer?, _ sub: OpaquePointer?, _ msg: OpaquePointer?, _ closure: UnsafeMutableRawPointer?
) {
    defer { natsMsg_Destroy(msg) }
    guard let msg, let closure else { return }
    let box = Unmanaged<ResponderBox>.fromOpaque(closure).takeUnretainedValue()
    let length = Int(natsMsg_GetDataLength(msg))
    var request = [UInt8](repeating: 0, count: length)
    if length > 0, let data = natsMsg_GetData(msg) {
        request.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: data, count: length)) }
    }
    let answer = box.handler(request)
    guard let reply = natsMsg_GetReply(msg), let nc else { return }
    _ = answer.withUnsafeBytes { bytes in
        natsConnection_Publish(nc, reply, bytes.baseAddress, Int32(bytes.count))
    }
}
