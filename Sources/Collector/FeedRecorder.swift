import Exchanges
import Foundation
import Model
import Recording

/// Records one venue feed the way `RecordedFeed` loads it: a header with the venue and the
/// subscription JSON, then every websocket frame received (with its connection and the very
/// instant the stack was given), what was sent, connects and disconnects, and every REST response
/// the stack used, under the URL the stack asked for. Replaying the file drives the stack with the
/// same inputs at the same instants.
///
/// Not thread-safe: the feed calls it under its lock, in the order it calls the stack.
public final class FeedRecorder {
    /// REST responses share one stream id, apart from the websocket connections.
    public static let restStream = CollectorStreams.rest
    /// Subscription changes made at run time (API or NATS command).
    public static let controlStream = CollectorStreams.control
    public static let subscriptionChangeURL = CollectorStreams.subscriptionChangeURL

    public let path: String
    private let writer: RecordingWriter
    public private(set) var failure: RecordingError?
    public private(set) var bytesIn = 0

    public init(directory: String, venue: Venue, subscriptionJSON: String, settings: RecordingSettings, startWallNs: Int64,
                toolVersion: String) throws(RecordingError) {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = "\(directory)/\(venue.rawValue)-\(Self.stamp(startWallNs)).mprec"
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let header = RecordingHeader(
            venue: venue.rawValue, subscription: subscriptionJSON,
            host: String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
            toolVersion: toolVersion, startWallNs: startWallNs,
            streamLabels: [StreamLabel(id: Self.restStream, label: "rest"), StreamLabel(id: Self.controlStream, label: "control")])
        writer = try RecordingWriter(
            path: path, header: header,
            options: RecordingWriterOptions(
                compressionLevel: settings.compressionLevel, rotateAfterBytes: settings.rotateAfterBytes,
                rotateAfterWallNs: settings.rotateAfterNanoseconds, syncOnFlush: false))
    }

    /// The stream id of a connection in the recording.
    public static func stream(connection generation: Int, stream: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: stream &* 10_000 &+ generation &+ 1)
    }

    public var currentFile: String { writer.temporaryPath }
    public var records: Int { writer.recordCount }
    public var rawBytes: Int64 { writer.rawBytes }
    public var finishedPaths: [String] { writer.finishedPaths }

    /// Bytes on disk so far (finished files and the one being written).
    public var bytesOut: Int64 {
        var total: Int64 = 0
        for p in writer.finishedPaths + [writer.temporaryPath] {
            if let size = (try? FileManager.default.attributesOfItem(atPath: p))?[.size] as? NSNumber { total += size.int64Value }
        }
        return total
    }

    public func received(_ frame: UnsafeRawBufferPointer, stream: UInt32, wallNs: Int64, monoNs: Int64, binary: Bool) {
        bytesIn += frame.count
        guarded { w throws(RecordingError) in
            try w.append(kind: .wsReceived, stream: stream, wallNs: wallNs, monoNs: monoNs, isBinary: binary, payload: frame)
        }
    }

    public func sent(_ frame: [UInt8], stream: UInt32, wallNs: Int64, monoNs: Int64) {
        frame.withUnsafeBytes { p in
            guarded { w throws(RecordingError) in try w.append(kind: .wsSent, stream: stream, wallNs: wallNs, monoNs: monoNs, payload: p) }
        }
    }

    public func connected(url: String, stream: UInt32, wallNs: Int64, monoNs: Int64) {
        append(Record(kind: .connect, stream: stream, wallNs: wallNs, monoNs: monoNs, url: url))
    }

    public func disconnected(stream: UInt32, code: UInt16?, reason: String, wallNs: Int64, monoNs: Int64) {
        append(Record(kind: .disconnect, stream: stream, wallNs: wallNs, monoNs: monoNs, closeCode: code, closeReason: reason))
    }

    /// A subscription change the stack took at `wallNs` (what changed, not what was asked): a replay
    /// that applies it at that instant (`CollectorStack.changeSubscription`) runs the subscription the
    /// live stack ran. The venue frames it caused follow as `ws_sent` records.
    public func subscriptionChanged(_ delta: Subscription, subscribed: Bool, wallNs: Int64, monoNs: Int64) {
        guard !delta.entries.isEmpty else { return }
        append(Record(kind: .restRequest, stream: Self.controlStream, wallNs: wallNs, monoNs: monoNs, url: Self.subscriptionChangeURL,
                      method: subscribed ? "POST" : "DELETE", payload: Array(delta.json.utf8)))
    }

    public func restResponse(url: String, method: String, status: Int, headers: [(name: String, value: String)], body: [UInt8],
                             wallNs: Int64, monoNs: Int64) {
        bytesIn += body.count
        let kept = headers.filter { h in HTTPHeader.recordedNames.contains { $0.caseInsensitiveCompare(h.name) == .orderedSame } }
            .map { HTTPHeader(name: $0.name, value: $0.value) }
        append(Record(kind: .restResponse, stream: Self.restStream, wallNs: wallNs, monoNs: monoNs, url: url, method: method,
                      status: UInt16(clamping: status), headers: kept, payload: body))
    }

    /// Cuts the open frame once it is a second old, so a quiet feed still reaches the disk.
    public func tick(wallNs: Int64) { guarded { w throws(RecordingError) in try w.tick(wallNs: wallNs) } }

    public func flush() { guarded { w throws(RecordingError) in try w.flush() } }

    /// Finishes the file (footer, rename to the final name); returns every finished file.
    @discardableResult
    public func close() -> [String] {
        guarded { w throws(RecordingError) in try w.close() }
        return writer.finishedPaths
    }

    private func append(_ record: Record) { guarded { w throws(RecordingError) in try w.append(record) } }

    /// A failing disk stops the recording, never the collector; the failure shows in status and logs.
    private func guarded(_ body: (RecordingWriter) throws(RecordingError) -> Void) {
        guard failure == nil else { return }
        do { try body(writer) } catch { failure = error }
    }

    private static func stamp(_ ns: Int64) -> String {
        var t = time_t(ns / 1_000_000_000)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec)
    }
}
