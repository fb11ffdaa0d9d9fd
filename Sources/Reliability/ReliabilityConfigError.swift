/// A bad reliability setting, naming the full key path so the user can find it,
/// e.g. `reliability.binance.rate_limits.rest.limit must be > 0, got -5`.
public struct ReliabilityConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Problem: Equatable, Sendable {
        /// The value parsed but breaks a rule (`requirement` reads "must be ...").
        case invalidValue(requirement: String, got: String)
        /// A key this section does not know (usually a typo); `allowed` lists the known ones.
        case unknownKey(allowed: [String])
        /// The value is not of the expected kind (e.g. a string where a number belongs).
        case wrongType(expected: String)
    }

    public var keyPath: String
    public var problem: Problem

    public init(keyPath: String, problem: Problem) {
        self.keyPath = keyPath
        self.problem = problem
    }

    /// Finds the config error inside whatever a decoder wrapped it in (Yams reports errors thrown
    /// by `init(from:)` as `DecodingError.dataCorrupted` with this as the underlying error).
    public static func unwrap(_ error: any Error) -> ReliabilityConfigError? {
        if let error = error as? ReliabilityConfigError { return error }
        guard let decoding = error as? DecodingError else { return nil }
        let context: DecodingError.Context
        switch decoding {
        case .dataCorrupted(let c), .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c): context = c
        @unknown default: return nil
        }
        return context.underlyingError.flatMap(unwrap)
    }

    public var description: String {
        switch problem {
        case .invalidValue(let requirement, let got): return "\(keyPath) \(requirement), got \(got)"
        case .unknownKey(let allowed): return "\(keyPath) is not a known key; expected one of: \(allowed.joined(separator: ", "))"
        case .wrongType(let expected): return "\(keyPath) must be \(expected)"
        }
    }
}
