import Simulation

/// Why the server cannot start (or a fault script cannot be applied on sockets).
public enum ExchangeServerError: Error, CustomStringConvertible, Sendable, Equatable {
    case recording(path: String, reason: String)
    /// Two recordings of one venue: their paths would collide.
    case duplicateVenue(venue: String, paths: [String])
    case noRecordings
    case tls(String)
    case socket(String)
    /// A scenario fault kind serve does not apply on real sockets (message, broker, clock faults...).
    case unsupportedFault(kind: String, line: Int?, supported: [String])

    public var description: String {
        switch self {
        case .recording(let path, let reason): return "\(path): \(reason)"
        case .duplicateVenue(let venue, let paths):
            return "two recordings of venue \(venue) (\(paths.joined(separator: ", "))): serve takes one recording per venue"
        case .noRecordings: return "no recordings to serve"
        case .tls(let reason): return "TLS: \(reason)"
        case .socket(let reason): return "socket: \(reason)"
        case .unsupportedFault(let kind, let line, let supported):
            return "fault \(kind)\(line.map { " (line \($0))" } ?? "") is not applied by serve; it applies \(supported.joined(separator: ", "))"
        }
    }
}
