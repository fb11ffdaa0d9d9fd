/// One HTTP header kept with a REST record. Only the headers that change behaviour are recorded
/// (rate-limit weights, Retry-After), so replay can reproduce throttling exactly.
public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// Headers a live recorder should keep (compared case-insensitively); everything else is noise.
    public static let recordedNames: [String] = [
        "Retry-After", "X-MBX-USED-WEIGHT-1M", "X-MBX-USED-WEIGHT", "X-MBX-ORDER-COUNT-10S", "X-MBX-ORDER-COUNT-1D",
        "X-SAPI-USED-IP-WEIGHT-1M", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Date",
    ]
}

/// One captured event, as an owned value. The replay hot path uses `RecordView` instead, which borrows
/// the decompressed frame and allocates nothing; this type is for writing, tests and tools.
public struct Record: Sendable, Hashable {
    public var kind: RecordKind
    /// One id per websocket connection or REST client, chosen by the recorder.
    public var stream: UInt32
    /// Local wall-clock time of the event, ns since the Unix epoch.
    public var wallNs: Int64
    /// Local monotonic clock, ns; only differences are meaningful.
    public var monoNs: Int64
    /// A binary websocket frame (opcode 2) rather than text.
    public var isBinary: Bool
    /// REST URL, or the websocket URL of a `connect`.
    public var url: String?
    /// REST method (`GET`, `POST`, ...).
    public var method: String?
    /// HTTP status of a `rest_response`.
    public var status: UInt16?
    public var headers: [HTTPHeader]
    /// Websocket close code of a `disconnect` (1000, 1006, ...).
    public var closeCode: UInt16?
    public var closeReason: String?
    public var payload: [UInt8]

    public init(
        kind: RecordKind, stream: UInt32, wallNs: Int64, monoNs: Int64, isBinary: Bool = false,
        url: String? = nil, method: String? = nil, status: UInt16? = nil, headers: [HTTPHeader] = [],
        closeCode: UInt16? = nil, closeReason: String? = nil, payload: [UInt8] = []
    ) {
        self.kind = kind
        self.stream = stream
        self.wallNs = wallNs
        self.monoNs = monoNs
        self.isBinary = isBinary
        self.url = url
        self.method = method
        self.status = status
        self.headers = headers
        self.closeCode = closeCode
        self.closeReason = closeReason
        self.payload = payload
    }

    /// The payload as text, for records known to carry UTF-8 (repairs invalid bytes).
    public var payloadText: String { String(decoding: payload, as: UTF8.self) }
}
