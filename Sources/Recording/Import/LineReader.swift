#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a text file line by line through one growing buffer: memory is bounded by the longest line,
/// not the file. A last line without a newline is still a line.
final class LineReader {
    let path: String
    private let file: PosixFile
    private let buffer = ByteBuffer(capacity: 1 << 20)
    private var start = 0
    private var fileOffset: Int64 = 0
    private var atEnd = false
    /// 1-based number of the line last returned.
    private(set) var lineNumber = 0

    init(path: String) throws(RecordingError) {
        self.path = path
        file = try PosixFile.openForReading(path)
        file.adviseSequential()
    }

    /// The next line without its `\n`, borrowed until the next call; nil at end of file.
    func nextLine() throws(RecordingError) -> UnsafeRawBufferPointer? {
        var searchFrom = start
        while true {
            let base = buffer.base
            if searchFrom < buffer.count,
                let newline = memchr(base + searchFrom, Int32(UInt8(ascii: "\n")), buffer.count - searchFrom)
            {
                let end = base.distance(to: newline)
                let line = UnsafeRawBufferPointer(start: base + start, count: end - start)
                start = end + 1
                lineNumber += 1
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = UnsafeRawBufferPointer(start: base + start, count: buffer.count - start)
                start = buffer.count
                lineNumber += 1
                return line
            }
            // Keep the partial line, then read more after it.
            let pending = buffer.count - start
            if start > 0 {
                if pending > 0 { base.copyMemory(from: base + start, byteCount: pending) }
                buffer.count = pending
                start = 0
            }
            searchFrom = pending
            let chunk = 1 << 20
            buffer.reserve(buffer.count + chunk)
            let got = try file.read(into: buffer.base + buffer.count, count: chunk, at: fileOffset)
            fileOffset += Int64(got)
            buffer.count += got
            if got < chunk { atEnd = true }
        }
    }
}
