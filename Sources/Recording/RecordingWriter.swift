import CZstd
import Model

/// How a writer cuts frames and rotates files.
public struct RecordingWriterOptions: Sendable, Equatable {
    /// zstd level; 3 keeps up with live traffic on one core with room to spare.
    public var compressionLevel: Int32
    /// Cut a frame once this many raw record bytes are buffered. A crash loses at most one open frame.
    public var frameTargetBytes: Int
    /// Cut a frame once its records span this much wall time (also checked by `tick(wallNs:)`).
    public var frameMaxWallNs: Int64
    /// Start a new numbered file once the current one reaches this many bytes.
    public var rotateAfterBytes: Int64?
    /// Start a new numbered file once a record is this much later than the file's first record.
    public var rotateAfterWallNs: Int64?
    /// `flush()` fsyncs so flushed records survive power loss, not only a process crash.
    public var syncOnFlush: Bool

    public init(
        compressionLevel: Int32 = 3, frameTargetBytes: Int = 1 << 20, frameMaxWallNs: Int64 = 1_000_000_000,
        rotateAfterBytes: Int64? = nil, rotateAfterWallNs: Int64? = nil, syncOnFlush: Bool = true
    ) {
        self.compressionLevel = compressionLevel
        self.frameTargetBytes = frameTargetBytes
        self.frameMaxWallNs = frameMaxWallNs
        self.rotateAfterBytes = rotateAfterBytes
        self.rotateAfterWallNs = rotateAfterWallNs
        self.syncOnFlush = syncOnFlush
    }

    /// For records already at hand (synthetic markets, imports): no process can crash with a second of
    /// traffic unwritten, so frames are cut by size alone, and written once to be read many times, so
    /// compressed harder. Against live framing (level 3, cut every second) the shipped synthetic recordings
    /// are ~25% smaller and libzstd decodes them with ~45% fewer instructions a record (docs/recording-format.md).
    public static let offline = RecordingWriterOptions(
        compressionLevel: 9, frameTargetBytes: 128 << 10, frameMaxWallNs: .max)

    /// Rotation produces numbered files (`name.000000.mprec`, ...); without it the path is used as given.
    public var rotates: Bool { rotateAfterBytes != nil || rotateAfterWallNs != nil }
}

/// Writes a recording: records are buffered into the open frame, which is compressed and written when
/// it reaches ~1 MB or ~1 s, on `flush()`, and on `close()`.
///
/// The file is written as `<path>.tmp` and renamed to `<path>` by `close()`, so a finished name always
/// means a finished file. If the process dies, the `.tmp` file holds every frame written so far and
/// `RecordingReader` reads it up to the last complete frame. Not thread-safe: one writer, one thread.
public final class RecordingWriter {
    public let path: String
    public let options: RecordingWriterOptions
    private var header: RecordingHeader
    private let compressor: ZstdCompressor
    private var file: PosixFile?
    private var segment: UInt32
    private var segmentPath: String
    private var fileOffset: Int64 = 0
    private var index: [FrameIndexEntry] = []
    private var rotationPending = false
    private var segmentFirstWallNs: Int64?

    private let raw: ByteBuffer
    private let compressed = ByteBuffer(capacity: 64 << 10)
    private var frameRecords = 0
    private var frameFirstWallNs: Int64 = 0
    private var frameMinWallNs: Int64 = .max
    private var frameMaxWallNs: Int64 = .min

    /// Files completed so far (renamed to their final names), in order.
    public private(set) var finishedPaths: [String] = []
    /// Records appended so far, over all files.
    public private(set) var recordCount = 0
    /// Records in frames already handed to the OS (all of them after `flush()`).
    public private(set) var writtenRecordCount = 0
    /// Raw record bytes appended so far.
    public private(set) var rawBytes: Int64 = 0

    /// Creates `<path>.tmp` (or the first numbered segment) and writes the header.
    public init(path: String, header: RecordingHeader, options: RecordingWriterOptions = .init()) throws(RecordingError) {
        guard options.frameTargetBytes > 0, options.frameTargetBytes <= RecordLayout.maxRecordBytes else {
            throw .invalidOption("frameTargetBytes must be in 1...\(RecordLayout.maxRecordBytes)")
        }
        guard options.compressionLevel >= ZSTD_minCLevel(), options.compressionLevel <= ZSTD_maxCLevel() else {
            throw .invalidOption("compression level must be in \(ZSTD_minCLevel())...\(ZSTD_maxCLevel())")
        }
        guard options.frameMaxWallNs > 0 else { throw .invalidOption("frameMaxWallNs must be positive") }
        self.path = path
        self.options = options
        self.header = header
        self.header.formatVersion = RecordingHeader.currentVersion
        self.compressor = try ZstdCompressor(level: options.compressionLevel)
        self.raw = ByteBuffer(capacity: min(options.frameTargetBytes, 1 << 20) + 4096)
        self.segment = header.segment
        self.segmentPath = options.rotates ? Self.numberedPath(path, segment: header.segment) : path
        try openSegment()
    }

    deinit {
        // Not closed: leave the `.tmp` file exactly as a crash would (readable up to its last frame).
        try? file?.close()
    }

    /// The final name of segment `n` of a rotated recording: `dir/name.000003.mprec` for `dir/name.mprec`.
    public static func numberedPath(_ path: String, segment: UInt32) -> String {
        let number = String(segment)
        let padded = String(repeating: "0", count: max(0, 6 - number.count)) + number
        let nameStart = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        if let dot = path[nameStart...].lastIndex(of: "."), dot > nameStart {
            return String(path[..<dot]) + "." + padded + String(path[dot...])
        }
        return path + "." + padded
    }

    /// The name the current file is being written under.
    public var temporaryPath: String { segmentPath + ".tmp" }

    /// Appends one record (copied into the open frame).
    public func append(_ record: Record) throws(RecordingError) {
        let size = record.encodedSize
        try prepare(wallNs: record.wallNs, size: size)
        record.encode(into: raw, size: size)
        try finishAppend(wallNs: record.wallNs, size: size)
    }

    /// Appends a record without metadata straight from borrowed bytes: the live recorder's path for
    /// websocket frames (no `Record`, no allocation).
    public func append(
        kind: RecordKind, stream: UInt32, wallNs: Int64, monoNs: Int64, isBinary: Bool = false,
        payload: UnsafeRawBufferPointer
    ) throws(RecordingError) {
        let size = RecordLayout.fixedSize + payload.count
        try prepare(wallNs: wallNs, size: size)
        RecordLayout.encodePlain(
            kind: kind, stream: stream, wallNs: wallNs, monoNs: monoNs, isBinary: isBinary, payload: payload, into: raw)
        try finishAppend(wallNs: wallNs, size: size)
    }

    @inline(__always)
    private func prepare(wallNs: Int64, size: Int) throws(RecordingError) {
        guard file != nil else { throw .writerClosed(path: path) }
        guard size <= RecordLayout.maxRecordBytes else {
            throw .recordTooLarge(bytes: size, limit: RecordLayout.maxRecordBytes)
        }
        if let first = segmentFirstWallNs, let limit = options.rotateAfterWallNs, wallNs &- first >= limit {
            rotationPending = true
        }
        if rotationPending {
            try cutFrame()
            try rotate(startWallNs: wallNs)
        }
        if frameRecords > 0,
            raw.count + size > options.frameTargetBytes || wallNs &- frameFirstWallNs >= options.frameMaxWallNs
        {
            try cutFrame()
        }
    }

    @inline(__always)
    private func finishAppend(wallNs: Int64, size: Int) throws(RecordingError) {
        if frameRecords == 0 { frameFirstWallNs = wallNs }
        if segmentFirstWallNs == nil { segmentFirstWallNs = wallNs }
        frameRecords += 1
        if wallNs < frameMinWallNs { frameMinWallNs = wallNs }
        if wallNs > frameMaxWallNs { frameMaxWallNs = wallNs }
        recordCount += 1
        rawBytes += Int64(size)
        if raw.count >= options.frameTargetBytes { try cutFrame() }
    }

    /// Cuts the open frame if it has been open for `frameMaxWallNs`: call it from a timer so a quiet
    /// feed's records still reach the disk about once a second.
    public func tick(wallNs: Int64) throws(RecordingError) {
        guard file != nil else { throw .writerClosed(path: path) }
        if frameRecords > 0, wallNs &- frameFirstWallNs >= options.frameMaxWallNs { try cutFrame() }
    }

    /// Cuts the open frame and (with `syncOnFlush`) fsyncs: every record appended so far is then durable.
    public func flush() throws(RecordingError) {
        guard let file else { throw .writerClosed(path: path) }
        try cutFrame()
        if options.syncOnFlush { try file.sync() }
    }

    /// Writes the open frame and the footer index, fsyncs, and renames the file to its final name.
    /// Returns every finished file of this writer.
    @discardableResult
    public func close() throws(RecordingError) -> [String] {
        guard file != nil else { throw .writerClosed(path: path) }
        try cutFrame()
        try finishSegment()
        return finishedPaths
    }

    private func openSegment() throws(RecordingError) {
        let file = try PosixFile.create(temporaryPath)
        let frame = header.encodedFrame()
        try file.writeAll(frame)
        self.file = file
        fileOffset = Int64(frame.count)
        index.removeAll(keepingCapacity: true)
        segmentFirstWallNs = nil
        rotationPending = false
    }

    private func finishSegment() throws(RecordingError) {
        guard let file else { return }
        try file.writeAll(Footer.encodedFrame(entries: index))
        try file.sync()
        try file.close()
        self.file = nil
        try PosixFile.rename(temporaryPath, to: segmentPath)
        PosixFile.syncDirectory(containing: segmentPath)
        finishedPaths.append(segmentPath)
    }

    /// Finishes the current file and opens the next; called lazily with the first record of the new
    /// file, so a rotated series never ends with an empty file and each header has its real start time.
    private func rotate(startWallNs: Int64) throws(RecordingError) {
        try finishSegment()
        segment += 1
        header.segment = segment
        header.startWallNs = startWallNs
        segmentPath = Self.numberedPath(path, segment: segment)
        try openSegment()
    }

    private func cutFrame() throws(RecordingError) {
        guard frameRecords > 0, let file else { return }
        let capacity = ZstdCompressor.bound(raw.count)
        compressed.reserve(FrameInfo.frameSize + capacity)
        let size = try compressor.compress(raw.bytes, into: compressed.base + FrameInfo.frameSize, capacity: capacity)
        let checksum = XXH64.hash(UnsafeRawBufferPointer(start: compressed.base + FrameInfo.frameSize, count: size))
        let info = FrameInfo(
            recordCount: UInt32(frameRecords), rawSize: UInt32(raw.count), compressedSize: UInt32(size),
            minWallNs: frameMinWallNs, maxWallNs: frameMaxWallNs, checksum: checksum)
        info.store(at: compressed.base)
        try file.writeAll(UnsafeRawBufferPointer(start: compressed.base, count: FrameInfo.frameSize + size))
        index.append(FrameIndexEntry(offset: fileOffset, info: info))
        fileOffset += Int64(FrameInfo.frameSize + size)
        writtenRecordCount += frameRecords
        frameRecords = 0
        frameMinWallNs = .max
        frameMaxWallNs = .min
        raw.count = 0
        raw.shrink(ifAbove: max(options.frameTargetBytes, 1 << 20) * 2)
        compressed.shrink(ifAbove: max(options.frameTargetBytes, 1 << 20) * 2)
        if let limit = options.rotateAfterBytes, fileOffset >= limit { rotationPending = true }
    }
}
