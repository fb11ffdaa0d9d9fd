import ArgumentParser
import Model
import Recording

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert captures made by other tools into MarketPrism recordings.",
        discussion: """
            Example:
              marketprism import cryptofeed OKX.0 OKX.ws.1.0 --output okx.mprec
            """,
        subcommands: [ImportCryptofeedCommand.self])
}

struct ImportCryptofeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cryptofeed",
        abstract: "Import one feed's cryptofeed raw capture files (FEED.0, FEED.ws.N.R, FEED.http.N.R).",
        discussion: """
            Every received and sent frame, connection event and REST response is kept, the files are \
            interleaved by timestamp, the 'configuration:' subscription goes into the header, and the \
            venue is detected from the recorded URLs (binance, binance_futures, okx, deribit). A malformed \
            line stops the import with FILE:LINE and what was expected; no partial output is left.

            Example:
              cd ../shared/data/cryptofeed-sample
              marketprism import cryptofeed BINANCE.0 BINANCE.http.0.0 BINANCE.ws.1.0 \\
                  --output binance.mprec
            """)

    @Argument(help: "The capture files of one feed.")
    var files: [String]

    @Option(name: .shortAndLong, help: "The recording to write (written as OUTPUT.tmp, renamed when complete).")
    var output: String

    @Option(help: "The venue, when the URLs do not tell it (binance, binance_futures, okx, deribit).")
    var venue: String?

    @Option(help: "zstd compression level (frames are cut by size, not by wall time: the capture is already at hand).")
    var level: Int32 = RecordingWriterOptions.offline.compressionLevel

    func run() throws {
        var chosenVenue: Venue?
        if let venue {
            guard let v = Venue(rawValue: venue) else {
                throw ValidationError("--venue must be one of \(Venue.allCases.map(\.rawValue).joined(separator: ", ")), got '\(venue)'")
            }
            chosenVenue = v
        }
        let options = CryptofeedImporter.Options(
            toolVersion: "marketprism \(ToolVersion.current) (import cryptofeed)", venue: chosenVenue,
            writer: {
                var writer = RecordingWriterOptions.offline
                writer.compressionLevel = level
                return writer
            }())
        let summary: CryptofeedImporter.Summary
        do {
            summary = try CryptofeedImporter.importFeed(files: files, output: output, options: options)
        } catch {
            throw CLIError(error.description)
        }
        let kinds = RecordKind.allCases.compactMap { kind in
            summary.kindCounts[kind].map { "\(kind.rawValue) \($0)" }
        }
        var span = ""
        if let first = summary.firstWallNs, let last = summary.lastWallNs {
            span = ", \(WallTimeText.iso8601(first)) .. \(WallTimeText.iso8601(last))"
        }
        print(
            "\(summary.outputPaths.joined(separator: ", ")): \(summary.records) records (\(kinds.joined(separator: ", "))) "
                + "from \(files.count) files, venue \(summary.venue.rawValue)\(span)")
    }
}
