#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that can go wrong reading or writing a recording, with enough context to act on it.
///
/// A file that merely ends early (a crashed or still-running writer) is not an error while iterating:
/// the reader returns every complete frame and reports the tail in `RecordingReader.tail`. `truncated`
/// is thrown only where nothing at all can be read (a cut inside the header).
public enum RecordingError: Error, Sendable, Equatable, CustomStringConvertible {
    case notARecording(path: String)
    case unsupportedVersion(path: String, found: UInt8, supported: UInt8)
    case corruptFrame(path: String, offset: Int64, reason: CorruptionReason)
    case truncated(path: String, offset: Int64, unreadableBytes: Int64)
    case io(path: String, operation: String, errno: Int32)
    case recordTooLarge(bytes: Int, limit: Int)
    case compression(code: Int, message: String)
    case writerClosed(path: String)
    case invalidOption(String)

    public var description: String {
        switch self {
        case .notARecording(let path):
            return "\(path): not a MarketPrism recording (no recording header at the start of the file)"
        case .unsupportedVersion(let path, let found, let supported):
            return "\(path): recording format version \(found) is newer than this tool supports (\(supported)); upgrade marketprism"
        case .corruptFrame(let path, let offset, let reason):
            return "\(path): corrupt data at byte offset \(offset): \(reason)"
        case .truncated(let path, let offset, let unreadable):
            return "\(path): truncated at byte offset \(offset), \(unreadable) unreadable bytes"
        case .io(let path, let operation, let code):
            return "\(path): \(operation) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .recordTooLarge(let bytes, let limit):
            return "record of \(bytes) bytes exceeds the format limit of \(limit) bytes"
        case .compression(let code, let message):
            return "zstd compression failed (\(code)): \(message)"
        case .writerClosed(let path):
            return "\(path): the writer is already closed"
        case .invalidOption(let message):
            return "invalid writer option: \(message)"
        }
    }
}

/// Why a frame was rejected; the file offset travels in `RecordingError.corruptFrame`.
public enum CorruptionReason: Sendable, Equatable, CustomStringConvertible {
    case headerChecksumMismatch
    case malformedHeader(String)
    case frameInfoChecksumMismatch
    case malformedFrameInfo(String)
    case unexpectedFrame(magic: UInt32)
    case frameChecksumMismatch
    case zstd(String)
    case sizeMismatch(expected: Int, found: Int)
    case malformedRecord(index: Int, String)
    case recordCountMismatch(expected: Int, found: Int)
    case footerChecksumMismatch
    case malformedFooter(String)
    case bytesAfterFooter(Int64)

    public var description: String {
        switch self {
        case .headerChecksumMismatch: return "header checksum mismatch"
        case .malformedHeader(let what): return "malformed header: \(what)"
        case .frameInfoChecksumMismatch: return "frame info checksum mismatch"
        case .malformedFrameInfo(let what): return "malformed frame info: \(what)"
        case .unexpectedFrame(let magic): return "unexpected frame magic 0x\(String(magic, radix: 16, uppercase: true))"
        case .frameChecksumMismatch: return "stored zstd frame does not match its XXH64 checksum"
        case .zstd(let message): return "zstd frame does not decode: \(message)"
        case .sizeMismatch(let expected, let found):
            return "decompressed size \(found) differs from the \(expected) bytes announced in the frame info"
        case .malformedRecord(let index, let what): return "record \(index) of the frame is malformed: \(what)"
        case .recordCountMismatch(let expected, let found):
            return "frame holds \(found) records but its frame info announces \(expected)"
        case .footerChecksumMismatch: return "footer index checksum mismatch"
        case .malformedFooter(let what): return "malformed footer index: \(what)"
        case .bytesAfterFooter(let count): return "\(count) unexpected bytes after the footer index"
        }
    }
}
