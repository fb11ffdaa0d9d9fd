#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let systemClose = Glibc.close
private let systemRename = Glibc.rename
#elseif canImport(Darwin)
private let systemClose = Darwin.close
private let systemRename = Darwin.rename
#endif

/// A file descriptor with errors mapped to `RecordingError.io`. Plain POSIX keeps the per-frame I/O free
/// of Foundation and makes durability explicit (`fsync`, then `rename`, then `fsync` of the directory).
final class PosixFile {
    let path: String
    private(set) var fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit {
        if fd >= 0 { _ = systemClose(fd) }
    }

    static func openForReading(_ path: String) throws(RecordingError) -> PosixFile {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, operation: "open", errno: errno) }
        return PosixFile(path: path, fd: fd)
    }

    /// Creates (or truncates) a file for writing.
    static func create(_ path: String) throws(RecordingError) -> PosixFile {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: path, operation: "create", errno: errno) }
        return PosixFile(path: path, fd: fd)
    }

    func size() throws(RecordingError) -> Int64 {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .io(path: path, operation: "stat", errno: errno) }
        return Int64(st.st_size)
    }

    /// Writes every byte, retrying short writes and EINTR.
    func writeAll(_ bytes: UnsafeRawBufferPointer) throws(RecordingError) {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = write(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, operation: "write", errno: errno)
            }
            p += n
            left -= n
        }
    }

    func writeAll(_ bytes: [UInt8]) throws(RecordingError) {
        var failure: RecordingError?
        bytes.withUnsafeBytes { raw in
            do throws(RecordingError) { try writeAll(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Reads up to `count` bytes at `offset`; returns fewer only at end of file.
    func read(into p: UnsafeMutableRawPointer, count: Int, at offset: Int64) throws(RecordingError) -> Int {
        var done = 0
        while done < count {
            let n = pread(fd, p + done, count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, operation: "read", errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Reads up to `count` bytes at `offset` into a new array (short only at end of file).
    func readBytes(count: Int, at offset: Int64) throws(RecordingError) -> [UInt8] {
        guard count > 0 else { return [] }
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 8)
        defer { scratch.deallocate() }
        let got = try read(into: scratch, count: count, at: offset)
        return Array(UnsafeRawBufferPointer(start: scratch, count: got))
    }

    func sync() throws(RecordingError) {
        guard fsync(fd) == 0 else { throw .io(path: path, operation: "fsync", errno: errno) }
    }

    func adviseSequential() {
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        #endif
    }

    func close() throws(RecordingError) {
        guard fd >= 0 else { return }
        let result = systemClose(fd)
        fd = -1
        guard result == 0 else { throw .io(path: path, operation: "close", errno: errno) }
    }

    static func rename(_ from: String, to: String) throws(RecordingError) {
        guard systemRename(from, to) == 0 else { throw .io(path: from, operation: "rename to \(to)", errno: errno) }
    }

    /// Makes a rename durable: the directory entry itself must reach the disk.
    static func syncDirectory(containing path: String) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        _ = systemClose(fd)
    }
}
