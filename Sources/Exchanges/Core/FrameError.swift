import Model

/// Why a frame (or REST body) could not be turned into events. The adapter never crashes on bad
/// input: it reports one of these with the field and byte offset, and counts it by `Reason.Kind`.
public struct FrameError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        /// The input ended inside a value.
        case truncated
        /// A byte that cannot start or continue what the grammar (or the venue's schema) requires here.
        case unexpectedByte(expected: Expectation, found: UInt8)
        /// Containers nested deeper than `JSONScanner.maxDepth`.
        case tooDeep
        /// A number or numeric string that is not a decimal/integer in range.
        case invalidNumber
        /// A string value outside the venue's vocabulary (an unknown side, action, book type...).
        case invalidValue
        /// A field the event needs was not in the frame.
        case missingField
        /// Data for a native instrument name that neither the catalog nor the naming heuristic knows.
        case unknownInstrument(String)
        /// A channel or stream name this adapter does not parse.
        case unknownChannel(String)
        /// Valid JSON that matches no message shape of the venue.
        case unknownMessage
        /// Bytes after the top-level value.
        case trailingBytes
        /// The venue answered with an error body (a REST error, a JSON-RPC error where data was expected).
        case venueError(code: String, message: String)

        /// A payload-free classification for counters.
        public var kind: Kind {
            switch self {
            case .truncated: return .truncated
            case .unexpectedByte: return .unexpectedByte
            case .tooDeep: return .tooDeep
            case .invalidNumber: return .invalidNumber
            case .invalidValue: return .invalidValue
            case .missingField: return .missingField
            case .unknownInstrument: return .unknownInstrument
            case .unknownChannel: return .unknownChannel
            case .unknownMessage: return .unknownMessage
            case .trailingBytes: return .trailingBytes
            case .venueError: return .venueError
            }
        }

        public enum Kind: Int, CaseIterable, Hashable, Sendable {
            case truncated, unexpectedByte, tooDeep, invalidNumber, invalidValue, missingField
            case unknownInstrument, unknownChannel, unknownMessage, trailingBytes, venueError
        }
    }

    /// What the scanner was looking for when it met an unexpected byte.
    public enum Expectation: String, Hashable, Sendable {
        case value, object, array, string, number, literal, colon, commaOrEnd, key, boolean, end
    }

    public var reason: Reason
    /// The JSON key being read, where one applies.
    public var field: String?
    /// Byte offset into the frame.
    public var offset: Int

    public init(_ reason: Reason, field: String? = nil, offset: Int) {
        self.reason = reason
        self.field = field
        self.offset = offset
    }

    public var description: String {
        var s = "\(reason)"
        if let field { s += " in \"\(field)\"" }
        return s + " at byte \(offset)"
    }
}

/// Frames seen, events produced and errors by kind. Errors are kept in an array indexed by
/// `Reason.Kind` so reports list them in a fixed order (never a Dictionary's).
public struct ParseCounters: Hashable, Sendable {
    public var frames = 0
    public var events = 0
    public var controlMessages = 0
    public private(set) var errorsByKind = [Int](repeating: 0, count: FrameError.Reason.Kind.allCases.count)

    public init() {}

    public var errors: Int { errorsByKind.reduce(0, +) }

    public func errors(_ kind: FrameError.Reason.Kind) -> Int { errorsByKind[kind.rawValue] }

    mutating func count(_ error: FrameError) {
        errorsByKind[error.reason.kind.rawValue] += 1
    }

    /// Counts what a frame's parser appended to `out` from `mark` on.
    mutating func count(_ out: [AdapterOutput], from mark: Int) {
        var k = mark
        while k < out.count {
            if case .event = out[k] { events += 1 } else { controlMessages += 1 }
            k += 1
        }
    }

    /// A frame's parser threw: its partial output goes, the error is counted and becomes the frame's one output.
    mutating func failed(_ error: FrameError, _ out: inout [AdapterOutput], from mark: Int) {
        out.removeSubrange(mark...)
        count(error)
        out.append(.error(error))
    }
}
