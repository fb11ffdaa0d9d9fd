import Simulation

/// Why the server cannot start (or a fault script cannot be applied on sockets).
public enum ExchangeServerError: Error, CustomStringConvertible, Sendable, Equatable {
    case recording(path: String, reason: String)
    /// Two recordings of one venue that overlap in time and carry the same channel: served as one market,
    /// its frames would go out twice.
    case overlappingRecordings(venue: String, paths: [String], channel: String)
    case noRecordings
    case tls(String)
    case socket(String)
    /// A scenario fault kind serve does not apply on real sockets (message, broker, clock faults...).
    case unsupportedFault(kind: String, line: Int?, supported: [String])

    public var description: String {
        switch self {
        case .recording(let path, let reason): return "\(path): \(reason)"
        case .overlappingRecordings(let venue, let paths, let channel):
            return "recordings of venue \(venue) (\(paths.joined(separator: ", "))) overlap in time and both carry \(channel): serve merges a venue's recordings into one market, so each channel may come from one of them at a time"
        case .noRecordings: return "no recordings to serve"
        case .tls(let reason): return "TLS: \(reason)"
        case .socket(let reason): return "socket: \(reason)"
        case .unsupportedFault(let kind, let line, let supported):
            return "fault \(kind)\(line.map { " (line \($0))" } ?? "") is not applied by serve; it applies \(supported.joined(separator: ", "))"
        }
    }
}
