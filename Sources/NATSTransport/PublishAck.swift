import Exchanges

/// What JetStream answered to one published message, read straight from the reply's bytes.
///
/// The publisher does its own async publishing on the core connection (see `JetStreamPublisher`),
/// so it reads the broker's answer itself, with the project's byte scanner instead of libnats'
/// allocating JSON parser: `{"stream":"S","seq":N[,"duplicate":true]}` or
/// `{"error":{"code":..,"err_code":..,"description":".."}}`.
public enum PublishAck: Hashable, Sendable {
    /// The stream holds the message; `duplicate` when it already did (same `Nats-Msg-Id` in the window).
    case stored(duplicate: Bool)
    /// JetStream refused it, or the answer could not be read (then the text says so).
    case rejected(String)

    public init(_ bytes: UnsafeRawBufferPointer) {
        var scanner = JSONScanner(bytes)
        do throws(FrameError) {
            self = try Self.read(&scanner)
        } catch {
            self = .rejected("unreadable publish ack (\(error)): \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
    }

    public init(_ bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { PublishAck($0) }
    }

    private static func read(_ s: inout JSONScanner) throws(FrameError) -> PublishAck {
        try s.beginObject()
        var first = true
        var stream = false, duplicate = false
        var error: String?
        while let key = try s.nextKey(&first) {
            if s.matches(key, "stream") {
                _ = try s.readString(field: "stream")
                stream = true
            } else if s.matches(key, "duplicate") {
                duplicate = try s.boolValue("duplicate")
            } else if s.matches(key, "error") {
                error = try errorText(&s)
            } else {
                try s.skipValue()
            }
        }
        try s.finish()
        if let error { return .rejected(error) }
        guard stream else { throw FrameError(.missingField, field: "stream", offset: 0) }
        return .stored(duplicate: duplicate)
    }

    /// `{"code":503,"err_code":10077,"description":"..."}` -> "description (code 503, err_code 10077)".
    private static func errorText(_ s: inout JSONScanner) throws(FrameError) -> String {
        try s.beginObject(field: "error")
        var first = true
        var description = "error", details: [String] = []
        while let key = try s.nextKey(&first) {
            if s.matches(key, "description") {
                description = s.text(try s.readString(field: "description"))
            } else if s.matches(key, "code") || s.matches(key, "err_code") {
                details.append("\(s.text(key)) \(s.text(try s.scalarText("code")))")
            } else {
                try s.skipValue()
            }
        }
        return details.isEmpty ? description : "\(description) (\(details.joined(separator: ", ")))"
    }
}
