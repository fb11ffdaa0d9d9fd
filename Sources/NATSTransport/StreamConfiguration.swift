import Model
import Publishing

/// The JetStream stream the publisher writes to, created or updated at start.
public struct StreamConfiguration: Hashable, Sendable {
    public enum Storage: Hashable, Sendable {
        case file
        case memory
    }

    public var name: String
    public var subjects: [String]
    /// How long JetStream remembers a `Nats-Msg-Id`; resends and a redundant collector must fall inside it.
    public var duplicateWindow: Nanoseconds
    /// Zero means unlimited.
    public var maxAge: Nanoseconds
    /// -1 means unlimited.
    public var maxBytes: Int64
    /// -1 means unlimited.
    public var maxMessages: Int64
    public var storage: Storage
    public var replicas: Int

    public init(
        name: String = "MARKET_DATA", subjects: [String] = [Subject.streamFilter], duplicateWindow: Nanoseconds = .minutes(2),
        maxAge: Nanoseconds = .zero, maxBytes: Int64 = -1, maxMessages: Int64 = -1, storage: Storage = .file, replicas: Int = 1
    ) {
        self.name = name
        self.subjects = subjects
        self.duplicateWindow = duplicateWindow
        self.maxAge = maxAge
        self.maxBytes = maxBytes
        self.maxMessages = maxMessages
        self.storage = storage
        self.replicas = replicas
    }
}
