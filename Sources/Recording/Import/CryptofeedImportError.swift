/// Why a cryptofeed capture could not be imported. Line errors carry file:line and what was expected.
public enum CryptofeedImportError: Error, Equatable, Sendable, CustomStringConvertible {
    case noFiles
    case unrecognizedFileName(file: String)
    case mixedFeeds(file: String, feed: String, expected: String)
    case duplicateFile(file: String)
    case malformedLine(file: String, line: Int, expected: String, found: String)
    case duplicateConfiguration(file: String, line: Int, first: String)
    case unknownVenue(url: String)
    case conflictingVenues(String)
    case noVenueURL
    case recording(RecordingError)

    public var description: String {
        switch self {
        case .noFiles:
            return "no capture files given"
        case .unrecognizedFileName(let file):
            return "\(file): not a cryptofeed capture name; expected FEED.R, FEED.ws.N.R or FEED.http.N.R (e.g. BINANCE.ws.1.0)"
        case .mixedFeeds(let file, let feed, let expected):
            return "\(file): belongs to feed \(feed), but the other files are \(expected); import one feed at a time"
        case .duplicateFile(let file):
            return "\(file): given twice"
        case .malformedLine(let file, let line, let expected, let found):
            return "\(file):\(line): expected \(expected); found \"\(found)\""
        case .duplicateConfiguration(let file, let line, let first):
            return "\(file):\(line): a second 'configuration:' line (the first is at \(first))"
        case .unknownVenue(let url):
            return "cannot tell the venue from URL \(url); pass --venue"
        case .conflictingVenues(let detail):
            return "the capture mixes venues (\(detail)); pass --venue to choose"
        case .noVenueURL:
            return "no URL in the capture tells the venue; pass --venue"
        case .recording(let error):
            return error.description
        }
    }
}
