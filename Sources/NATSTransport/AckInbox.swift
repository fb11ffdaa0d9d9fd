#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNats

/// One connection's reply subjects for publish acks: `_INBOX.<nuid>.<window sequence>`.
///
/// The window sequence rides in the reply subject, so an ack names the message it is for and
/// needs no lookup table. The publisher thread writes each reply into one preallocated buffer.
final class AckInbox {
    /// `_INBOX.<nuid>.*`, what the connection subscribes to.
    let wildcard: String
    private let buffer: UnsafeMutablePointer<CChar>
    private let prefixCount: Int

    /// A fresh, unique inbox (libnats' NUID); nil only if libnats cannot allocate.
    init?() {
        var inbox: UnsafeMutablePointer<natsInbox>?
        guard natsInbox_Create(&inbox) == NATS_OK, let inbox else { return nil }
        defer { natsInbox_Destroy(inbox) }
        let base = String(cString: inbox)
        wildcard = base + ".*"
        prefixCount = base.utf8.count + 1
        buffer = .allocate(capacity: prefixCount + 21)
        var i = 0
        for byte in base.utf8 {
            buffer[i] = CChar(bitPattern: byte)
            i += 1
        }
        buffer[i] = CChar(UInt8(ascii: "."))
    }

    deinit { buffer.deallocate() }

    /// The NUL-terminated reply subject for `sequence`, valid until the next call.
    func reply(for sequence: UInt64) -> UnsafePointer<CChar> {
        var digits = 1
        var rest = sequence / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        var value = sequence
        var i = prefixCount + digits
        buffer[i] = 0
        repeat {
            i -= 1
            buffer[i] = CChar(UInt8(ascii: "0") + UInt8(value % 10))
            value /= 10
        } while value > 0
        return UnsafePointer(buffer)
    }

    /// The window sequence at the end of an ack's subject; nil if there is none.
    static func sequence(inSubject subject: UnsafePointer<CChar>) -> UInt64? {
        let count = strlen(subject)
        var start = count
        while start > 0, subject[start - 1] != CChar(UInt8(ascii: ".")) { start -= 1 }
        guard start < count, count - start <= 20 else { return nil }
        var value: UInt64 = 0
        for i in start..<count {
            let digit = UInt8(bitPattern: subject[i]) &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return value
    }
}
