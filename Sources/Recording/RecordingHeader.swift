import Model

/// A label for a stream id, e.g. the source file or URL it came from; stored in the header.
public struct StreamLabel: Sendable, Hashable {
    public var id: UInt32
    public var label: String

    public init(id: UInt32, label: String) {
        self.id = id
        self.label = label
    }
}

/// What a recording is: the first frame of every file.
public struct RecordingHeader: Sendable, Equatable {
    /// The format version this code writes and the newest it reads.
    public static let currentVersion: UInt8 = 1

    /// Version found in the file (always `currentVersion` when writing).
    public var formatVersion: UInt8 = RecordingHeader.currentVersion
    /// Venue raw value (`Venue.rawValue`), kept as text so a reader never fails on a venue it does not know.
    public var venue: String
    /// The subscription/config as JSON text, e.g. `{"l2_book":["BTC-USDT"]}`.
    public var subscription: String
    /// Host that recorded it (empty when unknown, e.g. imported data).
    public var host: String
    /// Tool and version that wrote it, e.g. `marketprism 0.1.0`.
    public var toolVersion: String
    /// Wall-clock ns when recording started (for a rotated segment: its first record).
    public var startWallNs: Int64
    /// Position of this file in a rotated series, from 0.
    public var segment: UInt32
    public var streamLabels: [StreamLabel]

    public init(
        venue: String, subscription: String = "{}", host: String = "", toolVersion: String,
        startWallNs: Int64, segment: UInt32 = 0, streamLabels: [StreamLabel] = []
    ) {
        self.venue = venue
        self.subscription = subscription
        self.host = host
        self.toolVersion = toolVersion
        self.startWallNs = startWallNs
        self.segment = segment
        self.streamLabels = streamLabels
    }

    /// The venue as a typed value, when it is one this build knows.
    public var knownVenue: Venue? { Venue(rawValue: venue) }
}

/// Header fields, stored as TLVs so later v1 writers can add fields old readers skip.
enum HeaderTag: UInt8 {
    case venue = 1
    case subscription = 2
    case host = 3
    case toolVersion = 4
    case startWallNs = 5  // i64
    case segment = 6  // u32
    case streamLabel = 7  // u32 id, then UTF-8 label
}

extension RecordingHeader {
    /// The header as a complete skippable frame.
    func encodedFrame() -> [UInt8] {
        var payload: [UInt8] = Array(FrameFormat.headerMagicText)
        payload.append(RecordingHeader.currentVersion)
        func text(_ tag: HeaderTag, _ value: String) {
            payload.append(tag.rawValue)
            payload.appendLittleEndian(UInt32(value.utf8.count))
            payload.append(contentsOf: value.utf8)
        }
        text(.venue, venue)
        text(.subscription, subscription)
        text(.host, host)
        text(.toolVersion, toolVersion)
        payload.append(HeaderTag.startWallNs.rawValue)
        payload.appendLittleEndian(UInt32(8))
        payload.appendLittleEndian(startWallNs)
        payload.append(HeaderTag.segment.rawValue)
        payload.appendLittleEndian(UInt32(4))
        payload.appendLittleEndian(segment)
        for label in streamLabels {
            payload.append(HeaderTag.streamLabel.rawValue)
            payload.appendLittleEndian(UInt32(4 + label.label.utf8.count))
            payload.appendLittleEndian(label.id)
            payload.append(contentsOf: label.label.utf8)
        }
        payload.appendLittleEndian(CRC32.checksum(payload))
        var frame: [UInt8] = []
        frame.reserveCapacity(payload.count + 8)
        frame.appendLittleEndian(FrameFormat.headerMagic)
        frame.appendLittleEndian(UInt32(payload.count))
        frame.append(contentsOf: payload)
        return frame
    }

    /// Parses a header frame's payload (after the 8-byte skippable frame header).
    static func decode(payload: [UInt8], path: String) throws(RecordingError) -> RecordingHeader {
        let magic = FrameFormat.headerMagicText
        guard payload.count > magic.count, payload.starts(with: magic) else { throw .notARecording(path: path) }
        let version = payload[magic.count]
        guard version == currentVersion else {
            throw .unsupportedVersion(path: path, found: version, supported: currentVersion)
        }
        func corrupt(_ what: String) -> RecordingError {
            .corruptFrame(path: path, offset: 0, reason: .malformedHeader(what))
        }
        guard payload.count >= magic.count + 1 + 4 else { throw corrupt("too short for its checksum") }
        let body = payload[..<(payload.count - 4)]
        let stored = payload.withUnsafeBytes { $0.baseAddress!.loadLittleEndian(at: payload.count - 4, as: UInt32.self) }
        guard CRC32.checksum(body) == stored else {
            throw .corruptFrame(path: path, offset: 0, reason: .headerChecksumMismatch)
        }
        var header = RecordingHeader(venue: "", subscription: "", toolVersion: "", startWallNs: 0)
        var offset = magic.count + 1
        let end = payload.count - 4
        while offset < end {
            guard end - offset >= 5 else { throw corrupt("truncated field at \(offset)") }
            let tag = payload[offset]
            let length = Int(payload.withUnsafeBytes { $0.baseAddress!.loadLittleEndian(at: offset + 1, as: UInt32.self) })
            guard length <= end - offset - 5 else { throw corrupt("field \(tag) overruns the header") }
            let value = Array(payload[(offset + 5)..<(offset + 5 + length)])
            func integer<T: FixedWidthInteger>(_: T.Type) throws(RecordingError) -> T {
                guard value.count == MemoryLayout<T>.size else { throw corrupt("field \(tag) has \(value.count) bytes") }
                return value.withUnsafeBytes { $0.baseAddress!.loadLittleEndian(at: 0, as: T.self) }
            }
            switch HeaderTag(rawValue: tag) {
            case .venue?: header.venue = String(decoding: value, as: UTF8.self)
            case .subscription?: header.subscription = String(decoding: value, as: UTF8.self)
            case .host?: header.host = String(decoding: value, as: UTF8.self)
            case .toolVersion?: header.toolVersion = String(decoding: value, as: UTF8.self)
            case .startWallNs?: header.startWallNs = try integer(Int64.self)
            case .segment?: header.segment = try integer(UInt32.self)
            case .streamLabel?:
                guard value.count >= 4 else { throw corrupt("stream label shorter than its id") }
                let id = value.withUnsafeBytes { $0.baseAddress!.loadLittleEndian(at: 0, as: UInt32.self) }
                header.streamLabels.append(StreamLabel(id: id, label: String(decoding: value[4...], as: UTF8.self)))
            case nil: break  // a newer v1 writer's field
            }
            offset += 5 + length
        }
        header.formatVersion = version
        return header
    }
}
