import CNats

/// A libnats call that failed: which call, libnats' status and, for JetStream API calls, its error code.
public struct NATSError: Error, Hashable, Sendable, CustomStringConvertible {
    public var operation: String
    public var status: Int32
    public var statusText: String
    /// JetStream API error code (for example 10059, stream not found), 0 if none.
    public var jetStreamCode: Int32

    init(_ operation: String, _ status: natsStatus, jetStreamCode: jsErrCode = jsErrCode(0)) {
        self.operation = operation
        self.status = Int32(status.rawValue)
        self.statusText = String(cString: natsStatus_GetText(status))
        self.jetStreamCode = Int32(jetStreamCode.rawValue)
    }

    public var description: String {
        "\(operation) failed: \(statusText)" + (jetStreamCode != 0 ? " (JetStream error \(jetStreamCode))" : "")
    }
}

@inline(__always)
func check(_ operation: String, _ status: natsStatus) throws(NATSError) {
    guard status == NATS_OK else { throw NATSError(operation, status) }
}
