import Model

/// How a recording ends, known once the reader has reached it.
public enum RecordingTail: Sendable, Equatable {
    /// Iteration has not reached the end yet.
    case notReached
    /// The footer index is present and valid: the writer closed the file.
    case clean
    /// No footer: the writer crashed or is still running, or the file was cut. Everything before
    /// `offset` was read; the `unreadableBytes` after it belong to an incomplete frame.
    case truncated(offset: Int64, unreadableBytes: Int64)
}

/// A damaged region that `salvage` mode skipped.
public struct RecordingDamage: Sendable, Equatable {
    /// Where the damage was detected (as in `RecordingError.corruptFrame`).
    public var offset: Int64
    /// Start of the frame (its frame info) that could not be read.
    public var frameOffset: Int64
    /// Bytes skipped from `frameOffset` to the next intact frame (or the end of the file).
    public var skippedBytes: Int64
    public var reason: CorruptionReason
}

/// Reads a recording frame by frame: memory stays bounded by the largest frame (~1 MB), whatever the
/// file size. Each frame is decompressed into one reused buffer and its records are handed out as
/// borrowed `RecordView`s.
///
/// A file that ends early is read up to its last complete frame and reported in `tail`; data that is
/// present but wrong (checksum, structure) throws `RecordingError.corruptFrame` with its offset, after
/// every record of the frames before it has been delivered.
public final class RecordingReader {
    public let path: String
    public let header: RecordingHeader
    /// File size when opened; a file still being written is read up to this size.
    public let fileSize: Int64
    /// Offset of the first frame after the header.
    public let dataOffset: Int64
    public private(set) var tail: RecordingTail = .notReached

    private let file: PosixFile
    private let decompressor = ZstdDecompressor()
    private let compressed = ByteBuffer(capacity: 256 << 10)
    private let frame = ByteBuffer(capacity: 1 << 20)
    private let scratch = ByteBuffer(capacity: FrameInfo.frameSize)
    private var cursor: Int64
    private var framePosition = 0
    private var failure: RecordingError?

    /// Read past damaged frames instead of stopping at the first: each is reported in `damage`.
    /// Off by default, so damage is never skipped silently.
    public var salvage = false
    /// Damaged regions skipped in `salvage` mode, in file order.
    public private(set) var damage: [RecordingDamage] = []

    /// Data frames decoded since opening or the last `rewind()`.
    public private(set) var framesRead = 0
    /// Decompressed bytes of those frames.
    public private(set) var rawBytesRead: Int64 = 0
    /// Stored bytes of those frames (frame info plus zstd frame).
    public private(set) var compressedBytesRead: Int64 = 0

    /// Opens a recording and reads its header.
    ///
    /// Throws `notARecording` for other files, `unsupportedVersion` for newer formats, `corruptFrame`
    /// for a damaged header and `truncated` when the file ends inside the header.
    public init(path: String) throws(RecordingError) {
        self.path = path
        file = try PosixFile.openForReading(path)
        fileSize = try file.size()
        file.adviseSequential()
        let prefix = try file.readBytes(count: FrameFormat.skippableHeaderSize, at: 0)
        let got = prefix.count
        var magicBytes: [UInt8] = []
        magicBytes.appendLittleEndian(FrameFormat.headerMagic)
        guard got >= 4, prefix.starts(with: magicBytes) else {
            if got > 0, got < 4, magicBytes.starts(with: prefix[..<got]) {
                throw .truncated(path: path, offset: 0, unreadableBytes: fileSize)
            }
            throw .notARecording(path: path)
        }
        guard got == FrameFormat.skippableHeaderSize else {
            throw .truncated(path: path, offset: 0, unreadableBytes: fileSize)
        }
        let size = Int(prefix.withUnsafeBytes { $0.baseAddress!.loadLittleEndian(at: 4, as: UInt32.self) })
        guard size <= FrameFormat.maxHeaderPayload else {
            throw .corruptFrame(path: path, offset: 0, reason: .malformedHeader("size \(size) is implausible"))
        }
        let payload = try file.readBytes(count: size, at: Int64(FrameFormat.skippableHeaderSize))
        let read = payload.count
        if read < size {
            // A cut header still identifies the file when its magic text survived.
            let known = payload[..<read]
            if FrameFormat.headerMagicText.starts(with: known.prefix(FrameFormat.headerMagicText.count))
                || known.starts(with: FrameFormat.headerMagicText)
            {
                throw .truncated(path: path, offset: 0, unreadableBytes: fileSize)
            }
            throw .notARecording(path: path)
        }
        header = try RecordingHeader.decode(payload: payload, path: path)
        dataOffset = Int64(FrameFormat.skippableHeaderSize + size)
        cursor = dataOffset
    }

    // MARK: Iteration

    /// Calls `body` with every remaining record, in file order. Stops quietly at a truncated tail
    /// (see `tail`); throws `RecordingError.corruptFrame` on damaged data, or whatever `body` throws.
    public func forEachRecord(_ body: (RecordView) throws -> Void) throws {
        while true {
            let base = UnsafeRawPointer(frame.base)
            let end = frame.count
            var position = framePosition
            while position < end {
                let p = base + position
                let size = Int(p.loadLittleEndian(at: 0, as: UInt32.self))
                let kind = RecordKind(code: p.load(fromByteOffset: RecordLayout.kindOffset, as: UInt8.self))!
                position += size
                framePosition = position
                try body(RecordView(base: p, size: size, kind: kind))
            }
            guard try loadNextFrame() else { return }
        }
    }

    /// Pull-style iteration: calls `body` with the next record and returns its result, or nil at the end.
    ///
    /// Inlinable so each caller gets it specialized for its `R` (a generic call per record cost more
    /// than handing out the record itself).
    @inlinable
    public func withNextRecord<R>(_ body: (RecordView) throws -> R) throws -> R? {
        guard let record = try nextView() else { return nil }
        return try body(record)
    }

    /// The next record, borrowed from the frame buffer until the next read; nil at the end.
    @usableFromInline
    func nextView() throws(RecordingError) -> RecordView? {
        while framePosition >= frame.count {
            guard try loadNextFrame() else { return nil }
        }
        let p = UnsafeRawPointer(frame.base) + framePosition
        let size = Int(p.loadLittleEndian(at: 0, as: UInt32.self))
        let kind = RecordKind(code: p.load(fromByteOffset: RecordLayout.kindOffset, as: UInt8.self))!
        framePosition += size
        return RecordView(base: p, size: size, kind: kind)
    }

    /// The next record as an owned value, or nil at the end.
    public func nextRecord() throws(RecordingError) -> Record? {
        try nextView()?.makeRecord()
    }

    /// Every remaining record as owned values (tests and small files; iteration is the scalable way).
    public func readAll() throws(RecordingError) -> [Record] {
        var records: [Record] = []
        while let record = try nextRecord() { records.append(record) }
        return records
    }

    /// Goes back to the first record.
    public func rewind() {
        cursor = dataOffset
        frame.count = 0
        framePosition = 0
        tail = .notReached
        failure = nil
        damage = []
        framesRead = 0
        rawBytesRead = 0
        compressedBytesRead = 0
    }

    /// Positions the reader at the first record (in file order) whose wall time is at or after `wallNs`,
    /// using the footer index when present and the frame infos otherwise (no decompression to find it).
    /// Recordings are written in arrival order, so wall times only go backwards after a clock step; such
    /// earlier records that follow the position are still delivered.
    public func seek(toWallNs wallNs: Int64) throws(RecordingError) {
        var target: FrameIndexEntry?
        var dataEnd = dataOffset
        try scanIndex { entry in
            dataEnd = entry.offset + entry.totalSize
            if entry.maxWallNs >= wallNs {
                target = entry
                return false
            }
            return true
        }
        rewind()
        guard let target else {
            cursor = dataEnd
            return
        }
        cursor = target.offset
        guard try loadNextFrame() else { return }
        let base = UnsafeRawPointer(frame.base)
        while framePosition < frame.count {
            let p = base + framePosition
            if p.loadLittleEndian(at: RecordLayout.wallOffset, as: Int64.self) >= wallNs { break }
            framePosition += Int(p.loadLittleEndian(at: 0, as: UInt32.self))
        }
    }

    // MARK: Index

    /// The seek index: from the footer when the file was closed cleanly, else rebuilt by hopping over
    /// the frame infos (reads 40 bytes per frame, decompresses nothing).
    public func frameIndex() throws(RecordingError) -> [FrameIndexEntry] {
        var entries: [FrameIndexEntry] = []
        try scanIndex { entries.append($0); return true }
        return entries
    }

    /// Streams index entries to `visit` until it returns false, in constant memory.
    private func scanIndex(_ visit: (FrameIndexEntry) -> Bool) throws(RecordingError) {
        if try scanFooterIndex(visit) { return }
        var position = dataOffset
        while fileSize - position >= Int64(FrameFormat.skippableHeaderSize) {
            let scratch = try file.readBytes(count: FrameInfo.frameSize, at: position)
            let got = scratch.count
            let (magic, size) = scratch.withUnsafeBytes {
                ($0.baseAddress!.loadLittleEndian(at: 0, as: UInt32.self), $0.baseAddress!.loadLittleEndian(at: 4, as: UInt32.self))
            }
            if magic == FrameFormat.frameInfoMagic {
                guard got == FrameInfo.frameSize, size == UInt32(FrameInfo.payloadSize),
                    let info = scratch.withUnsafeBytes({ FrameInfo.load(payload: $0.baseAddress! + 8) })
                else { return }
                let entry = FrameIndexEntry(offset: position, info: info)
                guard position + entry.totalSize <= fileSize else { return }
                guard visit(entry) else { return }
                position += entry.totalSize
            } else if magic & FrameFormat.skippableMask == FrameFormat.skippableBase, magic != FrameFormat.footerMagic,
                magic != FrameFormat.headerMagic
            {
                position += Int64(FrameFormat.skippableHeaderSize) + Int64(size)
            } else {
                return
            }
        }
    }

    /// Streams the footer's entries when the file ends with a valid footer; false when it has none.
    private func scanFooterIndex(_ visit: (FrameIndexEntry) -> Bool) throws(RecordingError) -> Bool {
        guard let footer = try locateFooter() else { return false }
        let chunkEntries = 1024
        var done = 0
        while done < footer.entryCount {
            let n = min(chunkEntries, footer.entryCount - done)
            let at = footer.offset + 8 + Int64(done * Footer.entrySize)
            let chunk = try file.readBytes(count: n * Footer.entrySize, at: at)
            guard chunk.count == n * Footer.entrySize else { return false }
            var keepGoing = true
            chunk.withUnsafeBytes { p in
                for i in 0..<n where keepGoing {
                    keepGoing = visit(Footer.entry(at: p.baseAddress! + i * Footer.entrySize))
                }
            }
            if !keepGoing { return true }
            done += n
        }
        return true
    }

    private struct FooterLocation {
        var offset: Int64
        var entryCount: Int
    }

    /// Finds and verifies the footer from the end of the file.
    private func locateFooter() throws(RecordingError) -> FooterLocation? {
        let tailSize = 16
        guard fileSize - dataOffset >= Int64(8 + Footer.tailSize) else { return nil }
        let tailBytes = try file.readBytes(count: tailSize, at: fileSize - Int64(tailSize))
        guard tailBytes.count == tailSize, tailBytes[8...].elementsEqual(FrameFormat.footerEndMagic) else { return nil }
        let length = Int64(tailBytes.withUnsafeBytes { $0.baseAddress!.loadLittleEndian(at: 0, as: UInt32.self) })
        let offset = fileSize - length
        guard length >= Int64(8 + Footer.tailSize), offset >= dataOffset else { return nil }
        guard case .valid(let entryCount) = try verifyFooter(at: offset, payloadSize: Int(length) - 8) else { return nil }
        return FooterLocation(offset: offset, entryCount: entryCount)
    }

    private enum FooterCheck {
        case valid(entryCount: Int)
        case invalid(CorruptionReason)
    }

    /// Checks a footer's magic, structure and checksum, streaming it through a small buffer.
    private func verifyFooter(at offset: Int64, payloadSize: Int) throws(RecordingError) -> FooterCheck {
        guard payloadSize >= Footer.tailSize, (payloadSize - Footer.tailSize) % Footer.entrySize == 0 else {
            return .invalid(.malformedFooter("size \(payloadSize) is not a whole number of entries"))
        }
        var crc: UInt32 = 0
        let covered = payloadSize - 12
        var done = 0
        let head = try file.readBytes(count: 8, at: offset)
        guard head.count == 8 else { return .invalid(.malformedFooter("ends early")) }
        let magic = head.withUnsafeBytes { $0.baseAddress!.loadLittleEndian(at: 0, as: UInt32.self) }
        guard magic == FrameFormat.footerMagic else { return .invalid(.unexpectedFrame(magic: magic)) }
        while done < covered {
            let n = min(64 << 10, covered - done)
            let chunk = try file.readBytes(count: n, at: offset + 8 + Int64(done))
            guard chunk.count == n else { return .invalid(.malformedFooter("ends early")) }
            crc = chunk.withUnsafeBytes { CRC32.update(crc, $0) }
            done += n
        }
        let tailBytes = try file.readBytes(count: 28, at: offset + 8 + Int64(payloadSize) - 28)
        guard tailBytes.count == 28 else { return .invalid(.malformedFooter("ends early")) }
        let (entryCount, length, stored) = tailBytes.withUnsafeBytes { p in
            (
                Int(p.baseAddress!.loadLittleEndian(at: 0, as: UInt32.self)),
                Int(p.baseAddress!.loadLittleEndian(at: 12, as: UInt32.self)),
                p.baseAddress!.loadLittleEndian(at: 16, as: UInt32.self)
            )
        }
        guard stored == crc else { return .invalid(.footerChecksumMismatch) }
        guard tailBytes[20...].elementsEqual(FrameFormat.footerEndMagic), length == payloadSize + 8,
            entryCount * Footer.entrySize + Footer.tailSize == payloadSize
        else { return .invalid(.malformedFooter("tail fields disagree with its size")) }
        return .valid(entryCount: entryCount)
    }

    // MARK: Frames

    private func corrupt(_ offset: Int64, _ reason: CorruptionReason) -> RecordingError {
        .corruptFrame(path: path, offset: offset, reason: reason)
    }

    /// Decodes the next data frame into `frame`; false at the end of the data (and `tail` is set).
    /// Damage stops the reader for good, unless `salvage` is on: then it is noted in `damage` and
    /// reading goes on at the next intact frame.
    private func loadNextFrame() throws(RecordingError) -> Bool {
        if let failure { throw failure }
        while tail == .notReached {
            do {
                return try decodeNextFrame()
            } catch {
                guard salvage, case .corruptFrame(_, let offset, let reason) = error else {
                    failure = error
                    throw error
                }
                let start = cursor
                let resume = try nextIntactFrame(after: start)
                damage.append(RecordingDamage(offset: offset, frameOffset: start, skippedBytes: (resume ?? fileSize) - start, reason: reason))
                guard let resume else {
                    tail = .truncated(offset: start, unreadableBytes: fileSize - start)
                    return false
                }
                cursor = resume
            }
        }
        return false
    }

    /// Where reading can go on after damage at `start`: past the frame when its frame info is intact,
    /// else the next offset holding a valid frame info or footer (nil when there is none).
    private func nextIntactFrame(after start: Int64) throws(RecordingError) -> Int64? {
        let head = try file.readBytes(count: FrameInfo.frameSize, at: start)
        if head.count == FrameInfo.frameSize,
            head.withUnsafeBytes({ $0.baseAddress!.loadLittleEndian(at: 0, as: UInt32.self) }) == FrameFormat.frameInfoMagic,
            let info = head.withUnsafeBytes({ FrameInfo.load(payload: $0.baseAddress! + 8) }),
            start + Int64(FrameInfo.frameSize) + Int64(info.compressedSize) <= fileSize
        {
            return start + Int64(FrameInfo.frameSize) + Int64(info.compressedSize)
        }
        // Scan for the next frame info or footer magic, in chunks (constant memory).
        let chunkSize = 64 << 10
        var position = start + 1
        while position + Int64(FrameFormat.skippableHeaderSize) <= fileSize {
            let chunk = try file.readBytes(count: chunkSize + 3, at: position)
            guard chunk.count >= 4 else { break }
            for i in 0...(chunk.count - 4) where chunk[i + 1] == 0x2A && chunk[i + 2] == 0x4D && chunk[i + 3] == 0x18 {
                let at = position + Int64(i)
                if chunk[i] == 0x51 {
                    let candidate = try file.readBytes(count: FrameInfo.frameSize, at: at)
                    if candidate.count == FrameInfo.frameSize,
                        candidate.withUnsafeBytes({ $0.baseAddress!.loadLittleEndian(at: 4, as: UInt32.self) }) == UInt32(FrameInfo.payloadSize),
                        candidate.withUnsafeBytes({ FrameInfo.load(payload: $0.baseAddress! + 8) }) != nil
                    {
                        return at
                    }
                } else if chunk[i] == 0x52, at + 8 <= fileSize {
                    let size = try file.readBytes(count: 8, at: at).withUnsafeBytes { $0.baseAddress!.loadLittleEndian(at: 4, as: UInt32.self) }
                    if at + 8 + Int64(size) == fileSize, case .valid = try verifyFooter(at: at, payloadSize: Int(size)) { return at }
                }
            }
            position += Int64(chunkSize)
        }
        return nil
    }

    private func decodeNextFrame() throws(RecordingError) -> Bool {
        frame.count = 0
        framePosition = 0
        let head = UnsafeRawPointer(scratch.base)
        while true {
            let position = cursor
            let remaining = fileSize - position
            if remaining < Int64(FrameFormat.skippableHeaderSize) {
                tail = .truncated(offset: position, unreadableBytes: remaining)
                return false
            }
            let got = try file.read(into: scratch.base, count: Int(min(Int64(FrameInfo.frameSize), remaining)), at: position)
            if got < FrameFormat.skippableHeaderSize {
                tail = .truncated(offset: position, unreadableBytes: remaining)
                return false
            }
            let magic = head.loadLittleEndian(at: 0, as: UInt32.self)
            let size = Int64(head.loadLittleEndian(at: 4, as: UInt32.self))
            switch magic {
            case FrameFormat.frameInfoMagic:
                guard size == Int64(FrameInfo.payloadSize) else {
                    throw corrupt(position, .malformedFrameInfo("payload size \(size), expected \(FrameInfo.payloadSize)"))
                }
                guard got == FrameInfo.frameSize else {
                    tail = .truncated(offset: position, unreadableBytes: remaining)
                    return false
                }
                guard let info = FrameInfo.load(payload: head + 8) else {
                    throw corrupt(position, .frameInfoChecksumMismatch)
                }
                try decode(info, at: position, remaining: remaining)
                if tail != .notReached { return false }
                return true
            case FrameFormat.footerMagic:
                guard remaining >= 8 + size else {
                    tail = .truncated(offset: position, unreadableBytes: remaining)
                    return false
                }
                if case .invalid(let reason) = try verifyFooter(at: position, payloadSize: Int(size)) {
                    throw corrupt(position, reason)
                }
                let end = position + 8 + size
                if end != fileSize { throw corrupt(end, .bytesAfterFooter(fileSize - end)) }
                cursor = end
                tail = .clean
                return false
            case FrameFormat.headerMagic:
                throw corrupt(position, .unexpectedFrame(magic: magic))
            case let m where m & FrameFormat.skippableMask == FrameFormat.skippableBase:
                // A skippable frame this version does not define: skip it, as zstd does.
                guard remaining >= 8 + size else {
                    tail = .truncated(offset: position, unreadableBytes: remaining)
                    return false
                }
                cursor = position + 8 + size
            default:
                throw corrupt(position, .unexpectedFrame(magic: magic))
            }
        }
    }

    /// Reads, decompresses and validates the data frame described by `info` (frame info at `position`).
    private func decode(_ info: FrameInfo, at position: Int64, remaining: Int64) throws(RecordingError) {
        let rawSize = Int(info.rawSize)
        let compressedSize = Int(info.compressedSize)
        guard info.recordCount > 0, rawSize >= RecordLayout.fixedSize, rawSize <= RecordLayout.maxRecordBytes,
            compressedSize <= ZstdCompressor.bound(rawSize)
        else {
            throw corrupt(position, .malformedFrameInfo("\(info.recordCount) records, \(rawSize) raw bytes, \(compressedSize) compressed bytes"))
        }
        let total = Int64(FrameInfo.frameSize + compressedSize)
        guard remaining >= total else {
            tail = .truncated(offset: position, unreadableBytes: remaining)
            return
        }
        let dataPosition = position + Int64(FrameInfo.frameSize)
        if rawSize <= 2 << 20 {
            // Give back memory taken by an unusually large frame (one huge record).
            frame.count = 0
            frame.shrink(ifAbove: 4 << 20)
            compressed.shrink(ifAbove: 4 << 20)
        }
        compressed.reserve(compressedSize)
        let got = try file.read(into: compressed.base, count: compressedSize, at: dataPosition)
        guard got == compressedSize else {
            // The file shrank after we looked at its size.
            tail = .truncated(offset: position, unreadableBytes: remaining)
            return
        }
        let stored = UnsafeRawBufferPointer(start: compressed.base, count: compressedSize)
        guard XXH64.hash(stored) == info.checksum else { throw corrupt(dataPosition, .frameChecksumMismatch) }
        frame.count = 0
        frame.reserve(rawSize)
        switch decompressor.decompress(stored, into: frame.base, capacity: rawSize) {
        case .failed(let message):
            throw corrupt(dataPosition, .zstd(message))
        case .decompressed(let n):
            guard n == rawSize else { throw corrupt(dataPosition, .sizeMismatch(expected: rawSize, found: n)) }
        }
        if let problem = RecordLayout.validate(
            frame: UnsafeRawBufferPointer(start: frame.base, count: rawSize), expectedRecords: Int(info.recordCount))
        {
            throw corrupt(dataPosition, problem)
        }
        frame.count = rawSize
        framePosition = 0
        cursor = position + total
        framesRead += 1
        rawBytesRead += Int64(rawSize)
        compressedBytesRead += total
    }
}
