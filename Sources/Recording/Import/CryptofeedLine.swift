/// One line of a cryptofeed raw capture, parsed without copying: ranges index into the line's bytes.
/// The grammar is in ../shared/data/README.md and docs/recording-format.md.
public enum CryptofeedLine: Equatable, Sendable {
    /// Empty (or whitespace-only) line: a leftover of a buffer flush.
    case blank
    /// `configuration: {json}`
    case configuration(json: Range<Int>)
    /// `TS: PAYLOAD`: a received websocket frame.
    case received(wallNs: Int64, payload: Range<Int>)
    /// `URL <- TS: PAYLOAD`: a frame the client sent.
    case sent(url: Range<Int>, wallNs: Int64, payload: Range<Int>)
    /// `URL <-> TS`: the client is about to connect.
    case connect(url: Range<Int>, wallNs: Int64)
    /// `URL -> TS: BODY`: a REST response body.
    case restResponse(url: Range<Int>, wallNs: Int64, body: Range<Int>)

    /// Wall time of the line, nil for lines that are not records.
    public var wallNs: Int64? {
        switch self {
        case .blank, .configuration: nil
        case .received(let t, _), .sent(_, let t, _), .connect(_, let t), .restResponse(_, let t, _): t
        }
    }
}

/// Why a line does not parse: what the parser expected there.
public struct CryptofeedSyntaxError: Error, Equatable, Sendable {
    public var expected: String
}

extension CryptofeedLine {
    static let configurationPrefix = Array("configuration: ".utf8)
    static let anyLineShape =
        "one of 'TS: PAYLOAD', 'URL <- TS: PAYLOAD', 'URL <-> TS', 'URL -> TS: BODY', 'configuration: {json}' or a blank line"

    private enum Separator {
        case sent, connect, rest

        var width: Int {
            switch self {
            case .sent: 4  // " <- "
            case .connect: 5  // " <-> "
            case .rest: 4  // " -> "
            }
        }

        var text: String {
            switch self {
            case .sent: "' <- '"
            case .connect: "' <-> '"
            case .rest: "' -> '"
            }
        }
    }

    /// Parses one line (without its newline).
    public static func parse(_ line: UnsafeRawBufferPointer) throws(CryptofeedSyntaxError) -> CryptofeedLine {
        let count = line.count
        if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) {
            return .blank
        }
        if line.starts(with: configurationPrefix) {
            guard count > configurationPrefix.count else {
                throw CryptofeedSyntaxError(expected: "a JSON object after 'configuration: '")
            }
            return .configuration(json: configurationPrefix.count..<count)
        }
        let first = line[0]
        if first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") {
            guard let colon = find(colonSpaceIn: line, from: 0) else {
                throw CryptofeedSyntaxError(expected: "': ' after the timestamp of a received frame 'TS: PAYLOAD'")
            }
            guard let ts = DecimalSeconds.nanoseconds(UnsafeRawBufferPointer(rebasing: line[0..<colon])) else {
                throw CryptofeedSyntaxError(expected: "a timestamp in Unix seconds with at most 9 decimals before ': '")
            }
            return .received(wallNs: ts, payload: (colon + 2)..<count)
        }
        guard let (at, separator) = firstSeparator(line) else {
            throw CryptofeedSyntaxError(expected: anyLineShape)
        }
        guard at > 0 else { throw CryptofeedSyntaxError(expected: "a URL before \(separator.text)") }
        let url = 0..<at
        let rest = at + separator.width
        if case .connect = separator {
            guard let ts = DecimalSeconds.nanoseconds(UnsafeRawBufferPointer(rebasing: line[rest..<count])) else {
                throw CryptofeedSyntaxError(expected: "only a timestamp in Unix seconds after ' <-> '")
            }
            return .connect(url: url, wallNs: ts)
        }
        guard let colon = find(colonSpaceIn: line, from: rest) else {
            throw CryptofeedSyntaxError(expected: "'TS: ...' after \(separator.text)")
        }
        guard let ts = DecimalSeconds.nanoseconds(UnsafeRawBufferPointer(rebasing: line[rest..<colon])) else {
            throw CryptofeedSyntaxError(expected: "a timestamp in Unix seconds with at most 9 decimals after \(separator.text)")
        }
        let payload = (colon + 2)..<count
        if case .sent = separator { return .sent(url: url, wallNs: ts, payload: payload) }
        return .restResponse(url: url, wallNs: ts, body: payload)
    }

    public static func parse(_ line: String) throws(CryptofeedSyntaxError) -> CryptofeedLine {
        let bytes = Array(line.utf8)
        do {
            return try bytes.withUnsafeBytes { raw in try parse(raw) }
        } catch let error as CryptofeedSyntaxError {
            throw error
        } catch {
            preconditionFailure("parse throws only CryptofeedSyntaxError")
        }
    }

    private static func find(colonSpaceIn line: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var i = start
        while i + 1 < line.count {
            if line[i] == UInt8(ascii: ":"), line[i + 1] == UInt8(ascii: " ") { return i }
            i += 1
        }
        return nil
    }

    /// The first ` <- `, ` <-> ` or ` -> ` in the line.
    private static func firstSeparator(_ line: UnsafeRawBufferPointer) -> (Int, Separator)? {
        let space = UInt8(ascii: " "), lt = UInt8(ascii: "<"), dash = UInt8(ascii: "-"), gt = UInt8(ascii: ">")
        var i = 0
        let n = line.count
        while i + 3 < n {
            if line[i] == space {
                if line[i + 1] == lt, line[i + 2] == dash {
                    if line[i + 3] == space { return (i, .sent) }
                    if line[i + 3] == gt, i + 4 < n, line[i + 4] == space { return (i, .connect) }
                } else if line[i + 1] == dash, line[i + 2] == gt, line[i + 3] == space {
                    return (i, .rest)
                }
            }
            i += 1
        }
        return nil
    }
}
