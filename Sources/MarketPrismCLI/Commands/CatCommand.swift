import ArgumentParser
import Foundation
import Recording

#if canImport(Glibc)
import Glibc
#endif

struct CatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Print a recording's records as JSON lines, optionally filtered.",
        discussion: """
            One JSON object per line: wall_ns, time (UTC), mono_ns, stream, kind, REST/connection metadata when \
            present (url, method, status, headers, close_code, close_reason), and payload: the text when it \
            is UTF-8, else base64 with "payload_encoding":"base64".

            Times are Unix seconds (1633998512.5), nanoseconds with an ns suffix (1633998512500000000ns) \
            or ISO-8601 UTC (2021-10-12T00:28:32.5Z). --from is inclusive, --to exclusive. A truncated file \
            prints every complete record and a warning on stderr; damaged data is an error (exit status 2), \
            or with --salvage a warning per damaged frame skipped.

            Examples:
              marketprism cat okx.mprec --kind ws_received
              marketprism cat binance.mprec --kind rest_response,connect --stream 2
              marketprism cat binance.mprec --from 1633998512 --to 2021-10-12T00:28:40Z
            """)

    @Argument(help: "The recording.")
    var recording: String

    @Option(name: .customLong("kind"), help: "Only these kinds (repeat or comma-separate): ws_received, ws_sent, rest_request, rest_response, connect, disconnect, error.")
    var kinds: [String] = []

    @Option(name: .customLong("stream"), help: "Only these stream ids (repeat or comma-separate).")
    var streams: [String] = []

    @Option(help: "Only records at or after this time.")
    var from: String?

    @Option(help: "Only records before this time.")
    var to: String?

    @Flag(help: "Skip damaged frames (reported on stderr) instead of stopping at the first.")
    var salvage = false

    func run() throws {
        var kindMask = [Bool](repeating: kinds.isEmpty, count: 8)
        for name in kinds.flatMap({ $0.split(separator: ",") }) {
            guard let kind = RecordKind(rawValue: String(name)) else {
                throw ValidationError("unknown kind '\(name)'; expected one of \(RecordKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            kindMask[Int(kind.code)] = true
        }
        var streamFilter: Set<UInt32>?
        for text in streams.flatMap({ $0.split(separator: ",") }) {
            guard let id = UInt32(text) else { throw ValidationError("--stream expects a number, got '\(text)'") }
            streamFilter = (streamFilter ?? []).union([id])
        }
        func time(_ text: String?, _ option: String) throws -> Int64? {
            guard let text else { return nil }
            guard let ns = WallTimeText.parse(text) else {
                throw ValidationError("\(option) expects Unix seconds, nanoseconds with 'ns' or ISO-8601 UTC, got '\(text)'")
            }
            return ns
        }
        let fromNs = try time(from, "--from")
        let toNs = try time(to, "--to")

        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        func flushOut() {
            out.withUnsafeBytes { bytes in
                var done = 0
                while done < bytes.count {
                    let n = write(1, bytes.baseAddress! + done, bytes.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        return  // stdout closed (a pipe into `head`): nothing more to say
                    }
                    done += n
                }
            }
            out.removeAll(keepingCapacity: true)
        }
        let reader: RecordingReader
        do {
            reader = try RecordingReader(path: recording)
            reader.salvage = salvage
            if let fromNs { try reader.seek(toWallNs: fromNs) }
            try reader.forEachRecord { record in
                guard kindMask[Int(record.kind.code)] else { return }
                if let streamFilter, !streamFilter.contains(record.stream) { return }
                let wall = record.wallNs
                if let fromNs, wall < fromNs { return }
                if let toNs, wall >= toNs { return }
                RecordJSON.append(record, to: &out)
                if out.count >= 1 << 20 { flushOut() }
            }
        } catch {
            flushOut()
            throw CLIError(String(describing: error))
        }
        flushOut()
        reader.warnAboutSkippedBytes()
    }
}
