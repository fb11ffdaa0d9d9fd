import Model

/// Converts one feed's cryptofeed raw capture files into one recording.
///
/// Two streaming passes: the first checks every line (so a malformed file fails before any output
/// exists) and gathers the configuration, the venue and the start time; the second merges the files
/// by timestamp into the writer. Memory is bounded by the longest line, whatever the capture size.
public enum CryptofeedImporter {
    public struct Options: Sendable {
        /// Written to the header, e.g. `marketprism 0.1.0`.
        public var toolVersion: String
        /// The host that captured the data, when known.
        public var host: String
        /// Overrides venue detection from the URLs.
        public var venue: Venue?
        public var writer: RecordingWriterOptions

        public init(toolVersion: String, host: String = "", venue: Venue? = nil, writer: RecordingWriterOptions = .init()) {
            self.toolVersion = toolVersion
            self.host = host
            self.venue = venue
            self.writer = writer
        }
    }

    public struct Summary: Sendable, Equatable {
        public var outputPaths: [String]
        public var venue: Venue
        public var configuration: String?
        public var streams: [StreamLabel]
        public var records: Int
        public var kindCounts: [RecordKind: Int]
        public var blankLines: Int
        public var firstWallNs: Int64?
        public var lastWallNs: Int64?
    }

    /// One capture file and the stream its records go to.
    struct Input {
        var path: String
        var name: CryptofeedFileName
        var stream: UInt32
    }

    /// What the checking pass learns.
    struct Survey {
        var configuration: String?
        var configurationAt: String?
        var venues: [(venue: Venue, url: String)] = []
        var unknownURL: String?
        var firstWallNs: Int64?
        var lastWallNs: Int64?
        var blankLines = 0
    }

    public static func importFeed(files: [String], output: String, options: Options) throws(CryptofeedImportError) -> Summary {
        let inputs = try plan(files)
        let survey = try surveyFiles(inputs)
        let venue: Venue
        if let chosen = options.venue { venue = chosen } else { venue = try decideVenue(survey) }

        var labels: [UInt32: [String]] = [:]
        for input in inputs { labels[input.stream, default: []].append(baseName(input.path)) }
        let streams = labels.keys.sorted().map { StreamLabel(id: $0, label: labels[$0]!.joined(separator: ",")) }
        let header = RecordingHeader(
            venue: venue.rawValue, subscription: survey.configuration ?? "{}", host: options.host,
            toolVersion: options.toolVersion, startWallNs: survey.firstWallNs ?? 0, streamLabels: streams)
        do throws(RecordingError) {
            let writer = try RecordingWriter(path: output, header: header, options: options.writer)
            let counts = try merge(inputs, into: writer, monoOrigin: survey.firstWallNs ?? 0)
            let paths = try writer.close()
            return Summary(
                outputPaths: paths, venue: venue, configuration: survey.configuration, streams: streams,
                records: writer.recordCount, kindCounts: counts, blankLines: survey.blankLines,
                firstWallNs: survey.firstWallNs, lastWallNs: survey.lastWallNs)
        } catch {
            throw .recording(error)
        }
    }

    /// Orders the files and gives each connection or REST source its stream id (from 1).
    static func plan(_ files: [String]) throws(CryptofeedImportError) -> [Input] {
        guard !files.isEmpty else { throw .noFiles }
        var named: [(String, CryptofeedFileName)] = []
        for file in files {
            guard let name = CryptofeedFileName(path: file) else { throw .unrecognizedFileName(file: file) }
            // The same capture twice (even by another path) would duplicate every record.
            if named.contains(where: { $0.1 == name }) { throw .duplicateFile(file: file) }
            if let other = named.first, other.1.feed != name.feed {
                throw .mixedFeeds(file: file, feed: name.feed, expected: other.1.feed)
            }
            named.append((file, name))
        }
        named.sort { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        var inputs: [Input] = []
        var stream: UInt32 = 0
        var previous: CryptofeedFileName.Source?
        for (path, name) in named {
            // Rotated files of one source continue its stream.
            if name.source != previous { stream += 1 }
            previous = name.source
            inputs.append(Input(path: path, name: name, stream: stream))
        }
        return inputs
    }

    private static func baseName(_ path: String) -> String {
        path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
    }

    private static func excerpt(_ line: UnsafeRawBufferPointer) -> String {
        let text = String(decoding: line.prefix(80), as: UTF8.self)
        return line.count > 80 ? text + "..." : text
    }

    private static func parse(_ line: UnsafeRawBufferPointer, _ reader: LineReader) throws(CryptofeedImportError) -> CryptofeedLine {
        do {
            return try CryptofeedLine.parse(line)
        } catch {
            throw .malformedLine(file: reader.path, line: reader.lineNumber, expected: error.expected, found: excerpt(line))
        }
    }

    private static func text(_ line: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: line[range]), as: UTF8.self)
    }

    /// Pass 1: every line must parse; collect configuration, URLs and the time span.
    static func surveyFiles(_ inputs: [Input]) throws(CryptofeedImportError) -> Survey {
        var survey = Survey()
        var seenHosts: Set<String> = []
        for input in inputs {
            let reader: LineReader
            do { reader = try LineReader(path: input.path) } catch { throw .recording(error) }
            while true {
                let next: UnsafeRawBufferPointer?
                do { next = try reader.nextLine() } catch { throw .recording(error) }
                guard let line = next else { break }
                let parsed = try parse(line, reader)
                var url: Range<Int>?
                switch parsed {
                case .blank:
                    survey.blankLines += 1
                case .configuration(let json):
                    if let first = survey.configurationAt {
                        throw .duplicateConfiguration(file: input.path, line: reader.lineNumber, first: first)
                    }
                    survey.configuration = text(line, json)
                    survey.configurationAt = "\(input.path):\(reader.lineNumber)"
                case .received:
                    break
                case .sent(let u, _, _), .connect(let u, _), .restResponse(let u, _, _):
                    url = u
                }
                if let wall = parsed.wallNs {
                    if survey.firstWallNs == nil || wall < survey.firstWallNs! { survey.firstWallNs = wall }
                    if survey.lastWallNs == nil || wall > survey.lastWallNs! { survey.lastWallNs = wall }
                }
                if let url {
                    let urlText = text(line, url)
                    let host = VenueDetection.host(of: urlText) ?? urlText
                    if seenHosts.insert(host).inserted {
                        if let venue = VenueDetection.venue(forURL: urlText) {
                            survey.venues.append((venue, urlText))
                        } else if survey.unknownURL == nil {
                            survey.unknownURL = urlText
                        }
                    }
                }
            }
        }
        return survey
    }

    static func decideVenue(_ survey: Survey) throws(CryptofeedImportError) -> Venue {
        if let unknown = survey.unknownURL { throw .unknownVenue(url: unknown) }
        guard let first = survey.venues.first else { throw .noVenueURL }
        if let other = survey.venues.first(where: { $0.venue != first.venue }) {
            throw .conflictingVenues("\(first.venue.rawValue) from \(first.url), \(other.venue.rawValue) from \(other.url)")
        }
        return first.venue
    }

    /// Pass 2: merge the files by timestamp (ties keep file order; each file keeps its own order).
    static func merge(_ inputs: [Input], into writer: RecordingWriter, monoOrigin: Int64) throws(RecordingError) -> [RecordKind: Int] {
        let readers = try inputs.map { (input) throws(RecordingError) in try LineReader(path: input.path) }
        var pending: [(line: UnsafeRawBufferPointer, parsed: CryptofeedLine, wallNs: Int64)?] = []
        func advance(_ i: Int) throws(RecordingError) -> (line: UnsafeRawBufferPointer, parsed: CryptofeedLine, wallNs: Int64)? {
            while let line = try readers[i].nextLine() {
                // Pass 1 accepted every line, so parsing cannot fail here.
                guard let parsed = try? CryptofeedLine.parse(line), let wall = parsed.wallNs else { continue }
                return (line, parsed, wall)
            }
            return nil
        }
        for i in readers.indices { pending.append(try advance(i)) }
        var counts: [RecordKind: Int] = [:]
        while true {
            var best: Int?
            for i in pending.indices {
                guard let candidate = pending[i] else { continue }
                if best == nil || candidate.wallNs < pending[best!]!.wallNs { best = i }
            }
            guard let i = best, let (line, parsed, wall) = pending[i] else { break }
            let stream = inputs[i].stream
            let mono = wall &- monoOrigin
            func bytes(_ r: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: line[r]) }
            switch parsed {
            case .received(_, let payload):
                try writer.append(kind: .wsReceived, stream: stream, wallNs: wall, monoNs: mono, payload: bytes(payload))
                counts[.wsReceived, default: 0] += 1
            case .sent(_, _, let payload):
                try writer.append(kind: .wsSent, stream: stream, wallNs: wall, monoNs: mono, payload: bytes(payload))
                counts[.wsSent, default: 0] += 1
            case .connect(let url, _):
                try writer.append(Record(kind: .connect, stream: stream, wallNs: wall, monoNs: mono, url: text(line, url)))
                counts[.connect, default: 0] += 1
            case .restResponse(let url, _, let body):
                // cryptofeed keeps neither the method nor the status: its captures hold only successful GETs.
                try writer.append(
                    Record(
                        kind: .restResponse, stream: stream, wallNs: wall, monoNs: mono, url: text(line, url),
                        method: "GET", status: 200, payload: Array(bytes(body))))
                counts[.restResponse, default: 0] += 1
            case .blank, .configuration:
                break
            }
            pending[i] = try advance(i)
        }
        return counts
    }
}
