#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Recording

/// A bounded FIFO of encoded messages on disk, in the recording frame format (zstd frames with
/// checksums, docs/recording-format.md), for outages that outlast the publisher's memory.
///
/// Messages go into numbered segment files `spool-0000000001.mprec` in a directory; each message
/// is one binary `ws_sent` record on stream 0 whose payload is `subject NUL id NUL json` (the
/// `OutboundMessage` layout) and whose `monoNs` is its spool position. Segments are read oldest
/// first and deleted once drained. Segments left by a crashed process are picked up again at
/// start (up to their last complete frame), so a restarted collector drains what it had spooled.
/// Not thread-safe: the publisher core calls it under its own lock.
public final class DiskSpool: MessageSpool {
    public let directory: String
    public let maxMessages: Int
    public let maxBytes: Int64
    public let segmentBytes: Int64

    private struct Segment {
        var path: String
        var records: Int
        var bytes: Int64
    }

    private var writer: RecordingWriter?
    private var writing = Segment(path: "", records: 0, bytes: 0)
    private var sealed: [Segment] = []
    private var reader: RecordingReader?
    private var reading = Segment(path: "", records: 0, bytes: 0)
    private var readRecords = 0
    private var readBytes: Int64 = 0
    private var nextNumber = 1
    /// A loss found while a batch was being returned: reported (and taken off `count`) by the next call.
    private var deferredLoss: (error: SpoolError, records: Int, bytes: Int64)?
    private var position: Int64 = 0

    public private(set) var count = 0
    /// Bytes of messages held (uncompressed).
    public private(set) var byteCount: Int64 = 0

    /// Opens (creating if needed) a spool directory and adopts segments a previous run left there.
    public init(
        directory: String, maxMessages: Int = 10_000_000, maxBytes: Int64 = 4 << 30, segmentBytes: Int64 = 64 << 20
    ) throws(SpoolError) {
        self.directory = directory
        self.maxMessages = maxMessages
        self.maxBytes = maxBytes
        self.segmentBytes = max(1, segmentBytes)
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw .io(path: directory, detail: "mkdir failed (errno \(errno))")
        }
        try adoptLeftovers()
    }

    deinit {
        // Seal the open segment so the next run finds every appended message.
        _ = try? writer?.close()
    }

    public func append(_ message: OutboundMessage) throws(SpoolError) {
        guard count < maxMessages else { throw .full(limit: maxMessages) }
        guard byteCount + Int64(message.size) <= maxBytes else { throw .full(limit: Int(clamping: maxBytes)) }
        if writer == nil { try openWriter() }
        let w = writer!
        let at = position
        let failure = message.storage.withUnsafeBytes { bytes -> String? in
            do {
                try w.append(kind: .wsSent, stream: 0, wallNs: 0, monoNs: at, isBinary: true, payload: bytes)
                return nil
            } catch {
                return "\(error)"
            }
        }
        if let failure { throw .io(path: writing.path, detail: failure) }
        position += 1
        writing.records += 1
        writing.bytes += Int64(message.size)
        count += 1
        byteCount += Int64(message.size)
        if writing.bytes >= segmentBytes { try sealWriter() }
    }

    public func removeFirst(upTo limit: Int) throws(SpoolError) -> [OutboundMessage] {
        if let loss = deferredLoss {
            deferredLoss = nil
            throw take(loss)
        }
        var out: [OutboundMessage] = []
        while out.count < limit && count > 0 {
            if reader == nil {
                if sealed.isEmpty { try sealWriter() }
                guard !sealed.isEmpty else { break }
                try openReader(sealed.removeFirst())
            }
            let next: OutboundMessage??
            do {
                next = try reader!.withNextRecord { view in OutboundMessage(storage: Array(view.payload)) }
            } catch {
                // Damaged data: the rest of this segment is gone; report it, keep what was read.
                let loss = finishReading() ?? (.io(path: reading.path, detail: "\(error)"), 0, 0)
                if out.isEmpty { throw take(loss) }
                deferredLoss = loss
                return out
            }
            switch next {
            case .some(.some(let message)):
                out.append(message)
                readRecords += 1
                readBytes += Int64(message.size)
                count -= 1
                byteCount -= Int64(message.size)
            case .some(.none):
                readRecords += 1  // not a spool record: counted against the segment, skipped
                count -= 1
            case .none:
                if let loss = finishReading() {
                    if out.isEmpty { throw take(loss) }
                    deferredLoss = loss
                    return out
                }
            }
        }
        if count == 0 && reader != nil { _ = finishReading() }
        return out
    }

    /// Takes a reported loss off the counters and returns its error.
    private func take(_ loss: (error: SpoolError, records: Int, bytes: Int64)) -> SpoolError {
        count -= loss.records
        byteCount -= loss.bytes
        return loss.error
    }

    /// Makes every appended message durable in its segment file (cuts the open frame, fsyncs).
    public func flush() throws(SpoolError) {
        do { try writer?.flush() } catch { throw .io(path: writing.path, detail: "\(error)") }
    }

    // MARK: - Segments

    private func segmentPath(_ number: Int) -> String {
        let digits = String(number)
        return directory + "/spool-" + String(repeating: "0", count: max(0, 10 - digits.count)) + digits + ".mprec"
    }

    private func openWriter() throws(SpoolError) {
        let path = segmentPath(nextNumber)
        nextNumber += 1
        let header = RecordingHeader(venue: "spool", subscription: "{}", toolVersion: "marketprism publisher spool", startWallNs: 0)
        do {
            writer = try RecordingWriter(
                path: path, header: header, options: RecordingWriterOptions(compressionLevel: 1, syncOnFlush: false))
        } catch {
            throw .io(path: path, detail: "\(error)")
        }
        writing = Segment(path: path, records: 0, bytes: 0)
    }

    private func sealWriter() throws(SpoolError) {
        guard let w = writer else { return }
        writer = nil
        do { try w.close() } catch { throw .io(path: writing.path, detail: "\(error)") }
        if writing.records > 0 { sealed.append(writing) } else { unlink(writing.path) }
    }

    private func openReader(_ segment: Segment) throws(SpoolError) {
        reading = segment
        readRecords = 0
        readBytes = 0
        do {
            reader = try RecordingReader(path: segment.path)
        } catch {
            reader = nil
            unlink(segment.path)
            count -= segment.records
            byteCount -= segment.bytes
            throw .corrupt(path: segment.path, offset: 0, lost: segment.records)
        }
    }

    /// Deletes the drained segment; returns the loss if it held fewer records than were written
    /// (the caller takes it off `count` when it reports it).
    private func finishReading() -> (error: SpoolError, records: Int, bytes: Int64)? {
        let offset = reader.map { r -> Int64 in
            if case .truncated(let o, _) = r.tail { return o }
            return r.fileSize
        } ?? 0
        reader = nil
        unlink(reading.path)
        let lost = reading.records - readRecords
        guard lost > 0 else { return nil }
        return (.corrupt(path: reading.path, offset: Int(offset), lost: lost), lost, max(0, reading.bytes - readBytes))
    }

    /// Counts the records of segments a previous process left (sealed or `.tmp`), oldest first.
    private func adoptLeftovers() throws(SpoolError) {
        guard let dir = opendir(directory) else { throw .io(path: directory, detail: "opendir failed (errno \(errno))") }
        var found: [(number: Int, name: String)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name.hasPrefix("spool-"), name.hasSuffix(".mprec") || name.hasSuffix(".mprec.tmp") else { continue }
            let digits = name.dropFirst(6).prefix(while: { $0.isNumber })
            if let n = Int(digits) { found.append((n, name)) }
        }
        closedir(dir)
        for (number, name) in found.sorted(by: { $0.number < $1.number }) {
            let path = directory + "/" + name
            var records = 0
            var bytes: Int64 = 0
            if let r = try? RecordingReader(path: path) {
                try? r.forEachRecord { view in
                    records += 1
                    bytes += Int64(view.payload.count)
                }
            }
            if records == 0 {
                unlink(path)
            } else {
                sealed.append(Segment(path: path, records: records, bytes: bytes))
                count += records
                byteCount += bytes
            }
            nextNumber = max(nextNumber, number + 1)
        }
    }
}
