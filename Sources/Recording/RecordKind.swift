/// What a record captured. Raw values are the names used by `inspect`, `cat` and the docs; `code` is the
/// byte stored in the file (format v1 assigns them once and for all).
public enum RecordKind: String, CaseIterable, Sendable, Hashable, Codable {
    case wsReceived = "ws_received"
    case wsSent = "ws_sent"
    case restRequest = "rest_request"
    case restResponse = "rest_response"
    case connect
    case disconnect
    case error

    /// The byte stored in the record header.
    @inlinable
    public var code: UInt8 {
        switch self {
        case .wsReceived: 1
        case .wsSent: 2
        case .restRequest: 3
        case .restResponse: 4
        case .connect: 5
        case .disconnect: 6
        case .error: 7
        }
    }

    @inlinable
    public init?(code: UInt8) {
        switch code {
        case 1: self = .wsReceived
        case 2: self = .wsSent
        case 3: self = .restRequest
        case 4: self = .restResponse
        case 5: self = .connect
        case 6: self = .disconnect
        case 7: self = .error
        default: return nil
        }
    }
}
