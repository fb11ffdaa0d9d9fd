import ArgumentParser
import Foundation
import Recording

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarize a recording: records by kind and stream, time span, sizes, and whether it ended cleanly.",
        discussion: """
            Reads the whole file once, in constant memory. A file without its closing index (a crashed or \
            running recorder) is read up to its last complete frame and reported as truncated; damaged data \
            is an error with its byte offset (exit status 2).

            With --salvage, damaged frames are skipped and listed (offset, reason, bytes skipped) instead.

            JSON keys: records, kinds {kind: count}, streams {id: count}, stream_labels {id: label}, first_ns, \
            last_ns, raw_bytes, payload_bytes, compressed_bytes, file_bytes, ratio, frames, ended_cleanly, \
            truncated, unreadable_bytes, damage [{offset, frame_offset, skipped_bytes, reason}], \
            header {venue, subscription, host, tool_version, start_ns, segment, format_version}.

            Examples:
              marketprism inspect okx.mprec
              marketprism inspect okx.mprec --json
              marketprism inspect damaged.mprec --salvage
            """)

    @Argument(help: "The recording.")
    var recording: String

    @Flag(help: "Print one JSON object (sorted keys) instead of text.")
    var json = false

    @Flag(help: "Skip damaged frames and report them instead of stopping at the first.")
    var salvage = false

    func run() throws {
        let reader: RecordingReader
        let stats: RecordingStats
        do {
            reader = try RecordingReader(path: recording)
            reader.salvage = salvage
            stats = try reader.stats()
        } catch {
            throw CLIError(error.description)
        }
        if json {
            print(try jsonText(reader, stats))
        } else {
            print(text(reader, stats))
        }
    }

    func jsonText(_ reader: RecordingReader, _ stats: RecordingStats) throws -> String {
        let header = reader.header
        var kinds: [String: Any] = [:]
        for (kind, count) in stats.kinds { kinds[kind.rawValue] = count }
        var streams: [String: Any] = [:]
        for (stream, count) in stats.sortedStreams { streams[String(stream)] = count }
        var labels: [String: Any] = [:]
        for label in header.streamLabels { labels[String(label.id)] = label.label }
        let object: [String: Any] = [
            "file": recording,
            "records": stats.records,
            "kinds": kinds,
            "streams": streams,
            "stream_labels": labels,
            "first_ns": stats.firstWallNs.map { NSNumber(value: $0) } ?? NSNull(),
            "last_ns": stats.lastWallNs.map { NSNumber(value: $0) } ?? NSNull(),
            "raw_bytes": stats.rawBytes,
            "payload_bytes": stats.payloadBytes,
            "compressed_bytes": stats.compressedBytes,
            "file_bytes": stats.fileBytes,
            "ratio": (stats.compressionRatio * 1000).rounded() / 1000,
            "frames": stats.frames,
            "ended_cleanly": stats.endedCleanly,
            "truncated": stats.truncated,
            "unreadable_bytes": stats.unreadableBytes,
            "damage": stats.damage.map { d -> [String: Any] in
                ["offset": d.offset, "frame_offset": d.frameOffset, "skipped_bytes": d.skippedBytes, "reason": d.reason.description]
            },
            "header": [
                "venue": header.venue,
                "subscription": header.subscription,
                "host": header.host,
                "tool_version": header.toolVersion,
                "start_ns": header.startWallNs,
                "segment": Int(header.segment),
                "format_version": Int(header.formatVersion),
            ] as [String: Any],
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    func text(_ reader: RecordingReader, _ stats: RecordingStats) -> String {
        let header = reader.header
        var lines: [String] = []
        func row(_ label: String, _ value: String) {
            lines.append(label.padding(toLength: 18, withPad: " ", startingAt: 0) + value)
        }
        row("file", "\(recording) (\(grouped(stats.fileBytes)) bytes)")
        row("format", "v\(header.formatVersion), written by \(header.toolVersion)" + (header.host.isEmpty ? "" : " on \(header.host)"))
        row("venue", header.venue)
        let subscription = header.subscription.count > 160 ? String(header.subscription.prefix(160)) + "..." : header.subscription
        row("subscription", subscription)
        row("started", WallTimeText.iso8601(header.startWallNs) + (header.segment > 0 ? " (segment \(header.segment))" : ""))
        row("records", grouped(Int64(stats.records)))
        for (kind, count) in stats.kinds where count > 0 {
            row("  " + kind.rawValue, grouped(Int64(count)))
        }
        let labels = Dictionary(header.streamLabels.map { ($0.id, $0.label) }, uniquingKeysWith: { a, _ in a })
        for (stream, count) in stats.sortedStreams {
            row("  stream \(stream)", grouped(Int64(count)) + (labels[stream].map { "  (\($0))" } ?? ""))
        }
        if let first = stats.firstWallNs, let last = stats.lastWallNs {
            let seconds = Double(last - first) / 1e9
            row("span", "\(WallTimeText.iso8601(first)) .. \(WallTimeText.iso8601(last)) (\(String(format: "%.3f", seconds)) s)")
        } else {
            row("span", "-")
        }
        row(
            "bytes",
            "raw \(grouped(stats.rawBytes)) (payload \(grouped(stats.payloadBytes))), stored \(grouped(stats.compressedBytes)), "
                + "ratio \(String(format: "%.2f", stats.compressionRatio))x, \(stats.frames) frames")
        for d in stats.damage {
            row("DAMAGED", "frame at \(d.frameOffset): \(d.reason) (at \(d.offset)); \(grouped(d.skippedBytes)) bytes skipped")
        }
        if stats.endedCleanly {
            row("ended", "cleanly (index footer present)")
        } else {
            row("ended", "TRUNCATED: no index footer; \(grouped(stats.unreadableBytes)) unreadable bytes after the last complete frame")
        }
        return lines.joined(separator: "\n")
    }

    private func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return value < 0 ? "-" + out : out
    }
}
