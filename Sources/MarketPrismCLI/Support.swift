import ArgumentParser
import Foundation
import Recording

#if canImport(Glibc)
import Glibc
#endif

/// A user-facing failure: printed as one line on stderr, exit status 2. Never a stack trace.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The wall clock, for the drivers only (throughput, pacing); the core never reads it.
enum WallClock {
    static func nanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

/// A line-oriented output file that is written to a temporary name and renamed on close.
final class OutputFile {
    let path: String
    private let temporary: String
    private let handle: UnsafeMutablePointer<FILE>

    init(path: String) throws {
        self.path = path
        temporary = path + ".tmp"
        guard let h = fopen(temporary, "w") else { throw CLIError("\(path): cannot open for writing: \(String(cString: strerror(errno)))") }
        handle = h
    }

    func write(_ line: String) {
        fputs(line, handle)
        fputc(0x0A, handle)
    }

    func close() throws {
        fclose(handle)
        guard rename(temporary, path) == 0 else { throw CLIError("\(path): cannot rename: \(String(cString: strerror(errno)))") }
    }
}

/// A progress line on stderr while a long run goes, only when stderr is a terminal.
enum Progress {
    nonisolated(unsafe) static var lastNs: Int64 = 0
    nonisolated(unsafe) static var shown = false

    static func reporter(label: String) -> ((Int, Int) -> Void)? {
        guard isatty(2) != 0 else { return nil }
        return { done, total in
            let now = WallClock.nanoseconds()
            guard now - lastNs > 250_000_000 else { return }
            lastNs = now
            shown = true
            let pct = total > 0 ? Double(done) * 100 / Double(total) : 0
            FileHandle.standardError.write(Data(String(format: "\r%@: %d / %d frames (%.0f%%)", label, done, total, pct).utf8))
        }
    }

    static func clear() {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        shown = false
    }
}

extension RecordingReader {
    /// After reading to the end: one stderr warning for each damaged frame skipped (salvage) and for a
    /// truncated tail, so a command that carried on says what it could not read.
    func warnAboutSkippedBytes() {
        for d in damage {
            FileHandle.standardError.write(
                Data("marketprism: warning: \(path): damaged frame at byte offset \(d.frameOffset) skipped (\(d.skippedBytes) bytes): \(d.reason)\n".utf8))
        }
        if case .truncated(let offset, let unreadable) = tail {
            FileHandle.standardError.write(
                Data("marketprism: warning: \(path) is truncated at byte offset \(offset) (no index footer); \(unreadable) unreadable bytes skipped\n".utf8))
        }
    }
}
