#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNats

/// A plain synchronous JetStream connection for setup and inspection: create the stream, read
/// its state, read messages back (tests, `inspect`, and checking a replay's `published` count).
public final class JetStreamAdmin {
    /// A stream's counters.
    public struct StreamState: Hashable, Sendable {
        public var messages: UInt64
        public var bytes: UInt64
        public var firstSequence: UInt64
        public var lastSequence: UInt64
    }

    /// One stored message.
    public struct StoredMessage: Hashable, Sendable {
        public var sequence: UInt64
        public var subject: String
        /// The `Nats-Msg-Id` header, if present.
        public var id: String?
        public var payload: [UInt8]
    }

    private var connection: OpaquePointer?
    private var js: OpaquePointer?

    /// Connects once (no retry); throws if no server answers.
    public init(_ options: NATSConnectionOptions) throws(NATSError) {
        let opts = try NATSOptionsFactory.make(options)
        defer { natsOptions_Destroy(opts) }
        var nc: OpaquePointer?
        try check("natsConnection_Connect", natsConnection_Connect(&nc, opts))
        connection = nc
        var ctx: OpaquePointer?
        let s = natsConnection_JetStream(&ctx, nc, nil)
        guard s == NATS_OK else {
            natsConnection_Destroy(nc)
            connection = nil
            throw NATSError("natsConnection_JetStream", s)
        }
        js = ctx
    }

    deinit { close() }

    public func close() {
        if let js { jsCtx_Destroy(js) }
        if let connection {
            natsConnection_Close(connection)
            natsConnection_Destroy(connection)
        }
        js = nil
        connection = nil
    }

    public func ensureStream(_ config: StreamConfiguration) throws(NATSError) {
        guard let js else { throw NATSError("ensureStream", NATS_CONNECTION_CLOSED) }
        try StreamSetup.ensure(js, config)
    }

    public func streamState(_ name: String) throws(NATSError) -> StreamState {
        guard let js else { throw NATSError("js_GetStreamInfo", NATS_CONNECTION_CLOSED) }
        var info: UnsafeMutablePointer<jsStreamInfo>?
        var jsErr = jsErrCode(0)
        let s = js_GetStreamInfo(&info, js, name, nil, &jsErr)
        guard s == NATS_OK, let info else { throw NATSError("js_GetStreamInfo", s, jetStreamCode: jsErr) }
        defer { jsStreamInfo_Destroy(info) }
        let st = info.pointee.State
        return StreamState(messages: st.Msgs, bytes: st.Bytes, firstSequence: st.FirstSeq, lastSequence: st.LastSeq)
    }

    /// Every message of the stream in sequence order (fetched one by one; meant for tests and tools).
    public func messages(_ name: String) throws(NATSError) -> [StoredMessage] {
        guard let js else { throw NATSError("js_GetMsg", NATS_CONNECTION_CLOSED) }
        let state = try streamState(name)
        guard state.messages > 0 else { return [] }
        var out: [StoredMessage] = []
        out.reserveCapacity(Int(state.messages))
        for seq in state.firstSequence...state.lastSequence {
            var msg: OpaquePointer?
            var jsErr = jsErrCode(0)
            let s = js_GetMsg(&msg, js, name, seq, nil, &jsErr)
            if s == NATS_NOT_FOUND { continue }  // deleted
            guard s == NATS_OK, let msg else { throw NATSError("js_GetMsg", s, jetStreamCode: jsErr) }
            defer { natsMsg_Destroy(msg) }
            var idPointer: UnsafePointer<CChar>?
            let id: String? = natsMsgHeader_Get(msg, "Nats-Msg-Id", &idPointer) == NATS_OK ? idPointer.map { String(cString: $0) } : nil
            let length = Int(natsMsg_GetDataLength(msg))
            var payload = [UInt8](repeating: 0, count: length)
            if length > 0, let data = natsMsg_GetData(msg) {
                payload.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: data, count: length)) }
            }
            out.append(StoredMessage(sequence: seq, subject: String(cString: natsMsg_GetSubject(msg)), id: id, payload: payload))
        }
        return out
    }

    public func deleteStream(_ name: String) throws(NATSError) {
        guard let js else { throw NATSError("js_DeleteStream", NATS_CONNECTION_CLOSED) }
        var jsErr = jsErrCode(0)
        let s = js_DeleteStream(js, name, nil, &jsErr)
        guard s == NATS_OK else { throw NATSError("js_DeleteStream", s, jetStreamCode: jsErr) }
    }
}
