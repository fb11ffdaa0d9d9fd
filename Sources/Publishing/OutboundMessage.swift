/// One encoded message, ready for any sink: the subject, the dedup id and the JSON payload bytes.
public struct OutboundMessage: Hashable, Sendable {
    public var subject: String
    /// The `Nats-Msg-Id` header value.
    public var id: String
    public var payload: [UInt8]

    public init(subject: String, id: String, payload: [UInt8]) {
        self.subject = subject
        self.id = id
        self.payload = payload
    }

    /// Bytes held in memory for buffer accounting (payload plus subject and id).
    public var size: Int { payload.count + subject.utf8.count + id.utf8.count }
}
